"""The published MER2024 open-vocabulary figures from the shared challenge files."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from builders import shared_data
from emoeval.cli import app

# MER2024's published baseline figures for these files (see the set's README / issue 22)
PUBLISHED = {"accuracy": 0.581777108433735, "recall": 0.4977911646586345,
             "accuracy_recall_mean": 0.5397841365461847}


def test_mer2024_protocol_reproduces_the_published_figures(tmp_path):
    data = shared_data("mer2024_ov")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "score", "--task", "open-vocabulary", "--protocol", "mer2024",
        "--truth", str(data / "check-openset.csv"),
        "--predictions", str(data / "predict-openset.csv"),
        "--synonyms", str(data / "openset-synonym.zip"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "results.json").read_text())["metrics"]
    printed = result.output.replace("\n", "")
    for key, value in PUBLISHED.items():
        assert abs(metrics[key] - value) <= 1e-12, key
        assert repr(metrics[key])[:12] in printed
