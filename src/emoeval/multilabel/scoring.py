"""The ``multilabel`` task: stored sigmoid scores -> detailed table -> metrics under every
threshold strategy.

The detailed table (``detailed_results.csv``) holds ``id``, ``labels`` (a JSON list),
``prediction`` (the labels predicted under the chosen strategy, a JSON list), ``error``,
``split``, one ``score_<label>`` column per dataset label and the metadata columns. A file of
that shape scores again with ``emoeval score --task multilabel``.

Threshold strategies (grammar: :mod:`emoeval.metrics.thresholds`): a fixed threshold
(default 0.5), ``per-class`` (one threshold per label, tuned on the rows of the tuning split)
and ``top-k:<k>``. The tuning rows never enter the reported metrics; tuning on the reported
split is refused. Every strategy is scored side by side; the chosen one fills ``metrics``
and ``per_class``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..answers.coverage import coverage_block, policy_entry
from ..answers.policies import MULTI_LABEL_POLICIES
from ..datasets.columns import label_value
from ..errors import EmoevalError
from ..store import OK
from ..metrics.multilabel import (
    bootstrap_multilabel_ci,
    decision_metrics,
    multilabel_summary,
)
from ..metrics.thresholds import ThresholdStrategy, best_threshold, parse_threshold
from ..scoring import (
    CORE_COLUMNS,
    check_slice_columns,
    errors_block,
    is_blank,
    require_scored,
    scored_protocol,
    speaker_groups,
    table_kinds,
)
from ..selection import RowSelection, prepare_rows
from ..small_samples import mark_small_slices
from .small_tuning import ALLOWED_THRESHOLDS, DEFAULT_THRESHOLD, tune_per_class
# multilabel_table lived here: still importable from this module
from .table import TABLE_COLUMNS, multilabel_table  # noqa: F401

#: split names taken as the tuning split when --tune-split is not given, in this order
VALIDATION_SPLITS = ("validation", "val", "valid", "dev")


# --------------------------------------------------------------------------- reading


def truth_lists(table: pd.DataFrame, label_sep: str | None) -> list[list[str]]:
    """The true labels of each row as a list (JSON list, ``label_sep``-joined, or one name)."""
    column = "labels" if "labels" in table.columns else "label"
    out = []
    for row_id, value in zip(table["id"], table[column]):
        parsed = label_value(value, label_sep)
        if parsed is None:
            raise EmoevalError(f"row {row_id!r} has an empty {column!r} cell; give [] for a "
                               "sample with no label")
        out.append(parsed if isinstance(parsed, list) else [parsed])
    return out


def label_order(table: pd.DataFrame, declared: list[str] | None) -> list[str]:
    """``--labels`` when given, else the order of the ``score_<label>`` columns."""
    if declared:
        missing = [l for l in declared if f"score_{l}" not in table.columns]
        if missing:
            raise EmoevalError(f"--labels names labels without a score column: "
                               f"{', '.join('score_' + l for l in missing)}")
        return list(declared)
    labels = [str(c)[len("score_"):] for c in table.columns if str(c).startswith("score_")]
    if not labels:
        raise EmoevalError("the table has no score_<label> columns; --task multilabel needs "
                           "one score column per label (e.g. score_joy)")
    return labels


def indicator(label_lists: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {l: j for j, l in enumerate(labels)}
    out = np.zeros((len(label_lists), len(labels)), dtype=bool)
    for i, names in enumerate(label_lists):
        for name in names:
            out[i, index[name]] = True
    return out


def default_tune_split(splits: list[str]) -> str | None:
    """The validation split among ``splits`` (validation, val, valid, dev), else None."""
    by_lower = {s.lower(): s for s in splits}
    for name in VALIDATION_SPLITS:
        if name in by_lower:
            return by_lower[name]
    return None


def tuning_split(available: list[str], reported: str | None, threshold: Any,
                 tune_split: str | None) -> str | None:
    """The split whose predictions ``emoeval evaluate`` must add for threshold tuning.

    None when nothing is tuned. Refuses a tuning split equal to the reported one, a tuning
    split the dataset does not have, and ``per-class`` without any validation split.
    """
    strategy = parse_threshold(threshold, DEFAULT_THRESHOLD, ALLOWED_THRESHOLDS)
    if not strategy.needs_tuning and tune_split is None:
        return None
    chosen = tune_split or default_tune_split(available)
    if chosen is None:
        raise EmoevalError(
            f"--threshold per-class needs a tuning split and the dataset has no validation "
            f"split (splits: {', '.join(available) or 'none'}); give --tune-split, or use a "
            "fixed threshold or top-k:<k>")
    if chosen == reported:
        raise EmoevalError(f"refusing to tune thresholds on the reported split {reported!r}: "
                           f"the figures would be optimistic; give a --tune-split other than "
                           f"{reported!r}, or report another --split (e.g. test)")
    if available and chosen not in available:
        raise EmoevalError(f"--tune-split {chosen!r}: no such split (have: "
                           f"{', '.join(available)})")
    return chosen


def tuning_rows(dataset: Any, rows: list, labels: list[str], cfg: Any) -> list:
    """The rows ``emoeval evaluate`` must predict beside the reported ones so that
    per-class thresholds can be tuned: those of the tuning split (``--tune-split``, else the
    dataset's validation split), with the same label options. Empty when
    the rows are not multi-label or nothing is tuned. ``--limit`` never shrinks the tuning
    split, ``--tune-limit`` does (seeded, stratified). Sets ``cfg.task_options["tune_split"]``
    so the scorer tunes on the same split.
    """
    if not any(isinstance(r.label, list) for r in rows):
        return []
    options = cfg.task_options
    extra, tune = tuning_split_rows(dataset, rows, labels, RowSelection.of(cfg),
                                    options.get("threshold"), options.get("tune_split"))
    if tune is not None:
        options["tune_split"] = tune
    return extra


def tuning_split_rows(dataset: Any, rows: list, labels: list[str], selection: RowSelection,
                      threshold: str | float | None, tune_split: str | None
                      ) -> tuple[list, str | None]:
    """The rows of the tuning split (``tune_split``, else the dataset's validation split)
    selected like the reported ones, and that split's name; ``([], None)`` when the
    threshold needs no tuning. Changes nothing it is given."""
    reported = selection.split or next((r.split for r in rows if r.split), None)
    tune = tuning_split(dataset.splits(), reported, threshold, tune_split)
    if tune is None:
        return [], None
    extra, _, _ = prepare_rows(dataset, dataset.rows(tune),
                               RowSelection.of(selection, split=tune, labels=list(labels),
                                               limit=getattr(selection, "tune_limit", None)))
    clash = sorted({r.id for r in rows} & {r.id for r in extra})
    if clash:
        raise EmoevalError(f"sample ids {', '.join(clash[:3])} occur in both {reported!r} and "
                           f"the tuning split {tune!r}; ids must be unique across the two")
    return extra, tune


# --------------------------------------------------------------------------- thresholds


def tune_thresholds(y_true: np.ndarray, scores: np.ndarray, labels: list[str],
                    target_precision: float | None) -> tuple[np.ndarray, dict[str, str]]:
    """One threshold per label maximising F1 on the tuning rows (or reaching the target
    precision). A label with no positive there keeps the default and is listed with why."""
    thresholds = np.full(len(labels), DEFAULT_THRESHOLD)
    notes: dict[str, str] = {}
    for j, label in enumerate(labels):
        positives = int(y_true[:, j].sum())
        if positives == 0:
            notes[label] = f"no positive in the tuning split: kept {DEFAULT_THRESHOLD:g}"
            continue
        thresholds[j] = best_threshold(y_true[:, j], scores[:, j], "f1", target_precision)
        if target_precision is not None:
            chosen = scores[:, j] >= thresholds[j]
            if not chosen.any() or y_true[chosen, j].mean() < target_precision:
                notes[label] = (f"precision {target_precision:g} not reached on the tuning "
                                "split: never predicted")
    return thresholds, notes


def decide(scores: np.ndarray, strategy: ThresholdStrategy,
           thresholds: np.ndarray | None = None) -> np.ndarray:
    """Boolean decisions: ``score >= threshold`` (fixed or per label), or the k best labels
    of each sample (ties broken by label order)."""
    if strategy.kind == "top-k":
        k = min(int(strategy.k or 1), scores.shape[1])
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        out = np.zeros(scores.shape, dtype=bool)
        np.put_along_axis(out, best, True, axis=1)
        return out
    if strategy.kind == "per-class":
        if thresholds is None:
            raise ValueError("per-class decisions need thresholds")
        return scores >= thresholds[None, :]
    return scores >= float(strategy.value)


# --------------------------------------------------------------------------- scoring


def _prepare(table: pd.DataFrame, labels: list[str] | None, label_sep: str | None
             ) -> tuple[pd.DataFrame, list[str], list[list[str]], np.ndarray, list[str]]:
    """Checked table, label order, truth lists, score matrix (NaN filled with 0 for labels
    the model cannot predict), and those labels."""
    if "id" not in table.columns:
        raise EmoevalError(f"the table has no 'id' column (columns: "
                           f"{', '.join(map(str, table.columns))})")
    if "labels" not in table.columns and "label" not in table.columns:
        raise EmoevalError("the table has no 'labels' column; --task multilabel needs id, "
                           "labels (a JSON list, or names joined by --label-sep) and "
                           "score_<label> columns")
    table = table.copy().reset_index(drop=True)
    table["id"] = table["id"].astype(str)
    order = label_order(table, labels)
    truth = truth_lists(table, label_sep)
    stray = sorted({name for names in truth for name in names} - set(order))
    if stray:
        raise EmoevalError(f"labels in the data outside the label set: {', '.join(stray)}; "
                           f"the set (score columns) is {', '.join(order)}")
    if "error" not in table.columns:
        table["error"] = ""
    table["error"] = table["error"].map(lambda v: "" if is_blank(v) else str(v))
    scores = np.column_stack([pd.to_numeric(table[f"score_{l}"], errors="coerce")
                              .to_numpy(dtype=float) for l in order])
    ok = (table["error"] == "").to_numpy()
    # a label the model cannot predict has no score on any row: it is never predicted
    unpredictable = [l for j, l in enumerate(order) if ok.any() and np.isnan(scores[ok, j]).all()]
    missing = ok & np.isnan(np.delete(scores, [order.index(l) for l in unpredictable],
                                      axis=1)).any(axis=1)
    for i in np.flatnonzero(missing):
        table.loc[i, "error"] = "no score for some labels"
    scores = np.where(np.isnan(scores), 0.0, scores)
    if "split" not in table.columns:
        table["split"] = ""
    table["split"] = table["split"].map(lambda v: "" if is_blank(v) else str(v))
    return table, order, truth, scores, unpredictable


def _strategy_names(chosen: ThresholdStrategy, can_tune: bool) -> list[str]:
    names = [f"{DEFAULT_THRESHOLD:g}"]
    if can_tune:
        names.append("per-class")
    names.append("top-k:1")
    if str(chosen) not in names:
        names.append(str(chosen))
    return names


def _headline(metrics: dict[str, Any], ci: dict[str, Any], strategy: str, n_scored: int,
              n_samples: int, n_errors: int) -> str:
    def cell(key: str) -> str:
        value = metrics.get(key)
        text = "n/a" if value is None or not np.isfinite(value) else f"{value:.3f}"
        band = ci.get(key) or {}
        if band.get("low") is not None:
            text += f" [{band['low']:.3f}, {band['high']:.3f}]"
        return text

    return (f"multi-label ({strategy}): micro AUC {cell('roc_auc_micro')}, macro AUC "
            f"{cell('roc_auc_macro')}, macro F1 {cell('f1_macro')}, micro F1 "
            f"{cell('f1_micro')}; {n_scored}/{n_samples} scored, {n_errors} errors")


def score_multilabel(table: pd.DataFrame, *, labels: list[str] | None = None,
                     slice_by: list[str] | None = None, seed: int = 0,
                     n_resamples: int = 1000, threshold: str | float | None = None,
                     tune_split: str | None = None, target_precision: float | None = None,
                     label_sep: str | None = None, invalid_policy: str | None = None
                     ) -> tuple[dict[str, Any], pd.DataFrame]:
    """``emoeval score --task multilabel``: the results part and the table as scored.

    ``invalid_policy`` (``--unanswered``): ``wrong`` (default) scores an unanswered sample
    as the empty set, ``exclude`` leaves it out; input and transport errors are always out.

    Reads ``id``, ``labels`` and ``score_<label>``; ``split`` marks tuning rows. When the
    table holds several splits, the tuning split (``tune_split``, else validation / val /
    valid / dev) is used for per-class thresholds and left out of the reported metrics.
    """
    strategy = parse_threshold(threshold, DEFAULT_THRESHOLD, ALLOWED_THRESHOLDS)
    if target_precision is not None:
        if strategy.kind != "per-class":
            raise EmoevalError("--target-precision applies to --threshold per-class")
        if not 0.0 < float(target_precision) <= 1.0:
            raise EmoevalError(f"--target-precision {target_precision}: give a number in "
                               "(0, 1], e.g. 0.6")
    table, order, truth, scores, unpredictable = _prepare(table, labels, label_sep)
    y_true = indicator(truth, order)
    splits = [s for s in dict.fromkeys(table["split"]) if s]

    tune = tune_split
    if tune is not None and tune not in splits:
        raise EmoevalError(f"--tune-split {tune!r}: no rows of that split (the 'split' column "
                           f"holds {', '.join(splits) or 'nothing'})")
    if tune is None and (len(splits) > 1 or strategy.needs_tuning):
        tune = default_tune_split(splits)
    if strategy.needs_tuning and tune is None:
        raise EmoevalError(
            "--threshold per-class needs predictions on a tuning split and there are none: "
            "give the table a 'split' column with rows of a validation split (dev) beside the "
            "reported ones and --tune-split, or use a fixed threshold or top-k:<k>")
    is_tune = (table["split"] == tune).to_numpy() if tune else np.zeros(len(table), bool)
    if tune and not (~is_tune).any():
        raise EmoevalError(f"refusing to tune thresholds on the reported split {tune!r}: every "
                           "row belongs to it; add the predictions of the split to report (e.g. "
                           "test) or pick another --tune-split")
    policy = MULTI_LABEL_POLICIES.parse(invalid_policy)
    table["kind"] = table_kinds(table)
    ok = (table["kind"] == OK).to_numpy()
    outcome = policy.apply(table["kind"])
    # an unanswered sample scored under ``wrong``: the empty set, every score 0
    scores = np.where(outcome.substituted[:, None], 0.0, scores)
    report_rows = ~is_tune
    scored = report_rows & outcome.scored
    require_scored(int(scored.sum()), "every reported row")
    tune_ok = is_tune & ok
    if strategy.needs_tuning and not tune_ok.any():
        raise EmoevalError(f"--threshold per-class: every row of the tuning split {tune!r} "
                           f"({int(is_tune.sum())}) has an error, so no threshold can be tuned; "
                           "rerun the failed predictions or use a fixed threshold or top-k:<k>")
    # in force, each class's own, notes, classes on too few positives (global threshold)
    tuned, tuned_own, notes, fallen = (
        tune_per_class(y_true[tune_ok], scores[tune_ok], order, target_precision,
                       tune_thresholds)
        if tune and tune_ok.any() else (None, None, {}, {}))

    yt, sc = y_true[scored], scores[scored]
    strategies: dict[str, dict[str, Any]] = {}
    for name in _strategy_names(strategy, tuned is not None):
        parsed = parse_threshold(name, DEFAULT_THRESHOLD, ALLOWED_THRESHOLDS)
        decisions = decide(sc, parsed, tuned)
        row = decision_metrics(yt, decisions)
        row["n_never_predicted"] = int((decisions.sum(axis=0) == 0).sum())
        row["predicted_positives"] = int(decisions.sum())
        strategies[name] = row
    chosen = decide(scores, strategy, tuned)  # every row, for the prediction column
    chosen[outcome.substituted] = False
    summary = multilabel_summary(yt, chosen[scored], sc, order)
    thresholds = {l: (float(tuned[j]) if strategy.kind == "per-class"
                      else float(strategy.value) if strategy.kind == "fixed" else None)
                  for j, l in enumerate(order)}
    for label, row in summary["per_class"].items():
        row["threshold"] = thresholds[label]
    groups, unit = speaker_groups(table[scored])
    ci = bootstrap_multilabel_ci(yt, chosen[scored], sc, groups=groups, unit=unit,
                                 n_resamples=n_resamples, seed=seed)
    shared = [l for l in order if l not in unpredictable]
    shared_metrics = None
    if unpredictable and shared:
        idx = [order.index(l) for l in shared]
        shared_metrics = multilabel_summary(yt[:, idx], chosen[scored][:, idx], sc[:, idx],
                                            shared)["metrics"]
    slices = _slices(table, scored, yt, chosen[scored], slice_by or [])
    strategy_text = _strategy_text(strategy, tune, target_precision)
    warnings = _warnings(summary, order, strategy_text, unpredictable,
                         hint=strategy.kind != "per-class")
    errors = table[report_rows & (table["error"] != "").to_numpy()]
    policies = {}
    for each in MULTI_LABEL_POLICIES.every():
        rows = report_rows & each.apply(table["kind"]).scored
        policies[str(each)] = policy_entry(
            multilabel_summary(y_true[rows], chosen[rows], scores[rows], order)["metrics"]
            if rows.any() else None, int(rows.sum()))

    if "labels" not in table.columns:  # read from 'label': written back as 'labels'
        table = table.drop(columns=["label"])
    table["labels"] = [json.dumps(names, ensure_ascii=False) for names in truth]
    table["prediction"] = [json.dumps([l for l, hit in zip(order, row) if hit],
                                      ensure_ascii=False) if good else ""
                           for row, good in zip(chosen, ok | outcome.substituted)]
    for j, label in enumerate(order):
        table[f"score_{label}"] = np.where(ok, scores[:, j], np.nan)
        if label in unpredictable:
            table[f"score_{label}"] = np.nan
    extra = [c for c in table.columns if c not in TABLE_COLUMNS and not str(c).startswith(
        "score_") and c not in CORE_COLUMNS]
    table = table[[*TABLE_COLUMNS, *[f"score_{l}" for l in order], *extra]]

    part = {
        "labels": order,
        "n_samples": int(report_rows.sum()),
        "n_scored": int(scored.sum()),
        "n_errors": int(len(errors)),
        "metrics": summary["metrics"],
        "metrics_shared_labels": shared_metrics,
        "ci": ci,
        "per_class": summary["per_class"],
        "confusion_matrix": None,
        "top_confusions": None,
        "class_imbalance": None,
        "slices": slices,
        "warnings": warnings,
        "errors": errors_block(errors),
        "threshold": {
            "strategy": str(strategy),
            "description": strategy_text,
            "tune_split": tune,
            "n_tune": int(tune_ok.sum()),
            "target_precision": target_precision,
            "thresholds": thresholds,
            "tuned_thresholds": (None if tuned_own is None
                                 else dict(zip(order, map(float, tuned_own)))),
            "notes": notes,
            "small_classes": fallen,
        },
        "strategies": strategies,
        "reported_splits": sorted({s for s in table.loc[report_rows, "split"] if s}),
        "never_predicted": summary["never_predicted"],
        "labels_without_positives": summary["labels_without_positives"],
        "labels_without_negatives": summary["labels_without_negatives"],
        "unpredictable_labels": unpredictable,
        "best_labels": summary["best_labels"],
        "worst_labels": summary["worst_labels"],
        "positives": summary["positives"],
        "coverage": coverage_block(table.loc[report_rows, "kind"]),
        "policies": policies,
        "protocol": scored_protocol(policy, unit, groups, int(report_rows.sum()),
                                    int(scored.sum()), threshold_source=strategy_text,
                                    tuning_split=tune,
                                    tuning_size=int(tune_ok.sum()) if tune else None),
    }
    part["headline"] = _headline(summary["metrics"], ci, strategy_text, part["n_scored"],
                                 part["n_samples"], part["n_errors"])
    return part, table


def _strategy_text(strategy: ThresholdStrategy, tune: str | None,
                   target_precision: float | None) -> str:
    if strategy.kind == "per-class":
        goal = (f"precision >= {target_precision:g}" if target_precision is not None
                else "best F1")
        return f"per-class thresholds tuned on {tune} for {goal}"
    if strategy.kind == "top-k":
        return f"the top {strategy.k} label{'s' if strategy.k != 1 else ''} of each sample"
    return f"threshold {strategy.value:g}"


def _warnings(summary: dict[str, Any], labels: list[str], strategy_text: str,
              unpredictable: list[str], hint: bool) -> list[str]:
    out = []
    never = [l for l in summary["never_predicted"] if l not in unpredictable]
    if never:
        out.append(f"{len(never)} of {len(labels)} labels are never predicted at "
                   f"{strategy_text} ({', '.join(never[:8])}{', ...' if len(never) > 8 else ''})"
                   + ("; per-class thresholds (--threshold per-class) usually fix this"
                      if hint else ""))
    if summary["labels_without_positives"]:
        out.append("no positive in the evaluated rows for "
                   + ", ".join(summary["labels_without_positives"])
                   + ": left out of macro AUC and AP")
    if unpredictable:
        out.append("the model cannot predict " + ", ".join(unpredictable)
                   + ": scored as never predicted; see the metrics on shared labels")
    return out


def _slices(table: pd.DataFrame, scored: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
            slice_by: list[str]) -> dict[str, Any]:
    check_slice_columns(table, slice_by, hidden=TABLE_COLUMNS)
    out: dict[str, Any] = {}
    for col in slice_by:
        values = table.loc[scored, col].map(lambda v: "" if is_blank(v) else str(v)).to_numpy()
        out[col] = {}
        for value in sorted(set(values)):
            mask = values == value
            m = decision_metrics(y_true[mask], y_pred[mask])
            out[col][value or "(blank)"] = {
                "n": int(mask.sum()), "f1_micro": m["f1_micro"], "f1_macro": m["f1_macro"],
                "subset_accuracy": m["subset_accuracy"]}
    return mark_small_slices(out)


# --------------------------------------------------------------------------- evaluate
