"""Issue 19 items 3-4: chance levels beside accuracy and UA, "below chance", and the 75%
concentration warning, through ``emoeval score``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()


def score(tmp_path: Path, truth: list[str], predicted: list[str], name: str = "run"):
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"id": [f"s{i}" for i in range(len(truth))], "label": truth,
                  "prediction": predicted}).to_csv(path, index=False)
    out = tmp_path / name
    result = runner.invoke(app, ["score", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return (json.loads((out / "results.json").read_text()), (out / "report.md").read_text(),
            result.output)


def test_majority_rate_and_one_over_k_stand_beside_accuracy(tmp_path):
    truth = ["happy"] * 12 + ["sad"] * 6 + ["angry"] * 4 + ["neutral"] * 2
    predicted = truth[:]  # a fair model: a few mistakes
    predicted[0], predicted[13], predicted[20] = "sad", "happy", "neutral"
    results, report, _ = score(tmp_path, truth, predicted)
    counts = Counter(truth)  # the reference, from the truth alone
    label, top = counts.most_common(1)[0]
    chance = results["chance"]
    assert chance["majority_label"] == label
    assert chance["majority_rate"] == top / len(truth)
    assert chance["k"] == len(counts) and chance["uniform_rate"] == 1 / len(counts)
    assert chance["below_chance"] is False
    headline = report.split("## Headline", 1)[1].split("## ", 1)[0]
    assert f"majority class '{label}' {100 * top / len(truth):.1f}%" in headline
    assert f"1/k = {100 / len(counts):.1f}%" in headline
    assert "Below chance" not in report


def test_a_model_whose_ua_interval_lies_under_one_over_k_is_below_chance(tmp_path):
    labels = ["a", "b", "c", "d", "e", "f", "g", "h"]
    truth = [labels[i % 8] for i in range(240)]
    # mostly the next class: recall near zero for every class
    predicted = [labels[(i + 1) % 8] if i % 15 else labels[i % 8] for i in range(240)]
    results, report, output = score(tmp_path, truth, predicted)
    assert results["ci"]["balanced_accuracy"]["high"] < 1 / 8  # the premise
    assert results["chance"]["below_chance"] is True
    assert "**Below chance**" in report
    assert any(w.startswith("below chance") for w in results["warnings"])
    assert "(below chance)" in " ".join(output.split())  # rich wraps the line


def test_one_class_taking_over_75_percent_of_predictions_is_warned(tmp_path):
    truth = ["angry", "happy", "sad", "neutral"] * 25
    predicted = ["angry"] * 80 + truth[80:]  # 80% angry (+ the angry among the rest)
    share = Counter(predicted)["angry"] / len(predicted)
    assert 0.75 < share < 0.9
    results, report, _ = score(tmp_path, truth, predicted)
    warned = [w for w in results["warnings"] if "leans heavily" in w]
    assert warned and f"{100 * share:.0f}% of the scored samples were predicted 'angry'" \
        in warned[0]
    assert "leans heavily on one class" in report.split("## Warnings", 1)[1]


def test_no_concentration_warning_when_the_truth_is_as_concentrated(tmp_path):
    truth = ["angry"] * 80 + ["happy"] * 20
    predicted = ["angry"] * 78 + ["happy"] * 2 + ["happy"] * 18 + ["angry"] * 2
    results, _, _ = score(tmp_path, truth, predicted)
    assert not [w for w in results["warnings"] if "leans heavily" in w]


def test_the_90_percent_collapse_rule_is_unchanged(tmp_path):
    truth = ["angry", "happy", "sad", "neutral"] * 25
    predicted = ["angry"] * 95 + truth[95:]
    results, _, _ = score(tmp_path, truth, predicted)
    assert any("may have collapsed to one class" in w for w in results["warnings"])
    assert not [w for w in results["warnings"] if "leans heavily" in w]


def test_a_generative_report_states_chance_too(tmp_path):
    """Item 3 reaches every classification-family report, the generative one included."""
    rows = [{"id": f"r{i}", "label": ["happy", "sad", "sad"][i % 3],
             "response": ["happy", "sad", "I cannot say"][i % 3]} for i in range(12)]
    pd.DataFrame(rows).to_csv(tmp_path / "answers.csv", index=False)
    out = tmp_path / "g"
    result = runner.invoke(app, ["score", str(tmp_path / "answers.csv"), "--task",
                                 "generative", "--out", str(out), "--labels", "happy,sad"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    scored_truth = [r["label"] for r in rows]  # policy wrong (the default): every row scored
    counts = Counter(scored_truth)
    assert results["chance"]["majority_rate"] == max(counts.values()) / len(scored_truth)
    report = (out / "report.md").read_text()
    assert f"1/k = {100 / len(counts):.1f}%" in report
