"""``emoeval score --task dimensional`` end to end through the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.metrics.dimensional import dimension_metrics


@pytest.fixture
def predictions(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    truth = rng.uniform(1, 5, (n, 2))
    frame = pd.DataFrame({"id": [f"s{i}" for i in range(n)],
                          "V_true": truth[:, 0], "V_pred": truth[:, 0] + rng.normal(0, .5, n),
                          "A_true": truth[:, 1],
                          "A_pred": (truth[:, 1] - 1) / 4 + rng.normal(0, .1, n),
                          "speaker": [f"spk{i % 6}" for i in range(n)]})
    frame["V_pred"] = frame["V_pred"].astype(object)
    frame.loc[5, "V_pred"] = "oops"
    frame.loc[7, "A_true"] = np.nan
    path = tmp_path / "predictions.csv"
    frame.to_csv(path, index=False)
    return path, frame


def run_score(args):
    return CliRunner().invoke(app, ["score", *args])


def test_dim_score_end_to_end(tmp_path, predictions):
    path, frame = predictions
    out = tmp_path / "out"
    result = run_score([str(path), "--task", "dimensional", "--out", str(out),
                        "--pred-range", "0,1", "--target-range", "1,5",
                        "--target-cols", "A"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["task"] == "dimensional" and results["labels"] == ["A"]
    assert results["range_mapping"]["formula"]
    kept = frame.drop(index=[7])  # A_true missing; V not scored here
    expected = dimension_metrics(kept["A_true"], 1 + 4 * kept["A_pred"].astype(float))
    for name, value in expected.items():
        assert results["metrics"]["A"][name] == pytest.approx(value)
    assert results["ci"]["A"]["ccc"]["unit"] == "speaker"
    assert results["n_errors"] == 1 and results["errors"]["samples"][0]["id"] == "s7"
    assert (out / "scatter_A.png").is_file()
    assert "CCC" in (out / "report.md").read_text()


def test_dim_score_finds_dimensions_and_records_bad_rows(tmp_path, predictions):
    path, frame = predictions
    out = tmp_path / "out"
    result = run_score([str(path), "--task", "dimensional", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["labels"] == ["V", "A"]
    assert results["n_scored"] == len(frame) - 2
    assert {e["id"] for e in results["errors"]["samples"]} == {"s5", "s7"}
    # A predictions on 0-1 against 1-5 targets: unmapped, the report warns
    assert any("--pred-range" in w for w in results["warnings"])
    assert results["range_mapping"] is None
    table = pd.read_csv(out / "detailed_results.csv")
    assert table.set_index("id").loc["s5", "error"].startswith("not a number")
    # the detailed table scores again to the same figures
    again = tmp_path / "again"
    assert run_score([str(out / "detailed_results.csv"), "--task", "dimensional", "--out",
                      str(again)]).exit_code == 0
    assert json.loads((again / "results.json").read_text())["metrics"] == results["metrics"]
    report = CliRunner().invoke(app, ["report", str(out)])
    assert report.exit_code == 0 and (out / "scatter_V.png").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--pred-range", "0,1"], "needs --target-range"),
    (["--target-cols", "X"], "X_true"),
    (["--pred-range", "1,0", "--target-range", "1,5"], "lo < hi"),
])
def test_dim_score_bad_flags(tmp_path, predictions, extra, message):
    path, _ = predictions
    result = run_score([str(path), "--task", "dimensional", "--out", str(tmp_path / "o"),
                        *extra])
    assert result.exit_code == 2 and message in result.output


def test_dim_score_refuses_table_without_pairs(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": ["a"], "label": ["x"], "prediction": ["x"]}).to_csv(path, index=False)
    result = run_score([str(path), "--task", "dimensional", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "_true" in result.output


def test_dim_constant_prediction_is_warned():
    from emoeval.dimensional.scoring import score_dimensional

    table = pd.DataFrame({"id": list("abcd"), "V_true": [1.0, 2.0, 4.0, 5.0],
                          "V_pred": [3.1] * 4})
    part, _ = score_dimensional(table, n_resamples=50)
    assert part["metrics"]["V"]["ccc"] == pytest.approx(0.0)
    assert np.isnan(part["metrics"]["V"]["pearson"])
    assert any("constant" in w for w in part["warnings"])


def test_dim_score_slices_match_scoring_each_group_alone(tmp_path, predictions):
    path, frame = predictions
    out = tmp_path / "sliced"
    result = run_score([str(path), "--task", "dimensional", "--out", str(out), "--slice-by",
                        "speaker", "--pred-range", "0,1", "--target-range", "1,5"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    slices = results["slices"]["speaker"]
    assert sorted(slices) == sorted(frame["speaker"].unique())
    usable = frame.drop(index=[5, 7])
    for speaker, group in usable.groupby("speaker"):
        v_pred = group["V_pred"].astype(float) * 4 + 1  # the recorded range mapping
        expected = dimension_metrics(group["V_true"].to_numpy(), v_pred.to_numpy())
        assert slices[speaker]["n"] == len(group)
        assert slices[speaker]["V"]["ccc"] == pytest.approx(expected["ccc"])
    assert "### By speaker" in (out / "report.md").read_text()
    bad = run_score([str(path), "--task", "dimensional", "--out", str(tmp_path / "b"),
                     "--slice-by", "gender"])
    assert bad.exit_code == 2 and "gender" in bad.output
