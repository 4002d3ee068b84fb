"""From evidence to a status, a recommendation and a one-line reason.

Statuses are checked in :data:`STATUS_ORDER`; the first that applies wins. Every check reads
only the evidence a worker recorded (and whether it was stopped at the time limit), so a
verdict can be recomputed from ``screening.json`` without loading any model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from ..dimensional.names import dimension_family
from ..scoring import COLLAPSE_SHARE

STATUS_ORDER = ("not_found", "unreachable", "needs_custom_loader", "load_error", "timeout",
                "wrong_task", "no_emotion_labels", "degenerate", "unprobed", "chance_level",
                "usable")
#: unreachable is a fact about the network, not the model: screen it again later
RECOMMENDATIONS = {"unreachable": "retry", "needs_custom_loader": "needs loader",
                   "unprobed": "keep", "usable": "keep"}
#: screening.md sections, in the order of the hand-written log they replace
GROUPS = {
    "Usable": ("usable", "unprobed"),
    "Wrong task or collapsed": ("wrong_task", "degenerate", "chance_level"),
    "Retry later": ("unreachable",),
    "Cannot load": ("not_found", "needs_custom_loader", "load_error", "timeout"),
    "Not emotion models": ("no_emotion_labels",),
}
#: usable must beat always answering the probe's majority class: one-sided exact binomial
CHANCE_ALPHA = 0.05
#: what a worker is doing after it recorded a stage (said when it is stopped or dies)
NEXT_STEP = {"started": "locating the model", "located": "loading the model",
             "loaded": "inspecting the model", "inspected": "probing",
             "done": "finishing"}
#: below this standard deviation of the top probability the output ignores the input
MIN_TOP_PROBABILITY_STD = 0.01
#: fewer scored probe samples than this cannot show a collapse
MIN_PROBE_SCORED = 10
#: a model needs this many labels that name emotions to classify emotions
MIN_EMOTION_LABELS = 2
GENERIC_LABEL = re.compile(r"^(LABEL_?\d+|\d+|class_?\d+)$", re.IGNORECASE)
#: architecture name endings -> what such a checkpoint is for
WRONG_TASK_ENDINGS = {
    "ForCTC": "a speech recogniser (CTC head)",
    "ForSpeechSeq2Seq": "a speech-to-text model",
    "ForConditionalGeneration": "a sequence-to-sequence generator",
    "ForPreTraining": "a pre-training checkpoint",
    "ForMaskedLM": "a masked language model",
    "ForCausalLM": "a language model",
    "LMHeadModel": "a language model",
    "ForXVector": "a speaker-verification model",
    "ForAudioFrameClassification": "a frame classifier",
    "ForTokenClassification": "a token classifier",
    "ForQuestionAnswering": "a question-answering model",
}


@dataclass
class Verdict:
    status: str
    recommendation: str
    reason: str


def architecture_problem(architectures: list[str]) -> str | None:
    """Why a checkpoint's declared architecture is not an utterance classifier, or None."""
    for name in architectures:
        for ending, what in WRONG_TASK_ENDINGS.items():
            if name.endswith(ending):
                return f"{name} is {what}, not an emotion classifier"
        if name.endswith("Model") and "For" not in name:
            return f"{name} is a bare base model with no classification head"
    return None


def head_keys(evidence: dict[str, Any]) -> list[str]:
    return list((evidence.get("loading") or {}).get("head_newly_initialised") or [])


def shorten(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def failure_check(status: str) -> Callable[[dict, dict], str | None]:
    def check(evidence: dict, context: dict) -> str | None:
        failure = evidence.get("failure") or {}
        return failure.get("message") if failure.get("status") == status else None
    return check


def custom_loader_check(evidence: dict, context: dict) -> str | None:
    found = failure_check("needs_custom_loader")(evidence, context)
    if found:
        return found
    architecture = evidence.get("architecture")
    if architecture and evidence.get("architecture_in_transformers") is False \
            and head_keys(evidence):
        return (f"the checkpoint's architecture {architecture} is not a transformers class: "
                f"{evidence.get('model_class')} left its head ({shorten(head_keys(evidence))}) "
                "untrained; it needs its own loader")
    return None


def timeout_check(evidence: dict, context: dict) -> str | None:
    if not context.get("timed_out"):
        return None
    return (f"stopped after the {context.get('timeout_s'):g} s limit while "
            f"{context.get('stage_doing', 'starting')}; raise --timeout if it is only slow")


def wrong_task_check(evidence: dict, context: dict) -> str | None:
    problem = architecture_problem(evidence.get("architectures") or [])
    if problem:
        return problem
    if head_keys(evidence):
        return (f"the classification head was newly initialised ({shorten(head_keys(evidence))}"
                " missing from the checkpoint): its outputs are random")
    return None


def judged_labels(evidence: dict) -> dict[str, str | None] | None:
    """Label -> emotion for the label check; an open-vocabulary model is judged on the
    labels it predicted on the probe (None when it was not probed)."""
    if not evidence.get("open_vocabulary"):
        return evidence.get("label_emotions") or {}
    probe = evidence.get("probe") or {}
    predicted = probe.get("predicted_emotions")
    return predicted if predicted else None


def emotion_labels_check(evidence: dict, context: dict) -> str | None:
    emotions = judged_labels(evidence)
    if emotions is None:
        return None
    labels = list(emotions)
    if not labels:
        return "the model declares no labels"
    if all(dimension_family(label) for label in labels):
        return (f"its outputs ({shorten(labels)}) are emotion dimensions: a regression model, "
                "not a classifier; evaluate it on continuous targets (--target-cols, emobank:)")
    if all(GENERIC_LABEL.match(label) for label in labels) and \
            not any(emotions.values()):
        return (f"its labels are {shorten(labels)}: placeholders, not emotions (give a "
                "label_map if you know what they mean)")
    named = sorted({e for e in emotions.values() if e})
    if len(named) < MIN_EMOTION_LABELS:
        return (f"its labels ({shorten(labels)}) name {len(named) or 'no'} emotion"
                f"{'' if len(named) == 1 else 's'}; a label_map can name them")
    return None


def degenerate_check(evidence: dict, context: dict) -> str | None:
    probe = evidence.get("probe") or {}
    n = probe.get("n_scored") or 0
    if n < MIN_PROBE_SCORED:
        return None
    share, label = probe.get("top_share") or 0.0, probe.get("top_label")
    truth_share = probe.get("truth_top_share") or 0.0
    if share >= COLLAPSE_SHARE and truth_share < COLLAPSE_SHARE:
        return (f"{100 * share:.0f}% of the {n} probe predictions are "
                f"{mapped_label(label, evidence)}: the model has collapsed to one class")
    spread = probe.get("top_probability") or {}
    if not probe.get("hard_labels") and spread.get("std") is not None \
            and spread["std"] < MIN_TOP_PROBABILITY_STD:
        return (f"its top probability hardly varies (mean {spread['mean']:.3f}, std "
                f"{spread['std']:.4f} over {n} probe samples): its output ignores the input")
    return None


def mapped_label(label: str | None, evidence: dict) -> str:
    """The label as the probe data names it (the label map applied), the model's own name
    beside it when they differ: ``'neutral' (model label LABEL_2)``."""
    probe = evidence.get("probe") or {}
    to_probe = (probe.get("label_mapping") or {}).get("model_to_dataset") or {}
    mapped = to_probe.get(label) or (evidence.get("label_emotions") or {}).get(label)
    if not mapped or mapped == label:
        return repr(label)
    return f"{mapped!r} (model label {label})"


def chance_test(probe: dict | None) -> dict[str, Any] | None:
    """Accuracy on the labelled probe against always answering its majority class: a
    one-sided exact binomial test (scipy), and balanced accuracy beside 1/k (not tested).
    None when the probe had no labels. Older evidence without counts is read from its
    accuracy and truth distribution."""
    from scipy.stats import binomtest

    probe = probe or {}
    if probe.get("accuracy") is None:
        return None
    truth = probe.get("truth_distribution") or {}
    n = int(probe.get("n_labelled") or sum(truth.values()) or probe.get("n_scored") or 0)
    majority = probe.get("majority_rate", probe.get("truth_top_share"))
    if n == 0 or majority is None:
        return None
    k = probe.get("n_correct")
    k = int(round(probe["accuracy"] * n)) if k is None else int(k)
    n_classes = int(probe.get("n_classes") or len(truth) or 0)
    return {"n_correct": k, "n": n, "majority_rate": float(majority),
            "p_value": float(binomtest(k, n, p=float(majority), alternative="greater").pvalue),
            "alpha": CHANCE_ALPHA, "balanced_accuracy": probe.get("balanced_accuracy"),
            "balanced_accuracy_chance": 1.0 / n_classes if n_classes else None}


def chance_text(test: dict[str, Any]) -> str:
    ua = test.get("balanced_accuracy")
    chance = test.get("balanced_accuracy_chance")
    beside = (f"; balanced accuracy {100 * ua:.1f}% against 1/k = {100 * chance:.1f}% (not "
              "tested)" if ua is not None and chance else "")
    return (f"{test['n_correct']} of {test['n']} probe samples right against a majority-class "
            f"rate of {100 * test['majority_rate']:.1f}% (one-sided exact binomial p = "
            f"{test['p_value']:.3g}){beside}")


def chance_level_check(evidence: dict, context: dict) -> str | None:
    test = chance_test(evidence.get("probe"))
    if test is None or test["p_value"] < CHANCE_ALPHA:
        return None
    return f"not better than chance on the probe: {chance_text(test)}, needs p < {CHANCE_ALPHA:g}"


def unprobed_check(evidence: dict, context: dict) -> str | None:
    probe = evidence.get("probe") or {}
    if (probe.get("n_scored") or 0) >= MIN_PROBE_SCORED:
        return None
    why = evidence.get("probe_skipped") or (
        f"only {probe.get('n_scored') or 0} probe samples were scored (needs "
        f"{MIN_PROBE_SCORED})" if probe else "no probe data (give --probe-dataset)")
    return f"loads and looks like an emotion classifier, but {why}"


def usable_check(evidence: dict, context: dict) -> str:
    probe = evidence.get("probe") or {}
    parts = [f"{len(probe.get('distribution') or {})} labels predicted on {probe['n_scored']} "
             f"probe samples (top {mapped_label(probe.get('top_label'), evidence)} "
             f"{100 * probe['top_share']:.0f}%)"]
    if probe.get("accuracy") is not None:
        parts.append(f"accuracy {100 * probe['accuracy']:.1f}%, balanced accuracy "
                     f"{100 * probe['balanced_accuracy']:.1f}%")
    test = chance_test(probe)
    parts.append(f"beats chance: {chance_text(test)}" if test else
                 "not tested against chance: the probe data has no labels")
    return "emotion classifier; " + "; ".join(parts)


CHECKS: dict[str, Callable[[dict, dict], str | None]] = {
    "not_found": failure_check("not_found"),
    "unreachable": failure_check("unreachable"),
    "needs_custom_loader": custom_loader_check,
    "load_error": failure_check("load_error"),
    "timeout": timeout_check,
    "wrong_task": wrong_task_check,
    "no_emotion_labels": emotion_labels_check,
    "degenerate": degenerate_check,
    "unprobed": unprobed_check,
    "chance_level": chance_level_check,
    "usable": usable_check,
}


def decide(evidence: dict[str, Any], *, timed_out: bool = False, timeout_s: float = 0.0,
           stage_doing: str = "starting") -> Verdict:
    """The first status of :data:`STATUS_ORDER` whose check applies."""
    context = {"timed_out": timed_out, "timeout_s": timeout_s, "stage_doing": stage_doing}
    for status in STATUS_ORDER:
        reason = CHECKS[status](evidence, context)
        if reason:
            return Verdict(status, RECOMMENDATIONS.get(status, "exclude"), reason)
    raise AssertionError("usable_check always gives a reason")  # pragma: no cover


def settled_before_probe(evidence: dict[str, Any]) -> Verdict | None:
    """A verdict that no probe can change (the model is excluded already), else None."""
    verdict = decide({**evidence, "probe": None})
    if STATUS_ORDER.index(verdict.status) < STATUS_ORDER.index("degenerate"):
        return verdict
    return None
