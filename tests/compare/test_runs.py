"""``compare_runs`` end to end on synthetic runs written by the real core, with a known true
difference and with none."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import pytest
from compare_synthetic import (LABELS, balanced_truth, hits_with_rate, predictions_from_hits,
                               run_maker, same_rate_hits)
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from emoeval.compare import compare_runs
from emoeval.errors import EmoevalError

N = 800


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """weak (60% right), strong (85%) and twin (as many right per class as strong)."""
    make_run = run_maker(tmp_path_factory.mktemp("three"))
    ids = [f"s{i:04d}" for i in range(N)]
    truth = balanced_truth(N)
    strong_hits = hits_with_rate(N, 0.85, seed=2)
    runs = {
        "weak": make_run("weak", ids, truth,
                         predictions_from_hits(truth, hits_with_rate(N, 0.60, seed=1), LABELS, 1)),
        "strong": make_run("strong", ids, truth,
                           predictions_from_hits(truth, strong_hits, LABELS, 2)),
        "twin": make_run("twin", ids, truth,
                         predictions_from_hits(truth, same_rate_hits(truth, strong_hits, 3),
                                               LABELS, 3)),
    }
    return runs


@pytest.fixture(scope="module")
def all_three(three_runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("all_three") / "cmp"
    return compare_runs(list(three_runs.values()), str(out)), out


def pair_of(comparison, a, b):
    return next(p for p in comparison["pairs"] if {p["a"], p["b"]} == {a, b})


def test_known_difference_is_found(three_runs, tmp_path):
    comparison = compare_runs([three_runs["weak"], three_runs["strong"]], str(tmp_path / "cmp"))
    [pair] = comparison["pairs"]
    assert pair["significant"] is True
    assert pair["verdict"].startswith("strong beats weak on UA by ")
    assert re.fullmatch(r"strong beats weak on UA by \d+\.\d points on 800 shared samples, "
                        r"95% CI \d+\.\d to \d+\.\d, Holm p (= 0\.\d+|< 0\.001)",
                        pair["verdict"])
    difference = pair["differences"]["balanced_accuracy"]
    assert difference["difference"] > 0 and difference["low"] > 0
    # the true difference is 25 points; 800 samples estimate it within a few points
    assert difference["difference"] == pytest.approx(0.25, abs=0.06)
    assert difference["low"] < 0.25 < difference["high"] + 0.03
    # the observed values are the metrics of the shared samples, checked with sklearn
    table = {name: pd.read_csv(os.path.join(three_runs[name], "detailed_results.csv"),
                               dtype=str) for name in ("weak", "strong")}
    assert difference["b"] == pytest.approx(balanced_accuracy_score(
        table["strong"]["label"], table["strong"]["prediction"]))
    assert pair["mcnemar"]["p_holm"] < 0.001


def test_no_true_difference_is_not_called_a_win(three_runs, tmp_path):
    comparison = compare_runs([three_runs["strong"], three_runs["twin"]], str(tmp_path / "cmp"))
    [pair] = comparison["pairs"]
    difference = pair["differences"]["balanced_accuracy"]
    assert difference["difference"] == pytest.approx(0.0, abs=1e-12)
    assert pair["significant"] is False
    assert pair["verdict"].startswith("no detectable difference between ")
    detectable = re.search(r"could detect is about (\d+\.\d) points$", pair["verdict"])
    assert detectable and float(detectable.group(1)) == pytest.approx(
        100 * difference["detectable"], abs=0.051)
    assert difference["detectable"] > 0


def test_holm_across_three_runs(all_three):
    comparison, out = all_three
    pairs = comparison["pairs"]
    assert len(pairs) == 3
    raw = [p["differences"]["balanced_accuracy"]["p_value"] for p in pairs]
    adjusted = [p["differences"]["balanced_accuracy"]["p_holm"] for p in pairs]
    order = np.argsort(raw)
    running = 0.0
    for rank, index in enumerate(order):  # Holm by hand
        running = max(running, min(1.0, (3 - rank) * raw[index]))
        assert adjusted[index] == pytest.approx(running)
    assert pair_of(comparison, "weak", "strong")["verdict"].startswith("strong beats weak")
    assert pair_of(comparison, "weak", "twin")["verdict"].startswith("twin beats weak")
    assert pair_of(comparison, "strong", "twin")["verdict"].startswith("no detectable difference")
    board = pd.read_csv(out / "leaderboard.csv")
    assert board.columns[0] == "run"
    assert board["run"].iloc[-1] == "weak"
    assert list(board["balanced_accuracy"]) == sorted(board["balanced_accuracy"], reverse=True)


def test_outputs_and_report_contents(all_three, three_runs):
    comparison, out = all_three
    for name in ("leaderboard.csv", "compare.json", "compare.md", "compare.html",
                 "per_class_f1.png", "differences.png"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "compare.json").read_text())
    assert saved["verdicts"] == comparison["verdicts"]
    markdown = (out / "compare.md").read_text()
    page = (out / "compare.html").read_text()
    for sentence in comparison["verdicts"]:
        assert sentence in markdown
    assert '<table id="leaderboard">' in page
    # self-contained: the only sources are embedded images, nothing is fetched
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "<script" not in page
    # per-class F1 in compare.json is the runs' own
    block = comparison["per_class_f1"][0]
    strong = json.loads(open(os.path.join(three_runs["strong"], "results.json")).read())
    assert block["runs"]["strong"] == [strong["per_class"][l]["f1"] for l in block["labels"]]


def test_rank_by_changes_the_order(make_run, tmp_path):
    """A majority-class model wins on WA and loses on UA."""
    labels = ["happy", "sad"]
    truth = np.array(["happy"] * 300 + ["sad"] * 100, dtype=object)
    ids = [f"x{i}" for i in range(400)]
    majority = np.array(["happy"] * 400, dtype=object)
    balanced = predictions_from_hits(truth, hits_with_rate(400, 0.7, seed=4), labels, 4)
    runs = [make_run("majority", ids, truth, majority, labels),
            make_run("balanced", ids, truth, balanced, labels)]
    by_ua = compare_runs(runs, str(tmp_path / "ua"))
    by_wa = compare_runs(runs, str(tmp_path / "wa"), rank_by="WA")
    assert by_ua["rank_by"]["metric"] == "balanced_accuracy"
    assert by_wa["rank_by"]["metric"] == "accuracy"
    assert accuracy_score(truth, majority) > accuracy_score(truth, balanced)
    assert [r["run"] for r in by_ua["leaderboard"]] == ["balanced", "majority"]
    assert [r["run"] for r in by_wa["leaderboard"]] == ["majority", "balanced"]
    assert "on WA" in by_wa["verdicts"][0]


def test_speaker_clustered_when_runs_know_speakers(make_run, tmp_path):
    n = 400
    ids = [f"u{i}" for i in range(n)]
    truth = balanced_truth(n)
    speakers = [f"spk{i % 16}" for i in range(n)]
    runs = [make_run(name, ids, truth, predictions_from_hits(
        truth, hits_with_rate(n, rate, seed), LABELS, seed), speakers=speakers)
        for name, rate, seed in (("one", 0.6, 5), ("two", 0.7, 6))]
    comparison = compare_runs(runs, str(tmp_path / "cmp"))
    [pair] = comparison["pairs"]
    assert pair["unit"] == "speaker" and pair["n_clusters"] == 16
    assert {r["ci_unit"] for r in comparison["leaderboard"]} == {"speaker"}


def test_pairs_use_the_samples_both_scored(make_run, tmp_path):
    n = 400
    ids = [f"e{i}" for i in range(n)]
    truth = balanced_truth(n)
    errors = ["unreadable audio file: corrupt" if i < 30 else "" for i in range(n)]
    predictions = predictions_from_hits(truth, hits_with_rate(n, 0.7, 8), LABELS, 8)
    runs = [make_run("clean", ids, truth, predictions_from_hits(
                truth, hits_with_rate(n, 0.6, 7), LABELS, 7)),
            make_run("broken", ids, truth, np.where(np.array(errors) != "", "", predictions),
                     errors=errors),
            make_run("partial", ids[100:], truth[100:], predictions[100:])]
    comparison = compare_runs(runs, str(tmp_path / "cmp"))
    assert pair_of(comparison, "clean", "broken")["n_shared"] == n - 30
    assert pair_of(comparison, "clean", "partial")["n_shared"] == n - 100
    assert pair_of(comparison, "broken", "partial")["n_shared"] == n - 100
    overlap = comparison["datasets"][0]["overlap"]
    assert (overlap["n_union"], overlap["n_in_all_runs"]) == (n, n - 100)
    assert overlap["n_scored_by_all_runs"] == n - 100


def test_different_datasets_form_a_grid_without_cross_tests(make_run, tmp_path):
    runs = []
    for dataset, labels in (("d1", LABELS), ("d2", ["joy", "anger", "sadness"])):
        ids = [f"{dataset}-{i}" for i in range(300)]
        truth = balanced_truth(300, labels)
        for model, rate in (("m1", 0.5), ("m2", 0.8)):
            runs.append(make_run(f"{model}_{dataset}", ids, truth, predictions_from_hits(
                truth, hits_with_rate(300, rate, len(runs)), labels, len(runs)), labels,
                model=model))
    comparison = compare_runs(runs, str(tmp_path / "cmp"))
    assert len(comparison["datasets"]) == 2
    assert len(comparison["pairs"]) == 2  # one per dataset, none across
    for pair in comparison["pairs"]:
        assert pair["a"].split("_")[1] == pair["b"].split("_")[1]
    grid = comparison["grid"]
    assert grid["models"] == ["file:m2.csv", "file:m1.csv"] and len(grid["datasets"]) == 2
    for model_cells in grid["cells"].values():
        for cell in model_cells.values():
            assert cell["low"] <= cell["value"] <= cell["high"]
    assert '<table id="grid">' in (tmp_path / "cmp" / "compare.html").read_text()


def test_different_label_sets_are_refused_unless_forced(make_run, tmp_path):
    ids = [f"s{i}" for i in range(200)]
    truth = balanced_truth(200)
    predictions = predictions_from_hits(truth, hits_with_rate(200, 0.7, 9), LABELS, 9)
    runs = [make_run("four", ids, truth, predictions),
            make_run("five", ids, truth, predictions, labels=[*LABELS, "fear"])]
    with pytest.raises(EmoevalError, match="different label sets.*--force"):
        compare_runs(runs, str(tmp_path / "refused"))
    forced = compare_runs(runs, str(tmp_path / "forced"), force=True)
    assert forced["pairs"][0]["tested"]
    assert any("--force" in w for w in forced["warnings"])


def test_different_truth_for_the_same_ids_is_refused(make_run, tmp_path):
    ids = [f"s{i}" for i in range(200)]
    truth = balanced_truth(200)
    relabelled = truth.copy()
    relabelled[:10] = "sad"
    relabelled[3] = "happy"  # keep every class present
    predictions = predictions_from_hits(truth, hits_with_rate(200, 0.7, 10), LABELS, 10)
    runs = [make_run("a", ids, truth, predictions), make_run("b", ids, relabelled, predictions)]
    with pytest.raises(EmoevalError, match="different true labels"):
        compare_runs(runs, str(tmp_path / "refused"))
    forced = compare_runs(runs, str(tmp_path / "forced"), force=True)
    assert forced["pairs"][0]["n_shared"] == 200 - int((truth != relabelled).sum())
