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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..metrics.classification import (HEADLINE_METRICS, cell_codes, check_labels,
                                      metrics_from_counts)
from ..metrics.stats import group_codes

ALPHA = 0.05
POWER = 0.80
# z_(1 - alpha/2) + z_power: a true difference of this many standard errors is found
# significant (two-sided, alpha 0.05) 80% of the time; about 2.8
DETECTABLE_SE_MULTIPLE = float(norm.ppf(1 - ALPHA / 2) + norm.ppf(POWER))
MCNEMAR_EXACT_BELOW = 25  # discordant pairs: below this, the exact binomial test


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
