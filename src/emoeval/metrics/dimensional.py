"""Metrics for continuous targets (valence, arousal, dominance): CCC, Pearson, Spearman,
MAE, RMSE, and their bootstrap intervals.

CCC (Lin's concordance correlation coefficient) uses population (``ddof=0``) variances and
covariance, as audmetric defines it::

    ccc = 2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))**2)

Unlike Pearson it punishes an offset or a scale difference between prediction and truth.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .stats import group_codes

DIMENSIONAL_METRICS = ("ccc", "pearson", "spearman", "mae", "rmse")


def ccc(y_true, y_pred) -> float:
    """Concordance correlation coefficient (population moments); NaN for fewer than 2 rows
    or when both series are constant and equal-meaned (0/0)."""
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if len(t) < 2:
        return float("nan")
    covariance = np.mean((t - t.mean()) * (p - p.mean()))
    denominator = t.var() + p.var() + (t.mean() - p.mean()) ** 2
    return float(2.0 * covariance / denominator) if denominator > 0 else float("nan")


def pearson(y_true, y_pred) -> float:
    """Pearson correlation; NaN when either series is constant (undefined)."""
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if len(t) < 2 or np.ptp(t) == 0 or np.ptp(p) == 0:
        return float("nan")  # the mean of a constant can differ from it in the last bit
    dt, dp = t - t.mean(), p - p.mean()
    scale = np.sqrt(np.sum(dt * dt) * np.sum(dp * dp))
    return float(np.sum(dt * dp) / scale) if scale > 0 else float("nan")


def spearman(y_true, y_pred) -> float:
    """Spearman rank correlation: Pearson on average ranks (ties share their mean rank)."""
    return pearson(rankdata(y_true), rankdata(y_pred))


def dimension_metrics(y_true, y_pred) -> dict[str, float]:
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    error = p - t
    return {
        "ccc": ccc(t, p),
        "pearson": pearson(t, p),
        "spearman": spearman(t, p),
        "mae": float(np.mean(np.abs(error))) if len(t) else float("nan"),
        "rmse": float(np.sqrt(np.mean(error ** 2))) if len(t) else float("nan"),
    }


def resample_indices(n_rows: int, groups, n_resamples: int, seed: int) -> list[np.ndarray]:
    """Row indices of each bootstrap resample: rows drawn with replacement, or (with
    ``groups``) whole groups drawn with replacement, a cluster bootstrap."""
    rng = np.random.default_rng(seed)
    if groups is None:
        return list(rng.integers(0, n_rows, size=(n_resamples, n_rows)))
    codes = group_codes(groups, n_rows)
    members = [np.flatnonzero(codes == g) for g in range(int(codes.max()) + 1)]
    drawn = rng.integers(0, len(members), size=(n_resamples, len(members)))
    return [np.concatenate([members[g] for g in row]) for row in drawn]


def bootstrap_dimension_ci(y_true, y_pred, groups=None, n_resamples: int = 1000,
                           seed: int = 0, confidence: float = 0.95,
                           unit: str = "speaker", indices: list[np.ndarray] | None = None
                           ) -> dict[str, dict]:
    """Percentile intervals ``{metric: {low, high, n_resamples, unit, reason}}``.

    ``indices`` (from :func:`resample_indices`) lets several dimensions share the same
    resamples. Low/high are None with a reason for fewer than two rows or groups.
    """
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    interval_unit = "sample" if groups is None else unit
    n_units = len(t) if groups is None else (len(set(map(str, groups))) if len(t) else 0)
    if n_units < 2:
        reason = "fewer than two samples" if groups is None else f"fewer than two {unit}s"
        return {m: {"low": None, "high": None, "n_resamples": n_resamples,
                    "unit": interval_unit, "reason": reason} for m in DIMENSIONAL_METRICS}
    if indices is None:
        indices = resample_indices(len(t), groups, n_resamples, seed)
    values = {m: [] for m in DIMENSIONAL_METRICS}
    for index in indices:
        for name, value in dimension_metrics(t[index], p[index]).items():
            values[name].append(value)
    tail = 100.0 * (1.0 - confidence) / 2.0
    out = {}
    for name, series in values.items():
        finite_values = np.asarray(series)[np.isfinite(series)]
        if len(finite_values) == 0:
            out[name] = {"low": None, "high": None, "n_resamples": len(indices),
                         "unit": interval_unit, "reason": "undefined in every resample"}
            continue
        low, high = np.percentile(finite_values, [tail, 100.0 - tail])
        out[name] = {"low": float(low), "high": float(high), "n_resamples": len(indices),
                     "unit": interval_unit, "reason": None}
    return out


def dimension_slice_metrics(y_true: np.ndarray, y_pred: np.ndarray, dimensions: list[str],
                            slice_values) -> dict[str, dict]:
    """Metrics per slice (gender, corpus, ...) for every dimension: ``{slice: {"n": n,
    <dimension>: dimension_metrics}}``. ``y_true``/``y_pred`` are (n, dimensions); slices
    are named and ordered as for classification ("(unknown)" last)."""
    from .classification import slice_codes

    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if len(y_true) == 0:
        return {}
    codes, names = slice_codes(np.asarray(slice_values, dtype=object))
    out: dict[str, dict] = {}
    for index, name in enumerate(names):
        rows = codes == index
        out[name] = {"n": int(rows.sum()),
                     **{dim: dimension_metrics(y_true[rows, j], y_pred[rows, j])
                        for j, dim in enumerate(dimensions)}}
    return out

