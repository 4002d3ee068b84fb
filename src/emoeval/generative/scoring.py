"""``--task generative``: free-text answers -> statuses -> metrics under every policy.

:func:`score_generative` is the task's scorer (``emoeval score --task generative`` and
``emoeval evaluate`` with a text-answer model); :func:`response_table` builds its input from
the prediction store during ``evaluate``. The chosen policy's metrics go through the core
path (:func:`emoeval.scoring.score_table`), so every core key of ``results.json`` means what
it means for classification.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..answers.labels import (
    PIPELINE_VERSION,
    STATUSES,
    STEPS,
    UNUSABLE,
    AnswerExtractor,
    label_predictions,
)
from ..answers.coverage import coverage_block, policy_entry
from ..answers.policies import SINGLE_LABEL_POLICIES, Policy
from ..answers.statuses import ERROR, outcome_kind
from ..answers.text import shorten
from ..datasets.base import metadata_keys
from ..errors import EmoevalError
from ..metrics.classification import classification_summary
from ..scoring import is_blank, score_table
from ..store import infer_kind

#: columns the scorer writes (an input that already has them, e.g. a detailed_results.csv
#: being rescored, gets them recomputed)
OUTPUT_COLUMNS = ["id", "label", "prediction", "status", "response", "extracted",
                  "status_detail", "error", "kind"]
MAX_UNUSABLE_LISTED = 20
#: share of unusable answers above which results.json warns that the score is policy-bound
UNUSABLE_WARNING_SHARE = 0.05


def score_generative(table: pd.DataFrame, *, labels: list[str] | None = None,
                     slice_by: list[str] | None = None, seed: int = 0,
                     n_resamples: int = 1000, invalid_policy: str | None = None,
                     mention: str | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Extract one label per answer, score under ``invalid_policy`` and under every policy.

    ``table``: ``id``, ``label``, ``response`` (the raw answer), optional ``error`` (a
    transport failure) and metadata columns. Returns the results part (core keys plus the
    generative ones: docs/generative.md, section "Output"; the core keys:
    docs/results-schema.md) and the detailed table
    (``id, label, prediction, status, response, extracted, status_detail, error, ...``).
    """
    if not labels:
        raise EmoevalError("--task generative needs --labels a,b,c: the taxonomy the answers "
                           "are checked against (e.g. --labels neutral,angry,happy,sad)")
    labels = list(labels)
    doubled = sorted({label for label in labels if labels.count(label) > 1})
    if doubled:
        raise EmoevalError(f"--labels names {', '.join(doubled)} twice; give each label once")
    missing = [c for c in ("id", "label", "response") if c not in table.columns]
    if missing:
        hint = (" (it has 'prediction': for extracted labels use --task classification)"
                if "prediction" in table.columns and "response" in missing else "")
        raise EmoevalError(f"--task generative needs id, label and response columns; missing "
                           f"{', '.join(missing)}{hint}")
    policy = SINGLE_LABEL_POLICIES.parse(invalid_policy, labels)
    extractor = AnswerExtractor(labels, mention)
    table = table.reset_index(drop=True)
    check_true_labels(table, labels)

    errors = table["error"] if "error" in table.columns else pd.Series([""] * len(table))
    extractions = [extractor.extract(response, error)
                   for response, error in zip(table["response"], errors)]
    detailed = detailed_table(table, extractions)
    statuses = detailed["status"].to_numpy(dtype=object)
    extracted_labels = np.array([e.label or "" for e in extractions], dtype=object)
    y_true = detailed["label"].to_numpy(dtype=object)

    predictions, scored = label_predictions(policy, statuses, extracted_labels)
    detailed["prediction"] = predictions
    if not scored.any():
        raise EmoevalError(nothing_to_score(policy, statuses, detailed))
    # the chosen policy through the core path: scored rows plus the transport errors
    part = score_table(detailed[scored | (statuses == "error")], labels, slice_by=slice_by,
                       n_resamples=n_resamples, seed=seed)

    n_unusable = int(np.isin(statuses, UNUSABLE).sum())
    # the outcome kind per answer (a failed one keeps its own: input or transport), added
    # after the core scoring, which got the answers with the policy already applied
    detailed.insert(detailed.columns.get_loc("error") + 1, "kind",
                    [infer_kind(e) if s == ERROR else outcome_kind(s)
                     for s, e in zip(statuses, detailed["error"])])
    part["coverage"] = coverage_block(detailed["kind"])
    part["protocol"] = {**part.get("protocol", {}), "unanswered_policy": str(policy),
                        "sample_counts": {"n_samples": int(len(detailed)),
                                          "n_scored": int(part["n_scored"])}}
    part["n_samples"] = int(len(detailed))
    part["n_excluded"] = n_unusable if policy.name == "exclude" else 0
    part.update({
        "policy": str(policy),
        "mention": extractor.mention,
        "extraction": {"pipeline": PIPELINE_VERSION, "steps": list(STEPS),
                       "statuses": list(STATUSES)},
        "status_counts": {s: int((statuses == s).sum()) for s in STATUSES},
        "n_unusable": n_unusable,
        "valid_answer_rate": valid_answer_rates(y_true, statuses, labels),
        "policies": policy_table(y_true, statuses, extracted_labels, labels),
        "answer_confusion_matrix": answer_confusion(y_true, statuses, extracted_labels,
                                                    labels),
        "unusable_answers": unusable_answers(detailed),
        "out_of_taxonomy_values": dict(Counter(
            detailed.loc[detailed["status"] == "out_of_taxonomy", "extracted"]).most_common()),
    })
    part["warnings"] = list(part.get("warnings", [])) + policy_warnings(part, policy)
    part["headline"] = headline(part)
    return part, detailed


def check_options(*, labels: list[str], mention: str | None = None, **_: Any) -> None:
    """The mention mode, checked before any model runs (the task's ``check_values``; the
    policy is checked once, by ``Task.check_policy``)."""
    AnswerExtractor(labels, mention)


def check_true_labels(table: pd.DataFrame, labels: list[str]) -> None:
    """Every row has a true label from the set (the core's rule, checked on all rows before
    ``exclude`` drops any)."""
    unlabelled = table["label"].map(is_blank)
    if unlabelled.any():
        raise EmoevalError(f"{int(unlabelled.sum())} rows have no label (first id: "
                           f"{table.loc[unlabelled, 'id'].iloc[0]}); drop them or label them")
    stray = sorted(set(table["label"].astype(str)) - set(labels))
    if stray:
        raise EmoevalError(f"labels in the data outside --labels: {', '.join(stray)}; the set "
                           f"is {', '.join(labels)}")


def detailed_table(table: pd.DataFrame, extractions: list) -> pd.DataFrame:
    """The detailed_results.csv layout: answer columns beside the prediction, then the
    input's other columns (metadata)."""
    out = pd.DataFrame({
        "id": table["id"].astype(str),
        "label": table["label"].astype(str),
        "prediction": "",
        "status": [e.status for e in extractions],
        "response": table["response"].map(response_text),
        "extracted": [e.extracted for e in extractions],
        "status_detail": [e.detail for e in extractions],
        "error": (table["error"].map(lambda v: "" if is_blank(v) else str(v))
                  if "error" in table.columns else ""),
    })
    stale = set(OUTPUT_COLUMNS) | {"confidence"}
    for col in table.columns:
        if col not in stale and not str(col).startswith("score_"):
            out[col] = table[col].to_numpy()
    return out


def response_text(value: Any) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def nothing_to_score(policy: Policy, statuses: np.ndarray, detailed: pd.DataFrame) -> str:
    counts = ", ".join(f"{s} {int((statuses == s).sum())}" for s in STATUSES
                       if (statuses == s).any())
    if (statuses == "error").all():
        first = detailed["error"].iloc[0]
        return (f"no answer to score: every request failed (first error: {first}); check the "
                "server and rerun")
    return (f"no answer can be scored under --invalid-policy {policy}: {counts}; use "
            "--invalid-policy wrong (every unusable answer counts as a miss) and see "
            "detailed_results.csv")


def valid_answer_rates(y_true: np.ndarray, statuses: np.ndarray, labels: list[str]
                       ) -> dict[str, Any]:
    """Valid answers over answers received (transport errors are no answer), overall and
    per true class, with every status counted."""
    def block(mask: np.ndarray) -> dict[str, Any]:
        counts = {s: int((statuses[mask] == s).sum()) for s in STATUSES}
        answers = int(mask.sum()) - counts["error"]
        return {"n_answers": answers, **counts,
                "rate": counts["valid"] / answers if answers else None}

    overall = block(np.ones(len(statuses), dtype=bool))
    return {**overall, "per_class": {label: block(y_true == label) for label in labels}}


def policy_table(y_true: np.ndarray, statuses: np.ndarray, extracted: np.ndarray,
                 labels: list[str]) -> dict[str, Any]:
    """The 8 core metrics under wrong, exclude and a fallback to each label."""
    table: dict[str, Any] = {}
    unusable = np.isin(statuses, UNUSABLE)
    for policy in SINGLE_LABEL_POLICIES.every(labels):
        predictions, scored = label_predictions(policy, statuses, extracted)
        metrics = (classification_summary(y_true[scored], predictions[scored], labels)["metrics"]
                   if scored.any() else None)
        table[str(policy)] = policy_entry(
            metrics, int(scored.sum()),
            n_excluded=int(unusable.sum()) if policy.name == "exclude" else 0)
    return table


def answer_confusion(y_true: np.ndarray, statuses: np.ndarray, extracted: np.ndarray,
                     labels: list[str]) -> dict[str, Any]:
    """True class x extracted label over valid answers, with an ``unusable`` column (and
    its split by status) and an ``error`` column: no policy applied."""
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    valid = statuses == "valid"
    for t, p in zip(y_true[valid], extracted[valid]):
        counts[index[t], index[p]] += 1

    def column(mask: np.ndarray) -> list[int]:
        return [int((mask & (y_true == label)).sum()) for label in labels]

    return {"labels": list(labels), "counts": counts.tolist(),
            "unusable": column(np.isin(statuses, UNUSABLE)),
            "unusable_by_status": {s: column(statuses == s) for s in UNUSABLE},
            "error": column(statuses == "error")}


def unusable_answers(detailed: pd.DataFrame) -> list[dict[str, Any]]:
    """The most common unusable answers (same text up to case and spacing), with counts and
    the true classes they came from."""
    rows = detailed[detailed["status"].isin(UNUSABLE)]
    groups: dict[str, dict[str, Any]] = {}
    for response, status, extracted, label in zip(rows["response"], rows["status"],
                                                  rows["extracted"], rows["label"]):
        key = " ".join(str(response).split()).lower()
        entry = groups.setdefault(key, {
            "response": shorten(" ".join(str(response).split())), "status": status,
            "extracted": extracted, "count": 0, "true_labels": Counter()})
        entry["count"] += 1
        entry["true_labels"][label] += 1
    ordered = sorted(groups.values(), key=lambda g: -g["count"])  # stable: first seen first
    return [{**g, "true_labels": dict(g["true_labels"].most_common())}
            for g in ordered[:MAX_UNUSABLE_LISTED]]


def policy_warnings(part: dict[str, Any], policy: Policy) -> list[str]:
    n_unusable = part["n_unusable"]
    answers = part["valid_answer_rate"]["n_answers"]
    if not n_unusable:
        return []
    warnings = []
    if policy.name == "fallback":
        were = "answer was" if n_unusable == 1 else "answers were"
        warnings.append(f"{n_unusable} unusable {were} counted as {policy.fallback!r} "
                        f"(--invalid-policy {policy}): this inflates {policy.fallback} recall; "
                        "compare the policies side by side in the report")
    if answers and n_unusable / answers >= UNUSABLE_WARNING_SHARE:
        accuracies = [p["metrics"]["accuracy"] for p in part["policies"].values()
                      if p["metrics"] is not None]
        warnings.append(f"{100 * n_unusable / answers:.1f}% of the answers were unusable: "
                        f"accuracy ranges from {100 * min(accuracies):.1f}% to "
                        f"{100 * max(accuracies):.1f}% across --invalid-policy choices")
    return warnings


def headline(part: dict[str, Any]) -> str:
    """The one line the CLI prints: chosen-policy metrics, valid answers, unusable, errors."""
    metrics, ci = part["metrics"], part.get("ci") or {}

    from ..reports.format import metric_with_ci

    def cell(key: str) -> str:
        return metric_with_ci(metrics[key], ci.get(key))

    rates = part["valid_answer_rate"]
    rate = f" ({100 * rates['rate']:.1f}%)" if rates["rate"] is not None else ""
    kinds = ", ".join(f"{s} {part['status_counts'][s]}" for s in UNUSABLE
                      if part["status_counts"][s])
    unusable = f"unusable {part['n_unusable']}" + (f" ({kinds})" if kinds else "")
    return (f"generative, --invalid-policy {part['policy']}: accuracy (WA) "
            f"{cell('accuracy')}, balanced accuracy (UA) {cell('balanced_accuracy')}, macro F1 "
            f"{cell('f1_macro')}; valid answers {rates['valid']}/{rates['n_answers']}{rate}, "
            f"{unusable}, {part['n_errors']} errors")


def response_table(rows: list, store, model_labels: list[str], dataset_labels: list[str],
                   label_map: dict[str, str | None], unmapped: str) -> pd.DataFrame:
    """``evaluate`` with a text-answer model: id, label, response, error and metadata per row,
    read from the prediction store (the answers as the model gave them).

    ``model_labels``, ``label_map`` and ``unmapped`` do not apply: answers are matched to
    ``dataset_labels`` by the extraction pipeline, and --label-map has already renamed the
    dataset's labels.
    """
    if any(isinstance(row.label, list) for row in rows):
        raise EmoevalError("a text-answer model (llm:) is scored against one label per sample, "
                           "but this dataset is multi-label; use a single-label dataset")
    meta_keys = metadata_keys(rows)
    records = []
    for row in rows:
        record = store.records[row.id]
        out = {"id": row.id, "label": row.label, "response": record.text or "",
               "error": record.error or ""}
        for key in meta_keys:
            out[key] = row.metadata.get(key, "")
        records.append(out)
    return pd.DataFrame.from_records(records, columns=["id", "label", "response", "error",
                                                       *meta_keys])
