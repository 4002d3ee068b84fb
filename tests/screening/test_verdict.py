"""Status order and thresholds, on evidence written by hand (no model is loaded)."""

from __future__ import annotations

import pytest

from emoeval.screening.verdict import (MIN_PROBE_SCORED, STATUS_ORDER, architecture_problem,
                                       decide, settled_before_probe)

EMOTIONS = {"angry": "angry", "happy": "happy", "neutral": "neutral", "sad": "sad"}


def probe(distribution: dict[str, int], std: float = 0.1, hard: bool = False,
          truth_top_share: float = 0.25) -> dict:
    n = sum(distribution.values())
    top = max(distribution, key=distribution.get)
    return {"n": n, "n_scored": n, "n_errors": 0, "distribution": distribution,
            "top_label": top, "top_share": distribution[top] / n,
            "top_probability": {"mean": 0.6, "std": std}, "hard_labels": hard,
            "truth_top_share": truth_top_share, "accuracy": 0.5, "balanced_accuracy": 0.5}


def classifier(**overrides) -> dict:
    """Evidence of a loaded emotion classifier that spreads its predictions."""
    evidence = {"architecture": "Wav2Vec2ForSequenceClassification",
                "architectures": ["Wav2Vec2ForSequenceClassification"],
                "architecture_in_transformers": True, "model_class": "X",
                "loading": {"head_newly_initialised": [], "unexpected": []},
                "labels": list(EMOTIONS), "label_emotions": dict(EMOTIONS),
                "open_vocabulary": False,
                "probe": probe({"angry": 10, "happy": 10, "neutral": 10, "sad": 10})}
    evidence.update(overrides)
    return evidence


def test_a_spread_emotion_classifier_is_usable():
    verdict = decide(classifier())
    assert (verdict.status, verdict.recommendation) == ("usable", "keep")
    assert "accuracy 50.0%" in verdict.reason


# Evidence that fits several statuses: the earliest in STATUS_ORDER wins.
LAYERS = [
    ("not_found", {"failure": {"status": "not_found", "message": "no such folder"}}),
    ("unreachable", {"failure": {"status": "unreachable", "message": "offline"}}),
    ("needs_custom_loader", {"failure": {"status": "needs_custom_loader", "message": "sb"}}),
    ("load_error", {"failure": {"status": "load_error", "message": "boom"}}),
    ("timeout", {"timed_out": True}),
    ("wrong_task", {"architectures": ["Wav2Vec2ForCTC"]}),
    ("no_emotion_labels", {"label_emotions": {"LABEL_0": None, "LABEL_1": None},
                           "labels": ["LABEL_0", "LABEL_1"]}),
    ("degenerate", {"probe": probe({"neutral": 40})}),
    ("unprobed", {"probe": None}),
    ("chance_level", {"probe": {**probe({"angry": 10, "happy": 10, "neutral": 10, "sad": 10}),
                                "accuracy": 0.25}}),
]


@pytest.mark.parametrize("depth", range(len(LAYERS)))
def test_first_matching_status_wins(depth):
    """Stack the conditions of every status from ``depth`` on: the one at ``depth`` wins."""
    evidence, timed_out = classifier(), False
    for _, layer in reversed(LAYERS[depth:]):
        layer = dict(layer)
        timed_out = layer.pop("timed_out", timed_out)
        evidence.update(layer)
    verdict = decide(evidence, timed_out=timed_out, timeout_s=30)
    assert verdict.status == LAYERS[depth][0]
    assert [s for s, _ in LAYERS] + ["usable"] == list(STATUS_ORDER)


@pytest.mark.parametrize("status,recommendation", [
    ("not_found", "exclude"), ("needs_custom_loader", "needs loader"), ("unprobed", "keep"),
    ("degenerate", "exclude"), ("unreachable", "retry"), ("chance_level", "exclude")])
def test_recommendations(status, recommendation):
    layer = dict(next(layer for name, layer in LAYERS if name == status))
    assert decide(classifier(**layer)).recommendation == recommendation


@pytest.mark.parametrize("architectures,problem", [
    (["Wav2Vec2ForCTC"], "speech recogniser"),
    (["WhisperForConditionalGeneration"], "sequence-to-sequence"),
    (["WavLMModel"], "bare base model"),
    (["BertModel"], "bare base model"),
    (["Wav2Vec2ForPreTraining"], "pre-training"),
    (["HubertForSequenceClassification"], None),
    (["ASTForAudioClassification"], None),
    ([], None),
])
def test_architecture_problems(architectures, problem):
    found = architecture_problem(architectures)
    assert (found is None) if problem is None else (problem in found)


def test_a_head_newly_initialised_is_the_wrong_task_even_with_a_classifier_architecture():
    evidence = classifier(loading={"head_newly_initialised": ["classifier.weight"]})
    verdict = decide(evidence)
    assert verdict.status == "wrong_task" and "classifier.weight" in verdict.reason


def test_an_architecture_transformers_lacks_with_an_untrained_head_needs_a_loader():
    # ehcalabres/...-speech-emotion-recognition: Wav2Vec2ForSpeechClassification, a custom
    # class whose head transformers loads as random weights (hence "100% neutral")
    evidence = classifier(architectures=["Wav2Vec2ForSpeechClassification"],
                          architecture="Wav2Vec2ForSpeechClassification",
                          architecture_in_transformers=False,
                          loading={"head_newly_initialised": ["classifier.weight"]})
    assert decide(evidence).status == "needs_custom_loader"


@pytest.mark.parametrize("labels,label_emotions,status", [
    (["LABEL_0", "LABEL_1"], {"LABEL_0": None, "LABEL_1": None}, "no_emotion_labels"),
    (["positive", "negative"], {"positive": None, "negative": None}, "no_emotion_labels"),
    (["neutral", "positive"], {"neutral": "neutral", "positive": None}, "no_emotion_labels"),
    # a label_map named the placeholders (inspection applies it before this check)
    (["LABEL_0", "LABEL_1"], {"LABEL_0": "angry", "LABEL_1": "sad"}, "usable"),
])
def test_labels_must_name_at_least_two_emotions(labels, label_emotions, status):
    assert decide(classifier(labels=labels, label_emotions=label_emotions)).status == status


def test_an_open_vocabulary_model_is_judged_on_the_labels_it_predicted():
    evidence = classifier(labels=[], label_emotions={}, open_vocabulary=True)
    evidence["probe"]["predicted_emotions"] = {"yes": None, "no": None}
    assert decide(evidence).status == "no_emotion_labels"
    evidence["probe"]["predicted_emotions"] = dict(EMOTIONS)
    assert decide(evidence).status == "usable"
    assert decide({**evidence, "probe": None}).status == "unprobed"


@pytest.mark.parametrize("top_count,status", [(36, "degenerate"), (35, "usable")])
def test_collapse_threshold_is_ninety_percent(top_count, status):
    rest = 40 - top_count
    distribution = {"neutral": top_count, "sad": rest - rest // 2, "angry": rest // 2}
    assert decide(classifier(probe=probe(distribution))).status == status


@pytest.mark.parametrize("std,hard,status", [
    (0.009, False, "degenerate"), (0.011, False, "usable"),
    (0.0, True, "usable"),  # label-name answers have no confidence to judge
])
def test_a_top_probability_that_does_not_move_is_degenerate(std, hard, status):
    spread = probe({"angry": 10, "happy": 10, "neutral": 10, "sad": 10}, std=std, hard=hard)
    assert decide(classifier(probe=spread)).status == status


def test_probe_data_of_one_class_does_not_make_a_model_degenerate():
    evidence = classifier(probe={**probe({"neutral": 38, "sad": 2}, truth_top_share=0.95),
                                 "accuracy": 1.0})
    # not degenerate; but since issue 20 usable needs beating the 95% majority rate, which
    # 40 of 40 right cannot show (one-sided binomial p = 0.95 ** 40, about 0.13)
    verdict = decide(evidence)
    assert verdict.status == "chance_level" and "p = 0.129" in verdict.reason


def test_too_few_probe_samples_leave_the_model_unprobed():
    few = probe({"neutral": MIN_PROBE_SCORED - 1})
    verdict = decide(classifier(probe=few))
    assert verdict.status == "unprobed" and f"only {MIN_PROBE_SCORED - 1}" in verdict.reason


def test_probing_is_skipped_only_once_a_model_is_excluded():
    assert settled_before_probe(classifier(architectures=["Wav2Vec2ForCTC"])).status == \
        "wrong_task"
    assert settled_before_probe(classifier()) is None


@pytest.mark.parametrize("right,status", [(15, "chance_level"), (16, "usable")])
def test_usable_means_beating_the_majority_rate(right, status):
    """Issue 20: on a balanced 40-clip, 4-class probe, 16 or more right beats 25%
    (one-sided exact binomial, p < 0.05); 15 does not."""
    from scipy.stats import binomtest

    evidence = classifier(probe={**probe({"angry": 10, "happy": 10, "neutral": 10, "sad": 10}),
                                 "accuracy": right / 40, "n_correct": right, "n_labelled": 40,
                                 "majority_rate": 0.25, "n_classes": 4,
                                 "balanced_accuracy": right / 40})
    verdict = decide(evidence)
    assert verdict.status == status
    p = binomtest(right, 40, 0.25, alternative="greater").pvalue
    assert f"{right} of 40 probe samples right" in verdict.reason
    assert f"p = {p:.3g}" in verdict.reason and "1/k = 25.0%" in verdict.reason
    assert verdict.recommendation == ("exclude" if status == "chance_level" else "keep")


def test_a_collapse_names_the_mapped_label():
    evidence = classifier(labels=["LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"],
                          label_emotions={"LABEL_0": "angry", "LABEL_1": "happy",
                                          "LABEL_2": "neutral", "LABEL_3": "sad"},
                          probe=probe({"LABEL_2": 40}))
    verdict = decide(evidence)
    assert verdict.status == "degenerate"
    assert "are 'neutral' (model label LABEL_2)" in verdict.reason
