"""The multilabel task: threshold strategies, tuning refusals, the table builder, the
report files and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.errors import EmoevalError
from emoeval.metrics.multilabel import decision_metrics
from emoeval.metrics.thresholds import best_threshold
from emoeval.multilabel.scoring import multilabel_table, score_multilabel, tuning_split
from emoeval.store import Record

LABELS = ["joy", "anger", "fear", "love"]


def make_table(seed: int = 0, splits=(("dev", 150), ("test", 200))) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for split, n in splits:
        for i in range(n):
            truth = [l for l in LABELS if rng.random() < 0.3] or ["joy"]
            row = {"id": f"{split}-{i}", "labels": json.dumps(truth), "split": split,
                   "speaker": f"s{i % 9}"}
            for l in LABELS:  # fear is scored low overall: 0.5 rarely reaches it
                shift = 0.35 * (l in truth) - (0.3 if l == "fear" else 0.0)
                row[f"score_{l}"] = float(np.clip(rng.random() * 0.6 + shift, 0, 1))
            rows.append(row)
    return pd.DataFrame(rows)


def truth_matrix(table: pd.DataFrame) -> np.ndarray:
    return np.array([[l in json.loads(v) for l in LABELS] for v in table["labels"]])


def test_fixed_threshold_reports_only_non_tuning_rows():
    table = make_table()
    part, scored = score_multilabel(table, n_resamples=50)
    test = table[table["split"] == "test"]
    scores = test[[f"score_{l}" for l in LABELS]].to_numpy()
    expected = decision_metrics(truth_matrix(test), scores >= 0.5)
    assert part["n_samples"] == len(test) and part["reported_splits"] == ["test"]
    assert part["metrics"]["f1_macro"] == pytest.approx(expected["f1_macro"])
    assert part["strategies"]["0.5"]["f1_micro"] == pytest.approx(expected["f1_micro"])
    # the dev rows were there, so the per-class row is shown beside the chosen 0.5
    assert set(part["strategies"]) == {"0.5", "per-class", "top-k:1"}
    assert part["threshold"]["thresholds"] == {l: 0.5 for l in LABELS}
    first = scored.iloc[0]
    assert json.loads(first["prediction"]) == [l for l in LABELS if first[f"score_{l}"] >= 0.5]


def test_per_class_thresholds_are_tuned_on_the_tuning_split_only():
    table = make_table()
    part, _ = score_multilabel(table, threshold="per-class", n_resamples=50)
    dev, test = table[table["split"] == "dev"], table[table["split"] == "test"]
    y_dev = truth_matrix(dev)
    tuned = np.array([best_threshold(y_dev[:, j], dev[f"score_{l}"].to_numpy())
                      for j, l in enumerate(LABELS)])
    assert part["threshold"]["thresholds"] == pytest.approx(dict(zip(LABELS, tuned)))
    decisions = test[[f"score_{l}" for l in LABELS]].to_numpy() >= tuned
    assert part["metrics"]["f1_macro"] == pytest.approx(
        decision_metrics(truth_matrix(test), decisions)["f1_macro"])
    assert part["threshold"]["tune_split"] == "dev" and part["threshold"]["n_tune"] == 150
    # fear's scores sit low: 0.5 misses it, the tuned threshold does not
    assert part["strategies"]["per-class"]["f1_macro"] > part["strategies"]["0.5"]["f1_macro"]
    assert "per-class" in part["headline"] and "macro F1" in part["headline"]


def test_target_precision_reaches_the_precision_on_the_tuning_split():
    table = make_table()
    part, _ = score_multilabel(table, threshold="per-class", target_precision=0.8,
                               n_resamples=20)
    dev = table[table["split"] == "dev"]
    y_dev = truth_matrix(dev)
    for j, l in enumerate(LABELS):
        chosen = dev[f"score_{l}"].to_numpy() >= part["threshold"]["thresholds"][l]
        if l not in part["threshold"]["notes"]:
            assert y_dev[chosen, j].mean() >= 0.8


def test_top_k_predicts_exactly_k_labels():
    part, scored = score_multilabel(make_table(), threshold="top-k:2", n_resamples=20)
    test = scored[scored["split"] == "test"]
    assert all(len(json.loads(p)) == 2 for p in test["prediction"])
    assert part["strategies"]["top-k:2"]["predicted_positives"] == 2 * len(test)
    assert part["positives"]["predicted"] == 2 * len(test)


def test_tuning_on_the_reported_split_is_refused():
    dev_only = make_table(splits=(("dev", 100),))
    with pytest.raises(EmoevalError, match="refusing to tune thresholds on the reported"):
        score_multilabel(dev_only, threshold="per-class")
    with pytest.raises(EmoevalError, match="refusing to tune"):
        tuning_split(["train", "dev", "test"], "dev", "per-class", None)
    with pytest.raises(EmoevalError, match="refusing to tune"):
        tuning_split(["train", "dev", "test"], "test", "per-class", "test")
    assert tuning_split(["train", "dev", "test"], "test", "per-class", None) == "dev"
    assert tuning_split(["train", "dev", "test"], "test", "0.5", None) is None


def test_per_class_without_a_tuning_split_says_so():
    table = make_table(splits=(("test", 50),)).drop(columns=["split"])
    with pytest.raises(EmoevalError, match="needs predictions on a tuning split"):
        score_multilabel(table, threshold="per-class")
    with pytest.raises(EmoevalError, match="needs a tuning split"):
        tuning_split(["train", "test"], "test", "per-class", None)
    with pytest.raises(EmoevalError, match="applies to --threshold per-class"):
        score_multilabel(table, target_precision=0.9)
    with pytest.raises(EmoevalError, match="top-k"):
        score_multilabel(table, threshold="top-k:0")


def test_bad_input_errors():
    table = make_table(splits=(("test", 20),))
    stray = table.copy()
    stray.loc[0, "labels"] = '["joy", "boredom"]'
    with pytest.raises(EmoevalError, match="outside the label set: boredom"):
        score_multilabel(stray)
    with pytest.raises(EmoevalError, match="no 'labels' column"):
        score_multilabel(table.drop(columns=["labels"]))
    with pytest.raises(EmoevalError, match="no score_<label> columns"):
        score_multilabel(table[["id", "labels"]])
    missing = table.copy()
    missing.loc[3, "score_joy"] = np.nan
    part, scored = score_multilabel(missing, n_resamples=20)
    assert part["n_errors"] == 1 and scored.loc[3, "error"] == "no score for some labels"
    assert part["errors"]["samples"][0]["id"] == "test-3"


def test_label_separator_and_single_names():
    table = make_table(splits=(("test", 30),))
    joined = table.copy()
    joined["labels"] = [("|".join(json.loads(v))) for v in table["labels"]]
    a, _ = score_multilabel(table, n_resamples=20)
    b, _ = score_multilabel(joined, label_sep="|", n_resamples=20)
    assert a["metrics"] == b["metrics"]


def test_labels_without_positives_are_left_out_of_macro_auc():
    table = make_table(splits=(("test", 80),))
    table["labels"] = [json.dumps([l for l in json.loads(v) if l != "love"] or ["joy"])
                       for v in table["labels"]]
    part, _ = score_multilabel(table, n_resamples=20)
    assert part["labels_without_positives"] == ["love"]
    assert part["per_class"]["love"]["roc_auc"] is None or np.isnan(
        part["per_class"]["love"]["roc_auc"])
    aucs = [part["per_class"][l]["roc_auc"] for l in ("joy", "anger", "fear")]
    assert part["metrics"]["roc_auc_macro"] == pytest.approx(np.mean(aucs))
    assert any("love" in w and "left out of macro AUC" in w for w in part["warnings"])


class FakeStore:
    def __init__(self, records):
        self.records = {r.id: r for r in records}


def test_table_builder_takes_the_max_of_mapped_model_labels():
    from emoeval.datasets.base import Row

    rows = [Row(id="a", label=["joy"], text="x", split="test", metadata={"speaker": "s1"}),
            Row(id="b", label=["joy", "anger"], text="y", split="test"),
            Row(id="c", label=["fear"], text="z", split="test")]
    store = FakeStore([
        Record("a", {"amusement": 0.3, "joy": 0.6, "anger": 0.1}, None),
        Record("b", {"amusement": 0.9, "joy": 0.2, "anger": 0.7}, None),
        Record("c", None, "model error: boom")])
    table = multilabel_table(rows, store, ["amusement", "joy", "anger"],
                             ["joy", "anger", "fear"], {"amusement": "joy"}, "restrict")
    assert table.loc[0, "score_joy"] == 0.6 and table.loc[1, "score_joy"] == 0.9
    assert table.loc[1, "score_anger"] == 0.7
    assert table["score_fear"].isna().all()  # no model label maps onto fear
    assert table.loc[2, "error"] == "model error: boom" and table.loc[0, "speaker"] == "s1"
    part, _ = score_multilabel(table, n_resamples=20)
    assert part["unpredictable_labels"] == ["fear"] and part["n_errors"] == 1
    assert part["metrics_shared_labels"] is not None
    assert any("cannot predict fear" in w for w in part["warnings"])


def test_cli_score_writes_report_and_thresholds(tmp_path):
    from emoeval.cli import app

    path = tmp_path / "predictions.csv"
    make_table().to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["score", str(path), "--task", "multilabel", "--out",
                                      str(out), "--threshold", "per-class"])
    assert result.exit_code == 0, result.output
    assert "macro AUC" in result.output
    results = json.loads((out / "results.json").read_text())
    saved = json.loads((out / "thresholds.json").read_text())
    assert results["task"] == "multilabel"
    assert saved["thresholds"] == results["threshold"]["thresholds"]
    assert saved["tune_split"] == "dev"
    report = (out / "report.md").read_text()
    assert "Threshold strategies, side by side" in report and "| **per-class** (chosen)" in report
    assert (out / "per_class_metrics.png").is_file()
    # detailed_results.csv scores again, to the same figures
    again = tmp_path / "again"
    result = CliRunner().invoke(app, ["score", str(out / "detailed_results.csv"), "--task",
                                      "multilabel", "--out", str(again), "--threshold",
                                      "per-class"])
    assert result.exit_code == 0, result.output
    assert json.loads((again / "results.json").read_text())["metrics"] == results["metrics"]
    refused = CliRunner().invoke(app, ["score", str(path), "--task", "multilabel", "--out",
                                       str(tmp_path / "x"), "--threshold", "per-class",
                                       "--tune-split", "nope"])
    assert refused.exit_code == 2 and "no rows of that split" in refused.output


def test_tuning_rows_for_evaluate(tmp_path):
    from emoeval.api import EvaluationConfig, prepare_rows
    from emoeval.datasets.base import load_dataset
    from emoeval.multilabel.scoring import tuning_rows

    lines = ["id,text,labels,split"]
    for i in range(12):
        split = ["train", "dev", "test"][i % 3]
        lines.append(f'r{i},text {i},"[""joy""{", ""anger""" if i % 2 else ""}]",{split}')
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    spec = f"csv:{tmp_path / 'd.csv'}"
    dataset = load_dataset(spec)

    def config(split, **options):
        return EvaluationConfig(model="m", dataset=spec, out=str(tmp_path), split=split,
                                task_options={"threshold": None, "tune_split": None,
                                              **options})

    cfg = config("test", threshold="per-class")
    rows, labels, _ = prepare_rows(dataset, dataset.rows("test"), cfg)
    extra = tuning_rows(dataset, rows, labels, cfg)
    assert {r.split for r in extra} == {"dev"} and len(extra) == 4
    assert cfg.task_options["tune_split"] == "dev"
    assert tuning_rows(dataset, rows, labels, config("test")) == []
    dev_cfg = config("dev", threshold="per-class")
    dev_rows, labels, _ = prepare_rows(dataset, dataset.rows("dev"), dev_cfg)
    with pytest.raises(EmoevalError, match="refusing to tune thresholds on the reported split"):
        tuning_rows(dataset, dev_rows, labels, dev_cfg)
