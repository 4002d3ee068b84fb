"""Issue 19 item 7: names that fit. ``score --name`` names the model in titles and files,
a name with a path separator is a one-line error, generative plots state the policy, and
labels the model cannot predict are marked in the per-class table and plot."""

from __future__ import annotations

import json

import matplotlib.axes
import matplotlib.figure
import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.naming import runtime_name

runner = CliRunner()


def predictions_file(path, shift: int = 0):
    labels = ["happy", "sad", "angry"]
    truth = [labels[i % 3] for i in range(30)]
    predicted = [labels[(i + (i % 5 == shift)) % 3] for i in range(30)]
    pd.DataFrame({"id": [f"s{i}" for i in range(30)], "label": truth,
                  "prediction": predicted}).to_csv(path, index=False)
    return path


def test_score_name_titles_the_report_and_the_comparison(tmp_path):
    first = predictions_file(tmp_path / "x.csv")
    second = predictions_file(tmp_path / "y.csv", shift=1)
    result = runner.invoke(app, ["score", str(first), "--out", str(tmp_path / "a"),
                                 "--name", "my-model-v2"])
    assert result.exit_code == 0, result.output
    assert " ".join(result.output.split()).startswith("my-model-v2 on file:")
    results = json.loads((tmp_path / "a" / "results.json").read_text())
    assert results["model"]["name"] == "my-model-v2"
    report = (tmp_path / "a" / "report.md").read_text()
    assert report.startswith("# Emotion recognition report: my-model-v2 on file:")
    assert runner.invoke(app, ["score", str(second), "--out", str(tmp_path / "b"),
                               "--name", "baseline"]).exit_code == 0
    compared = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"),
                                   "--out", str(tmp_path / "cmp"), "--n-resamples", "50"])
    assert compared.exit_code == 0, compared.output
    summary = (tmp_path / "cmp" / "compare.md").read_text()
    assert "my-model-v2" in summary and "baseline" in summary
    assert "file:x.csv" not in summary


@pytest.mark.parametrize("name", ["runs/model", "..\\model"])
def test_a_name_with_a_path_separator_is_a_one_line_error(tmp_path, name):
    path = predictions_file(tmp_path / "x.csv")
    result = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o"),
                                 "--name", name])
    assert result.exit_code == 2
    assert "path separator" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # one message (rich may wrap it)
    assert not (tmp_path / "o" / "results.json").exists()


def test_runtime_runs_are_named_after_their_source_model():
    assert runtime_name("hf:org/model", "onnx-int8") == "hf:org/model (onnx-int8)"
    assert runtime_name("hf:org/model", "torch") is None


def test_generative_plot_titles_state_the_policy(tmp_path, monkeypatch):
    titles: list[str] = []
    real = matplotlib.figure.Figure.suptitle

    def capture(self, text, *args, **kwargs):
        titles.append(str(text))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "suptitle", capture)
    rows = [{"id": f"r{i}", "label": ["happy", "sad"][i % 2],
             "response": ["happy", "sad", "I cannot say"][i % 3]} for i in range(12)]
    path = tmp_path / "answers.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    result = runner.invoke(app, ["score", str(path), "--task", "generative", "--out",
                                 str(tmp_path / "g"), "--labels", "happy,sad"])
    assert result.exit_code == 0, result.output
    policy = json.loads((tmp_path / "g" / "results.json").read_text())["policy"]
    assert any(f"unanswered: {policy}" in " ".join(t.split()) for t in titles), titles


def test_labels_the_model_cannot_predict_are_marked(tmp_path, monkeypatch):
    ticks: list[str] = []
    real = matplotlib.axes.Axes.set_xticklabels

    def capture(self, labels, *args, **kwargs):
        ticks.extend(str(label) for label in labels)
        return real(self, labels, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_xticklabels", capture)
    # a run whose model cannot predict "angry" (a model without that class), re-rendered
    # from its results.json alone by `emoeval report`
    path = predictions_file(tmp_path / "x.csv")
    out = tmp_path / "run"
    assert runner.invoke(app, ["score", str(path), "--out", str(out)]).exit_code == 0
    results = json.loads((out / "results.json").read_text())
    results["label_mapping"] = {"model_to_dataset": {"happy": "happy", "sad": "sad"},
                                "unpredictable_dataset_labels": ["angry"],
                                "shared_labels": ["happy", "sad"]}
    (out / "results.json").write_text(json.dumps(results))
    ticks.clear()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    per_class = (out / "report.md").read_text().split("## Per class", 1)[1]
    assert "| angry (cannot predict) |" in per_class and "| happy |" in per_class
    assert any(t.startswith("angry (cannot predict)") for t in ticks), ticks
    assert not any(t.startswith("happy (cannot predict)") for t in ticks)

