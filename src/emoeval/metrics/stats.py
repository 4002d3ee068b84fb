"""Bootstrap confidence intervals for the headline metrics, by resampling counts, not rows.

Every headline metric is a function of the ``(K, K+1)`` confusion counts, so a bootstrap
resample only needs its count matrix:

* Resampling n rows with replacement puts ``Multinomial(n, cell_counts / n)`` rows in the
  cells of the matrix, so one multinomial draw per resample is exactly equivalent to row
  resampling, at a cost independent of n.
* A cluster (speaker) bootstrap draws G groups with replacement: group multiplicities
  ``~ Multinomial(G, 1/G)``; a resample's counts are the multiplicity-weighted sum of the
  per-group count matrices, one matrix product for all resamples.

The resampled matrices are then scored in one vectorised call to
:func:`~emoeval.metrics.classification.metrics_from_counts`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .classification import (
    HEADLINE_METRICS,
    _as_vector,
    cell_codes,
    check_labels,
    metrics_from_counts,
)


def _without_interval(reason: str, n_resamples: int, unit: str) -> dict[str, dict]:
    return {
        name: {"low": None, "high": None, "n_resamples": n_resamples, "unit": unit,
               "reason": reason}
        for name in HEADLINE_METRICS
    }


def group_codes(groups, n_rows: int) -> np.ndarray:
    """Group index per row; rows with a missing group id (None, NaN, "") share the last group."""
    group_values = _as_vector(groups, "groups")
    if len(group_values) != n_rows:
        raise ValueError(f"groups has {len(group_values)} rows but y_true has {n_rows}")
    # Sorted ids make the numbering, hence the intervals, independent of row order.
    codes, uniques = pd.factorize(group_values, sort=True, use_na_sentinel=True)
    empty = [index for index, value in enumerate(uniques)
             if isinstance(value, str) and not value.strip()]
    if (codes < 0).any() or empty:
        # Pooling unknowns into one cluster is the cautious choice: treating them as
        # independent would claim more independent evidence than we know we have.
        unknown = len(uniques)
        codes = np.where(codes < 0, unknown, codes)
        if empty:
            codes = np.where(np.isin(codes, empty), unknown, codes)
        _, codes = np.unique(codes, return_inverse=True)  # renumber without gaps
    return codes.astype(np.int64)


def bootstrap_ci(y_true, y_pred, labels: Sequence[str], groups=None, n_resamples: int = 1000,
                 seed: int = 0, confidence: float = 0.95,
                 unit: str = "speaker") -> dict[str, dict]:
    """Percentile bootstrap confidence intervals for the 8 headline metrics.

    Returns ``{metric: {"low", "high", "n_resamples", "unit", "reason"}}``.

    Without ``groups`` the rows are resampled (``unit="sample"``). With ``groups`` (one id per
    row, e.g. the speaker) whole groups are resampled with replacement, a cluster bootstrap
    (``unit`` names the group, "speaker" by default): rows of one speaker are not independent,
    and treating them as such gives intervals that are too narrow. Rows with a missing group id
    are pooled into one group.

    ``low``/``high`` are the ``(1-confidence)/2`` and ``(1+confidence)/2`` percentiles of the
    resampled metric. They are None, with ``reason`` saying why, when there are no rows or
    only one group (a single cluster cannot show between-cluster variation); otherwise
    ``reason`` is None. The same inputs and ``seed`` give the same intervals.
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    label_list = check_labels(labels)
    n_labels = len(label_list)
    n_cells = n_labels * (n_labels + 1)
    cells = cell_codes(y_true, y_pred, label_list)
    interval_unit = "sample" if groups is None else unit
    if len(cells) == 0:
        return _without_interval("no samples", n_resamples, interval_unit)

    rng = np.random.default_rng(seed)
    if groups is None:
        cell_counts = np.bincount(cells, minlength=n_cells)
        resampled = rng.multinomial(len(cells), cell_counts / len(cells), size=n_resamples)
    else:
        group_index = group_codes(groups, len(cells))
        n_groups = int(group_index.max()) + 1
        if n_groups < 2:
            return _without_interval(f"only one {unit}: a cluster bootstrap needs at least two",
                                     n_resamples, interval_unit)
        per_group = np.bincount(group_index * n_cells + cells, minlength=n_groups * n_cells)
        per_group = per_group.reshape(n_groups, n_cells)
        multiplicities = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups),
                                         size=n_resamples)
        # float64 matmul uses BLAS and stays exact: counts are far below 2**53.
        resampled = multiplicities.astype(np.float64) @ per_group.astype(np.float64)

    scores = metrics_from_counts(resampled.reshape(n_resamples, n_labels, n_labels + 1))
    tail = (1.0 - confidence) / 2.0
    intervals = {}
    for name in HEADLINE_METRICS:
        low, high = np.percentile(scores[name], [100.0 * tail, 100.0 * (1.0 - tail)])
        intervals[name] = {"low": float(low), "high": float(high), "n_resamples": n_resamples,
                           "unit": interval_unit, "reason": None}
    return intervals

