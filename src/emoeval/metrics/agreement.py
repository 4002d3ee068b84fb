"""Agreement between human raters, as pure functions over per-item vote counts.

Almost everything here works on one array, ``counts`` of shape ``(N, K)``: row i holds how
many raters put item i in each of the K categories (items may have different numbers of
raters, including 0 or 1). Functions that take ``multiplicities`` (shape ``(B, N)``: how often
each item is drawn in each of B bootstrap resamples) compute the statistic for all B resamples
in one vectorised pass; a row of ones gives the statistic on the data itself.

References checked in ``tests/annotations``: ``statsmodels.stats.inter_rater.fleiss_kappa``
(equal numbers of raters), the published value of Gwet's 4-rater example (unequal numbers),
the ``krippendorff`` package, and ``sklearn.metrics.cohen_kappa_score``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: majority_index of an item whose top count is shared (a tie) or that has no votes
NO_MAJORITY = -1


# --------------------------------------------------------------------------- input checks


def check_counts(counts) -> np.ndarray:
    """``counts`` as a float ``(N, K)`` array of non-negative whole numbers, K >= 2."""
    array = np.asarray(counts, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"counts must have shape (items, categories), got {array.shape}")
    if array.shape[1] < 2:
        raise ValueError("counts needs at least two categories")
    if np.any(~np.isfinite(array)) or np.any(array < 0) or np.any(array != np.round(array)):
        raise ValueError("counts must be non-negative whole numbers")
    return array


def _check_multiplicities(multiplicities, n_items: int) -> np.ndarray:
    array = np.asarray(multiplicities, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != n_items:
        raise ValueError(f"multiplicities must have shape (resamples, {n_items}), "
                         f"got {array.shape}")
    return array


def ratio_or_nan(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is 0 (undefined, not zero)."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, dtype=np.float64),
                                                 np.asarray(denominator, dtype=np.float64))
    result = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


# --------------------------------------------------------------------------- per item


def raters_per_item(counts) -> np.ndarray:
    """Number of ratings of each item, shape ``(N,)`` (ints)."""
    return check_counts(counts).sum(axis=1).astype(np.int64)


def item_agreement(counts) -> np.ndarray:
    """Per item, the share of rater pairs that agree: ``sum_k n_ik (n_ik - 1) / (n_i (n_i - 1))``.

    This is Fleiss' ``P_i``. NaN for items with fewer than two raters (no pair to compare).
    """
    array = check_counts(counts)
    n = array.sum(axis=1)
    return ratio_or_nan((array * (array - 1)).sum(axis=1), n * (n - 1))


def majority_share(counts) -> np.ndarray:
    """Per item, the share of raters who chose the most chosen category; NaN without votes."""
    array = check_counts(counts)
    return ratio_or_nan(array.max(axis=1), array.sum(axis=1))


def majority_index(counts) -> np.ndarray:
    """Per item, the index of the category with strictly the most votes (a plurality).

    ``NO_MAJORITY`` (-1) when two or more categories share the top count (a tie) or the item
    has no votes. With two categories a plurality is a strict majority.
    """
    array = check_counts(counts)
    top = array.max(axis=1, keepdims=True)
    n_top = (array == top).sum(axis=1)
    winner = array.argmax(axis=1)
    return np.where((n_top == 1) & (top[:, 0] > 0), winner, NO_MAJORITY).astype(np.int64)


# --------------------------------------------------------------------------- Fleiss' kappa


def fleiss_kappa(counts) -> float:
    """Fleiss' kappa generalised to a different number of raters per item.

    With ``n_ik`` the raters who put item i in category k and ``n_i = sum_k n_ik``:

    * observed agreement ``p_a = mean over items with n_i >= 2 of
      sum_k n_ik (n_ik - 1) / (n_i (n_i - 1))``;
    * category prevalence ``pi_k = mean over items with n_i >= 1 of n_ik / n_i``;
    * chance agreement ``p_e = sum_k pi_k ** 2``;
    * ``kappa = (p_a - p_e) / (1 - p_e)``.

    This is Fleiss' generalised kappa as given by Gwet (2014), *Handbook of Inter-Rater
    Reliability*, 4th ed., ch. 2 (Fleiss' kappa with missing ratings), and computed by
    Gwet's irrCAC ``fleiss.kappa.raw``. With the same number of raters for every item it is
    exactly Fleiss (1971), *Psychological Bulletin* 76(5), 378-382, i.e.
    ``statsmodels.stats.inter_rater.fleiss_kappa``. Items with one rater count towards
    ``pi_k`` but not ``p_a``; items without votes are ignored. NaN when no item has two
    raters or when every rating falls in one category (``p_e = 1``).
    """
    array = check_counts(counts)
    return float(fleiss_kappa_resampled(array, np.ones((1, array.shape[0])))[0])


def fleiss_kappa_resampled(counts, multiplicities) -> np.ndarray:
    """:func:`fleiss_kappa` for each bootstrap resample: an item drawn m times counts m times.

    ``multiplicities`` has shape ``(B, N)``; returns shape ``(B,)``.
    """
    array = check_counts(counts)
    weights = _check_multiplicities(multiplicities, array.shape[0])
    n = array.sum(axis=1)
    pairable = (n >= 2).astype(np.float64)
    rated = (n >= 1).astype(np.float64)
    per_item = np.nan_to_num(item_agreement(array))  # 0 where unpairable; masked by weights
    shares = np.nan_to_num(ratio_or_nan(array, n[:, None]))
    observed = ratio_or_nan(weights @ per_item, weights @ pairable)
    prevalence = ratio_or_nan(weights @ shares, (weights @ rated)[:, None])
    chance = (prevalence ** 2).sum(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(np.isclose(chance, 1.0), np.nan, (observed - chance) / (1.0 - chance))


# --------------------------------------------------------------------------- Krippendorff


def krippendorff_alpha(counts, level: str = "nominal") -> float:
    """Krippendorff's alpha from the ``krippendorff`` package (``value_counts=counts``).

    ``level``: ``nominal``, or ``ordinal`` when the columns of ``counts`` are in scale order.
    NaN (instead of the package's ValueError) when no item has two ratings or only one
    category was ever used.
    """
    import krippendorff

    _check_level(level)
    array = check_counts(counts)
    n = array.sum(axis=1)
    used = array.sum(axis=0) > 0
    if not (n >= 2).any() or used.sum() < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(krippendorff.alpha(value_counts=array, level_of_measurement=level))


def _check_level(level: str) -> None:
    if level not in {"nominal", "ordinal"}:
        raise ValueError(f"level must be nominal or ordinal, got {level!r}")


def item_coincidences(counts) -> np.ndarray:
    """Per item, its contribution to Krippendorff's coincidence matrix, shape ``(N, K, K)``.

    ``o_i[c, k] = (n_ic n_ik - [c == k] n_ic) / (n_i - 1)`` for items with two or more ratings
    (pairable values), 0 otherwise; their sum over items is the coincidence matrix.
    """
    array = check_counts(counts)
    n = array.sum(axis=1)
    pairs = array[:, :, None] * array[:, None, :]
    index = np.arange(array.shape[1])
    pairs[:, index, index] -= array
    scale = np.where(n >= 2, 1.0 / np.maximum(n - 1, 1), 0.0)
    return pairs * scale[:, None, None]


def _alpha_from_coincidences(coincidences: np.ndarray, level: str) -> np.ndarray:
    """Alpha for a stack ``(B, K, K)`` of coincidence matrices (Krippendorff 2011, eq. for
    ``1 - D_o / D_e``), with the nominal or ordinal distance."""
    value_totals = coincidences.sum(axis=1)  # n_c, shape (B, K)
    total = value_totals.sum(axis=1)
    n_values = value_totals.shape[1]
    if level == "nominal":
        distance = np.broadcast_to(1.0 - np.eye(n_values), coincidences.shape)
    else:
        # ordinal: (sum_{g between c and k} n_g - (n_c + n_k) / 2) ** 2, from the resample's n_g
        cumulative = np.concatenate([np.zeros((len(total), 1)), np.cumsum(value_totals, axis=1)],
                                    axis=1)
        low = np.minimum.outer(np.arange(n_values), np.arange(n_values))
        high = np.maximum.outer(np.arange(n_values), np.arange(n_values))
        between = cumulative[:, high + 1] - cumulative[:, low]
        distance = (between - (value_totals[:, :, None] + value_totals[:, None, :]) / 2.0) ** 2
    expected = value_totals[:, :, None] * value_totals[:, None, :]
    index = np.arange(n_values)
    expected[:, index, index] -= value_totals
    observed_disagreement = (coincidences * distance).sum(axis=(1, 2))
    expected_disagreement = (expected * distance).sum(axis=(1, 2)) / np.where(total > 1,
                                                                                total - 1, np.nan)
    return 1.0 - ratio_or_nan(observed_disagreement, expected_disagreement)


def krippendorff_alpha_resampled(counts, multiplicities, level: str = "nominal") -> np.ndarray:
    """Krippendorff's alpha for each bootstrap resample, shape ``(B,)``.

    The coincidence matrix is a sum over items, so a resample's matrix is the
    multiplicity-weighted sum of :func:`item_coincidences`; alpha follows from it exactly as
    in the ``krippendorff`` package (the tests check equality on the data and on resamples).
    """
    _check_level(level)
    array = check_counts(counts)
    weights = _check_multiplicities(multiplicities, array.shape[0])
    per_item = item_coincidences(array).reshape(array.shape[0], -1)
    stacked = (weights @ per_item).reshape(len(weights), array.shape[1], array.shape[1])
    return _alpha_from_coincidences(stacked, level)


# --------------------------------------------------------------------------- human ceiling


def pair_confusion(counts) -> np.ndarray:
    """Per item, ordered rater pairs as confusion counts, shape ``(N, K, K+1)``.

    Cell ``[i, c, k]`` counts ordered pairs of different raters of item i where the first
    (taken as the truth) chose c and the second (taken as the prediction) chose k:
    ``n_ic n_ik - [c == k] n_ic``. The last column (predictions outside the categories, in
    :mod:`emoeval.metrics.classification`'s layout) is 0. Summed over items and scored with
    ``metrics_from_counts``, this gives the pairwise human accuracy and balanced accuracy.
    """
    array = check_counts(counts)
    pairs = array[:, :, None] * array[:, None, :]
    index = np.arange(array.shape[1])
    pairs[:, index, index] -= array
    return np.concatenate([pairs, np.zeros((array.shape[0], array.shape[1], 1))], axis=2)


@dataclass(frozen=True)
class LeaveOneOut:
    """Each rating scored against the majority of the item's other ratings.

    ``confusion``: ``(N, K, K+1)`` counts per item, row = the others' majority (truth),
    column = the held-out rating (prediction), last column 0 (classification layout).
    ``tied``: per item, ratings left out because the others tie. ``alone``: per item,
    ratings left out because no other rating exists (single-rater items).
    """

    confusion: np.ndarray
    tied: np.ndarray
    alone: np.ndarray


def leave_one_out(counts) -> LeaveOneOut:
    """Leave-one-rater-out: every rating against the plurality of the item's other ratings.

    For a rating of category c on item i the others' votes are ``n_i - e_c``; their majority
    is the category with strictly the most votes (:func:`majority_index`). A tie among the
    others leaves that rating out (``tied``), as does an item with no other rating
    (``alone``); neither is counted as right or wrong.
    """
    array = check_counts(counts)
    n_items, n_categories = array.shape
    confusion = np.zeros((n_items, n_categories, n_categories + 1))
    tied = np.zeros(n_items)
    alone = np.zeros(n_items)
    rows = np.arange(n_items)
    for held_out in range(n_categories):
        votes = array[:, held_out]
        has_vote = votes > 0
        others = array.copy()
        others[:, held_out] -= 1
        others = np.where(has_vote[:, None], np.maximum(others, 0), 0)
        n_others = others.sum(axis=1)
        truth = majority_index(others)
        alone += np.where(has_vote & (n_others == 0), votes, 0)
        tied += np.where(has_vote & (n_others > 0) & (truth == NO_MAJORITY), votes, 0)
        scored = has_vote & (truth != NO_MAJORITY)
        confusion[rows[scored], truth[scored], held_out] += votes[scored]
    return LeaveOneOut(confusion=confusion, tied=tied, alone=alone)


def leave_one_out_per_rating(counts, item_index, category_index) -> np.ndarray:
    """For individual ratings (item, category), the majority category of the item's *other*
    ratings, or ``NO_MAJORITY`` when they tie or there are none. Shape ``(A,)``.

    The long-shape twin of :func:`leave_one_out`, used for per-rater figures.
    """
    array = check_counts(counts)
    items = np.asarray(item_index, dtype=np.int64)
    categories = np.asarray(category_index, dtype=np.int64)
    others = array[items].copy()
    others[np.arange(len(items)), categories] -= 1
    if np.any(others < 0):
        raise ValueError("a rating is not part of counts (its category count is 0)")
    return majority_index(others) if len(items) else np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------- rater pairs


@dataclass(frozen=True)
class RaterPairs:
    """Ratings of every pair of raters on the items both rated.

    ``pairs``: ``(P, 2)`` rater indices (first < second). ``item``, ``pair``, ``first``,
    ``second``: one entry per co-rated item and pair: the item, the pair's row in ``pairs``,
    and the category each of the two raters gave.
    """

    pairs: np.ndarray
    item: np.ndarray
    pair: np.ndarray
    first: np.ndarray
    second: np.ndarray

    @property
    def shared_items(self) -> np.ndarray:
        """Items co-rated by each pair, shape ``(P,)``."""
        return np.bincount(self.pair, minlength=len(self.pairs))


def rater_pairs(item_index, rater_index, category_index) -> RaterPairs:
    """Join the ratings with themselves on the item: one row per co-rated item and rater pair.

    Inputs are one entry per rating; an item must not hold two ratings by one rater.
    """
    import pandas as pd

    table = pd.DataFrame({"item": np.asarray(item_index, dtype=np.int64),
                          "rater": np.asarray(rater_index, dtype=np.int64),
                          "category": np.asarray(category_index, dtype=np.int64)})
    if table.duplicated(["item", "rater"]).any():
        raise ValueError("a rater rated one item twice; keep one rating per rater and item")
    joined = table.merge(table, on="item", suffixes=("_a", "_b"))
    joined = joined[joined["rater_a"] < joined["rater_b"]]
    keys = joined[["rater_a", "rater_b"]].to_numpy()
    if len(keys):
        pairs, pair = np.unique(keys, axis=0, return_inverse=True)
    else:
        pairs, pair = np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    return RaterPairs(pairs=pairs.astype(np.int64), item=joined["item"].to_numpy(),
                      pair=np.asarray(pair, dtype=np.int64).reshape(-1),
                      first=joined["category_a"].to_numpy(),
                      second=joined["category_b"].to_numpy())


def cohen_kappa_per_pair(pairs: RaterPairs, n_categories: int,
                         min_shared_items: int = 2) -> np.ndarray:
    """Cohen's kappa of each rater pair on its co-rated items (``sklearn.metrics.
    cohen_kappa_score``), shape ``(P,)``; NaN for pairs sharing fewer than
    ``min_shared_items`` items or whose kappa is undefined (both raters used one category)."""
    from sklearn.metrics import cohen_kappa_score

    labels = list(range(n_categories))
    kappas = np.full(len(pairs.pairs), np.nan)
    order = np.argsort(pairs.pair, kind="stable")
    bounds = np.searchsorted(pairs.pair[order], np.arange(len(pairs.pairs) + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa is reported as NaN, not warned
        for index in range(len(pairs.pairs)):
            rows = order[bounds[index]:bounds[index + 1]]
            if len(rows) < max(min_shared_items, 1):
                continue
            kappas[index] = cohen_kappa_score(pairs.first[rows], pairs.second[rows],
                                              labels=labels)
    return kappas


def exact_agreement_per_pair(pairs: RaterPairs, min_shared_items: int = 2) -> np.ndarray:
    """Share of co-rated items on which each rater pair gave the same category, ``(P,)``;
    NaN for pairs sharing fewer than ``min_shared_items`` items."""
    shared = pairs.shared_items
    same = np.bincount(pairs.pair, weights=(pairs.first == pairs.second).astype(np.float64),
                       minlength=len(pairs.pairs))
    return np.where(shared >= max(min_shared_items, 1), ratio_or_nan(same, shared), np.nan)


def pair_tables_resampled(pairs: RaterPairs, n_categories: int, n_items: int,
                          multiplicities) -> np.ndarray:
    """Each pair's ``K x K`` contingency table in each resample, shape ``(B, P, K, K)``.

    A co-rated item drawn m times adds m to its cell; one sparse product for all resamples.
    """
    from scipy import sparse

    weights = _check_multiplicities(multiplicities, n_items)
    n_cells = n_categories * n_categories
    columns = pairs.pair * n_cells + pairs.first * n_categories + pairs.second
    design = sparse.csr_matrix((np.ones(len(columns)), (pairs.item, columns)),
                               shape=(n_items, len(pairs.pairs) * n_cells))
    tables = np.asarray((design.T @ weights.T).T)
    return tables.reshape(len(weights), len(pairs.pairs), n_categories, n_categories)


def cohen_kappa_from_tables(tables: np.ndarray, min_shared_items: int = 2) -> np.ndarray:
    """Cohen's kappa of ``(..., K, K)`` contingency tables (rows first rater), same formula as
    scikit-learn: ``(p_o - p_e) / (1 - p_e)``; NaN below ``min_shared_items`` or when
    ``p_e = 1``."""
    total = tables.sum(axis=(-2, -1))
    observed = ratio_or_nan(np.trace(tables, axis1=-2, axis2=-1), total)
    chance = ratio_or_nan((tables.sum(axis=-1) * tables.sum(axis=-2)).sum(axis=-1), total ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(np.isclose(chance, 1.0), np.nan, (observed - chance) / (1.0 - chance))
    return np.where(total >= max(min_shared_items, 1), kappa, np.nan)


def exact_agreement_from_tables(tables: np.ndarray, min_shared_items: int = 2) -> np.ndarray:
    """Share of agreeing co-ratings of ``(..., K, K)`` tables; NaN below ``min_shared_items``."""
    total = tables.sum(axis=(-2, -1))
    agreement = ratio_or_nan(np.trace(tables, axis1=-2, axis2=-1), total)
    return np.where(total >= max(min_shared_items, 1), agreement, np.nan)


# --------------------------------------------------------------------------- bootstrap


def resample_blocks(group_index, n_resamples: int, seed: int,
                    max_values: int = 20_000_000, width: int = 1) -> Iterator[np.ndarray]:
    """Bootstrap item multiplicities, resampling whole groups, in blocks of resamples.

    ``group_index`` gives each item's group (0..G-1; one group per item resamples items).
    Each resample draws G groups with replacement (``Multinomial(G, 1/G)`` multiplicities);
    an item's multiplicity is its group's. Yields float arrays ``(b, N)`` whose rows add up
    to ``n_resamples``; a block holds at most ``max_values / (N * width)`` resamples so the
    statistic computed from it (``width`` values per item) stays within memory. The same
    ``seed`` gives the same resamples, so statistics computed separately are resampled
    jointly.
    """
    groups = np.asarray(group_index, dtype=np.int64)
    n_groups = int(groups.max()) + 1 if groups.size else 0
    rng = np.random.default_rng(seed)
    block = max(1, int(max_values // max(groups.size * max(width, 1), 1)))
    done = 0
    while done < n_resamples:
        size = min(block, n_resamples - done)
        # G draws with replacement per resample, counted: Multinomial(G, 1/G) multiplicities,
        # an order of magnitude faster than rng.multinomial's sequential binomials
        picks = rng.integers(0, n_groups, size=(size, n_groups))
        picks += (np.arange(size) * n_groups)[:, None]
        drawn = np.bincount(picks.ravel(), minlength=size * n_groups).reshape(size, n_groups)
        yield drawn[:, groups].astype(np.float64)
        done += size


def percentile_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """The percentile interval of the finite resampled values; (NaN, NaN) when none is."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    low, high = np.percentile(finite, [100.0 * tail, 100.0 * (1.0 - tail)])
    return float(low), float(high)


# --------------------------------------------------------------------------- buckets

BINARY_BUCKETS = ("unanimous_present", "unanimous_absent", "majority_present",
                  "majority_absent", "single_rater_present", "single_rater_absent", "tie")
NOMINAL_BUCKETS = ("unanimous", "majority", "single_rater", "tie")


def binary_buckets(present_votes, n_raters) -> np.ndarray:
    """Bucket per item from its present votes and its number of raters (binary view).

    ``single_rater_*`` for one rater, ``unanimous_*`` when two or more raters all agree,
    ``majority_*`` for a strict majority that is not unanimous, ``tie`` for an even split.
    Items without raters get ``""``.
    """
    present = np.asarray(present_votes, dtype=np.int64)
    total = np.asarray(n_raters, dtype=np.int64)
    absent = total - present
    side = np.where(present > absent, "present", "absent")
    kind = np.where(total == 1, "single_rater",
                    np.where((present == 0) | (absent == 0), "unanimous", "majority"))
    buckets = np.char.add(np.char.add(kind.astype(str), "_"), side.astype(str)).astype(object)
    buckets[(present == absent) & (total >= 2)] = "tie"
    buckets[total == 0] = ""
    return buckets


def nominal_buckets(counts) -> np.ndarray:
    """Bucket per item for a nominal scale: ``single_rater``, ``unanimous`` (two or more raters,
    one category), ``majority`` (a unique most-chosen category, not unanimous) or ``tie``."""
    array = check_counts(counts)
    total = array.sum(axis=1)
    winner = majority_index(array)
    buckets = np.where(winner == NO_MAJORITY, "tie",
                       np.where(array.max(axis=1) == total, "unanimous", "majority"))
    buckets = buckets.astype(object)
    buckets[total == 1] = "single_rater"
    buckets[total == 0] = ""
    return buckets
