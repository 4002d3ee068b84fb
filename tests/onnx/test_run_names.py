"""Issue 19 item 7: a ``--runtime onnx`` run is named after its source model with the
runtime beside it, not after the exported file in the cache."""

from __future__ import annotations

import json

from onnx_builders import evaluate_with_runtime


def test_an_onnx_run_is_titled_by_its_source_model(fitted_text_model, tmp_path, cache_dir):
    rows = ["id,text,label"] + [f"s{i},{text},{label}" for i, (text, label) in enumerate([
        ("i am so happy today", "joy"), ("so sad i cry", "sadness"),
        ("i hate this and i am furious", "anger"), ("i am afraid and scared", "fear")])]
    (tmp_path / "texts.csv").write_text("\n".join(rows) + "\n")
    source = f"hf:{fitted_text_model}"
    result = evaluate_with_runtime(source, f"csv:{tmp_path / 'texts.csv'}", tmp_path / "onnx",
                                   "onnx")
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "onnx" / "results.json").read_text())
    assert results["model"]["spec"].startswith("onnx:")  # what ran stays recorded
    assert results["model"]["name"] == f"{source} (onnx)"
    report = (tmp_path / "onnx" / "report.md").read_text()
    title = report.splitlines()[0]
    assert title.startswith(f"# Emotion recognition report: {source} (onnx) on ")
    assert "onnx:" not in title and str(cache_dir) not in title
    assert f"{source} (onnx) on " in " ".join(result.output.split())
