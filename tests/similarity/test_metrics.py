"""Binary metrics of the similarity benchmark against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                             precision_score, recall_score, roc_auc_score)

from emoeval.metrics.similarity import binary_metrics, roc_auc, roc_auc_ci


def random_case(seed: int, n: int, positive_rate: float, ties: bool):
    rng = np.random.default_rng(seed)
    truth = (rng.random(n) < positive_rate).astype(int)
    scores = rng.normal(size=n) + 0.8 * truth
    if ties:
        scores = np.round(scores, 1)  # many equal scores
    predicted = (scores >= 0.2).astype(int)
    return truth, predicted, scores


@pytest.mark.parametrize("seed,n,rate,ties", [(0, 50, 0.5, False), (1, 200, 0.2, True),
                                              (2, 7, 0.7, True), (3, 1000, 0.05, False)])
def test_binary_metrics_match_sklearn(seed, n, rate, ties):
    truth, predicted, scores = random_case(seed, n, rate, ties)
    ours = binary_metrics(truth, predicted)
    assert ours["n"] == n
    assert ours["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert ours["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(truth, predicted))
    assert ours["precision"] == pytest.approx(precision_score(truth, predicted, zero_division=0))
    assert ours["recall"] == pytest.approx(recall_score(truth, predicted, zero_division=0))
    assert ours["f1"] == pytest.approx(f1_score(truth, predicted, zero_division=0))
    assert ours["tp"] + ours["fp"] + ours["tn"] + ours["fn"] == n
    assert ours["tp"] == int(((truth == 1) & (predicted == 1)).sum())
    assert roc_auc(truth, scores) == pytest.approx(roc_auc_score(truth, scores))


def test_weighted_auc_matches_sklearn_sample_weight():
    truth, _, scores = random_case(5, 120, 0.4, ties=True)
    weights = np.random.default_rng(9).integers(0, 4, size=truth.size).astype(float)
    assert roc_auc(truth, scores, sample_weight=weights) == pytest.approx(
        roc_auc_score(truth, scores, sample_weight=weights))


def test_edge_cases_follow_sklearn_or_are_undefined():
    # one class in the truth: balanced accuracy is that class's recall, as in sklearn
    truth, predicted = np.ones(6, int), np.array([1, 1, 0, 1, 0, 1])
    with pytest.warns(UserWarning):
        expected = balanced_accuracy_score(truth, predicted)
    assert binary_metrics(truth, predicted)["balanced_accuracy"] == pytest.approx(expected)
    # never predicting present: precision 0 (zero_division=0)
    assert binary_metrics([0, 1, 1], [0, 0, 0])["precision"] == 0.0
    assert math.isnan(roc_auc(truth, np.arange(6.0)))
    empty = binary_metrics([], [])
    assert empty["n"] == 0 and math.isnan(empty["balanced_accuracy"])
    with pytest.raises(ValueError):
        binary_metrics([0, 2], [0, 1])
    with pytest.raises(ValueError):
        roc_auc([0, 1], [0.1, float("nan")])


def test_auc_interval_brackets_the_estimate_and_is_seeded():
    truth, _, scores = random_case(11, 300, 0.5, ties=False)
    groups = np.arange(300) // 3  # three items per clip
    interval = roc_auc_ci(truth, scores, groups=groups, n_resamples=300, seed=4,
                          unit="audio clip")
    point = roc_auc(truth, scores)
    assert interval["low"] < point < interval["high"]
    assert interval["unit"] == "audio clip" and interval["reason"] is None
    assert interval == roc_auc_ci(truth, scores, groups=groups, n_resamples=300, seed=4,
                                  unit="audio clip")
    # rows resampled independently: also around the estimate
    free = roc_auc_ci(truth, scores, n_resamples=300, seed=4)
    assert free["unit"] == "sample" and free["low"] < point < free["high"]


def test_auc_interval_reasons():
    assert roc_auc_ci([1, 1], [0.1, 0.2])["reason"] == "ROC-AUC needs both classes"
    one_group = roc_auc_ci([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], groups=["a"] * 4, unit="speaker")
    assert one_group["low"] is None and "one speaker" in one_group["reason"]
