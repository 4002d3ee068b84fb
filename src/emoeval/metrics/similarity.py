"""Binary metrics for yes/no decisions against a human majority (the similarity benchmark).

``y_true`` and ``y_pred`` are 0/1 (or booleans); ``scores`` are any real numbers, higher
meaning "more present". Counting goes through the classification module's confusion counts
(labels ``absent``, ``present``), so the conventions are the project's and scikit-learn's:

* ``balanced_accuracy``: mean recall over the classes present in the truth, exactly
  ``balanced_accuracy_score`` (with one class present it is that class's recall);
* ``precision``, ``recall``, ``f1`` of the positive class, 0 on a zero denominator
  (``zero_division=0``);
* ``roc_auc``: the probability that a random positive outscores a random negative, ties
  counting one half (``roc_auc_score``); NaN when one class is absent: it is undefined.

No rows gives NaN everywhere (``n`` = 0).
"""

from __future__ import annotations

import numpy as np

from .classification import confusion_counts, metrics_from_counts, per_class
from .stats import group_codes

BINARY_LABELS = ("absent", "present")
BINARY_METRICS = ("n", "accuracy", "balanced_accuracy", "precision", "recall", "f1",
                  "tp", "fp", "tn", "fn")


def _as_binary(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.dtype == bool:
        return array
    numeric = array.astype(float)
    if not np.all(np.isin(numeric, (0.0, 1.0))):
        raise ValueError(f"{name} must hold only 0/1 values")
    return numeric == 1.0


def binary_metrics(y_true, y_pred) -> dict[str, float]:
    """``n``, accuracy, balanced accuracy, positive-class precision/recall/F1 and the four
    confusion counts (``tp``, ``fp``, ``tn``, ``fn``), all as floats."""
    truth = _as_binary(y_true, "y_true")
    prediction = _as_binary(y_pred, "y_pred")
    if truth.shape != prediction.shape:
        raise ValueError(f"y_true has {truth.size} rows but y_pred has {prediction.size}")
    if truth.size == 0:
        return {name: (0.0 if name == "n" else float("nan")) for name in BINARY_METRICS}
    names = np.array(BINARY_LABELS)
    counts = confusion_counts(names[truth.astype(int)], names[prediction.astype(int)],
                              BINARY_LABELS)
    headline = metrics_from_counts(counts)
    positive = per_class(counts, BINARY_LABELS)["present"]
    return {
        "n": float(truth.size),
        "accuracy": headline["accuracy"],
        "balanced_accuracy": headline["balanced_accuracy"],
        "precision": positive["precision"],
        "recall": positive["recall"],
        "f1": positive["f1"],
        "tp": float(counts[1, 1]),
        "fp": float(counts[0, 1]),
        "tn": float(counts[0, 0]),
        "fn": float(counts[1, 0]),
    }


def _weighted_auc(truth: np.ndarray, score_index: np.ndarray, n_distinct: int,
                  weights: np.ndarray) -> float:
    """AUC from each row's rank among the distinct scores (``score_index``) and weights."""
    negative = np.bincount(score_index[~truth], weights=weights[~truth], minlength=n_distinct)
    positive = np.bincount(score_index[truth], weights=weights[truth], minlength=n_distinct)
    total_positive, total_negative = positive.sum(), negative.sum()
    if total_positive <= 0 or total_negative <= 0:
        return float("nan")
    negatives_below = np.cumsum(negative) - negative
    wins = positive * (negatives_below + 0.5 * negative)
    return float(wins.sum() / (total_positive * total_negative))


def _checked_scores(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    truth = _as_binary(y_true, "y_true")
    values = np.asarray(scores, dtype=float)
    if values.shape != truth.shape:
        raise ValueError(f"y_true has {truth.size} rows but scores has {values.size}")
    if not np.all(np.isfinite(values)):
        raise ValueError("scores must be finite (drop failed rows first)")
    return truth, values


def roc_auc(y_true, scores, sample_weight=None) -> float:
    """Area under the ROC curve (Mann-Whitney with ties as one half); NaN with one class."""
    truth, values = _checked_scores(y_true, scores)
    weights = (np.ones(truth.size) if sample_weight is None
               else np.asarray(sample_weight, dtype=float))
    if weights.shape != truth.shape:
        raise ValueError("sample_weight must have one weight per row")
    _, score_index = np.unique(values, return_inverse=True)
    return _weighted_auc(truth, score_index, int(score_index.max(initial=-1)) + 1, weights)


def _auc_interval(low: float | None, high: float | None, n_resamples: int, unit: str,
                  reason: str | None) -> dict:
    return {"low": low, "high": high, "n_resamples": n_resamples, "unit": unit,
            "reason": reason}


def roc_auc_ci(y_true, scores, groups=None, n_resamples: int = 1000, seed: int = 0,
               confidence: float = 0.95, unit: str = "sample") -> dict:
    """Percentile bootstrap interval for :func:`roc_auc`, in the layout of
    :func:`emoeval.metrics.stats.bootstrap_ci` (``low``, ``high``, ``n_resamples``,
    ``unit``, ``reason``).

    With ``groups`` whole groups are resampled (a cluster bootstrap: items that share an
    audio clip or a speaker are not independent); a resample is the AUC with each row
    weighted by how often its group was drawn. Resamples that miss a class are skipped;
    ``low``/``high`` are None, with ``reason``, when the AUC itself is undefined or there is
    only one group.
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    truth, values = _checked_scores(y_true, scores)
    interval_unit = "sample" if groups is None else unit
    if truth.size == 0 or truth.all() or not truth.any():
        return _auc_interval(None, None, n_resamples, interval_unit,
                             "ROC-AUC needs both classes")
    group_index = (np.arange(truth.size) if groups is None
                   else group_codes(groups, truth.size))
    n_groups = int(group_index.max()) + 1
    if n_groups < 2:
        return _auc_interval(None, None, n_resamples, interval_unit,
                             f"only one {unit}: a cluster bootstrap needs at least two")
    _, score_index = np.unique(values, return_inverse=True)
    n_distinct = int(score_index.max()) + 1
    rng = np.random.default_rng(seed)
    multiplicities = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups),
                                     size=n_resamples)
    estimates = np.array([_weighted_auc(truth, score_index, n_distinct,
                                        draw[group_index].astype(float))
                          for draw in multiplicities])
    estimates = estimates[np.isfinite(estimates)]
    if estimates.size == 0:
        return _auc_interval(None, None, n_resamples, interval_unit,
                             "no resample held both classes")
    tail = (1.0 - confidence) / 2.0
    low, high = np.percentile(estimates, [100.0 * tail, 100.0 * (1.0 - tail)])
    return _auc_interval(float(low), float(high), n_resamples, interval_unit, None)
