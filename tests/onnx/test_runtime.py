"""``emoeval evaluate --runtime onnx|onnx-int8`` through the CLI: export once (cached by
model fingerprint), verify on the run's first samples, same labels as torch."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from onnx_builders import evaluate_with_runtime, predictions

from emoeval.errors import EmoevalError
from emoeval.onnx import FP32_FILE, INT8_FILE
from emoeval.onnx.runtime import prepare_runtime







def test_onnx_runtimes_give_torch_labels_and_reuse_the_cached_export(
        fitted_audio_model, tone_csv, cache_dir, tmp_path):
    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    result = evaluate_with_runtime(model, dataset, tmp_path / "torch", "torch")
    assert result.exit_code == 0, result.output
    torch_table = predictions(tmp_path / "torch")
    assert (torch_table["error"] != "").sum() == 2  # the corrupt and the missing file

    result = evaluate_with_runtime(model, dataset, tmp_path / "onnx", "onnx")
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "onnx" / "results.json").read_text())
    spec = results["model"]["spec"]
    assert spec.startswith(f"onnx:{cache_dir / 'onnx'}") and spec.endswith(FP32_FILE)
    pd.testing.assert_frame_equal(predictions(tmp_path / "onnx"), torch_table)
    export_folder = os.path.dirname(spec[len("onnx:"):])
    exported_at = os.stat(os.path.join(export_folder, FP32_FILE)).st_mtime_ns

    result = evaluate_with_runtime(model, dataset, tmp_path / "int8", "onnx-int8")
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "int8" / "results.json").read_text())
    assert results["model"]["spec"] == f"onnx:{os.path.join(export_folder, INT8_FILE)}"
    int8_table = predictions(tmp_path / "int8")
    scored = torch_table["error"] == ""
    agreement = (int8_table["prediction"][scored] == torch_table["prediction"][scored]).mean()
    assert agreement >= 15 / 16
    assert (int8_table["error"] != "").sum() == 2
    # one export per model: the second and third runs used the cached file
    assert os.stat(os.path.join(export_folder, FP32_FILE)).st_mtime_ns == exported_at
    assert os.listdir(cache_dir / "onnx") == [os.path.basename(export_folder)]


def test_a_tampered_cached_export_is_refused(fitted_audio_model, tone_csv, cache_dir,
                                             tmp_path):
    import onnx
    from onnx import numpy_helper

    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    assert evaluate_with_runtime(model, dataset, tmp_path / "first", "onnx").exit_code == 0
    [folder] = list((cache_dir / "onnx").iterdir())
    path = str(folder / FP32_FILE)
    graph = onnx.load(path)
    biggest = max(graph.graph.initializer, key=lambda t: len(t.raw_data))
    biggest.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(biggest) * 3, biggest.name))
    onnx.save(graph, path)
    result = evaluate_with_runtime(model, dataset, tmp_path / "second", "onnx")
    assert result.exit_code == 2
    assert "refusing" in result.output and "max |logit difference|" in result.output
    assert not (tmp_path / "second" / "results.json").exists()


def test_bad_runtime_requests_are_one_line_errors(text_model, tmp_path, cache_dir):
    dataset = "demo:en"
    result = evaluate_with_runtime(f"hf:{text_model}", dataset, tmp_path / "a", "tensorrt")
    assert result.exit_code == 2 and "not one of torch, onnx, onnx-int8" in result.output
    result = evaluate_with_runtime("lexicon:nrc", dataset, tmp_path / "b", "onnx")
    assert result.exit_code == 2 and "runs hf:, zeroshot: and clap: models" in result.output
    with pytest.raises(EmoevalError, match="not one of"):
        prepare_runtime(f"hf:{text_model}", "int4", [])
    assert prepare_runtime("lexicon:nrc", "torch", []) == "lexicon:nrc"
    assert not cache_dir.exists()  # nothing exported for a refused request


def test_text_model_runs_under_onnx(fitted_text_model, tmp_path, cache_dir):
    rows = ["id,text,label"] + [f"s{i},{text},{label}" for i, (text, label) in enumerate([
        ("i am so happy today", "joy"), ("so sad i cry", "sadness"),
        ("i hate this and i am furious", "anger"), ("i am afraid and scared", "fear"),
        ("glad news", "joy"), ("tired and sad", "sadness")])]
    (tmp_path / "texts.csv").write_text("\n".join(rows) + "\n")
    dataset = f"csv:{tmp_path / 'texts.csv'}"
    assert evaluate_with_runtime(f"hf:{fitted_text_model}", dataset, tmp_path / "torch", "torch"
                    ).exit_code == 0
    result = evaluate_with_runtime(f"hf:{fitted_text_model}", dataset, tmp_path / "onnx", "onnx")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(predictions(tmp_path / "onnx"),
                                  predictions(tmp_path / "torch"))
