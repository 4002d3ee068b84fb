"""The paired statistics against independent references: naive resampling loops with
scikit-learn metrics, scipy's binomial test, the chi-square formula, Holm by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, chi2
from sklearn.metrics import balanced_accuracy_score, f1_score

from emoeval.compare.metrics import RankMetric
from emoeval.compare.paired import (DETECTABLE_SE_MULTIPLE, holm, mcnemar_test,
                                    p_value_from_standard_error, paired_bootstrap)
from emoeval.compare.verdicts import verdict

LABELS = ["angry", "happy", "neutral", "sad", "surprise"]
UA = RankMetric("balanced_accuracy", "UA", higher_is_better=True, in_points=True)


def two_models(n: int, seed: int, n_speakers: int = 0, b_rate: float = 0.75):
    """Imbalanced truth; A right 60% of the time, B 75% (``b_rate``), B clustered by speaker
    when asked."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(LABELS, size=n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    speakers = rng.integers(0, max(n_speakers, 1), size=n)
    if n_speakers:
        good = rng.random(n_speakers) < 0.5  # a speaker B recognises well, or badly
        b_rate = np.where(good[speakers], 0.97, 0.5)
    else:
        b_rate = np.full(n, b_rate)

    def predict(rate):
        wrong = np.array([rng.choice([l for l in LABELS if l != t]) for t in truth])
        return np.where(rng.random(n) < rate, truth, wrong)

    return truth, predict(np.full(n, 0.6)), predict(b_rate), speakers


def recall_mean(truth, predictions):
    """Balanced accuracy, directly: the mean over present classes of the share right
    (checked against scikit-learn below)."""
    return np.mean([np.mean(predictions[truth == label] == label)
                    for label in np.unique(truth)])


def test_reference_balanced_accuracy_is_sklearns():
    truth, a, _, _ = two_models(300, seed=9)
    assert recall_mean(truth, a) == pytest.approx(balanced_accuracy_score(truth, a))


def naive_paired_differences(truth, a, b, groups, n_resamples, seed):
    """Row (or whole-group) resampling, one resample at a time."""
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(n_resamples):
        if groups is None:
            rows = rng.integers(0, len(truth), len(truth))
        else:
            unique = np.unique(groups)
            drawn = rng.choice(unique, size=len(unique), replace=True)
            rows = np.concatenate([np.flatnonzero(groups == g) for g in drawn])
        differences.append(recall_mean(truth[rows], b[rows]) - recall_mean(truth[rows], a[rows]))
    return np.array(differences)


def test_observed_metrics_match_sklearn():
    truth, a, b, _ = two_models(400, seed=1)
    result = paired_bootstrap(truth, a, b, LABELS, n_resamples=50)
    assert result["balanced_accuracy"].a == pytest.approx(balanced_accuracy_score(truth, a))
    assert result["balanced_accuracy"].b == pytest.approx(balanced_accuracy_score(truth, b))
    macro_b = f1_score(truth, b, average="macro", labels=LABELS, zero_division=0)
    macro_a = f1_score(truth, a, average="macro", labels=LABELS, zero_division=0)
    assert result["f1_macro"].difference == pytest.approx(macro_b - macro_a)


@pytest.mark.parametrize("n_speakers", [0, 25])
def test_bootstrap_distribution_matches_naive_resampling(n_speakers):
    truth, a, b, speakers = two_models(500, seed=2, n_speakers=n_speakers)
    groups = speakers.astype(str) if n_speakers else None
    fast = paired_bootstrap(truth, a, b, LABELS, groups=groups, n_resamples=4000, seed=3)
    slow = naive_paired_differences(truth, a, b, groups, n_resamples=500, seed=4)
    ua = fast["balanced_accuracy"]
    # two estimates of one sampling distribution: the naive one's SE is itself uncertain
    # by about 1/sqrt(2 * 500) = 3%, so 15% is four of its standard errors
    assert ua.standard_error == pytest.approx(np.std(slow, ddof=1), rel=0.15)
    assert ua.low == pytest.approx(np.percentile(slow, 2.5), abs=1.5 * ua.standard_error)
    assert ua.high == pytest.approx(np.percentile(slow, 97.5), abs=1.5 * ua.standard_error)
    assert ua.detectable == pytest.approx(DETECTABLE_SE_MULTIPLE * ua.standard_error)


def test_speaker_clusters_widen_the_interval_when_errors_cluster():
    truth, a, b, speakers = two_models(800, seed=5, n_speakers=20)
    by_sample = paired_bootstrap(truth, a, b, LABELS, n_resamples=2000, seed=0)
    by_speaker = paired_bootstrap(truth, a, b, LABELS, groups=speakers.astype(str),
                                  n_resamples=2000, seed=0)
    assert by_speaker["balanced_accuracy"].difference == by_sample["balanced_accuracy"].difference
    assert (by_speaker["balanced_accuracy"].standard_error
            > 1.5 * by_sample["balanced_accuracy"].standard_error)


def test_identical_models_differ_by_exactly_nothing():
    truth, a, _, _ = two_models(300, seed=6)
    result = paired_bootstrap(truth, a, a.copy(), LABELS, n_resamples=500)
    for difference in result.values():
        assert (difference.difference, difference.low, difference.high) == (0.0, 0.0, 0.0)
        assert difference.p_value == 1.0


def test_same_seed_same_result():
    truth, a, b, _ = two_models(300, seed=7)
    first = paired_bootstrap(truth, a, b, LABELS, n_resamples=300, seed=11)
    second = paired_bootstrap(truth, a, b, LABELS, n_resamples=300, seed=11)
    assert first["f1_macro"].to_dict() == second["f1_macro"].to_dict()


def test_p_value_from_standard_error():
    # the normal tail, written independently with erfc
    assert p_value_from_standard_error(0.05, 0.02) == pytest.approx(math.erfc(2.5 / math.sqrt(2)))
    assert p_value_from_standard_error(-0.05, 0.02) == p_value_from_standard_error(0.05, 0.02)
    assert p_value_from_standard_error(0.0, 0.0) == 1.0
    # a difference of z(0.975) standard errors sits at p = 0.05
    assert p_value_from_standard_error(1.959964, 1.0) == pytest.approx(0.05, abs=1e-6)


def test_p_value_agrees_with_the_share_of_naive_resamples_beyond_zero():
    """For a small true difference (p neither 0 nor 1), the p from the standard error matches
    the percentile-bootstrap p (twice the smaller share of naive resamples on a side of 0)."""
    truth, a, b, _ = two_models(500, seed=12, b_rate=0.64)
    fast = paired_bootstrap(truth, a, b, LABELS, n_resamples=4000, seed=1)["balanced_accuracy"]
    slow = naive_paired_differences(truth, a, b, None, n_resamples=600, seed=2)
    share_p = 2 * min(np.mean(slow <= 0), np.mean(slow >= 0))
    assert 0.01 < fast.p_value < 0.9
    # the share's own sampling error over 600 resamples is at most about 0.04
    assert fast.p_value == pytest.approx(share_p, abs=0.08)


def test_mcnemar_counts_and_p_values_match_references():
    truth, a, b, _ = two_models(400, seed=8)
    result = mcnemar_test(truth, a, b)
    a_only = int(np.sum((a == truth) & (b != truth)))
    b_only = int(np.sum((a != truth) & (b == truth)))
    assert (result["a_only"], result["b_only"]) == (a_only, b_only)
    assert result["both_right"] + result["a_only"] + result["b_only"] + result["neither"] == 400
    statistic = (abs(a_only - b_only) - 1) ** 2 / (a_only + b_only)
    assert result["p_value"] == pytest.approx(chi2.sf(statistic, df=1))
    # few discordant samples: the exact binomial test
    small_truth, small_a = truth[:40], a[:40]
    small_b = small_a.copy()
    flip = np.flatnonzero(small_a != small_truth)[:6]
    small_b[flip] = small_truth[flip]
    exact = mcnemar_test(small_truth, small_a, small_b)
    assert exact["method"] == "exact binomial"
    assert exact["p_value"] == pytest.approx(binomtest(0, 6, 0.5).pvalue)


def test_holm_matches_the_step_down_formula():
    raw = [0.01, 0.04, 0.03, 0.20]
    order = np.argsort(raw)
    m = len(raw)
    expected = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[index]))
        expected[index] = running
    assert holm(raw) == pytest.approx(list(expected))


def test_verdict_wording():
    significant = {"difference": 0.031, "low": 0.012, "high": 0.050, "detectable": 0.02}
    assert verdict("A", "B", significant, 0.004, UA) == (
        "B beats A on UA by 3.1 points, 95% CI 1.2 to 5.0, Holm p = 0.004")
    # b - a negative: A is the winner, and its CI is stated as A - B
    flipped = {"difference": -0.031, "low": -0.050, "high": -0.012, "detectable": 0.02}
    assert verdict("A", "B", flipped, 0.004, UA) == (
        "A beats B on UA by 3.1 points, 95% CI 1.2 to 5.0, Holm p = 0.004")
    # p below 0.05 is not enough when the CI touches 0, and vice versa
    touching = {"difference": 0.02, "low": 0.0, "high": 0.04, "detectable": 0.028}
    text = verdict("A", "B", touching, 0.03, UA)
    assert text.startswith("no detectable difference between A and B on UA")
    assert text.endswith("the smallest difference this data could detect is about 2.8 points")
    assert verdict("A", "B", significant, 0.06, UA).startswith("no detectable difference")


def test_verdict_for_an_error_metric_names_the_lower_one():
    mae = RankMetric("mae", "MAE", higher_is_better=False, in_points=False)
    lower_b = {"difference": -0.2, "low": -0.3, "high": -0.1, "detectable": 0.1}
    assert verdict("A", "B", lower_b, 0.01, mae) == (
        "B beats A on MAE by 0.200, 95% CI 0.100 to 0.300, Holm p = 0.010")
