"""Classification metrics over string labels, computed from confusion-matrix counts.

Everything goes through one count matrix of shape ``(K, K+1)``: rows are the dataset's
``labels`` (true class), the first K columns are the same labels (predicted class) and the last
column counts predictions outside ``labels`` (e.g. ``"<calm>"`` from a model whose class the
dataset lacks). Such a prediction is a miss for its true class and a false positive for no
class. Working from counts rather than rows is what makes the bootstrap in
:mod:`emoeval.metrics.stats` cheap: a resample is just another count matrix.

The values match scikit-learn (``accuracy_score``, ``balanced_accuracy_score``,
``precision_recall_fscore_support(..., zero_division=0)``); ``tests/metrics`` checks this.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..tables import is_missing

HEADLINE_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
)

OTHER_PREDICTION = "(other)"  # name of the "prediction outside labels" column in reports
UNKNOWN_SLICE = "(unknown)"  # slice key for rows whose slice value is missing or empty


# --------------------------------------------------------------------------- encoding


def check_labels(labels: Sequence[str]) -> list[str]:
    """The label order as a list; rejects an empty or duplicated order."""
    label_list = list(labels)
    if not label_list:
        raise ValueError("labels is empty: give the dataset's label order")
    duplicated = sorted(str(label) for label, count in Counter(label_list).items() if count > 1)
    if duplicated:
        raise ValueError(f"labels contains duplicates: {', '.join(duplicated)}")
    return label_list


def _as_vector(values, name: str) -> np.ndarray:
    """A 1-D array view of a list, array or Series (no per-element Python work)."""
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _label_codes(values: np.ndarray, labels: list[str]) -> np.ndarray:
    """Index into ``labels`` per value; ``len(labels)`` for values outside it (None/NaN too).

    ``pd.factorize`` hashes the values once, so only the distinct values go through Python:
    1,000,000 rows cost tens of milliseconds instead of a per-row dict lookup or a sort.
    """
    outside = len(labels)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    position = {label: index for index, label in enumerate(labels)}
    # The extra last entry catches factorize's -1 sentinel for missing values.
    lookup = np.array([position.get(value, outside) for value in uniques] + [outside],
                      dtype=np.int64)
    return lookup[codes]


def _true_label_codes(y_true: np.ndarray, labels: list[str]) -> np.ndarray:
    """Like :func:`_label_codes`, but a true label outside ``labels`` is an error."""
    codes = _label_codes(y_true, labels)
    stray_rows = codes == len(labels)
    if stray_rows.any():
        stray = sorted({str(value) for value in pd.unique(y_true[stray_rows])})
        shown = ", ".join(stray[:10]) + (f" and {len(stray) - 10} more" if len(stray) > 10 else "")
        raise ValueError(f"y_true contains labels not in labels: {shown} "
                         f"({int(stray_rows.sum())} rows); add them to labels or drop those rows")
    return codes


def cell_codes(y_true, y_pred, labels: list[str]) -> np.ndarray:
    """Flat index ``true * (K+1) + predicted`` of each row's confusion-matrix cell."""
    true_values = _as_vector(y_true, "y_true")
    predicted_values = _as_vector(y_pred, "y_pred")
    if len(true_values) != len(predicted_values):
        raise ValueError(f"y_true has {len(true_values)} rows but y_pred has "
                         f"{len(predicted_values)}")
    true_codes = _true_label_codes(true_values, labels)
    predicted_codes = _label_codes(predicted_values, labels)
    return true_codes * (len(labels) + 1) + predicted_codes


def _counts_from_cells(cells: np.ndarray, n_labels: int) -> np.ndarray:
    n_cells = n_labels * (n_labels + 1)
    return np.bincount(cells, minlength=n_cells).reshape(n_labels, n_labels + 1)


def confusion_counts(y_true, y_pred, labels: Sequence[str]) -> np.ndarray:
    """Confusion counts of shape ``(K, K+1)``: rows true label, columns predicted label.

    Rows and the first K columns follow ``labels``; the last column counts predictions outside
    ``labels`` (including None). A true label outside ``labels`` raises ValueError naming it.
    """
    label_list = check_labels(labels)
    return _counts_from_cells(cell_codes(y_true, y_pred, label_list), len(label_list))


# --------------------------------------------------------------------------- metrics


def _check_counts(counts) -> np.ndarray:
    array = np.asarray(counts)
    if array.ndim < 2 or array.shape[-1] != array.shape[-2] + 1:
        raise ValueError("counts must have shape (K, K+1) or (B, K, K+1) (last column: "
                         f"predictions outside labels), got {array.shape}")
    if np.any(array < 0):
        raise ValueError("counts must be non-negative")
    return array.astype(np.float64, copy=False)


def _divide_or_zero(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0 (sklearn's zero_division=0)."""
    numerator, denominator = np.broadcast_arrays(numerator, denominator)
    result = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return result


def _class_rates(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class counts and rates over the last two axes of ``(..., K, K+1)`` float counts."""
    n_labels = counts.shape[-2]
    support = counts.sum(axis=-1)
    predicted = counts[..., :n_labels].sum(axis=-2)  # predictions outside labels hit no class
    true_positive = np.diagonal(counts[..., :n_labels], axis1=-2, axis2=-1)
    return {
        "support": support,
        "predicted": predicted,
        "true_positive": true_positive,
        "precision": _divide_or_zero(true_positive, predicted),
        "recall": _divide_or_zero(true_positive, support),
        # 2tp / (2tp + fp + fn) == 2tp / (support + predicted), sklearn's formula
        "f1": _divide_or_zero(2.0 * true_positive, support + predicted),
    }


def metrics_from_counts(counts) -> dict[str, float | np.ndarray]:
    """The 8 headline metrics from a ``(K, K+1)`` count matrix, or from a stack of them.

    ``counts`` of shape ``(K, K+1)`` gives a float per metric; a stack ``(B, K, K+1)`` (any
    leading axes) gives an array of shape ``(B,)`` per metric, computed in one vectorised pass
    (the bootstrap scores 1,000 resampled matrices at once).

    Conventions (those of scikit-learn, checked in tests):

    * ``accuracy`` (WA): correct / total; predictions outside ``labels`` are wrong.
    * ``balanced_accuracy`` (UA): mean recall over classes with support > 0, exactly
      ``balanced_accuracy_score``.
    * ``*_macro``: unweighted mean over the classes that occur in the truth or among the
      in-label predictions, i.e. what ``precision_recall_fscore_support(average="macro",
      labels=None)`` does when every prediction is in ``labels``. Classes absent from both
      are left out rather than counted as 0. Predictions outside ``labels`` lower the recall
      (and F1) of their true class but are not a class of their own, so they add no
      zero-scoring class to the average (sklearn with ``labels=None`` would add one).
    * ``*_weighted``: mean weighted by support (true count); absent classes weigh 0.
    * A zero denominator gives 0 (``zero_division=0``); F1 is per-class
      ``2tp / (2tp + fp + fn)``, averaged.
    * An all-zero matrix (no samples) gives NaN for every metric: they are undefined.
    """
    array = _check_counts(counts)
    rates = _class_rates(array)
    support = rates["support"]
    total = support.sum(axis=-1)
    has_support = support > 0
    in_average = has_support | (rates["predicted"] > 0)
    n_in_average = in_average.sum(axis=-1)

    def macro(values: np.ndarray) -> np.ndarray:
        return _divide_or_zero((values * in_average).sum(axis=-1), n_in_average)

    def weighted(values: np.ndarray) -> np.ndarray:
        return _divide_or_zero((values * support).sum(axis=-1), total)

    results = {
        "accuracy": _divide_or_zero(rates["true_positive"].sum(axis=-1), total),
        "balanced_accuracy": _divide_or_zero((rates["recall"] * has_support).sum(axis=-1),
                                             has_support.sum(axis=-1)),
        "precision_macro": macro(rates["precision"]),
        "recall_macro": macro(rates["recall"]),
        "f1_macro": macro(rates["f1"]),
        "precision_weighted": weighted(rates["precision"]),
        "recall_weighted": weighted(rates["recall"]),
        "f1_weighted": weighted(rates["f1"]),
    }
    empty = total == 0
    for name in results:
        results[name] = np.where(empty, np.nan, results[name])
    if array.ndim == 2:
        return {name: float(value) for name, value in results.items()}
    return results


def per_class(counts, labels: Sequence[str]) -> dict[str, dict[str, float | int]]:
    """``{label: {precision, recall, f1, support, predicted}}`` in ``labels`` order.

    ``predicted`` counts how often the class was predicted; a class never predicted (or never
    present) scores 0 where its rate is undefined (zero_division=0).
    """
    label_list = check_labels(labels)
    array = _check_counts(counts)
    if array.ndim != 2 or array.shape[0] != len(label_list):
        raise ValueError(f"counts of shape {array.shape} do not match {len(label_list)} labels")
    rates = _class_rates(array)
    return {
        label: {
            "precision": float(rates["precision"][index]),
            "recall": float(rates["recall"][index]),
            "f1": float(rates["f1"][index]),
            "support": int(rates["support"][index]),
            "predicted": int(rates["predicted"][index]),
        }
        for index, label in enumerate(label_list)
    }


def top_confusions(counts, labels: Sequence[str], k: int = 10) -> list[dict]:
    """The ``k`` largest off-diagonal cells: ``{true, predicted, count, share_of_true}``.

    Sorted by count, largest first (ties in label order). Predictions outside ``labels`` appear
    as ``predicted="(other)"``. ``share_of_true`` is count / support of the true class.
    """
    label_list = check_labels(labels)
    array = np.asarray(counts)
    if array.shape != (len(label_list), len(label_list) + 1):
        raise ValueError(f"counts of shape {array.shape} do not match {len(label_list)} labels")
    column_names = [*label_list, OTHER_PREDICTION]
    support = array.sum(axis=1)
    cells = [
        (int(array[row, column]), row, column)
        for row in range(len(label_list))
        for column in range(len(column_names))
        if row != column and array[row, column] > 0
    ]
    # Stable sort keeps label order among ties, so the output is deterministic.
    cells.sort(key=lambda cell: -cell[0])
    return [
        {
            "true": label_list[row],
            "predicted": column_names[column],
            "count": count,
            "share_of_true": count / float(support[row]),
        }
        for count, row, column in cells[:max(k, 0)]
    ]


def _imbalance_from_support(support: np.ndarray, labels: list[str]) -> dict:
    total = int(support.sum())
    present = support > 0
    n_present = int(present.sum())
    classes = [
        {
            "label": label,
            "count": int(count),
            "share": count / total if total else 0.0,
            # sklearn's compute_class_weight("balanced"): n / (n_classes * count)
            "suggested_weight": total / (n_present * count) if count else None,
        }
        for label, count in zip(labels, support.tolist())
    ]
    ratio = float(support[present].max() / support[present].min()) if n_present else None
    return {"classes": classes, "imbalance_ratio": ratio}


def class_imbalance(y_true, labels: Sequence[str]) -> dict:
    """Class counts and shares, with balancing weights.

    Returns ``{"classes": [{label, count, share, suggested_weight}], "imbalance_ratio"}``.
    ``suggested_weight`` is sklearn's ``compute_class_weight("balanced")`` over the classes
    present, n / (K_present * count), and None for absent classes. ``imbalance_ratio`` is the
    largest over the smallest count among present classes (None when there are no rows).
    """
    label_list = check_labels(labels)
    codes = _true_label_codes(_as_vector(y_true, "y_true"), label_list)
    support = np.bincount(codes, minlength=len(label_list))
    return _imbalance_from_support(support, label_list)


def classification_summary(y_true, y_pred, labels: Sequence[str]) -> dict:
    """Everything a report needs about one set of predictions.

    Keys: ``metrics`` (the 8 headline metrics, see :func:`metrics_from_counts`),
    ``per_class``, ``confusion_matrix`` (``{"labels", "counts": K x K ints, "other": K ints}``,
    "other" being predictions outside ``labels``), ``top_confusions``, ``class_imbalance`` and
    ``n`` (number of rows).
    """
    label_list = check_labels(labels)
    counts = confusion_counts(y_true, y_pred, label_list)
    n_labels = len(label_list)
    return {
        "metrics": metrics_from_counts(counts),
        "per_class": per_class(counts, label_list),
        "confusion_matrix": {
            "labels": label_list,
            "counts": counts[:, :n_labels].tolist(),
            "other": counts[:, n_labels].tolist(),
        },
        "top_confusions": top_confusions(counts, label_list),
        "class_imbalance": _imbalance_from_support(counts.sum(axis=1), label_list),
        "n": int(counts.sum()),
    }


# --------------------------------------------------------------------------- slices


def slice_codes(slice_values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Slice index per row and the slice names, sorted, with "(unknown)" last.

    Missing values (None, NaN) and empty strings all go to "(unknown)". Names are the values
    as strings; values are sorted in their own order when comparable (so 9 < 10), else as text.
    """
    codes, uniques = pd.factorize(slice_values, use_na_sentinel=True)
    known = [value for value in uniques if not is_missing(value)]
    try:
        ordered = sorted(known)
    except TypeError:  # mixed types: fall back to text order
        ordered = sorted(known, key=str)
    names: list[str] = []
    index_of_name: dict[str, int] = {}
    for value in ordered:
        name = str(value)
        if name not in index_of_name:  # 1 and "1" share a name, so they share a slice
            index_of_name[name] = len(names)
            names.append(name)
    unknown_index = len(names)
    lookup = [index_of_name[str(value)] if not is_missing(value) else unknown_index
              for value in uniques]
    slice_index = np.array(lookup + [unknown_index], dtype=np.int64)[codes]
    if (slice_index == unknown_index).any():
        names.append(UNKNOWN_SLICE)
    return slice_index, names


def slice_metrics(y_true, y_pred, labels: Sequence[str],
                  slice_values) -> dict[str, dict[str, float | int]]:
    """Metrics per slice (e.g. gender, corpus, recording condition).

    Returns ``{slice: {"n", "accuracy", "balanced_accuracy", "f1_macro"}}``, one entry per
    distinct slice value (as a string), sorted, with missing or empty values grouped as
    "(unknown)" at the end. Within a slice the conventions are those of
    :func:`metrics_from_counts` over the full ``labels``.
    """
    label_list = check_labels(labels)
    cells = cell_codes(y_true, y_pred, label_list)
    slices = _as_vector(slice_values, "slice_values")
    if len(slices) != len(cells):
        raise ValueError(f"slice_values has {len(slices)} rows but y_true has {len(cells)}")
    if len(cells) == 0:
        return {}
    slice_index, names = slice_codes(slices)
    n_labels = len(label_list)
    n_cells = n_labels * (n_labels + 1)
    # One bincount builds every slice's confusion matrix; metrics then run vectorised.
    stacked = np.bincount(slice_index * n_cells + cells, minlength=len(names) * n_cells)
    stacked = stacked.reshape(len(names), n_labels, n_labels + 1)
    scores = metrics_from_counts(stacked)
    return {
        name: {
            "n": int(stacked[index].sum()),
            "accuracy": float(scores["accuracy"][index]),
            "balanced_accuracy": float(scores["balanced_accuracy"][index]),
            "f1_macro": float(scores["f1_macro"][index]),
        }
        for index, name in enumerate(names)
    }
