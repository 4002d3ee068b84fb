"""Paired tests of dimensional runs (continuous targets): the CCC/MAE differences against
their definitions, the paired bootstrap against an explicit loop over the same resamples,
speaker clustering, the true-value and reproduction checks, and the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error
from statsmodels.stats.multitest import multipletests

from emoeval.api import score_file
from emoeval.compare.comparison import compare_runs
from emoeval.compare.paired import paired_dimensional_bootstrap
from emoeval.errors import EmoevalError
from emoeval.metrics.dimensional import resample_indices

DIMENSIONS = ["V", "A"]
N_SAMPLES = 300
N_SPEAKERS = 15


def ccc_by_definition(truth, predicted) -> float:
    """Lin's CCC from its definition: 2 cov / (var t + var p + (mean t - mean p)^2), with
    population (biased) moments."""
    truth, predicted = np.asarray(truth, float), np.asarray(predicted, float)
    covariance = np.cov(truth, predicted, bias=True)[0, 1]
    return 2 * covariance / (np.var(truth) + np.var(predicted)
                             + (truth.mean() - predicted.mean()) ** 2)


def synthetic_truth(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1, 5, size=(N_SAMPLES, len(DIMENSIONS)))


def noisy(truth: np.ndarray, noise: float, seed: int) -> np.ndarray:
    return truth + np.random.default_rng(seed).normal(0, noise, size=truth.shape)


def speakers() -> list[str]:
    return [f"spk{i % N_SPEAKERS:02d}" for i in range(N_SAMPLES)]


@pytest.fixture
def make_dimensional_run(tmp_path: Path):
    """``make(name, truth, predicted, speakers=None, **score_options)`` -> a run folder
    scored by ``emoeval.api.score_file(..., task="dimensional")`` like ``emoeval score``."""

    def make(name: str, truth: np.ndarray, predicted: np.ndarray, speakers=None,
             ids=None, **score_options) -> str:
        table = pd.DataFrame({"id": ids if ids is not None
                              else [f"utt{i:04d}" for i in range(len(truth))]})
        for j, dimension in enumerate(DIMENSIONS):
            table[f"{dimension}_true"] = truth[:, j]
            table[f"{dimension}_pred"] = predicted[:, j]
        if speakers is not None:
            table["speaker"] = speakers
        source = tmp_path / "predictions" / name / f"{name}.csv"
        source.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(source, index=False)
        out = tmp_path / "runs" / name
        score_file(str(source), str(out), task="dimensional", n_resamples=200,
                   **score_options)
        return str(out)

    return make


def only_pair(comparison: dict) -> dict:
    assert len(comparison["pairs"]) == 1
    return comparison["pairs"][0]


def test_observed_differences_follow_the_definitions(make_dimensional_run, tmp_path):
    truth = synthetic_truth()
    predicted_a, predicted_b = noisy(truth, 1.0, 1), noisy(truth, 0.4, 2)
    run_a = make_dimensional_run("weak", truth, predicted_a)
    run_b = make_dimensional_run("strong", truth, predicted_b)
    pair = only_pair(compare_runs([run_a, run_b], str(tmp_path / "out"), n_resamples=300))
    assert pair["tested"] and (pair["a"], pair["b"]) == ("weak", "strong")
    expected_ccc = []
    for j, dimension in enumerate(DIMENSIONS):
        ccc_a = ccc_by_definition(truth[:, j], predicted_a[:, j])
        ccc_b = ccc_by_definition(truth[:, j], predicted_b[:, j])
        expected_ccc.append(ccc_b - ccc_a)
        assert pair["differences"][f"{dimension}.ccc"]["difference"] == pytest.approx(
            ccc_b - ccc_a, abs=1e-12)
        mae_difference = (mean_absolute_error(truth[:, j], predicted_b[:, j])
                          - mean_absolute_error(truth[:, j], predicted_a[:, j]))
        assert pair["differences"][f"{dimension}.mae"]["difference"] == pytest.approx(
            mae_difference, abs=1e-12)
    assert pair["differences"]["ccc"]["difference"] == pytest.approx(np.mean(expected_ccc),
                                                                     abs=1e-12)
    assert pair["mcnemar"] is None and "no right or wrong" in pair["mcnemar_reason"]


def test_bootstrap_equals_an_explicit_loop_over_the_same_resamples():
    """The weighted-moment shortcut gives exactly the metrics of the resampled rows: check the
    standard error and CI against a plain loop over resample_indices (samples and speakers)."""
    truth = synthetic_truth(3)
    predicted_a, predicted_b = noisy(truth, 0.8, 4), noisy(truth, 0.7, 5)
    for groups in (None, np.array(speakers(), dtype=object)):
        result = paired_dimensional_bootstrap(truth, predicted_a, predicted_b, DIMENSIONS,
                                              groups=groups, n_resamples=150, seed=7)
        indices = resample_indices(N_SAMPLES, groups, 150, 7)
        for j, dimension in enumerate(DIMENSIONS):
            loop = np.array([ccc_by_definition(truth[i, j], predicted_b[i, j])
                             - ccc_by_definition(truth[i, j], predicted_a[i, j])
                             for i in indices])
            difference = result[f"{dimension}.ccc"]
            assert difference.standard_error == pytest.approx(np.std(loop, ddof=1), rel=1e-9)
            assert [difference.low, difference.high] == pytest.approx(
                np.percentile(loop, [2.5, 97.5]), rel=1e-9)
            mae_loop = np.array([np.mean(np.abs(predicted_b[i, j] - truth[i, j]))
                                 - np.mean(np.abs(predicted_a[i, j] - truth[i, j]))
                                 for i in indices])
            assert result[f"{dimension}.mae"].standard_error == pytest.approx(
                np.std(mae_loop, ddof=1), rel=1e-9)


def test_clearly_better_model_wins_with_a_ci_around_the_difference(make_dimensional_run,
                                                                  tmp_path):
    truth = synthetic_truth()
    run_a = make_dimensional_run("weak", truth, noisy(truth, 1.2, 1))
    run_b = make_dimensional_run("strong", truth, noisy(truth, 0.3, 2))
    comparison = compare_runs([run_a, run_b], str(tmp_path / "out"), n_resamples=300)
    pair = only_pair(comparison)
    assert comparison["rank_by"]["mean_over"] == sorted(DIMENSIONS)
    for name in ("V.ccc", "A.ccc", "ccc", "V.mae", "mae"):
        difference = pair["differences"][name]
        assert difference["low"] <= difference["difference"] <= difference["high"]
        assert difference["p_holm"] < 0.05
    assert pair["differences"]["ccc"]["difference"] > 0
    assert pair["differences"]["mae"]["difference"] < 0  # strong errs less
    assert pair["significant"] is True
    assert pair["verdict"].startswith("strong beats weak on mean CCC")


def test_identical_predictions_give_no_difference(make_dimensional_run, tmp_path):
    truth = synthetic_truth()
    predicted = noisy(truth, 0.6, 1)
    run_a = make_dimensional_run("first", truth, predicted)
    run_b = make_dimensional_run("second", truth, predicted)
    pair = only_pair(compare_runs([run_a, run_b], str(tmp_path / "out"), n_resamples=200))
    assert pair["tested"] and pair["identical"]
    for name in ("V.ccc", "A.ccc", "ccc", "mae"):
        difference = pair["differences"][name]
        assert difference["difference"] == 0.0
        assert difference["low"] == difference["high"] == 0.0
        assert difference["p_value"] == 1.0
    assert pair["significant"] is False
    assert "same prediction" in pair["verdict"]


def test_speakers_are_resampled_when_the_runs_name_them(make_dimensional_run, tmp_path):
    truth = synthetic_truth()
    predicted_a, predicted_b = noisy(truth, 0.9, 1), noisy(truth, 0.5, 2)
    run_a = make_dimensional_run("a", truth, predicted_a, speakers=speakers())
    run_b = make_dimensional_run("b", truth, predicted_b, speakers=speakers())
    pair = only_pair(compare_runs([run_a, run_b], str(tmp_path / "out"), n_resamples=200))
    assert pair["unit"] == "speaker" and pair["n_clusters"] == N_SPEAKERS
    assert (pair["a"], pair["b"]) == ("a", "b")  # b ranks first: it errs less
    # the cluster bootstrap of the same arrays gives the pair's spread; samples would not
    cluster = paired_dimensional_bootstrap(truth, predicted_a, predicted_b, DIMENSIONS,
                                           groups=np.array(speakers(), dtype=object),
                                           n_resamples=200, seed=0)
    samples = paired_dimensional_bootstrap(truth, predicted_a, predicted_b, DIMENSIONS,
                                           n_resamples=200, seed=0)
    observed = pair["differences"]["V.ccc"]["standard_error"]
    assert observed == pytest.approx(cluster["V.ccc"].standard_error, rel=1e-9)
    assert observed != pytest.approx(samples["V.ccc"].standard_error, rel=1e-6)
    report = Path(tmp_path / "out" / "compare.md").read_text(encoding="utf-8")
    assert f"speakers ({N_SPEAKERS})" in report


def test_holm_runs_across_pairs_per_dimension(make_dimensional_run, tmp_path):
    truth = synthetic_truth()
    runs = [make_dimensional_run(name, truth, noisy(truth, noise, seed))
            for name, noise, seed in (("x", 0.9, 1), ("y", 0.8, 2), ("z", 0.4, 3))]
    comparison = compare_runs(runs, str(tmp_path / "out"), n_resamples=200)
    assert len(comparison["pairs"]) == 3 and all(p["tested"] for p in comparison["pairs"])
    for name in ("V.ccc", "ccc", "A.mae"):
        raw = [pair["differences"][name]["p_value"] for pair in comparison["pairs"]]
        adjusted = multipletests(raw, method="holm")[1]
        assert [pair["differences"][name]["p_holm"] for pair in comparison["pairs"]] == \
            pytest.approx(list(adjusted))


def test_report_names_the_dimensions(make_dimensional_run, tmp_path):
    truth = synthetic_truth()
    run_a = make_dimensional_run("weak", truth, noisy(truth, 1.0, 1))
    run_b = make_dimensional_run("strong", truth, noisy(truth, 0.4, 2))
    out = tmp_path / "out"
    compare_runs([run_a, run_b], str(out), n_resamples=200)
    report = (out / "compare.md").read_text(encoding="utf-8")
    section = report.split("## Paired tests", 1)[1].split("\n## ", 1)[0]
    for dimension in DIMENSIONS:
        assert f"| strong - weak | {dimension} |" in section
    assert "mean of V, A" in section and "CCC b - a [95% CI]" in section
    assert "MAE b - a [95% CI]" in section and "No McNemar" in section
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert "mean of V, A" in page and "<td class=\"text\">V</td>" in page
    saved = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert saved["pairs"][0]["dimensions"] == DIMENSIONS
    assert "not run" in saved["method"]["mcnemar"]
    assert (out / "differences.png").is_file()


def test_rank_by_one_dimension_tests_that_dimension(make_dimensional_run, tmp_path):
    truth = synthetic_truth()
    run_a = make_dimensional_run("weak", truth, noisy(truth, 1.0, 1))
    run_b = make_dimensional_run("strong", truth, noisy(truth, 0.4, 2))
    pair = only_pair(compare_runs([run_a, run_b], str(tmp_path / "v"), rank_by="A.mae",
                                  n_resamples=200))
    assert pair["verdict"].startswith("strong beats weak on A MAE")
    spearman = only_pair(compare_runs([run_a, run_b], str(tmp_path / "s"),
                                      rank_by="spearman", n_resamples=200))
    assert spearman["tested"] is False and "spearman" in spearman["reason"]


def test_different_true_values_are_refused_or_dropped_with_force(make_dimensional_run,
                                                                 tmp_path):
    truth = synthetic_truth()
    changed = truth.copy()
    changed[:10, 1] += 0.5  # ten samples with another A target
    run_a = make_dimensional_run("a", truth, noisy(truth, 0.9, 1))
    run_b = make_dimensional_run("b", changed, noisy(truth, 0.4, 2))
    with pytest.raises(EmoevalError, match="different true values for 10 shared samples"):
        compare_runs([run_a, run_b], str(tmp_path / "refused"), n_resamples=200)
    comparison = compare_runs([run_a, run_b], str(tmp_path / "forced"), force=True,
                              n_resamples=200)
    pair = only_pair(comparison)
    assert pair["tested"] and pair["n_shared"] == N_SAMPLES - 10
    assert any("left out" in warning for warning in comparison["warnings"])


def test_a_table_that_does_not_reproduce_its_results_is_not_tested(make_dimensional_run,
                                                                   tmp_path):
    truth = synthetic_truth()
    run_a = make_dimensional_run("a", truth, noisy(truth, 0.9, 1))
    run_b = make_dimensional_run("b", truth, noisy(truth, 0.4, 2))
    detailed = Path(run_b) / "detailed_results.csv"
    table = pd.read_csv(detailed)
    table["V_pred"] = table["V_pred"] + 0.25  # edited after scoring
    table.to_csv(detailed, index=False)
    pair = only_pair(compare_runs([run_a, run_b], str(tmp_path / "out"), n_resamples=200))
    assert pair["tested"] is False
    assert "does not reproduce the V ccc" in pair["reason"]
    assert "not tested" in pair["verdict"]


def test_mapped_predictions_are_compared_on_the_target_scale(make_dimensional_run, tmp_path):
    """A run scored with --pred-range/--target-range keeps raw predictions in its table; the
    pair must compare the mapped ones (which also reproduce its results.json)."""
    truth = synthetic_truth()
    predicted_b = noisy(truth, 0.4, 2)
    run_a = make_dimensional_run("a", truth, noisy(truth, 0.9, 1))
    run_b = make_dimensional_run("b", truth, (predicted_b - 1) / 4, pred_range="0,1",
                                 target_range="1,5")
    pair = only_pair(compare_runs([run_a, run_b], str(tmp_path / "out"), n_resamples=200))
    assert pair["tested"], pair["reason"]
    b_side = "a" if pair["a"] == "b" else "b"
    assert pair["differences"]["V.ccc"][b_side] == pytest.approx(
        ccc_by_definition(truth[:, 0], predicted_b[:, 0]), abs=1e-9)
