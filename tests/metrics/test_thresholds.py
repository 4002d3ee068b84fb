import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score, precision_score

from emoeval.errors import EmoevalError
from emoeval.metrics.thresholds import ThresholdStrategy, best_threshold, parse_threshold


@pytest.mark.parametrize("spec,expected", [
    (None, ThresholdStrategy("fixed", 0.5)), ("0.3", ThresholdStrategy("fixed", 0.3)),
    (0.7, ThresholdStrategy("fixed", 0.7)), ("per-class", ThresholdStrategy("per-class")),
    ("tune", ThresholdStrategy("tune")), ("top-k:3", ThresholdStrategy("top-k", k=3))])
def test_grammar(spec, expected):
    assert parse_threshold(spec) == expected


@pytest.mark.parametrize("spec", ["top-k:0", "top-k:x", "high", "-"])
def test_bad_specs(spec):
    with pytest.raises(EmoevalError, match="--threshold"):
        parse_threshold(spec)


def test_task_restricts_kinds():
    with pytest.raises(EmoevalError, match="this task takes <float>, tune"):
        parse_threshold("top-k:2", allowed=("fixed", "tune"))


@pytest.mark.parametrize("objective,metric", [("f1", f1_score),
                                              ("balanced_accuracy", balanced_accuracy_score)])
def test_best_threshold_beats_every_other_cut(objective, metric):
    rng = np.random.default_rng(0)
    truth = rng.random(300) < 0.3
    scores = np.clip(truth * 0.3 + rng.random(300) * 0.8, 0, 1)
    t = best_threshold(truth, scores, objective)
    best = metric(truth, scores >= t)
    for other in np.linspace(0, 1, 201):
        assert metric(truth, scores >= other) <= best + 1e-12


def test_target_precision_gives_most_recall_at_that_precision():
    rng = np.random.default_rng(1)
    truth = rng.random(400) < 0.4
    scores = truth * 0.4 + rng.random(400) * 0.7
    t = best_threshold(truth, scores, target_precision=0.8)
    assert precision_score(truth, scores >= t) >= 0.8
    lower = scores[scores < t]
    if lower.size:  # any lower cut drops below the target
        assert precision_score(truth, scores >= lower.max()) < 0.8
