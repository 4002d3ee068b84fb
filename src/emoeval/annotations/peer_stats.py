"""emolia-bench's agreement definitions (its ``analysis.py``), restated over a rating matrix.

emoeval's own statistics live in :mod:`.statistics`; these are the peer tool's, so that the
numbers in ``summary.json`` under its key names are the numbers its users know. Where its
definition differs from ours (pairwise exact agreement counts a missing rating as a
disagreement; balanced accuracy averaged over rater-pair directions; leave-one-out only on
items with three or more ratings), ours is written beside it with an ``_emoeval`` suffix.

Input everywhere: ``matrix``, an ``(items, raters)`` int array of category codes with
``MISSING`` where a rater did not rate an item, and the rater names (sorted, the column
order).
"""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np

MISSING = -1


def rating_matrix(item: np.ndarray, rater_code: np.ndarray, code: np.ndarray, n_items: int,
                  n_raters: int) -> np.ndarray:
    """One cell per (item, rater): the code given, ``MISSING`` when none."""
    matrix = np.full((n_items, n_raters), MISSING, dtype=np.int64)
    matrix[item, rater_code] = code
    return matrix


def vote_counts(matrix: np.ndarray, n_categories: int) -> np.ndarray:
    """``(items, categories)`` counts of the non-missing cells."""
    return np.stack([(matrix == k).sum(axis=1) for k in range(n_categories)], axis=1)


def peer_majority(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Their majority vote per item: ``(winner, top count, tie)``.

    On a shared top count the winner is the *lowest code rated on the item* (not only among
    the tied codes): a binary tie is absent, an ordinal three-way split the lowest level.
    """
    counts = np.asarray(counts)
    top = counts.max(axis=1)
    tie = (counts == top[:, None]).sum(axis=1) > 1
    lowest_rated = np.argmax(counts > 0, axis=1)
    winner = np.where(tie, lowest_rated, counts.argmax(axis=1))
    return winner.astype(np.int64), top.astype(np.int64), tie


def cohen_kappa(first: np.ndarray, second: np.ndarray, n_categories: int) -> float:
    """Cohen's kappa on paired codes; NaN when chance agreement is 1."""
    observed = float((first == second).mean())
    expected = float(sum((first == k).mean() * (second == k).mean()
                         for k in range(n_categories)))
    if np.isclose(expected, 1.0):
        return float("nan")
    return (observed - expected) / (1.0 - expected)


def pairwise_kappa(matrix: np.ndarray, raters: list[str], n_categories: int
                   ) -> dict[str, float]:
    """Per rater pair ``"a__b"``, Cohen's kappa on the items both rated (NaN when none), and
    ``mean`` (NaN-skipping) over the pairs."""
    result: dict[str, float] = {}
    for a, b in combinations(range(len(raters)), 2):
        both = (matrix[:, a] != MISSING) & (matrix[:, b] != MISSING)
        key = f"{raters[a]}__{raters[b]}"
        result[key] = (cohen_kappa(matrix[both, a], matrix[both, b], n_categories)
                       if both.any() else float("nan"))
    result["mean"] = _nanmean(list(result.values()))
    return result


def pairwise_exact_peer(matrix: np.ndarray) -> float:
    """Their mean pairwise exact agreement: per rater pair, the share of *all* items on which
    both gave the same code, so an item one of them did not rate counts as a disagreement."""
    if matrix.shape[1] < 2:
        return float("nan")
    shares = [float(((matrix[:, a] == matrix[:, b]) & (matrix[:, a] != MISSING)).mean())
              for a, b in combinations(range(matrix.shape[1]), 2)]
    return float(np.mean(shares))


def pairwise_exact_shared(matrix: np.ndarray) -> float:
    """Ours: per rater pair, the share of the items *both rated* with the same code."""
    shares = []
    for a, b in combinations(range(matrix.shape[1]), 2):
        both = (matrix[:, a] != MISSING) & (matrix[:, b] != MISSING)
        if both.any():
            shares.append(float((matrix[both, a] == matrix[both, b]).mean()))
    return float(np.mean(shares)) if shares else float("nan")


def exact_all_agree(matrix: np.ndarray) -> float:
    """Share of items on which every rater who rated it gave the same code."""
    if matrix.shape[0] == 0:
        return float("nan")
    rated = matrix != MISSING
    low = np.where(rated, matrix, np.iinfo(np.int64).max).min(axis=1)
    high = np.where(rated, matrix, MISSING).max(axis=1)
    return float((low == high).mean())


def balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean of sensitivity and specificity (codes 1/0); NaN if either class is absent."""
    positive, negative = truth == 1, truth == 0
    if not positive.any() or not negative.any():
        return float("nan")
    return 0.5 * (float((predicted[positive] == 1).mean())
                  + float((predicted[negative] == 0).mean()))


def pairwise_human(matrix: np.ndarray) -> dict[str, float]:
    """Their rater-vs-rater numbers on a binary matrix: accuracy averaged over pairs (items
    both rated), balanced accuracy averaged over pair *directions* (each rater of a pair
    taken once as truth; directions where the truth has one class only are skipped)."""
    accuracies, balanced = [], []
    for a, b in combinations(range(matrix.shape[1]), 2):
        both = (matrix[:, a] != MISSING) & (matrix[:, b] != MISSING)
        if not both.any():
            continue
        first, second = matrix[both, a], matrix[both, b]
        accuracies.append(float((first == second).mean()))
        for truth, predicted in ((first, second), (second, first)):
            value = balanced_accuracy(truth, predicted)
            if not np.isnan(value):
                balanced.append(value)
    return {"pairwise_accuracy": float(np.mean(accuracies)) if accuracies else float("nan"),
            "pairwise_balanced_accuracy": float(np.mean(balanced)) if balanced else float("nan"),
            "n_rater_pairs": float(len(accuracies))}


def leave_one_out_peer(binary_counts: np.ndarray) -> dict[str, float]:
    """Their leave-one-out: on items with three or more ratings, each rating against the
    strict majority of the item's other ratings (ties among the others skipped)."""
    absent, present = binary_counts[:, 0].astype(np.int64), binary_counts[:, 1].astype(np.int64)
    eligible = (absent + present) >= 3
    tallies = np.zeros((2, 2))  # [truth, prediction]
    for held, votes in ((1, present), (0, absent)):
        others_present = present - (held == 1)
        others_absent = absent - (held == 0)
        for truth, side in ((1, others_present > others_absent),
                            (0, others_present < others_absent)):
            tallies[truth, held] += votes[eligible & side].sum()
    total = tallies.sum()
    if total == 0:
        return {"loo_accuracy": float("nan"), "loo_balanced_accuracy": float("nan"),
                "loo_n_annotations": 0.0}
    recall = [tallies[k, k] / tallies[k].sum() if tallies[k].sum() else float("nan")
              for k in (0, 1)]
    return {"loo_accuracy": float(np.trace(tallies) / total),
            "loo_balanced_accuracy": float(np.mean(recall)),
            "loo_n_annotations": float(total)}


def fleiss_equal_raters(counts: np.ndarray) -> float:
    """Fleiss (1971) on items that all have the same number of ratings; NaN otherwise."""
    from ..metrics.agreement import fleiss_kappa

    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape[0] == 0:
        return float("nan")
    per_item = counts.sum(axis=1)
    if not np.all(per_item == per_item[0]) or per_item[0] < 2:
        return float("nan")
    return float(fleiss_kappa(counts))


def _nanmean(values: list[float]) -> float:
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).any():
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(array))
