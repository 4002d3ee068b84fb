"""Issue 20, item 1: every verdict and leaderboard row says on how many samples it stands,
runs on different sample sets are ranked on the shared set (``--common-samples``), and
multi-label pairs get paired tests on micro and macro F1 and AUC. Through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from compare_synthetic import (LABELS, balanced_truth, hits_with_rate, predictions_from_hits,
                               run_maker)
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from typer.testing import CliRunner

from emoeval.api import score_file
from emoeval.cli import app

cli = CliRunner()
N = 400
SHARED_FROM = 100  # the partial run has the samples from here on


@pytest.fixture(scope="module")
def full_and_partial(tmp_path_factory):
    make_run = run_maker(tmp_path_factory.mktemp("sets"))
    ids = [f"s{i:04d}" for i in range(N)]
    truth = balanced_truth(N)
    full = predictions_from_hits(truth, hits_with_rate(N, 0.55, 1), LABELS, 1)
    partial = predictions_from_hits(truth, hits_with_rate(N, 0.80, 2), LABELS, 2)
    return {"full": make_run("full", ids, truth, full),
            "partial": make_run("partial", ids[SHARED_FROM:], truth[SHARED_FROM:],
                                partial[SHARED_FROM:]),
            "truth": truth, "predictions": {"full": full, "partial": partial}}


def test_different_sample_sets_are_ranked_on_the_shared_set(full_and_partial, tmp_path):
    runs = [full_and_partial["full"], full_and_partial["partial"]]
    out = tmp_path / "cmp"
    result = cli.invoke(app, ["compare", *runs, "--out", str(out), "--n-resamples", "300"])
    assert result.exit_code == 0, result.output + result.stderr
    n_shared = N - SHARED_FROM
    # the verdict line says on how many samples it stands
    assert f"partial beats full on UA by" in result.stdout
    assert f"on {n_shared} shared samples" in result.stdout
    # a warning with the counts, on stderr
    assert f"full {N}, partial {n_shared} scored; {n_shared} scored by every run" \
        in result.stderr
    comparison = json.loads((out / "compare.json").read_text())
    rows = {row["run"]: row for row in comparison["leaderboard"]}
    truth = full_and_partial["truth"][SHARED_FROM:]
    for name, row in rows.items():
        assert row["on"] == f"{n_shared} shared samples" and row["sample_set"] == "shared"
        assert row["n_compared"] == n_shared
        expected = balanced_accuracy_score(
            truth, full_and_partial["predictions"][name][SHARED_FROM:])
        assert row["balanced_accuracy"] == pytest.approx(expected)
        assert row["balanced_accuracy_low"] <= expected <= row["balanced_accuracy_high"]
    markdown = (out / "compare.md").read_text()
    assert f"computed on the {n_shared} samples every run scored" in markdown
    assert f"| {n_shared} shared samples |" in markdown


def test_no_common_samples_ranks_each_on_its_own(full_and_partial, tmp_path):
    runs = [full_and_partial["full"], full_and_partial["partial"]]
    out = tmp_path / "own"
    result = cli.invoke(app, ["compare", *runs, "--out", str(out), "--n-resamples", "300",
                              "--no-common-samples"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "scored on different samples" in result.stderr
    rows = {row["run"]: row for row in json.loads((out / "compare.json").read_text())
            ["leaderboard"]}
    assert rows["full"]["on"] == f"{N} samples" and rows["full"]["sample_set"] == "own"
    own = json.loads(open(f"{full_and_partial['full']}/results.json").read())
    assert rows["full"]["balanced_accuracy"] == pytest.approx(
        own["metrics"]["balanced_accuracy"])


def test_common_samples_without_shared_ids_is_one_line(tmp_path):
    make_run = run_maker(tmp_path)
    ids = [f"d{i}" for i in range(80)]
    truth = balanced_truth(80)
    predictions = predictions_from_hits(truth, hits_with_rate(80, 0.7, 3), LABELS, 3)
    first_half = ["unreadable audio file: corrupt" if i >= 40 else "" for i in range(80)]
    second_half = ["unreadable audio file: corrupt" if i < 40 else "" for i in range(80)]
    runs = [make_run(name, ids, truth, np.where(np.array(errors) != "", "", predictions),
                     errors=errors)
            for name, errors in (("early", first_half), ("late", second_half))]
    result = cli.invoke(app, ["compare", *runs, "--out", str(tmp_path / "cmp"),
                              "--common-samples"])
    assert result.exit_code == 2
    assert "--common-samples" in result.stderr and "share no scored sample" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "cmp").exists()  # refused before any work


ML_LABELS = ["anger", "joy", "sadness", "surprise"]


def multilabel_run(base, name: str, truth: np.ndarray, noise: float, seed: int) -> str:
    """A multi-label run scored by the core: sigmoid-like scores, the truth plus noise."""
    rng = np.random.default_rng(seed)
    scores = np.clip(truth * 0.6 + 0.2 + rng.normal(0, noise, truth.shape), 0, 1)
    table = pd.DataFrame({"id": [f"m{i}" for i in range(len(truth))],
                          "labels": [json.dumps([l for l, t in zip(ML_LABELS, row) if t])
                                     for row in truth]})
    for j, label in enumerate(ML_LABELS):
        table[f"score_{label}"] = scores[:, j]
    source = base / f"{name}.csv"
    table.to_csv(source, index=False)
    score_file(str(source), str(base / name), task="multilabel", n_resamples=100)
    return str(base / name)


def test_multilabel_pairs_are_tested_on_micro_and_macro_f1_and_auc(tmp_path):
    rng = np.random.default_rng(7)
    truth = rng.random((300, len(ML_LABELS))) < 0.3
    runs = [multilabel_run(tmp_path, name, truth, noise, seed)
            for name, noise, seed in (("sharp", 0.15, 1), ("blurry", 0.45, 2),
                                      ("fuzzy", 0.5, 3))]
    out = tmp_path / "cmp"
    result = cli.invoke(app, ["compare", *runs, "--out", str(out), "--n-resamples", "300"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "sharp beats blurry on macro F1 by" in result.stdout
    assert "on 300 shared samples" in result.stdout
    comparison = json.loads((out / "compare.json").read_text())
    assert len(comparison["pairs"]) == 3 and all(p["tested"] for p in comparison["pairs"])
    pair = next(p for p in comparison["pairs"] if {p["a"], p["b"]} == {"sharp", "blurry"})
    tables = {name: pd.read_csv(tmp_path / name / "detailed_results.csv")
              for name in ("sharp", "blurry")}
    for name, side in ((pair["a"], "a"), (pair["b"], "b")):
        table = tables[name]
        y_true = np.array([[l in json.loads(v) for l in ML_LABELS] for v in table["labels"]])
        y_pred = np.array([[l in json.loads(v) for l in ML_LABELS]
                           for v in table["prediction"]])
        scores = table[[f"score_{l}" for l in ML_LABELS]].to_numpy()
        reference = {"f1_micro": f1_score(y_true, y_pred, average="micro"),
                     "f1_macro": f1_score(y_true, y_pred, average="macro", zero_division=0),
                     "roc_auc_micro": roc_auc_score(y_true, scores, average="micro"),
                     "roc_auc_macro": roc_auc_score(y_true, scores, average="macro")}
        for metric, value in reference.items():
            assert pair["differences"][metric][side] == pytest.approx(value, abs=1e-6)
    # Holm across the three pairs, per metric
    for metric in ("f1_micro", "f1_macro", "roc_auc_micro", "roc_auc_macro"):
        raw = [p["differences"][metric]["p_value"] for p in comparison["pairs"]]
        adjusted = [p["differences"][metric]["p_holm"] for p in comparison["pairs"]]
        running = 0.0
        for rank, index in enumerate(np.argsort(raw)):
            running = max(running, min(1.0, (3 - rank) * raw[index]))
            assert adjusted[index] == pytest.approx(running)
    assert pair["differences"]["roc_auc_micro"]["low"] > 0 or \
        pair["differences"]["roc_auc_micro"]["high"] < 0
    # the default multi-label leaderboard shows micro and macro AUC
    markdown = (out / "compare.md").read_text()
    header = next(line for line in markdown.splitlines() if line.startswith("| rank"))
    assert "micro AUC" in header and "macro AUC" in header
