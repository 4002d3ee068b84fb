"""The probe sample and its summary, run in-process through the core runner."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from builders import shared_data
from emoeval.adapters.base import load_adapter
from emoeval.api import stratified_limit
from emoeval.datasets.base import load_dataset
from emoeval.screening.probe import build_probe, probe_label_map, run_probe

PITCH_MODEL = '''
import numpy as np

LABELS = ["anger", "joy", "calm", "sorrow"]


def predict(clips):
    """Scores from the dominant pitch of each clip: a model whose answer depends on input."""
    out = []
    for clip in clips:
        spectrum = np.abs(np.fft.rfft(clip))
        index = int(np.argmax(spectrum[1:]) + 1) % 4
        scores = {label: 0.1 for label in LABELS}
        scores[LABELS[index]] = 0.7
        out.append(scores)
    return out


predict.labels = LABELS
predict.modality = "audio"
'''


@pytest.fixture
def pitch_model(tmp_path, monkeypatch):
    (tmp_path / "pitch_model.py").write_text(PITCH_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "python:pitch_model:predict"


def test_probe_is_the_stratified_sample_evaluate_limit_draws(tone_dataset):
    spec = f"csv:{tone_dataset}"
    probe = build_probe(spec, 8, seed=3)
    rows = load_dataset(spec).rows()
    assert [r.id for r in probe.rows] == [r.id for r in stratified_limit(rows, 8, 3)]
    assert Counter(r.label for r in probe.rows) == {"angry": 2, "happy": 2, "neutral": 2,
                                                    "sad": 2}
    assert probe.labels == ["angry", "happy", "neutral", "sad"]
    assert probe.languages == ["en"]
    assert len(build_probe(spec, 1000).rows) == 16  # asking for more than there is: all


def test_unlabelled_probe_data_has_no_labels_and_says_so(tmp_path, tone_dataset):
    text = tone_dataset.read_text().splitlines()
    rows = [text[0]] + [",".join([line.split(",")[0], ""] + line.split(",")[2:])
                        for line in text[1:]]
    unlabelled = tone_dataset.parent / "unlabelled.csv"
    unlabelled.write_text("\n".join(rows) + "\n")
    probe = build_probe(f"csv:{unlabelled}", 6)
    assert probe.labels == [] and len(probe.rows) == 6
    assert any("no label" in w for w in probe.warnings)


def test_label_map_targets_take_the_probe_names():
    assert probe_label_map({"LABEL_0": "angry", "LABEL_1": "joy", "LABEL_2": None,
                            "LABEL_3": "boredom"}, ["anger", "happy", "sad"]) == {
        "LABEL_0": "anger", "LABEL_1": "happy", "LABEL_2": None, "LABEL_3": None}


def test_probe_metrics_match_scikit_learn(tmp_path, tone_dataset, pitch_model):
    probe = build_probe(f"csv:{tone_dataset}", 16)
    adapter = load_adapter(pitch_model)
    facts, warnings = run_probe(adapter, probe, None, str(tmp_path / "store"))
    # the independent reference: the stored raw scores, mapped by alias by hand
    by_alias = {"anger": "angry", "joy": "happy", "calm": None, "sorrow": "sad"}
    stored = {}
    for line in (tmp_path / "store" / "predictions.jsonl").read_text().splitlines():
        record = json.loads(line)
        mapped = {by_alias[k]: v for k, v in record["scores"].items() if by_alias.get(k)}
        stored[record["id"]] = max(mapped, key=mapped.get)
    truth = [r.label for r in probe.rows]
    predicted = [stored[r.id] for r in probe.rows]
    assert facts["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert facts["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(truth, predicted))
    assert facts["n_scored"] == 16 and sum(facts["distribution"].values()) == 16
    assert facts["top_share"] == max(facts["distribution"].values()) / 16
    # calm has no counterpart in the probe labels; the rest map by alias
    assert facts["label_mapping"]["model_to_dataset"]["calm"] is None
    assert facts["label_mapping"]["how"]["sorrow"] == "alias" and warnings == []


def test_an_interrupted_probe_resumes_from_its_store(tmp_path, tone_dataset, pitch_model):
    probe = build_probe(f"csv:{tone_dataset}", 16)
    adapter = load_adapter(pitch_model)
    first, _ = run_probe(adapter, probe, None, str(tmp_path / "store"))
    calls = []
    original = adapter.fn
    adapter.fn = lambda clips: calls.append(len(clips)) or original(clips)
    again, _ = run_probe(adapter, probe, None, str(tmp_path / "store"))
    assert calls == [] and again["distribution"] == first["distribution"]


def test_bad_clips_are_counted_not_fatal(tmp_path, tone_dataset, pitch_model):
    csv = tone_dataset.read_text() + "clips/missing.wav,sad,s0,en\n"
    (tone_dataset.parent / "with_missing.csv").write_text(csv)
    probe = build_probe(f"csv:{tone_dataset.parent / 'with_missing.csv'}", 17)
    facts, warnings = run_probe(load_adapter(pitch_model), probe, None, str(tmp_path / "s"))
    assert (facts["n"], facts["n_scored"], facts["n_errors"]) == (17, 16, 1)
    assert facts["n_model_errors"] == 0 and "missing audio file" in warnings[0]


def test_urdu_probe_of_forty_is_ten_per_emotion_in_urdu():
    probe = build_probe(f"urdu:{shared_data('urdu')}", 40)
    assert Counter(r.label for r in probe.rows) == {"angry": 10, "happy": 10, "neutral": 10,
                                                    "sad": 10}
    assert probe.languages == ["ur"]
    assert np.all([r.audio.endswith(".wav") for r in probe.rows])


def test_probe_scores_what_evaluate_limit_scores(tmp_path, tone_dataset, pitch_model):
    """Same sample, same decoding, same label mapping: the probe's numbers are evaluate's."""
    from emoeval.api import EvaluationConfig, evaluate

    spec = f"csv:{tone_dataset}"
    results = evaluate(EvaluationConfig(model=pitch_model, dataset=spec, limit=12, seed=5,
                                        out=str(tmp_path / "eval"), n_resamples=10))
    facts, _ = run_probe(load_adapter(pitch_model), build_probe(spec, 12, seed=5), None,
                         str(tmp_path / "probe"))
    assert facts["n_scored"] == results["n_scored"] == 12
    assert facts["accuracy"] == pytest.approx(results["metrics"]["accuracy"])
    assert facts["balanced_accuracy"] == pytest.approx(results["metrics"]["balanced_accuracy"])
