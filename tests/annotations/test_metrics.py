"""Agreement metrics against hand computation, statsmodels, krippendorff and scikit-learn."""

from __future__ import annotations

import itertools

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from emoeval.metrics import agreement as agree
from emoeval.metrics.classification import metrics_from_counts

# Gwet's 4-rater example (Handbook of Inter-Rater Reliability, 4th ed.; irrCAC's
# cac.raw4raters): 12 subjects, 5 categories, missing ratings. Gwet reports Fleiss' kappa
# 0.76117 (pa 0.81818, pe 0.23872) for it; krippendorff's own docstring uses the same table
# and reports nominal alpha 0.743 and ordinal alpha 0.815.
NAN = np.nan
GWET_RATINGS = np.array([
    [1, 1, NAN, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [NAN, 5, 5, 5], [NAN, NAN, 1, 1],
    [NAN, NAN, 3, NAN]])


def counts_from_ratings(ratings: np.ndarray, values) -> np.ndarray:
    return np.stack([(ratings == value).sum(axis=1) for value in values], axis=1)


GWET_COUNTS = counts_from_ratings(GWET_RATINGS, [1, 2, 3, 4, 5])


def random_counts(seed: int, n_items: int, n_categories: int, raters) -> np.ndarray:
    """Counts with a per-item number of raters drawn from ``raters`` (an int: equal n)."""
    rng = np.random.default_rng(seed)
    sizes = np.full(n_items, raters) if isinstance(raters, int) else rng.choice(raters, n_items)
    prevalence = rng.dirichlet(np.ones(n_categories))
    rows = []
    for size in sizes:
        # items lean towards one category so agreement is well above chance
        lean = rng.dirichlet(np.ones(n_categories) * 0.3) * 0.7 + 0.3 * prevalence
        rows.append(rng.multinomial(size, lean))
    return np.array(rows)


def expand(counts: np.ndarray) -> list[list[int]]:
    """Per item, the list of category indices of its ratings."""
    return [[category for category, n in enumerate(row) for _ in range(int(n))]
            for row in counts]


# --------------------------------------------------------------------------- Fleiss


def test_fleiss_kappa_by_hand_equal_raters():
    # 3 items, 3 raters, 2 categories: [3,0], [2,1], [0,3]
    # P_i = (3*2)/(3*2)=1, (2*1+0)/6=1/3, 1 -> P_bar = 7/9
    # p_j = (3+2+0)/9 = 5/9, 4/9 -> P_e = (25+16)/81 = 41/81
    # kappa = (7/9 - 41/81) / (1 - 41/81) = (63-41)/(81-41) = 22/40 = 0.55
    counts = np.array([[3, 0], [2, 1], [0, 3]])
    assert agree.fleiss_kappa(counts) == pytest.approx(0.55)
    assert statsmodels_fleiss_kappa(counts) == pytest.approx(0.55)


def test_fleiss_kappa_by_hand_unequal_raters():
    # items [2,0] (n=2), [1,1] (n=2), [2,1] (n=3), [0,1] (n=1: prevalence only)
    # p_a = mean(1, 0, 2/6) = 4/9
    # pi = mean([1,0], [.5,.5], [2/3,1/3], [0,1]) = [13/24, 11/24]; p_e = 290/576 = 145/288
    # kappa = (128/288 - 145/288) / (143/288) = -17/143
    counts = np.array([[2, 0], [1, 1], [2, 1], [0, 1]])
    assert agree.fleiss_kappa(counts) == pytest.approx(-17 / 143)


def test_fleiss_kappa_matches_gwet_published_value():
    assert agree.fleiss_kappa(GWET_COUNTS) == pytest.approx(0.76117, abs=5e-6)


@pytest.mark.parametrize("seed,n_categories,n_raters", [(0, 2, 3), (1, 3, 5), (2, 6, 9),
                                                        (3, 4, 2)])
def test_fleiss_kappa_equals_statsmodels_on_equal_raters(seed, n_categories, n_raters):
    counts = random_counts(seed, 60, n_categories, n_raters)
    assert agree.fleiss_kappa(counts) == pytest.approx(statsmodels_fleiss_kappa(counts),
                                                       abs=1e-12)


def test_fleiss_kappa_ignores_items_without_votes_and_is_undefined_without_pairs():
    counts = np.array([[3, 0], [2, 1], [0, 3]])
    with_empty = np.vstack([counts, [[0, 0]]])
    assert agree.fleiss_kappa(with_empty) == pytest.approx(agree.fleiss_kappa(counts))
    assert np.isnan(agree.fleiss_kappa(np.array([[1, 0], [0, 1]])))  # nobody pairs
    assert np.isnan(agree.fleiss_kappa(np.array([[3, 0], [2, 0]])))  # one category: p_e = 1


def test_fleiss_kappa_resampled_equals_kappa_of_repeated_items():
    counts = random_counts(5, 30, 3, [1, 2, 3, 4])
    rng = np.random.default_rng(0)
    multiplicities = rng.integers(0, 3, size=(4, len(counts)))
    resampled = agree.fleiss_kappa_resampled(counts, multiplicities)
    for row, value in zip(multiplicities, resampled):
        repeated = np.repeat(counts, row, axis=0)
        assert value == pytest.approx(agree.fleiss_kappa(repeated), abs=1e-12)


# --------------------------------------------------------------------------- Krippendorff


def test_krippendorff_alpha_by_hand():
    # items [2,0], [1,1], [2,1], [0,1] (the last has one rating: not pairable)
    # coincidences: [2,0] -> o00 += 2; [1,1] -> o01 += 1, o10 += 1;
    #               [2,1] -> o00 += 2*1/2 = 1, o01 += 1, o10 += 1
    # o = [[3, 2], [2, 0]], n0 = 5, n1 = 2, n = 7
    # alpha = 1 - (o01 + o10) / (2 n0 n1 / (n - 1)) = 1 - 4 / (20/6) = -0.2
    counts = np.array([[2, 0], [1, 1], [2, 1], [0, 1]])
    assert agree.krippendorff_alpha(counts) == pytest.approx(-0.2)
    assert agree.krippendorff_alpha_resampled(counts, np.ones((1, 4)))[0] == pytest.approx(-0.2)


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_krippendorff_alpha_matches_package_on_reliability_data(level):
    reference = krippendorff.alpha(reliability_data=GWET_RATINGS.T, level_of_measurement=level,
                                   value_domain=[1, 2, 3, 4, 5])
    assert agree.krippendorff_alpha(GWET_COUNTS, level) == pytest.approx(reference, abs=1e-12)
    ours = agree.krippendorff_alpha_resampled(GWET_COUNTS, np.ones((1, 12)), level)[0]
    assert ours == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_krippendorff_alpha_resampled_equals_package_on_repeated_items(level):
    counts = random_counts(7, 40, 4, [1, 2, 3, 5])
    rng = np.random.default_rng(1)
    multiplicities = rng.integers(0, 3, size=(5, len(counts)))
    resampled = agree.krippendorff_alpha_resampled(counts, multiplicities, level)
    for row, value in zip(multiplicities, resampled):
        repeated = np.repeat(counts, row, axis=0)
        reference = krippendorff.alpha(value_counts=repeated, level_of_measurement=level)
        assert value == pytest.approx(reference, abs=1e-10)


def test_krippendorff_alpha_is_nan_when_undefined():
    assert np.isnan(agree.krippendorff_alpha(np.array([[1, 0], [0, 1]])))
    assert np.isnan(agree.krippendorff_alpha(np.array([[2, 0], [3, 0]])))


# --------------------------------------------------------------------------- per item, majority


def test_item_agreement_majority_and_buckets_by_hand():
    counts = np.array([[3, 0, 0], [2, 1, 0], [1, 1, 1], [0, 0, 1], [2, 2, 0], [0, 0, 0]])
    np.testing.assert_allclose(agree.item_agreement(counts)[:5],
                               [1.0, 1 / 3, 0.0, np.nan, 1 / 3])
    assert np.isnan(agree.item_agreement(counts)[5])
    np.testing.assert_array_equal(agree.majority_index(counts), [0, 0, -1, 2, -1, -1])
    np.testing.assert_allclose(agree.majority_share(counts)[:5], [1, 2 / 3, 1 / 3, 1, 0.5])
    assert list(agree.nominal_buckets(counts)) == ["unanimous", "majority", "tie",
                                                  "single_rater", "tie", ""]
    present, raters = np.array([3, 2, 1, 0, 1, 1, 0]), np.array([3, 3, 2, 2, 1, 3, 0])
    assert list(agree.binary_buckets(present, raters)) == [
        "unanimous_present", "majority_present", "tie", "unanimous_absent",
        "single_rater_present", "majority_absent", ""]


# --------------------------------------------------------------------------- human ceiling


def test_leave_one_out_by_hand():
    # [3,0]: each rating's others are [2,0] -> truth 0, said 0: cell (0,0) += 3
    # [2,1]: the two 0-ratings see [1,1] (tie, left out); the 1-rating sees [2,0]: (0,1) += 1
    # [1,0]: no other rating (alone)
    # [1,1]: the 0-rating sees [0,1]: (1,0) += 1; the 1-rating sees [1,0]: (0,1) += 1
    loo = agree.leave_one_out(np.array([[3, 0], [2, 1], [1, 0], [1, 1]]))
    np.testing.assert_array_equal(loo.confusion.sum(axis=0), [[3, 2, 0], [1, 0, 0]])
    assert loo.tied.sum() == 2 and loo.alone.sum() == 1


def test_leave_one_out_equals_brute_force_and_sklearn():
    counts = random_counts(11, 80, 3, [1, 2, 3, 4, 5])
    truths, predictions, tied, alone = [], [], 0, 0
    for ratings in expand(counts):
        for position, said in enumerate(ratings):
            others = ratings[:position] + ratings[position + 1:]
            if not others:
                alone += 1
                continue
            tally = np.bincount(others, minlength=3)
            if (tally == tally.max()).sum() > 1:
                tied += 1
                continue
            truths.append(int(tally.argmax()))
            predictions.append(said)
    loo = agree.leave_one_out(counts)
    assert loo.tied.sum() == tied and loo.alone.sum() == alone
    scores = metrics_from_counts(loo.confusion.sum(axis=0))
    assert scores["accuracy"] == pytest.approx(accuracy_score(truths, predictions))
    assert scores["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(truths,
                                                                                predictions))
    items = np.repeat(np.arange(len(counts)), counts.sum(axis=1))
    said = np.concatenate([np.array(r, dtype=int) for r in expand(counts)])
    per_rating = agree.leave_one_out_per_rating(counts, items, said)
    scored = per_rating >= 0
    assert scored.sum() == len(truths)
    assert (per_rating[scored] == said[scored]).mean() == pytest.approx(scores["accuracy"])


def test_pair_confusion_equals_all_ordered_pairs():
    counts = random_counts(12, 50, 3, [1, 2, 3, 4])
    truths, predictions = [], []
    for ratings in expand(counts):
        for first, second in itertools.permutations(range(len(ratings)), 2):
            truths.append(ratings[first])
            predictions.append(ratings[second])
    scores = metrics_from_counts(agree.pair_confusion(counts).sum(axis=0))
    assert scores["accuracy"] == pytest.approx(accuracy_score(truths, predictions))
    assert scores["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(truths,
                                                                                predictions))


# --------------------------------------------------------------------------- rater pairs


def long_ratings(seed: int, n_items: int = 40, n_raters: int = 5, per_item: int = 3,
                 n_categories: int = 3):
    rng = np.random.default_rng(seed)
    items, raters, categories = [], [], []
    for item in range(n_items):
        truth = rng.integers(n_categories)
        for rater in rng.choice(n_raters, per_item, replace=False):
            items.append(item)
            raters.append(rater)
            categories.append(truth if rng.random() < 0.7 else rng.integers(n_categories))
    return np.array(items), np.array(raters), np.array(categories)


def test_cohen_kappa_and_exact_agreement_per_pair_equal_sklearn():
    items, raters, categories = long_ratings(3)
    pairs = agree.rater_pairs(items, raters, categories)
    kappas = agree.cohen_kappa_per_pair(pairs, 3, min_shared_items=2)
    exact = agree.exact_agreement_per_pair(pairs, min_shared_items=2)
    tables = agree.pair_tables_resampled(pairs, 3, 40, np.ones((1, 40)))[0]
    from_tables = agree.cohen_kappa_from_tables(tables, 2)
    for index, (a, b) in enumerate(pairs.pairs):
        by_item_a = {i: c for i, r, c in zip(items, raters, categories) if r == a}
        by_item_b = {i: c for i, r, c in zip(items, raters, categories) if r == b}
        shared = sorted(set(by_item_a) & set(by_item_b))
        first = [by_item_a[i] for i in shared]
        second = [by_item_b[i] for i in shared]
        assert pairs.shared_items[index] == len(shared)
        if len(shared) < 2:
            assert np.isnan(kappas[index]) and np.isnan(exact[index])
            continue
        reference = cohen_kappa_score(first, second, labels=[0, 1, 2])
        assert kappas[index] == pytest.approx(reference, nan_ok=True)
        assert from_tables[index] == pytest.approx(reference, nan_ok=True)
        assert exact[index] == pytest.approx(accuracy_score(first, second))


def test_pair_tables_resampled_weigh_each_co_rated_item_by_its_multiplicity():
    items, raters, categories = long_ratings(4, n_items=20)
    pairs = agree.rater_pairs(items, raters, categories)
    multiplicities = np.random.default_rng(2).integers(0, 3, size=(3, 20))
    tables = agree.pair_tables_resampled(pairs, 3, 20, multiplicities)
    for resample, row in enumerate(multiplicities):
        expected = np.zeros((len(pairs.pairs), 3, 3))
        for item, pair, first, second in zip(pairs.item, pairs.pair, pairs.first, pairs.second):
            expected[pair, first, second] += row[item]
        np.testing.assert_array_equal(tables[resample], expected)


def test_rater_pairs_refuses_two_ratings_by_one_rater():
    with pytest.raises(ValueError, match="twice"):
        agree.rater_pairs([0, 0], [1, 1], [0, 1])


# --------------------------------------------------------------------------- bootstrap


def test_resample_blocks_draw_groups_and_repeat_with_the_seed():
    groups = np.array([0, 0, 1, 2, 2, 2, 3])
    blocks = list(agree.resample_blocks(groups, 250, seed=3, max_values=7 * 100))
    assert [len(b) for b in blocks] == [100, 100, 50]
    weights = np.concatenate(blocks)
    # items of one group share the group's multiplicity; 4 groups are drawn per resample
    np.testing.assert_array_equal(weights[:, 0], weights[:, 1])
    np.testing.assert_array_equal(weights[:, 3], weights[:, 5])
    np.testing.assert_array_equal(weights[:, [0, 2, 3, 6]].sum(axis=1), 4)
    again = np.concatenate(list(agree.resample_blocks(groups, 250, seed=3, max_values=700)))
    np.testing.assert_array_equal(weights, again)
    # each group is drawn with probability 1/G: mean multiplicity 1
    many = np.concatenate(list(agree.resample_blocks(groups, 4000, seed=0)))
    assert many.mean(axis=0) == pytest.approx(np.ones(7), abs=0.05)


def test_percentile_interval_ignores_undefined_resamples():
    low, high = agree.percentile_interval(np.array([np.nan, *range(101)]), 0.9)
    assert (low, high) == pytest.approx((5.0, 95.0))
    assert all(np.isnan(agree.percentile_interval(np.array([np.nan]))))
