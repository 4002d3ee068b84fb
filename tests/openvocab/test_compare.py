"""``emoeval compare`` on two open-vocabulary runs: a paired bootstrap of per-sample scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from emoeval.cli import app

WORDS = ["happy", "sad", "angry", "worried", "calm", "surprised"]


def run(tmp_path, name, predictions, truths):
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"id": [f"s{i}" for i in range(len(truths))], "label": truths,
                  "prediction": predictions}).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["score", str(path), "--task", "open-vocabulary",
                                      "--out", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    return tmp_path / name


def test_paired_bootstrap_of_two_runs(tmp_path):
    rng = np.random.default_rng(0)
    truths = [", ".join(rng.choice(WORDS, 2, replace=False)) for _ in range(60)]
    good = [t.split(", ")[0] for t in truths]                       # half of each truth
    poor = [str(rng.choice(WORDS)) for _ in truths]                 # a random word
    dir_good, dir_poor = run(tmp_path, "good", good, truths), run(tmp_path, "poor", poor, truths)
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", str(dir_poor), str(dir_good), "--out", str(out),
                                      "--n-resamples", "300"])
    assert result.exit_code == 0, result.output
    comparison = json.loads((out / "compare.json").read_text())
    assert [r["run"] for r in comparison["leaderboard"]] == ["good", "poor"]
    (pair,) = comparison["pairs"]
    assert (pair["a"], pair["b"], pair["n_shared"]) == ("poor", "good", 60)
    diff = pair["differences"]["accuracy_recall_mean"]
    a = json.loads((dir_poor / "results.json").read_text())["metrics"]["accuracy_recall_mean"]
    b = json.loads((dir_good / "results.json").read_text())["metrics"]["accuracy_recall_mean"]
    assert abs(diff["difference"] - (b - a)) < 1e-12
    assert diff["low"] > 0 and pair["p_holm"] < 0.05
    assert "scores higher" in result.output
    assert (out / "compare.md").is_file() and (out / "leaderboard.csv").is_file()


def test_runs_on_different_truth_sets_are_refused(tmp_path):
    first = run(tmp_path, "one", ["happy", "sad"], ["happy", "sad"])
    second = run(tmp_path, "two", ["happy", "sad"], ["happy", "angry"])
    result = CliRunner().invoke(app, ["compare", str(first), str(second), "--out",
                                      str(tmp_path / "cmp")])
    assert result.exit_code == 2 and "different truth sets" in result.output
