"""Multi-label metrics: ranking (ROC-AUC, average precision) and decisions (P/R/F1, subset
accuracy, Hamming loss), per label and averaged, with bootstrap intervals.

Inputs are indicator matrices: ``y_true`` and ``y_pred`` of shape ``(n_samples, n_labels)``
(bool), ``scores`` of the same shape (float, higher = more likely). Definitions follow
scikit-learn, which the tests use as the reference:

- micro averages pool every (sample, label) cell; ROC-AUC and AP micro treat the flattened
  matrix as one binary problem;
- macro P/R/F1 average over the labels that occur in the truth or the predictions (the
  classification core's rule); a label with no positive in the truth can only score 0 and
  says nothing about the model's recall;
- macro ROC-AUC / AP average over the labels with at least one positive (and, for AUC, one
  negative) in the evaluated rows: the others are undefined, left out and listed;
- samples averages compute P/R/F1 per sample, then average; an empty denominator counts 0
  (scikit-learn's ``zero_division=0``);
- zero division in per-label P/R/F1 counts 0.

Bootstrap: every resample is a vector of row multiplicities ``w`` (``Multinomial(n, 1/n)``,
or speaker multiplicities spread over their rows for a cluster bootstrap). Counts are then
``w @ indicator`` (one matrix product for all resamples), and ROC-AUC is computed exactly for
weighted rows from per-tie-group weight sums, so no resample re-sorts the scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: metrics that get a bootstrap interval (the headline)
HEADLINE_METRICS = ("f1_macro", "roc_auc_micro", "roc_auc_macro")
#: decision metrics, for the side-by-side table of threshold strategies
DECISION_METRICS = ("precision_micro", "recall_micro", "f1_micro", "precision_macro",
                    "recall_macro", "f1_macro", "precision_samples", "recall_samples",
                    "f1_samples", "subset_accuracy", "hamming_loss")
RANKING_METRICS = ("roc_auc_micro", "roc_auc_macro", "average_precision_micro",
                   "average_precision_macro")
N_BEST = 5


def _check(y_true: np.ndarray, other: np.ndarray, name: str) -> None:
    if y_true.ndim != 2 or other.shape != y_true.shape:
        raise ValueError(f"y_true {y_true.shape} and {name} {other.shape} must be 2-d arrays "
                         "of one shape (samples, labels)")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator > 0)


# --------------------------------------------------------------------------- ranking


def _tie_groups(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending sort order of ``scores`` and the start index of each run of equal scores."""
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    return order, starts


def weighted_auc(scores: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC-AUC of one binary problem for each row of ``weights`` (row multiplicities).

    ``scores``, ``truth``: (m,); ``weights``: (R, m). AUC = P(score of a positive > score of
    a negative) + 0.5 P(tie), each row counted ``weight`` times. NaN where a resample has no
    positive or no negative.
    """
    truth = np.asarray(truth, dtype=bool)
    order, starts = _tie_groups(np.asarray(scores, dtype=float))
    ordered_truth = truth[order]
    ordered_weights = np.asarray(weights, dtype=float)[:, order]
    positive = np.add.reduceat(ordered_weights * ordered_truth, starts, axis=1)
    negative = np.add.reduceat(ordered_weights * ~ordered_truth, starts, axis=1)
    below = np.cumsum(negative, axis=1) - negative  # negative weight strictly below a group
    numerator = (positive * (below + 0.5 * negative)).sum(axis=1)
    denominator = positive.sum(axis=1) * negative.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Binary ROC-AUC (NaN when one class is absent)."""
    return float(weighted_auc(scores, truth, np.ones((1, len(truth))))[0])


def average_precision(scores: np.ndarray, truth: np.ndarray) -> float:
    """Binary average precision, sum over thresholds of (R_k - R_{k-1}) P_k (scikit-learn's
    step-wise definition, no interpolation); NaN without positives."""
    truth = np.asarray(truth, dtype=bool)
    n_positive = int(truth.sum())
    if n_positive == 0:
        return float("nan")
    order, starts = _tie_groups(-np.asarray(scores, dtype=float))  # descending scores
    ordered_truth = truth[order]
    ends = np.append(starts[1:], len(order)) - 1
    tp = np.cumsum(ordered_truth)[ends]
    predicted = ends + 1
    recall = tp / n_positive
    precision = tp / predicted
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


def ranking_metrics(y_true: np.ndarray, scores: np.ndarray, labels: list[str]
                    ) -> dict[str, Any]:
    """ROC-AUC and AP, micro and macro, per label, and the labels left out of the macros."""
    y_true = np.asarray(y_true, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    _check(y_true, scores, "scores")
    support = y_true.sum(axis=0)
    per_label_auc = np.array([roc_auc(scores[:, j], y_true[:, j]) for j in range(len(labels))])
    per_label_ap = np.array([average_precision(scores[:, j], y_true[:, j])
                             for j in range(len(labels))])
    defined_auc = ~np.isnan(per_label_auc)
    defined_ap = ~np.isnan(per_label_ap)
    return {
        "metrics": {
            "roc_auc_micro": roc_auc(scores.ravel(), y_true.ravel()),
            "roc_auc_macro": float(per_label_auc[defined_auc].mean()) if defined_auc.any()
            else float("nan"),
            "average_precision_micro": average_precision(scores.ravel(), y_true.ravel()),
            "average_precision_macro": float(per_label_ap[defined_ap].mean())
            if defined_ap.any() else float("nan"),
        },
        "roc_auc": dict(zip(labels, per_label_auc.tolist())),
        "average_precision": dict(zip(labels, per_label_ap.tolist())),
        "labels_without_positives": [l for l, s in zip(labels, support) if s == 0],
        "labels_without_negatives": [l for l, s in zip(labels, support) if s == len(y_true)],
    }


# --------------------------------------------------------------------------- decisions


def label_counts(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, np.ndarray]:
    """Per-label true positives, false positives, false negatives."""
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    _check(y_true, y_pred, "y_pred")
    return {"tp": (y_true & y_pred).sum(axis=0), "fp": (~y_true & y_pred).sum(axis=0),
            "fn": (y_true & ~y_pred).sum(axis=0)}


def decision_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """P/R/F1 micro, macro and samples-averaged, subset accuracy, Hamming loss."""
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    c = label_counts(y_true, y_pred)
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    active = (tp + fn + fp) > 0  # labels in the truth or the predictions
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    hits = (y_true & y_pred).sum(axis=1)
    n_true, n_pred = y_true.sum(axis=1), y_pred.sum(axis=1)

    def macro(values: np.ndarray) -> float:
        return float(values[active].mean()) if active.any() else 0.0

    return {
        "precision_micro": float(_ratio(tp.sum(), tp.sum() + fp.sum())),
        "recall_micro": float(_ratio(tp.sum(), tp.sum() + fn.sum())),
        "f1_micro": float(_ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum())),
        "precision_macro": macro(precision),
        "recall_macro": macro(recall),
        "f1_macro": macro(f1),
        "precision_samples": float(_ratio(hits, n_pred).mean()),
        "recall_samples": float(_ratio(hits, n_true).mean()),
        "f1_samples": float(_ratio(2 * hits, n_true + n_pred).mean()),
        "subset_accuracy": float((y_true == y_pred).all(axis=1).mean()),
        "hamming_loss": float((y_true != y_pred).mean()),
    }


def multilabel_summary(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                       labels: list[str]) -> dict[str, Any]:
    """Everything the report needs for one set of decisions.

    Returns ``metrics`` (decision + ranking), ``per_class`` ({label: precision, recall, f1,
    support, predicted, roc_auc, average_precision}), ``never_predicted``,
    ``labels_without_positives``, ``best_labels`` / ``worst_labels`` (five each by F1, over
    labels with support), and ``positives`` (predicted against actual positive counts).
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    metrics: dict[str, Any] = dict(decision_metrics(y_true, y_pred))
    c = label_counts(y_true, y_pred)
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    support, predicted = tp + fn, tp + fp
    ranking = ranking_metrics(y_true, scores, labels) if scores is not None else None
    if ranking is not None:
        metrics.update(ranking["metrics"])
    per_class = {}
    for j, label in enumerate(labels):
        per_class[label] = {
            "precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
            "support": int(support[j]), "predicted": int(predicted[j]),
            "roc_auc": ranking["roc_auc"][label] if ranking else None,
            "average_precision": ranking["average_precision"][label] if ranking else None,
        }
    with_support = [j for j in range(len(labels)) if support[j] > 0]
    # best: high F1 first, more support breaks ties; worst: low F1 first, more support first
    best = sorted(with_support, key=lambda j: (-f1[j], -support[j], labels[j]))[:N_BEST]
    worst = sorted(with_support, key=lambda j: (f1[j], -support[j], labels[j]))[:N_BEST]
    n_actual, n_predicted = int(support.sum()), int(predicted.sum())
    return {
        "metrics": metrics,
        "per_class": per_class,
        "never_predicted": [l for j, l in enumerate(labels) if predicted[j] == 0],
        "labels_without_positives": [l for j, l in enumerate(labels) if support[j] == 0],
        "labels_without_negatives": ranking["labels_without_negatives"] if ranking else [],
        "best_labels": [labels[j] for j in best],
        "worst_labels": [labels[j] for j in worst],
        "positives": {
            "actual": n_actual, "predicted": n_predicted,
            "predicted_over_actual": n_predicted / n_actual if n_actual else None,
            "actual_per_sample": n_actual / len(y_true) if len(y_true) else None,
            "predicted_per_sample": n_predicted / len(y_true) if len(y_true) else None,
            "samples_without_prediction": int((y_pred.sum(axis=1) == 0).sum()),
        },
    }


# --------------------------------------------------------------------------- bootstrap


def row_weights(n_rows: int, group_index: np.ndarray | None, n_resamples: int,
                 rng: np.random.Generator) -> np.ndarray:
    """(R, n_rows) multiplicities: rows resampled, or whole groups (cluster bootstrap)."""
    if group_index is None:
        return rng.multinomial(n_rows, np.full(n_rows, 1.0 / n_rows),
                               size=n_resamples).astype(np.float64)
    n_groups = int(group_index.max()) + 1
    per_group = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_resamples)
    return per_group[:, group_index].astype(np.float64)


def _macro_f1_resampled(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
                        ) -> np.ndarray:
    tp = weights @ (y_true & y_pred).astype(np.float64)
    fp = weights @ (~y_true & y_pred).astype(np.float64)
    fn = weights @ (y_true & ~y_pred).astype(np.float64)
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1),
                      np.nan)
        return np.nanmean(np.where(np.isnan(f1).all(axis=1, keepdims=True), 0.0, f1), axis=1)


def _micro_auc_resampled(y_true: np.ndarray, scores: np.ndarray, weights: np.ndarray,
                         max_cells: int = 25_000_000) -> np.ndarray:
    """Micro AUC per resample: the flattened problem, each cell weighted by its row."""
    n_rows, n_labels = y_true.shape
    flat_scores, flat_truth = scores.ravel(), y_true.ravel()
    row_of_cell = np.repeat(np.arange(n_rows), n_labels)
    out = np.empty(len(weights))
    step = max(1, max_cells // max(1, flat_scores.size))  # bound memory per chunk
    for start in range(0, len(weights), step):
        chunk = weights[start:start + step][:, row_of_cell]
        out[start:start + step] = weighted_auc(flat_scores, flat_truth, chunk)
    return out


def _micro_f1_resampled(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
                        ) -> np.ndarray:
    tp = weights @ (y_true & y_pred).sum(axis=1).astype(np.float64)
    fp = weights @ (~y_true & y_pred).sum(axis=1).astype(np.float64)
    fn = weights @ (y_true & ~y_pred).sum(axis=1).astype(np.float64)
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 0.0)


def resampled_metrics(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                      weights: np.ndarray) -> dict[str, np.ndarray]:
    """Macro and micro F1 and, with ``scores``, micro and macro ROC-AUC for each row of
    ``weights`` (row multiplicities, (R, n_rows)); a row of ones gives the point estimate.
    A resample in which a label has no positive leaves it out of the macro AUC, as the point
    estimate does."""
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    out = {"f1_macro": _macro_f1_resampled(y_true, y_pred, weights),
           "f1_micro": _micro_f1_resampled(y_true, y_pred, weights)}
    if scores is not None:
        scores = np.asarray(scores, dtype=float)
        out["roc_auc_micro"] = _micro_auc_resampled(y_true, scores, weights)
        per_label = np.stack([weighted_auc(scores[:, j], y_true[:, j], weights)
                              for j in range(y_true.shape[1])], axis=1)
        defined = ~np.isnan(per_label)
        with np.errstate(invalid="ignore"):
            out["roc_auc_macro"] = np.where(
                defined.any(axis=1),
                np.nansum(per_label, axis=1) / np.maximum(defined.sum(axis=1), 1), np.nan)
    return out


def bootstrap_multilabel_ci(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                            *, groups: np.ndarray | None = None, unit: str = "speaker",
                            n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95
                            ) -> dict[str, dict[str, Any]]:
    """Percentile bootstrap intervals for macro F1, micro and macro ROC-AUC.

    Same shape as :func:`emoeval.metrics.stats.bootstrap_ci`: ``{metric: {low, high,
    n_resamples, unit, reason}}``. With ``groups`` whole groups (speakers) are resampled.
    Thresholds are held fixed: the interval covers sampling of the evaluated rows, not of
    the tuning rows. A resample in which a label has no positive leaves that label out of
    its macro AUC, as the point estimate does.
    """
    from .stats import group_codes

    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    interval_unit = "sample" if groups is None else unit
    names = [m for m in HEADLINE_METRICS if scores is not None or m == "f1_macro"]

    def without(reason: str) -> dict[str, dict[str, Any]]:
        return {m: {"low": None, "high": None, "n_resamples": n_resamples,
                    "unit": interval_unit, "reason": reason} for m in names}

    if len(y_true) == 0:
        return without("no samples")
    group_index = None
    if groups is not None:
        group_index = group_codes(groups, len(y_true))
        if group_index.max() < 1:
            return without(f"only one {unit}: a cluster bootstrap needs at least two")
    rng = np.random.default_rng(seed)
    weights = row_weights(len(y_true), group_index, n_resamples, rng)
    resampled = resampled_metrics(y_true, y_pred, scores, weights)
    tail = 100.0 * (1.0 - confidence) / 2.0
    out = {}
    for name in names:
        values = resampled[name][~np.isnan(resampled[name])]
        if values.size == 0:
            out[name] = {"low": None, "high": None, "n_resamples": n_resamples,
                         "unit": interval_unit, "reason": "undefined in every resample"}
            continue
        low, high = np.percentile(values, [tail, 100.0 - tail])
        out[name] = {"low": float(low), "high": float(high), "n_resamples": n_resamples,
                     "unit": interval_unit, "reason": None}
    return out
