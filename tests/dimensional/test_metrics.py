"""CCC, correlations and errors against direct formulas and scipy / scikit-learn."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from emoeval.errors import EmoevalError
from emoeval.dimensional.scoring import map_predictions, parse_range, range_mapping
from emoeval.metrics.dimensional import (
    bootstrap_dimension_ci,
    ccc,
    dimension_metrics,
    resample_indices,
)


def numpy_ccc(t, p):
    t, p = np.asarray(t, float), np.asarray(p, float)
    return 2 * np.cov(t, p, ddof=0)[0, 1] / (np.var(t) + np.var(p) + (t.mean() - p.mean()) ** 2)


@pytest.fixture
def pair():
    rng = np.random.default_rng(3)
    truth = rng.uniform(1, 5, 300)
    return truth, truth + rng.normal(0, 0.7, 300)


def test_dim_ccc_perfect_is_one(pair):
    truth, _ = pair
    assert ccc(truth, truth) == pytest.approx(1.0)


def test_dim_ccc_penalises_offset_and_scale_but_pearson_does_not(pair):
    truth, _ = pair
    for shifted in (truth + 1.0, 2.0 * truth, 0.25 * truth + 3):
        metrics = dimension_metrics(truth, shifted)
        assert metrics["pearson"] == pytest.approx(1.0)
        assert metrics["ccc"] < 0.95
        assert metrics["ccc"] == pytest.approx(numpy_ccc(truth, shifted))


def test_dim_metrics_match_references(pair):
    truth, predicted = pair
    predicted = np.round(predicted, 1)  # ties exercise the Spearman ranking
    metrics = dimension_metrics(truth, predicted)
    assert metrics["ccc"] == pytest.approx(numpy_ccc(truth, predicted))
    assert metrics["pearson"] == pytest.approx(stats.pearsonr(truth, predicted)[0])
    assert metrics["spearman"] == pytest.approx(stats.spearmanr(truth, predicted)[0])
    assert metrics["mae"] == pytest.approx(mean_absolute_error(truth, predicted))
    assert metrics["rmse"] == pytest.approx(np.sqrt(mean_squared_error(truth, predicted)))


def test_dim_constant_prediction_has_zero_ccc_and_no_pearson(pair):
    truth, _ = pair
    metrics = dimension_metrics(truth, np.full_like(truth, truth.mean()))
    assert metrics["ccc"] == pytest.approx(0.0)
    assert np.isnan(metrics["pearson"])


def test_dim_bootstrap_interval_brackets_the_estimate(pair):
    truth, predicted = pair
    ci = bootstrap_dimension_ci(truth, predicted, n_resamples=300, seed=1)
    point = dimension_metrics(truth, predicted)
    for name, interval in ci.items():
        assert interval["low"] <= point[name] <= interval["high"], name
        assert interval["unit"] == "sample"
    again = bootstrap_dimension_ci(truth, predicted, n_resamples=300, seed=1)
    assert again == ci


def test_dim_cluster_resamples_keep_groups_whole():
    groups = np.array(["a", "a", "b", "b", "b", "c"])
    for index in resample_indices(6, groups, 20, seed=0):
        drawn = groups[index]
        for name, size in (("a", 2), ("b", 3), ("c", 1)):
            assert (drawn == name).sum() % size == 0


def test_dim_range_mapping_is_linear_and_recorded():
    mapping = range_mapping("0,1", "1,5")
    assert map_predictions(np.array([0.0, 0.5, 1.0]), mapping) == pytest.approx([1, 3, 5])
    assert mapping["pred_range"] == [0.0, 1.0] and mapping["target_range"] == [1.0, 5.0]
    assert range_mapping(None, None) is None
    assert range_mapping(None, "1,5") is None  # the target scale alone maps nothing
    truth = np.array([1.0, 2.0, 4.0, 5.0])
    assert ccc(truth, map_predictions((truth - 1) / 4, mapping)) == pytest.approx(1.0)


@pytest.mark.parametrize("given", [("0,1", None), (None, "5,1"), ("1,0", "1,5"),
                                   ("a,b", "1,5"), ("0,1,2", "1,5")])
def test_dim_bad_ranges_are_refused(given):
    with pytest.raises(EmoevalError):
        range_mapping(*given)


def test_dim_parse_range_reads_lo_hi():
    assert parse_range("-1, 1", "--pred-range") == (-1.0, 1.0)
