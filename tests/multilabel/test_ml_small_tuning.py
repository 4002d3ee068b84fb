"""Issue 19 item 5 for multi-label: a per-class threshold tuned on fewer than MIN_ITEMS
positives falls back to the global threshold and the report names the class; ``--limit``
never shrinks the tuning split unless ``--tune-limit`` says so."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.small_samples import MIN_ITEMS

LABELS = ["joy", "anger", "fear", "love"]
runner = CliRunner()


def table_with_rare_love(seed: int = 0) -> pd.DataFrame:
    """dev: joy/anger/fear common, love on exactly 3 rows; test: ordinary."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, n in (("dev", 120), ("test", 120)):
        for i in range(n):
            truth = [l for l in LABELS[:3] if rng.random() < 0.35] or ["joy"]
            if split == "dev" and i in (5, 50, 90) or split == "test" and i % 7 == 0:
                truth.append("love")
            row = {"id": f"{split}-{i}", "labels": json.dumps(truth), "split": split}
            for l in LABELS:
                row[f"score_{l}"] = float(np.clip(rng.random() * 0.6 + 0.35 * (l in truth),
                                                  0, 1))
            rows.append(row)
    return pd.DataFrame(rows)


def test_a_class_with_few_tuning_positives_takes_the_global_threshold(tmp_path):
    table = table_with_rare_love()
    path = tmp_path / "p.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(path), "--task", "multilabel", "--out",
                                 str(out), "--threshold", "per-class"])
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    dev = table[table["split"] == "dev"]
    y_dev = np.array([[l in json.loads(v) for l in LABELS] for v in dev["labels"]])
    positives = dict(zip(LABELS, y_dev.sum(axis=0)))
    assert positives["love"] == 3 < MIN_ITEMS and min(positives[l] for l in LABELS[:3]) >= 10
    threshold = res["threshold"]
    assert set(threshold["small_classes"]) == {"love"}
    entry = threshold["small_classes"]["love"]
    assert entry["n"] == 3 and entry["small"] is True
    used = threshold["thresholds"]["love"]
    assert used == entry["global"] != threshold["tuned_thresholds"]["love"]
    # the global threshold is F1-optimal on every label's tuning decisions pooled:
    # checked against sklearn over every candidate cut of the pooled scores
    scores = dev[[f"score_{l}" for l in LABELS]].to_numpy().ravel()
    truth = y_dev.ravel()
    distinct = np.unique(scores)
    cuts = np.concatenate([[distinct[0] - 1e-9], (distinct[:-1] + distinct[1:]) / 2])
    best = max(f1_score(truth, scores >= c) for c in cuts)
    assert f1_score(truth, scores >= used) == best
    # the other classes keep their own tuned thresholds
    for label in LABELS[:3]:
        assert threshold["thresholds"][label] == threshold["tuned_thresholds"][label]
    report = (out / "report.md").read_text()
    assert f"fewer than {MIN_ITEMS} positives" in report and "love (n=3)" in report


def write_multilabel_dataset(path, n_test: int = 30, n_dev: int = 30):
    lines = ["id,text,labels,split"]
    words = {"happy": "so happy", "sad": "I cry", "angry": "furious"}
    names = list(words)
    for split, n in (("test", n_test), ("dev", n_dev)):
        for i in range(n):
            chosen = [names[i % 3]] + ([names[(i + 1) % 3]] if i % 4 == 0 else [])
            text = " and ".join(words[c] for c in chosen)
            labels = json.dumps(chosen).replace('"', '""')
            lines.append(f'{split}-{i},{text} {i},"{labels}",{split}')
    path.write_text("\n".join(lines) + "\n")
    return path


def evaluate(tmp_path, name: str, *extra: str):
    data = write_multilabel_dataset(tmp_path / "ml.csv")
    out = tmp_path / name
    result = runner.invoke(app, ["evaluate", "--model", "python:toy_models:keyword_scores",
                                 "--dataset", f"csv:{data}", "--split", "test", "--out",
                                 str(out), "--threshold", "per-class", *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


def test_limit_never_shrinks_the_tuning_split(tmp_path):
    res = evaluate(tmp_path, "limited", "--limit", "6")
    assert res["n_samples"] == 6
    assert res["threshold"]["tune_split"] == "dev" and res["threshold"]["n_tune"] == 30


def test_tune_limit_says_how_many_tuning_rows(tmp_path):
    res = evaluate(tmp_path, "tune-limited", "--limit", "6", "--tune-limit", "9")
    assert res["n_samples"] == 6 and res["threshold"]["n_tune"] == 9
