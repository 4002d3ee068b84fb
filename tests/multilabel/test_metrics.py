"""Multi-label metrics against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from emoeval.metrics.multilabel import (
    average_precision,
    bootstrap_multilabel_ci,
    decision_metrics,
    multilabel_summary,
    ranking_metrics,
    roc_auc,
    weighted_auc,
)

LABELS = ["joy", "anger", "fear", "love", "grief", "pride"]


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    n = 400
    y_true = rng.random((n, len(LABELS))) < [0.3, 0.2, 0.1, 0.25, 0.0, 0.05]
    y_true[:5] = False  # samples with no label at all
    # rounded scores: plenty of ties, which the AUC must handle as scikit-learn does
    scores = np.round(np.clip(rng.random(y_true.shape) * 0.7 + 0.3 * y_true, 0, 1), 2)
    y_pred = scores >= 0.55
    y_pred[:, 4] = False  # grief: in neither truth nor predictions
    y_pred[:, 5] = False  # a label never predicted
    return y_true, y_pred, scores


def test_decision_metrics_match_sklearn(data):
    y_true, y_pred, _ = data
    got = decision_metrics(y_true, y_pred)
    active = [j for j in range(len(LABELS)) if y_true[:, j].any() or y_pred[:, j].any()]
    for average in ("micro", "samples"):
        for name, fn in (("precision", sk.precision_score), ("recall", sk.recall_score),
                         ("f1", sk.f1_score)):
            assert got[f"{name}_{average}"] == pytest.approx(
                fn(y_true, y_pred, average=average, zero_division=0))
    for name, fn in (("precision", sk.precision_score), ("recall", sk.recall_score),
                     ("f1", sk.f1_score)):
        assert got[f"{name}_macro"] == pytest.approx(
            fn(y_true, y_pred, average="macro", labels=active, zero_division=0))
    assert got["subset_accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert got["hamming_loss"] == pytest.approx(sk.hamming_loss(y_true, y_pred))


def test_macro_leaves_out_labels_absent_from_truth_and_predictions(data):
    y_true, y_pred, _ = data
    assert not y_true[:, 4].any() and not y_pred[:, 4].any()
    got = decision_metrics(y_true, y_pred)["f1_macro"]
    with_all = sk.f1_score(y_true, y_pred, average="macro", zero_division=0)
    assert got > with_all  # sklearn over every label counts grief as 0


def test_ranking_metrics_match_sklearn(data):
    y_true, _, scores = data
    got = ranking_metrics(y_true, scores, LABELS)
    defined = [j for j in range(len(LABELS)) if y_true[:, j].any()]
    m = got["metrics"]
    assert m["roc_auc_micro"] == pytest.approx(sk.roc_auc_score(y_true.ravel(), scores.ravel()))
    assert m["roc_auc_macro"] == pytest.approx(
        sk.roc_auc_score(y_true[:, defined], scores[:, defined], average="macro"))
    assert m["average_precision_micro"] == pytest.approx(
        sk.average_precision_score(y_true, scores, average="micro"))
    assert m["average_precision_macro"] == pytest.approx(
        sk.average_precision_score(y_true[:, defined], scores[:, defined], average="macro"))
    assert got["labels_without_positives"] == ["grief"]
    assert np.isnan(got["roc_auc"]["grief"]) and np.isnan(got["average_precision"]["grief"])
    for j in defined:
        assert got["roc_auc"][LABELS[j]] == pytest.approx(
            sk.roc_auc_score(y_true[:, j], scores[:, j]))
        assert got["average_precision"][LABELS[j]] == pytest.approx(
            sk.average_precision_score(y_true[:, j], scores[:, j]))


def test_weighted_auc_equals_sklearn_sample_weight(data):
    y_true, _, scores = data
    rng = np.random.default_rng(1)
    weights = rng.integers(0, 4, size=(3, len(y_true))).astype(float)
    got = weighted_auc(scores[:, 0], y_true[:, 0], weights)
    for r in range(3):
        assert got[r] == pytest.approx(sk.roc_auc_score(y_true[:, 0], scores[:, 0],
                                                        sample_weight=weights[r]))


def test_single_class_auc_and_ap_are_undefined():
    assert np.isnan(roc_auc(np.array([0.1, 0.2]), np.array([True, True])))
    assert np.isnan(average_precision(np.array([0.1, 0.2]), np.array([False, False])))


def test_summary_per_label_counts_and_lists(data):
    y_true, y_pred, scores = data
    s = multilabel_summary(y_true, y_pred, scores, LABELS)
    matrices = sk.multilabel_confusion_matrix(y_true, y_pred)
    for j, label in enumerate(LABELS):
        (tn, fp), (fn, tp) = matrices[j]
        assert s["per_class"][label]["support"] == tp + fn
        assert s["per_class"][label]["predicted"] == tp + fp
        assert s["per_class"][label]["f1"] == pytest.approx(
            sk.f1_score(y_true[:, j], y_pred[:, j], zero_division=0))
    assert "pride" in s["never_predicted"]
    assert s["labels_without_positives"] == ["grief"]
    f1 = {l: s["per_class"][l]["f1"] for l in LABELS if s["per_class"][l]["support"]}
    assert s["best_labels"][0] == max(f1, key=f1.get)
    assert s["worst_labels"][0] == min(f1, key=f1.get)
    assert "grief" not in s["best_labels"] + s["worst_labels"]
    assert s["positives"] == {**s["positives"], "actual": int(y_true.sum()),
                              "predicted": int(y_pred.sum())}


def test_bootstrap_is_seeded_and_brackets_the_estimate(data):
    y_true, y_pred, scores = data
    first = bootstrap_multilabel_ci(y_true, y_pred, scores, n_resamples=300, seed=3)
    again = bootstrap_multilabel_ci(y_true, y_pred, scores, n_resamples=300, seed=3)
    other = bootstrap_multilabel_ci(y_true, y_pred, scores, n_resamples=300, seed=4)
    assert first == again and first != other
    point = {**decision_metrics(y_true, y_pred), **ranking_metrics(y_true, scores,
                                                                  LABELS)["metrics"]}
    for name in ("f1_macro", "roc_auc_micro", "roc_auc_macro"):
        assert first[name]["low"] < point[name] < first[name]["high"]
        assert first[name]["unit"] == "sample"


def test_cluster_bootstrap_needs_two_groups(data):
    y_true, y_pred, scores = data
    one = bootstrap_multilabel_ci(y_true, y_pred, scores, groups=["a"] * len(y_true),
                                  n_resamples=50)
    assert one["f1_macro"]["low"] is None and "only one" in one["f1_macro"]["reason"]
    groups = [f"s{i % 10}" for i in range(len(y_true))]
    many = bootstrap_multilabel_ci(y_true, y_pred, scores, groups=groups, n_resamples=50)
    assert many["roc_auc_micro"]["unit"] == "speaker" and many["roc_auc_micro"]["low"] < 1
