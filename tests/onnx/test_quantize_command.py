"""``emoeval quantize`` end to end: the fixed layout, three full evaluations on the same
samples, and a comparison whose every figure is recomputed here from the runs' own files."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from builders import shared_data
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.onnx import FP32_FILE, INT8_FILE

runner = CliRunner()
RUNS = ("torch", "onnx-fp32", "onnx-int8")


def quantize(*args):
    return runner.invoke(app, ["quantize", *[str(a) for a in args]])


def detailed(out, name) -> pd.DataFrame:
    return pd.read_csv(out / name / "detailed_results.csv", dtype=str, keep_default_na=False)


def latencies(out, name) -> dict[str, float]:
    with open(out / name / "predictions.jsonl", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    return {r["id"]: r["latency_ms"] for r in records if not r["error"]}


@pytest.fixture(scope="module")
def quantized(fitted_audio_model, tone_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("quantized")
    result = quantize("--model", f"hf:{fitted_audio_model}", "--out", out,
                      "--dataset", f"csv:{tone_csv}", "--ops", "auto")
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "quantize.json").read_text()), result.output


def test_layout_sizes_and_report(quantized):
    out, summary, output = quantized
    folder = out / "model"
    assert {FP32_FILE, INT8_FILE, "config.json", "preprocessor_config.json",
            "export.json"} <= set(os.listdir(folder))
    sizes = summary["sizes"]
    assert sizes["onnx_fp32_bytes"] == (folder / FP32_FILE).stat().st_size
    assert sizes["onnx_int8_bytes"] == (folder / INT8_FILE).stat().st_size
    assert sizes["reduction"] == pytest.approx(
        1 - sizes["onnx_int8_bytes"] / sizes["onnx_fp32_bytes"], abs=1e-4)
    assert summary["quantization"]["chosen"] in ("matmul", "all")
    assert summary["verification"]["fp32"]["passed"] and summary["verification"]["int8"]["passed"]
    # all 16 clips that decode: fewer than the stratified 64
    assert "sample of 16 evaluation samples" in summary["verification"]["int8"]["inputs"]
    markdown = (out / "quantize.md").read_text()
    for text in ("## Files", "## Quantization", "## Accuracy on", "## Speed",
                 "real-time factor", summary["quantization"]["op_types"]):
        assert text in markdown
    assert "quantize.md" in output


def test_three_runs_on_the_same_samples_and_their_metrics(quantized):
    out, summary, _ = quantized
    runs = summary["comparison"]["runs"]
    ids = None
    for name in RUNS:
        results = json.loads((out / name / "results.json").read_text())
        assert (out / name / "report.md").is_file()
        table = detailed(out, name)
        ids = ids or sorted(table["id"])
        assert sorted(table["id"]) == ids  # the same samples in every run
        assert results["n_errors"] == 2 and runs[name]["n_errors"] == 2
        for metric in ("accuracy", "balanced_accuracy", "f1_macro"):
            assert runs[name]["metrics"][metric]["value"] == results["metrics"][metric]
            assert runs[name]["metrics"][metric]["low"] == results["ci"][metric]["low"]
    assert json.loads((out / "onnx-int8" / "results.json").read_text())["model"]["spec"] \
        == f"onnx:{out / 'model' / INT8_FILE}"
    deltas = summary["comparison"]["deltas"]["onnx-int8 - torch"]
    assert deltas["accuracy"] == pytest.approx(runs["onnx-int8"]["metrics"]["accuracy"]["value"]
                                               - runs["torch"]["metrics"]["accuracy"]["value"])


def test_disagreement_and_speed_recomputed_from_the_run_files(quantized, tone_csv):
    out, summary, _ = quantized
    comparison = summary["comparison"]
    int8, fp32 = detailed(out, "onnx-int8"), detailed(out, "onnx-fp32")
    both = int8.merge(fp32, on="id")
    both = both[(both["error_x"] == "") & (both["error_y"] == "")]
    share = float((both["prediction_x"] != both["prediction_y"]).mean())
    reported = comparison["disagreement"]["onnx-int8 vs onnx-fp32"]
    assert reported["n_compared"] == 16 and reported["share"] == pytest.approx(share)

    sources = pd.read_csv(tone_csv)
    seconds = {row.id: sf.info(tone_csv.parent / row.path).duration
               for row in sources.itertuples() if (tone_csv.parent / row.path).is_file()
               and os.path.getsize(tone_csv.parent / row.path) > 100}
    for name in RUNS:
        latency = latencies(out, name)
        scored = [i for i in latency if i in seconds]
        values = np.array([latency[i] for i in scored])
        run = comparison["runs"][name]
        assert run["latency_ms_p50"] == pytest.approx(np.percentile(values, 50))
        assert run["latency_ms_p95"] == pytest.approx(np.percentile(values, 95))
        assert run["samples_per_s"] == pytest.approx(1000 * len(values) / values.sum())
        assert run["real_time_factor"] == pytest.approx(
            values.sum() / 1000 / sum(seconds[i] for i in scored))


def test_rerun_resumes_without_recomputing(quantized, fitted_audio_model, tone_csv):
    out, _, _ = quantized
    before = {name: (out / name / "predictions.jsonl").read_text() for name in RUNS}
    int8_at = (out / "model" / INT8_FILE).stat().st_mtime_ns
    result = quantize("--model", f"hf:{fitted_audio_model}", "--out", out,
                      "--dataset", f"csv:{tone_csv}", "--ops", "auto")
    assert result.exit_code == 0, result.output
    assert {name: (out / name / "predictions.jsonl").read_text() for name in RUNS} == before
    assert (out / "model" / INT8_FILE).stat().st_mtime_ns == int8_at
    # other INT8 settings into the same folder: refused before anything is overwritten
    result = quantize("--model", f"hf:{fitted_audio_model}", "--out", out,
                      "--dataset", f"csv:{tone_csv}", "--ops", "all")
    assert result.exit_code == 2 and "other settings" in result.output
    assert (out / "model" / INT8_FILE).stat().st_mtime_ns == int8_at


def test_static_quantization_without_a_dataset(fitted_audio_model, tone_csv, tmp_path):
    out = tmp_path / "static"
    result = quantize("--model", f"hf:{fitted_audio_model}", "--out", out, "--static",
                      "--calibration", f"csv:{tone_csv}", "--calibration-limit", 8)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "quantize.json").read_text())
    assert summary["quantization"]["mode"] == "static"
    note = summary["quantization"]["calibration"]
    assert note["spec"] == f"csv:{tone_csv}" and note["n_sampled"] == 8
    # the tone set holds 2 unreadable rows among 18: they are skipped, never calibrated on
    assert 6 <= note["n_decoded"] == summary["quantization"]["n_calibration_inputs"] <= 8
    assert summary["comparison"] is None and "synthetic" in summary["verification"]["fp32"][
        "inputs"]
    assert "No `--dataset`" in (out / "quantize.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--ops", "conv"], "--ops 'conv'"),
    (["--static"], "--static needs --calibration"),
    (["--calibration", "csv:x.csv"], "add --static"),
    (["--limit", "5"], "--limit applies to --dataset"),
    (["--min-agreement", "1.5"], "--min-agreement"),
])
def test_bad_options_are_one_line_errors(fitted_audio_model, tmp_path, args, message):
    result = quantize("--model", f"hf:{fitted_audio_model}", "--out", tmp_path / "x", *args)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x").exists()


def test_only_hf_models_and_matching_modality(text_model, tone_csv, tmp_path):
    result = quantize("--model", "lexicon:nrc", "--out", tmp_path / "a")
    assert result.exit_code == 2 and "hf: model" in result.output
    result = quantize("--model", f"hf:{text_model}", "--out", tmp_path / "b",
                      "--dataset", f"csv:{tone_csv}")
    assert result.exit_code == 2 and "takes text but" in result.output


def test_urdu_real_audio(fitted_audio_model, tmp_path):
    """Real 44.1 kHz files: decoded, resampled and compared (figures asserted as ranges)."""
    urdu = shared_data("urdu")
    out = tmp_path / "urdu"
    result = quantize("--model", f"hf:{fitted_audio_model}", "--out", out,
                      "--dataset", f"urdu:{urdu}", "--limit", 8, "--verify-samples", 4)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "quantize.json").read_text())
    assert summary["dataset"]["n_samples"] == 8
    for name in RUNS:
        run = summary["comparison"]["runs"][name]
        assert run["n_scored"] == 8 and 0 < run["real_time_factor"]
        assert 8 < run["audio_seconds"] < 8 * 10


def test_every_speed_ratio_comes_with_its_spread(quantized):
    out, summary, output = quantized
    speed = summary["speed"]
    assert speed["repeats"] >= 5 and speed["n_inputs"] == 16
    assert set(speed["ratios"]) == {"onnx-fp32 vs torch", "onnx-int8 vs torch",
                                    "onnx-int8 vs onnx-fp32"}
    for ratio in speed["ratios"].values():
        assert ratio["n_repeats"] >= 5 and ratio["q25"] <= ratio["median"] <= ratio["q75"]
    for candidate in summary["quantization"]["candidates"]:
        assert candidate["speedup_vs_fp32_spread"]["n_repeats"] >= 5
    printed = " ".join(output.split())
    assert printed.count("IQR") >= 3 and "speed onnx-int8 vs torch:" in printed
    assert "INT8 has PyTorch's label on" in printed
    markdown = (out / "quantize.md").read_text()
    assert "## Speed ratios" in markdown and "IQR" in markdown
    # the ONNX evaluations report their agreement with the PyTorch run
    int8_results = json.loads((out / "onnx-int8" / "results.json").read_text())
    torch_table, int8_table = detailed(out, "torch"), detailed(out, "onnx-int8")
    both = torch_table.merge(int8_table, on="id")
    both = both[(both["error_x"] == "") & (both["error_y"] == "")]
    assert int8_results["reference"]["n_compared"] == len(both)
    assert int8_results["reference"]["n_equal"] == int(
        (both["prediction_x"] == both["prediction_y"]).sum())
