"""Paired tests of two models on the samples both scored.

The paired bootstrap resamples the *same* samples (or the same speakers) for both models, so
the spread of the difference reflects only how the models disagree, not how hard the sampled
items happen to be. It works on confusion counts, as :mod:`emoeval.metrics.stats` does:

* samples: each sample falls in one joint cell (its cell in A's confusion matrix, its cell in
  B's). Drawing n samples with replacement puts ``Multinomial(n, joint_counts / n)`` samples
  in the joint cells, so one multinomial draw over the occupied joint cells is exactly a row
  resample; summing the draws by A's cell and by B's cell gives both resampled matrices.
* speakers: speaker multiplicities ``~ Multinomial(G, 1/G)``, applied to both models'
  per-speaker count matrices (a cluster bootstrap).

Every headline metric of both models is then scored in one vectorised
:func:`~emoeval.metrics.classification.metrics_from_counts` call per model.

Dimensional runs (continuous targets) are resampled with
:func:`~emoeval.metrics.dimensional.resample_indices`, the run's own CI resampling. A
resample is a multiplicity per row, so the weighted population moments of truth and both
predictions (one matrix product per block of resamples) give exactly the CCC, Pearson, MAE
and RMSE of the resampled rows for every dimension and both models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..metrics.classification import (HEADLINE_METRICS, cell_codes, check_labels,
                                      metrics_from_counts)
from ..metrics.dimensional import dimension_metrics, resample_indices
from ..metrics.stats import group_codes

ALPHA = 0.05
POWER = 0.80
# z_(1 - alpha/2) + z_power: a true difference of this many standard errors is found
# significant (two-sided, alpha 0.05) 80% of the time; about 2.8
DETECTABLE_SE_MULTIPLE = float(norm.ppf(1 - ALPHA / 2) + norm.ppf(POWER))
MCNEMAR_EXACT_BELOW = 25  # discordant pairs: below this, the exact binomial test
# moment-based dimensional metrics the paired bootstrap rebuilds per resample (Spearman
# would need every resample re-ranked)
PAIRED_DIMENSIONAL_METRICS = ("ccc", "pearson", "mae", "rmse")
RESAMPLE_BLOCK = 256  # resamples per weight matrix: bounds memory at 256 x samples floats


@dataclass
class PairedDifference:
    """One metric for models A and B on their shared samples, and B - A."""

    a: float
    b: float
    difference: float  # b - a
    low: float  # percentile CI of b - a
    high: float
    standard_error: float  # standard deviation of the bootstrap differences
    p_value: float  # two-sided p for b - a == 0, from the bootstrap standard error
    detectable: float  # DETECTABLE_SE_MULTIPLE x standard_error

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def p_value_from_standard_error(difference: float, standard_error: float) -> float:
    """Two-sided p for ``difference == 0`` from its bootstrap standard error (difference / SE
    against a standard normal). Unlike counting resamples beyond 0, it has no floor of
    2 / (resamples + 1), which Holm across many pairs would push above 0.05; and a true
    difference of DETECTABLE_SE_MULTIPLE standard errors gives p < 0.05 80% of the time."""
    if standard_error <= 0:
        return 1.0 if difference == 0 else 0.0
    return float(2.0 * norm.sf(abs(difference) / standard_error))


def _sum_columns_by(draws: np.ndarray, column_cells: np.ndarray, n_cells: int) -> np.ndarray:
    """``out[:, c] = draws[:, column_cells == c].sum(axis=1)`` in one pass over the columns."""
    order = np.argsort(column_cells, kind="stable")
    sorted_cells = column_cells[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    out = np.zeros((draws.shape[0], n_cells), dtype=np.float64)
    out[:, sorted_cells[starts]] = np.add.reduceat(draws[:, order], starts, axis=1)
    return out


def paired_bootstrap(y_true, predictions_a, predictions_b, labels, groups=None,
                     n_resamples: int = 2000, seed: int = 0,
                     confidence: float = 0.95) -> dict[str, PairedDifference]:
    """Paired bootstrap of every headline metric's difference B - A.

    ``y_true``, ``predictions_a``, ``predictions_b``: one entry per shared sample.
    ``groups``: a cluster id per sample (speaker) for a cluster bootstrap, or None to
    resample samples. Returns ``{metric: PairedDifference}``; the same inputs and seed give
    the same result.
    """
    label_list = check_labels(labels)
    n_labels = len(label_list)
    n_cells = n_labels * (n_labels + 1)
    cells_a = cell_codes(y_true, predictions_a, label_list)
    cells_b = cell_codes(y_true, predictions_b, label_list)
    if len(cells_a) == 0:
        raise ValueError("no shared samples to compare")
    rng = np.random.default_rng(seed)
    if groups is None:
        joint, joint_counts = np.unique(cells_a * n_cells + cells_b, return_counts=True)
        draws = rng.multinomial(len(cells_a), joint_counts / len(cells_a), size=n_resamples)
        counts_a = _sum_columns_by(draws, joint // n_cells, n_cells)
        counts_b = _sum_columns_by(draws, joint % n_cells, n_cells)
    else:
        group_index = group_codes(groups, len(cells_a))
        n_groups = int(group_index.max()) + 1
        if n_groups < 2:
            raise ValueError("a cluster bootstrap needs at least two groups")
        per_group_a = np.bincount(group_index * n_cells + cells_a,
                                  minlength=n_groups * n_cells).reshape(n_groups, n_cells)
        per_group_b = np.bincount(group_index * n_cells + cells_b,
                                  minlength=n_groups * n_cells).reshape(n_groups, n_cells)
        multiplicities = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups),
                                         size=n_resamples).astype(np.float64)
        counts_a = multiplicities @ per_group_a.astype(np.float64)
        counts_b = multiplicities @ per_group_b.astype(np.float64)
    shape = (n_resamples, n_labels, n_labels + 1)
    resampled_a = metrics_from_counts(counts_a.reshape(shape))
    resampled_b = metrics_from_counts(counts_b.reshape(shape))
    observed_a = metrics_from_counts(np.bincount(cells_a, minlength=n_cells)
                                     .reshape(n_labels, n_labels + 1))
    observed_b = metrics_from_counts(np.bincount(cells_b, minlength=n_cells)
                                     .reshape(n_labels, n_labels + 1))
    tail = 100.0 * (1.0 - confidence) / 2.0
    results = {}
    for name in HEADLINE_METRICS:
        differences = resampled_b[name] - resampled_a[name]
        low, high = np.percentile(differences, [tail, 100.0 - tail])
        spread = float(np.std(differences, ddof=1)) if n_resamples > 1 else 0.0
        difference = observed_b[name] - observed_a[name]
        results[name] = PairedDifference(
            a=observed_a[name], b=observed_b[name], difference=difference, low=float(low),
            high=float(high), standard_error=spread,
            p_value=p_value_from_standard_error(difference, spread),
            detectable=DETECTABLE_SE_MULTIPLE * spread)
    return results


def percentile_difference(observed_a: float, observed_b: float, differences: np.ndarray,
                           confidence: float) -> PairedDifference:
    """B - A with the percentile CI and standard error of the finite bootstrap differences
    (a resample can leave a metric undefined, e.g. one speaker with one true value)."""
    finite_differences = differences[np.isfinite(differences)]
    difference = observed_b - observed_a
    if len(finite_differences) < 2 or not np.isfinite(difference):
        nan = float("nan")
        return PairedDifference(a=observed_a, b=observed_b, difference=difference, low=nan,
                                high=nan, standard_error=nan, p_value=nan, detectable=nan)
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(finite_differences, [tail, 100.0 - tail])
    spread = float(np.std(finite_differences, ddof=1))
    return PairedDifference(
        a=observed_a, b=observed_b, difference=difference, low=float(low), high=float(high),
        standard_error=spread, p_value=p_value_from_standard_error(difference, spread),
        detectable=DETECTABLE_SE_MULTIPLE * spread)


def _weighted_metrics(moments: np.ndarray) -> dict[str, np.ndarray]:
    """CCC, Pearson, MAE, RMSE per resample from the weighted means of
    ``[t, p, t*t, p*p, t*p, |p - t|, (p - t)**2]`` (columns of ``moments``), population
    (ddof=0) moments as :func:`emoeval.metrics.dimensional.ccc` uses."""
    mean_t, mean_p, square_t, square_p, product, absolute, squared = moments.T
    variance_t = np.maximum(square_t - mean_t ** 2, 0.0)
    variance_p = np.maximum(square_p - mean_p ** 2, 0.0)
    covariance = product - mean_t * mean_p
    denominator = variance_t + variance_p + (mean_t - mean_p) ** 2
    # a constant series leaves a rounding residue, not an exact 0, in E[x^2] - E[x]^2
    floor_t = 1e-12 * np.maximum(square_t, 1.0)
    floor_p = 1e-12 * np.maximum(square_p, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ccc = np.where(denominator > 0, 2.0 * covariance / denominator, np.nan)
        pearson = np.where((variance_t > floor_t) & (variance_p > floor_p),
                           covariance / np.sqrt(variance_t * variance_p), np.nan)
    return {"ccc": ccc, "pearson": pearson, "mae": absolute, "rmse": np.sqrt(squared)}


def paired_dimensional_bootstrap(y_true, predictions_a, predictions_b,
                                 dimensions: list[str], groups=None,
                                 n_resamples: int = 2000, seed: int = 0,
                                 confidence: float = 0.95) -> dict[str, PairedDifference]:
    """Paired bootstrap of B - A for continuous targets.

    ``y_true``, ``predictions_a``, ``predictions_b``: (samples, dimensions) arrays on the
    shared samples, columns named by ``dimensions``. ``groups``: a cluster id per sample
    (speaker) for a cluster bootstrap, or None to resample samples. Returns
    ``{"<dimension>.<metric>": PairedDifference}`` for every dimension and
    :data:`PAIRED_DIMENSIONAL_METRICS`, plus ``{"<metric>": ...}``, the metric's mean over
    the dimensions (what ``--rank-by ccc`` ranks by). The same inputs and seed give the same
    result.
    """
    truth = np.asarray(y_true, dtype=float)
    predicted = {"a": np.asarray(predictions_a, dtype=float),
                 "b": np.asarray(predictions_b, dtype=float)}
    if truth.ndim != 2 or truth.shape[1] != len(dimensions) \
            or any(p.shape != truth.shape for p in predicted.values()):
        raise ValueError("y_true and both predictions must be (samples, dimensions) arrays "
                         f"with {len(dimensions)} columns")
    n_rows = len(truth)
    if n_rows < 2:
        raise ValueError("fewer than two shared samples to compare")
    if groups is not None and len(np.unique(group_codes(groups, n_rows))) < 2:
        raise ValueError("a cluster bootstrap needs at least two groups")
    # shifting truth and predictions by one constant keeps every metric, and keeps
    # E[x^2] - E[x]^2 from cancelling digits on scales far from 0 (1-9 ratings)
    shift = truth.mean(axis=0)
    columns = []
    for model in ("a", "b"):
        for j in range(len(dimensions)):
            t, p = truth[:, j] - shift[j], predicted[model][:, j] - shift[j]
            error = p - t
            columns += [t, p, t * t, p * p, t * p, np.abs(error), error * error]
    columns = np.column_stack(columns)  # (samples, 2 models x dimensions x 7 moments)
    indices = resample_indices(n_rows, groups, n_resamples, seed)
    moments = np.empty((n_resamples, columns.shape[1]))
    for start in range(0, n_resamples, RESAMPLE_BLOCK):
        block = indices[start:start + RESAMPLE_BLOCK]
        weights = np.stack([np.bincount(index, minlength=n_rows) for index in block])
        weights = weights.astype(np.float64)
        moments[start:start + len(block)] = ((weights @ columns)
                                            / weights.sum(axis=1, keepdims=True))
    per_model = moments.reshape(n_resamples, 2, len(dimensions), 7)
    resampled = {model: [_weighted_metrics(per_model[:, m, j, :])
                         for j in range(len(dimensions))]
                 for m, model in enumerate(("a", "b"))}
    observed = {model: [dimension_metrics(truth[:, j], predicted[model][:, j])
                        for j in range(len(dimensions))] for model in ("a", "b")}
    results: dict[str, PairedDifference] = {}
    for name in PAIRED_DIMENSIONAL_METRICS:
        for j, dimension in enumerate(dimensions):
            results[f"{dimension}.{name}"] = percentile_difference(
                observed["a"][j][name], observed["b"][j][name],
                resampled["b"][j][name] - resampled["a"][j][name], confidence)
        mean_a = np.mean([resampled["a"][j][name] for j in range(len(dimensions))], axis=0)
        mean_b = np.mean([resampled["b"][j][name] for j in range(len(dimensions))], axis=0)
        results[name] = percentile_difference(
            float(np.mean([metrics[name] for metrics in observed["a"]])),
            float(np.mean([metrics[name] for metrics in observed["b"]])),
            mean_b - mean_a, confidence)
    return results


def mcnemar_test(y_true, predictions_a, predictions_b) -> dict[str, float | int | str]:
    """McNemar's test on accuracy: samples A gets right and B wrong (``a_only``) against the
    reverse (``b_only``). Exact binomial when fewer than 25 samples are discordant, else the
    chi-square statistic with continuity correction (statsmodels). It treats samples as
    independent: with speakers, the cluster bootstrap's p is the one to trust."""
    from statsmodels.stats.contingency_tables import mcnemar

    truth = np.asarray(y_true, dtype=object)
    right_a = np.asarray(predictions_a, dtype=object) == truth
    right_b = np.asarray(predictions_b, dtype=object) == truth
    both = int(np.count_nonzero(right_a & right_b))
    a_only = int(np.count_nonzero(right_a & ~right_b))
    b_only = int(np.count_nonzero(~right_a & right_b))
    neither = int(np.count_nonzero(~right_a & ~right_b))
    discordant = a_only + b_only
    if discordant == 0:
        return {"both_right": both, "a_only": a_only, "b_only": b_only,
                "neither": neither, "method": "no discordant samples", "statistic": None,
                "p_value": 1.0}
    exact = discordant < MCNEMAR_EXACT_BELOW
    outcome = mcnemar([[both, a_only], [b_only, neither]], exact=exact, correction=True)
    return {"both_right": both, "a_only": a_only, "b_only": b_only, "neither": neither,
            "method": "exact binomial" if exact else "chi-square, continuity-corrected",
            "statistic": float(outcome.statistic), "p_value": float(outcome.pvalue)}


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values (statsmodels ``multipletests(method="holm")``)."""
    if not p_values:
        return []
    finite_at = [i for i, p in enumerate(p_values) if p is not None and np.isfinite(p)]
    if len(finite_at) < len(p_values):  # an undefined p (NaN) stays undefined
        adjusted_finite = holm([p_values[i] for i in finite_at])
        adjusted = [float("nan")] * len(p_values)
        for i, p in zip(finite_at, adjusted_finite):
            adjusted[i] = p
        return adjusted
    import gc

    from statsmodels.stats.multitest import multipletests

    # multipletests(method="holm") calls gc.collect(), which walks every live object
    # (a quarter of a second once pandas and matplotlib are loaded); frozen objects are
    # skipped, so the call stays cheap
    gc.freeze()
    try:
        adjusted = multipletests(p_values, alpha=ALPHA, method="holm")[1]
    finally:
        gc.unfreeze()
    return [float(p) for p in adjusted]
