"""From per-sample predictions to ``results.json``.

``evaluate`` and ``score`` share this one path: both produce a detailed table in the
``detailed_results.csv`` layout (``id, label, prediction, confidence, error, score_<label>...``
plus metadata columns), and :func:`score_table` turns it into the results dict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .answers.coverage import coverage_block, policy_entry
from .answers.policies import EXCLUDE, FALLBACK, SINGLE_LABEL_POLICIES, WRONG, Policy
from .errors import EmoevalError
from .labels import LabelSpellings, label_key, label_spellings
from .metrics.chance import chance_levels, chance_warnings, concentration_warnings
from .metrics.classification import classification_summary, slice_metrics
from .metrics.resampling import AUTO, SPEAKER_UNITS, resolve_ci_unit
from .metrics.stats import bootstrap_ci
from .slice_checks import check_slice_by
from .small_samples import mark_small_slices
from .store import KINDS, OK, infer_kind
# the one missing-cell rule (a blank or whitespace-only cell, None, NaN); the task scorers
# import it from here under its old name
from .tables import is_missing as is_blank
from .tables import missing_rows

CORE_COLUMNS = ["id", "label", "prediction", "confidence", "error", "kind"]
#: the prediction of an unanswered sample scored under ``wrong``: never a label, so it is a
#: miss for its true class and a false positive of no class (the "(other)" column)
NO_ANSWER = "(no answer)"
SPEAKER_COLUMNS = tuple(SPEAKER_UNITS)


def check_slice_columns(table: pd.DataFrame, slice_by: list[str] | None,
                        hidden: tuple[str, ...] | list[str] = ()) -> None:
    """Every ``--slice-by`` column is a data column of the table: the columns emoeval writes
    (``score_*``, prediction, ...) are neither candidates nor accepted (issue 19)."""
    check_slice_by(slice_by, table.columns, hidden)


def require_scored(n_scored: int, which: str = "every row") -> None:
    """Refuse a table where nothing can be scored (every row has an error)."""
    if n_scored == 0:
        raise EmoevalError(f"no sample could be scored: {which} has an error (see "
                           "detailed_results.csv)")


def errors_block(errors: pd.DataFrame) -> dict[str, Any]:
    """The ``errors`` key of results.json from the rows with an error: counts by the text before
    ':', and every row's id, error and outcome kind (contracts-v2 section 1; a blank
    prediction is unanswered)."""
    kinds = errors["error"].map(lambda e: e.split(":")[0]).value_counts()
    outcomes = (errors["kind"] if "kind" in errors.columns
                else errors["error"].map(infer_kind))
    return {"by_kind": {str(k): int(v) for k, v in kinds.items()},
            "samples": [{"id": i, "error": e, "kind": k}
                        for i, e, k in zip(errors["id"], errors["error"], outcomes)]}


def speaker_groups(table: pd.DataFrame) -> tuple[np.ndarray | None, str]:
    """Speaker id per row when known (cluster bootstrap), else None (sample bootstrap): the
    ``auto`` rule of :func:`emoeval.metrics.resampling.resolve_ci_unit`."""
    groups, unit, _ = resolve_ci_unit(table, AUTO)
    return groups, unit


def with_kinds(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a clean ``error`` column and a ``kind`` column (contracts-v2 section 1):
    a stored kind is kept; otherwise it is inferred from the error message, and a blank
    prediction without an error is an unanswered sample ("no prediction")."""
    table = table.copy()
    if "error" not in table.columns:
        table["error"] = ""
    table["error"] = table["error"].map(lambda v: "" if is_blank(v) else str(v))
    blank_prediction = table["prediction"].map(is_blank) & (table["error"] == "")
    table.loc[blank_prediction, "error"] = "no prediction"
    table["kind"] = table_kinds(table)  # a stored "ok" with no prediction is unanswered
    return table


def table_kinds(table: pd.DataFrame) -> list[str]:
    """The outcome kind per row of a table with a clean ``error`` column: its ``kind``
    cell when it names one (and does not call a row with an error ``ok``), else inferred
    from the error message (:func:`emoeval.store.infer_kind`)."""
    given = table["kind"] if "kind" in table.columns else [""] * len(table)
    return [str(k) if str(k) in KINDS and not (str(k) == OK and e) else infer_kind(e)
            for k, e in zip(given, table["error"])]


def policy_predictions(table: pd.DataFrame, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """(prediction per row, whether the row is scored) under ``policy``: answered rows keep
    their prediction, unanswered ones get :data:`NO_ANSWER` (``wrong``) or the fallback
    label, or are left out (``exclude``); input and transport errors are always left out."""
    outcome = policy.apply(table["kind"])
    predictions = table["prediction"].map(lambda v: "" if is_blank(v) else str(v)
                                          ).to_numpy(dtype=object)
    if policy.name == FALLBACK:
        predictions[outcome.substituted] = policy.fallback
    elif outcome.substituted.any():
        predictions[outcome.substituted] = NO_ANSWER
    return predictions, outcome.scored


def single_label_policies(y_true: np.ndarray, table: pd.DataFrame, labels: list[str],
                          chosen: Policy) -> dict[str, Any]:
    """The headline metrics under ``wrong`` and ``exclude`` (and the chosen fallback),
    side by side."""
    policies = [SINGLE_LABEL_POLICIES.parse(WRONG), SINGLE_LABEL_POLICIES.parse(EXCLUDE)]
    if chosen.name == FALLBACK:
        policies.append(chosen)
    block = {}
    for policy in policies:
        predictions, scored = policy_predictions(table, policy)
        metrics = (classification_summary(y_true[scored], predictions[scored], labels)["metrics"]
                   if scored.any() else None)
        block[str(policy)] = policy_entry(metrics, int(scored.sum()))
    return block


def score_table(table: pd.DataFrame, labels: list[str], *, slice_by: list[str] | None = None,
                shared_labels: list[str] | None = None, n_resamples: int = 1000,
                seed: int = 0, policy: Policy | None = None) -> dict[str, Any]:
    """Metrics, CIs, per-class table, confusions and slices for a detailed table.

    Every sample has an outcome kind (a ``kind`` column, else inferred, see
    :func:`with_kinds`). ``policy`` (default ``wrong``) decides how unanswered samples are
    scored; input and transport errors are counted and listed but left out of the metrics.
    ``shared_labels``: the labels both model and dataset have (None = all labels).
    """
    for col in ("id", "label", "prediction"):
        if col not in table.columns:
            raise EmoevalError(f"predictions table has no {col!r} column (columns: "
                               f"{', '.join(map(str, table.columns))}); it needs id, label, "
                               "prediction")
    policy = policy or SINGLE_LABEL_POLICIES.parse(None)
    table = with_kinds(table).reset_index(drop=True)
    table["id"] = table["id"].astype(str)
    unlabelled = table["label"].map(is_blank)
    if unlabelled.any():
        raise EmoevalError(f"no label in {missing_rows(list(table['label']), list(table['id']))}"
                           "; drop those rows or label them")
    table["label"] = table["label"].astype(str)
    stray = sorted(set(table["label"]) - set(labels))
    if stray:
        raise EmoevalError(f"labels in the data outside the label set: {', '.join(stray)}; "
                           f"the set is {', '.join(labels)}")
    predictions, in_metrics = policy_predictions(table, policy)
    scored = table[in_metrics]
    require_scored(len(scored))
    y_true = scored["label"].to_numpy(dtype=object)
    y_pred = predictions[in_metrics]
    summary = classification_summary(y_true, y_pred, labels)
    groups, unit = speaker_groups(scored)
    ci = bootstrap_ci(y_true, y_pred, labels, groups=groups, unit=unit,
                      n_resamples=n_resamples, seed=seed)

    shared = shared_labels if shared_labels is not None else labels
    in_shared = np.isin(y_true, shared)
    shared_metrics = (classification_summary(y_true[in_shared], y_pred[in_shared],
                                             list(shared))["metrics"]
                      if in_shared.any() else None)

    check_slice_columns(table, slice_by, hidden=CORE_COLUMNS)
    slices: dict[str, Any] = {}
    for col in slice_by or []:
        slices[col] = slice_metrics(y_true, y_pred, labels,
                                    scored[col].map(lambda v: None if is_blank(v) else str(v))
                                    .to_numpy(dtype=object))

    mark_small_slices(slices)
    chance = chance_levels(y_true, ci.get("balanced_accuracy"))
    answered = y_pred != NO_ANSWER  # a collapse is among the answers, not the abstentions
    warnings = (prediction_warnings(y_pred[answered], labels) + chance_warnings(chance)
                + concentration_warnings(y_true[answered], y_pred[answered], COLLAPSE_SHARE))
    errors = table[table["error"] != ""]
    coverage = coverage_block(table["kind"])
    return {
        "labels": list(labels),
        "n_samples": int(len(table)),
        "n_scored": int(len(scored)),
        "n_errors": int(len(errors)),
        "metrics": summary["metrics"],
        "chance": chance,
        "metrics_shared_labels": shared_metrics,
        "ci": ci,
        "per_class": summary["per_class"],
        "confusion_matrix": summary["confusion_matrix"],
        "top_confusions": summary["top_confusions"],
        "class_imbalance": summary["class_imbalance"],
        "slices": slices,
        "warnings": coverage_warnings(coverage, policy) + warnings,
        "errors": errors_block(errors),
        "coverage": coverage,
        "policies": single_label_policies(table["label"].to_numpy(dtype=object), table,
                                          labels, policy),
        "protocol": scored_protocol(policy, unit, groups, int(len(table)), int(len(scored))),
    }


def scored_protocol(policy: Any, unit: str, groups: np.ndarray | None, n_samples: int,
                    n_scored: int, **more: Any) -> dict[str, Any]:
    """The part of ``protocol`` a scorer knows: the unanswered policy, the resampling unit
    and its number of groups (samples when there are no groups), the sample counts."""
    n_groups = int(len(pd.unique(groups))) if groups is not None else n_scored
    return {"unanswered_policy": str(policy), "resampling_unit": unit, "n_groups": n_groups,
            **more, "sample_counts": {"n_samples": n_samples, "n_scored": n_scored}}


#: share of unanswered samples from which the results warn that the headline depends on
#: the unanswered policy
UNANSWERED_WARNING_SHARE = 0.05


def coverage_warnings(coverage: dict[str, Any], policy: Policy) -> list[str]:
    """A warning when many samples went unanswered: how the headline counts them."""
    n_samples = sum(v for k, v in coverage.items() if k.startswith("n_"))
    unanswered = coverage["n_unanswered"]
    if not n_samples or unanswered / n_samples < UNANSWERED_WARNING_SHARE:
        return []
    how = {WRONG: "counted as misses", EXCLUDE: "left out of the metrics"}.get(
        policy.name, f"counted as {policy.fallback!r}")
    return [f"the model gave no usable answer for {unanswered:,} of {n_samples:,} samples "
            f"({100 * unanswered / n_samples:.1f}%): {how} (--unanswered {policy}); see the "
            "policies side by side in the report"]


COLLAPSE_SHARE = 0.9  # the screening issue's "degenerate" threshold


def prediction_warnings(y_pred: np.ndarray, labels: list[str]) -> list[str]:
    """Warn when one class takes >= 90% of the predictions: the model may have collapsed."""
    if len(labels) < 2 or len(y_pred) == 0:
        return []
    values, counts = np.unique(y_pred.astype(str), return_counts=True)
    top = int(np.argmax(counts))
    share = counts[top] / len(y_pred)
    if share < COLLAPSE_SHARE:
        return []
    return [f"{100 * share:.0f}% of the scored samples were predicted {values[top]!r}: the "
            "model may have collapsed to one class (check its labels and preprocessing)"]


def score_classification(table: pd.DataFrame, *, labels: list[str] | None = None,
                         slice_by: list[str] | None = None, seed: int = 0,
                         n_resamples: int = 1000, invalid_policy: str | None = None
                         ) -> tuple[dict[str, Any], pd.DataFrame]:
    """``emoeval score --task classification``: the results part and the table as scored.

    Every task scorer has this signature (task-specific options as extra keyword
    arguments); the task specs (:data:`emoeval.registry.TASKS`) call it.
    """
    for col in ("id", "label", "prediction"):
        if col not in table.columns:
            raise EmoevalError(f"predictions table has no {col!r} column (columns: "
                               f"{', '.join(map(str, table.columns))}); --task classification "
                               "needs id, label, prediction")
    table, spellings = fold_label_spellings(table)
    order = labels_for_table(table, labels and [spellings.spell(name) for name in labels])
    policy = SINGLE_LABEL_POLICIES.parse(invalid_policy, order)
    table = with_kinds(table)
    part = score_table(table, order, slice_by=slice_by, n_resamples=n_resamples, seed=seed,
                       policy=policy)
    part["label_spellings"] = spellings.folded
    part["warnings"] = spellings.warnings("the predictions file's label column") + part["warnings"]
    return part, table


def fold_label_spellings(table: pd.DataFrame) -> tuple[pd.DataFrame, LabelSpellings]:
    """Labels and predictions under the canonical spelling of the true labels (case and
    whitespace ignored, :func:`emoeval.labels.label_key`)."""
    spellings = label_spellings(str(v) for v in table["label"] if not is_blank(v))
    table = table.copy()
    for col in ("label", "prediction"):
        table[col] = table[col].map(lambda v: v if is_blank(v) else spellings.spell(str(v)))
    return table, spellings


def labels_for_table(table: pd.DataFrame, declared: list[str] | None) -> list[str]:
    """Label order: ``--labels`` when given, else the ``score_<label>`` columns' order, else
    the sorted true labels."""
    if declared:
        return list(declared)
    score_cols = [c[len("score_"):] for c in table.columns if str(c).startswith("score_")]
    truth = sorted({str(v) for v in table["label"] if not is_blank(v)})
    spelled = {label_key(t): t for t in truth}
    if score_cols and set(spelled) <= {label_key(c) for c in score_cols}:
        return [spelled.get(label_key(c), c) for c in score_cols]
    return truth
