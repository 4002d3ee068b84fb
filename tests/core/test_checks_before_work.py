"""Issue 19 item 6: ``--slice-by`` is checked before any model runs, and the columns the
tool writes (``score_*``, prediction, confidence, error) are not slice candidates."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()


def write_dataset(path):
    rows = [{"id": f"r{i}", "text": f"so happy #{i}" if i % 2 else f"so sad #{i}",
             "label": "happy" if i % 2 else "sad", "channel": "chat" if i % 3 else "mail"}
            for i in range(8)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_slice_by_typo_fails_before_the_model_is_loaded(tmp_path, monkeypatch):
    from emoeval.adapters import base

    loaded = []
    real = base.load_adapter

    def spy(spec, **options):
        loaded.append(spec)
        return real(spec, **options)

    monkeypatch.setattr("emoeval.evaluation.load_adapter", spy)
    data = write_dataset(tmp_path / "d.csv")
    out = tmp_path / "run"
    result = runner.invoke(app, ["evaluate", "--model", "python:toy_models:keyword_scores",
                                 "--dataset", f"csv:{data}", "--out", str(out),
                                 "--slice-by", "chanel"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "--slice-by 'chanel': no such column" in text and "channel" in text
    assert "Traceback" not in result.output
    assert loaded == []  # no model was loaded, let alone run
    assert not (out / "predictions.jsonl").exists()


def test_tool_columns_are_neither_candidates_nor_accepted(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "label": ["x", "y", "x"],
                  "prediction": ["x", "x", "y"], "confidence": [0.9, 0.8, 0.7],
                  "score_x": [0.9, 0.8, 0.3], "score_y": [0.1, 0.2, 0.7],
                  "gender": ["f", "m", "f"]}).to_csv(path, index=False)
    typo = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o1"),
                               "--slice-by", "gendr"])
    assert typo.exit_code == 2
    message = " ".join(typo.output.split())
    candidates = message.split("slice candidates:", 1)[1]
    assert "gender" in candidates
    for written in ("score_x", "score_y", "prediction", "confidence"):
        assert written not in candidates
    tool = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o2"),
                               "--slice-by", "score_x"])
    assert tool.exit_code == 2
    assert "a column emoeval writes" in " ".join(tool.output.split())
