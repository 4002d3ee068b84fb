"""The ``emoeval compare`` command, bad input, and tasks other than classification."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from compare_synthetic import (LABELS, balanced_truth, hits_with_rate, predictions_from_hits,
                               run_maker)
from typer.testing import CliRunner

from emoeval.api import write_results
from emoeval.cli import app
from emoeval.compare import compare_runs
from emoeval.errors import EmoevalError

cli = CliRunner()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two scored runs shared by the tests of this module, which never change them."""
    make_run = run_maker(tmp_path_factory.mktemp("two"))
    ids = [f"s{i}" for i in range(240)]
    truth = balanced_truth(240)
    return [make_run(name, ids, truth, predictions_from_hits(
        truth, hits_with_rate(240, rate, seed), LABELS, seed))
        for name, rate, seed in (("first", 0.5, 1), ("second", 0.9, 2))]


def test_cli_prints_verdicts_and_writes_the_report(two_runs, tmp_path):
    out = tmp_path / "cmp"
    result = cli.invoke(app, ["compare", *two_runs, "--out", str(out), "--n-resamples", "500"])
    assert result.exit_code == 0, result.output
    assert "second beats first on UA by" in result.output
    assert (out / "compare.html").is_file() and (out / "leaderboard.csv").is_file()
    assert json.loads((out / "compare.json").read_text())["n_resamples"] == 500


@pytest.mark.parametrize("arguments, message", [
    (["{first}"], "at least two run folders"),
    (["{first}", "{first}"], "given twice"),
    (["{first}", "{missing}"], "is not a folder"),
    (["{first}", "{empty}"], "holds no results.json"),
    (["{first}", "{second}", "--rank-by", "ccc"], "has no metric 'ccc'"),
    (["{first}", "{second}", "--n-resamples", "1"], "at least 2"),
])
def test_cli_bad_input_is_one_clear_line(two_runs, tmp_path, arguments, message):
    (tmp_path / "empty").mkdir()
    paths = {"first": two_runs[0], "second": two_runs[1], "missing": str(tmp_path / "nope"),
             "empty": str(tmp_path / "empty")}
    result = cli.invoke(app, ["compare", *[a.format(**paths) for a in arguments],
                              "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_broken_results_json_is_a_clear_error(two_runs, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(two_runs[1], broken)
    (broken / "results.json").write_text("{not json")
    with pytest.raises(EmoevalError, match="not valid JSON"):
        compare_runs([two_runs[0], str(broken)], str(tmp_path / "cmp"))


def test_missing_detailed_results_leaves_the_pair_untested(two_runs, tmp_path):
    """A run folder that lost detailed_results.csv still joins the leaderboard; its pairs
    say why they were not tested."""
    first, copied = tmp_path / "first", tmp_path / "no_details"
    shutil.copytree(two_runs[0], first)
    shutil.copytree(two_runs[1], copied)
    os.remove(copied / "detailed_results.csv")
    # the dataset fingerprint is what tells it shares the data with the other run
    for folder in (str(first), str(copied)):
        path = os.path.join(folder, "results.json")
        results = json.load(open(path))
        results["dataset"]["fingerprint"] = "same-data"
        json.dump(results, open(path, "w"))
    comparison = compare_runs([str(first), str(copied)], str(tmp_path / "cmp"))
    [pair] = comparison["pairs"]
    assert pair["tested"] is False and "detailed_results.csv is missing" in pair["reason"]
    assert "not tested" in pair["verdict"]
    assert [row["run"] for row in comparison["leaderboard"]] == ["no_details", "first"]


def test_mixed_tasks_are_refused(two_runs, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(two_runs[1], other)
    results = json.loads((other / "results.json").read_text())
    results["task"] = "multilabel"
    (other / "results.json").write_text(json.dumps(results))
    with pytest.raises(EmoevalError, match="different tasks"):
        compare_runs([two_runs[0], str(other)], str(tmp_path / "cmp"))


def write_task_run(folder, task: str, metrics: dict, ci: dict, per_class=None) -> str:
    """A minimal results.json of another task, written by the core's writer."""
    results = {"schema_version": 2, "task": task,
               "model": {"spec": f"file:{os.path.basename(folder)}.csv", "fingerprint": None},
               "dataset": {"spec": "emobank:data", "split": "test", "fingerprint": "emobank"},
               "labels": ["a", "b"], "n_samples": 100, "n_scored": 100, "n_errors": 0,
               "metrics": metrics, "ci": ci, "per_class": per_class, "efficiency": None,
               "slices": {}, "warnings": [], "errors": {"by_kind": {}, "samples": []},
               "label_mapping": None, "run": {}, "coverage": None, "policies": {},
               "protocol": {}}
    table = pd.DataFrame({"id": [f"i{k}" for k in range(100)], "error": [""] * 100})
    write_results(str(folder), results, table)
    return str(folder)


def interval(low: float, high: float) -> dict:
    return {"low": low, "high": high, "n_resamples": 1000, "unit": "sample", "reason": None}


def test_multilabel_runs_rank_by_macro_f1(tmp_path):
    runs = [write_task_run(tmp_path / name, "multilabel",
                           {"f1_macro": f1, "f1_micro": f1 + 0.1, "roc_auc_macro": 0.8},
                           {"f1_macro": interval(f1 - 0.05, f1 + 0.05)},
                           {"a": {"f1": f1}, "b": {"f1": f1 / 2}})
            for name, f1 in (("small", 0.30), ("large", 0.42))]
    comparison = compare_runs(runs, str(tmp_path / "cmp"))
    assert comparison["rank_by"]["metric"] == "f1_macro"
    assert [row["run"] for row in comparison["leaderboard"]] == ["large", "small"]
    assert comparison["leaderboard"][0]["f1_macro_low"] == pytest.approx(0.37)
    [pair] = comparison["pairs"]
    # these tables hold ids only: nothing to rebuild the paired metrics from
    assert not pair["tested"] and "has no labels or prediction column" in pair["reason"]
    assert (tmp_path / "cmp" / "per_class_f1.png").is_file()


def test_dimensional_runs_rank_by_mean_ccc_and_error_metrics_ascend(tmp_path):
    runs = [write_task_run(tmp_path / name, "dimensional",
                           {"valence": {"ccc": v, "mae": 1 - v}, "arousal": {"ccc": a,
                                                                             "mae": 1 - a}},
                           {"valence": {"ccc": interval(v - 0.1, v + 0.1)}})
            for name, v, a in (("ridge", 0.7, 0.4), ("lexicon", 0.5, 0.3))]
    comparison = compare_runs(runs, str(tmp_path / "cmp"))
    assert comparison["rank_by"]["mean_over"] == ["arousal", "valence"]
    board = comparison["leaderboard"]
    assert [row["run"] for row in board] == ["ridge", "lexicon"]
    assert board[0]["mean_ccc"] == pytest.approx(np.mean([0.7, 0.4]))
    assert board[0]["valence.ccc_low"] == pytest.approx(0.6)
    by_mae = compare_runs(runs, str(tmp_path / "mae"), rank_by="valence.mae")
    assert not by_mae["rank_by"]["higher_is_better"]
    assert [row["run"] for row in by_mae["leaderboard"]] == ["ridge", "lexicon"]
    with pytest.raises(EmoevalError, match="has no metric 'f1_macro'"):
        compare_runs(runs, str(tmp_path / "bad"), rank_by="macro_f1")


def test_the_same_predictions_twice_say_so(two_runs, tmp_path):
    copy = tmp_path / "rerun"
    shutil.copytree(two_runs[0], copy)
    comparison = compare_runs([two_runs[0], str(copy)], str(tmp_path / "cmp"))
    [pair] = comparison["pairs"]
    assert pair["differences"]["balanced_accuracy"]["p_value"] == 1.0
    assert pair["verdict"].endswith("they made the same prediction on all 240 shared samples")
    assert pair["significant"] is False
