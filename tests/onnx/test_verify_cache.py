"""The ONNX verification verdict cached beside the export: a rerun on the same samples with
the same file never loads the PyTorch model; a changed file, other samples or a failed
verdict verify again. And staging folders left by a killed export are cleaned up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest
from onnx_builders import write_tone_csv, evaluate_with_runtime, predictions

import emoeval.onnx.runtime as runtime
from emoeval.adapters.hf import HFAdapter
from emoeval.onnx import FP32_FILE, INT8_FILE
from emoeval.onnx.export import (ensure_export, host_tag, load_torch_model,
                                 remove_stale_staging, source_fingerprint,
                                 source_fingerprint_of_files)
from emoeval.onnx.verdicts import VERDICTS_FILE







def stored_scores(out) -> dict[str, dict | None]:
    with open(os.path.join(out, "predictions.jsonl"), encoding="utf-8") as f:
        return {r["id"]: r["scores"] for r in map(json.loads, f)}


@pytest.fixture
def torch_loads(monkeypatch) -> list[str]:
    """Specs of every PyTorch model prepare_runtime loads (it still loads them)."""
    calls: list[str] = []

    def counting(spec: str):
        calls.append(spec)
        return load_torch_model(spec)

    monkeypatch.setattr(runtime, "load_torch_model", counting)
    return calls


def forbid_torch(monkeypatch) -> None:
    """From here on, loading the PyTorch model (by any path) fails the run."""
    def refuse(*args, **kwargs):
        raise AssertionError("the PyTorch model was loaded")

    monkeypatch.setattr(runtime, "load_torch_model", refuse)
    monkeypatch.setattr(HFAdapter, "__init__", refuse)


@pytest.mark.parametrize("runtime_name", ["onnx", "onnx-int8"])
def test_a_rerun_on_the_same_samples_skips_pytorch_and_predicts_the_same(
        fitted_audio_model, tone_csv, cache_dir, tmp_path, monkeypatch, torch_loads,
        runtime_name):
    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    first = evaluate_with_runtime(model, dataset, tmp_path / "first", runtime_name)
    assert first.exit_code == 0, first.output
    assert torch_loads == [model]
    [folder] = list((cache_dir / "onnx").iterdir())
    verdicts = json.loads((folder / VERDICTS_FILE).read_text())["verdicts"].values()
    expected = {"onnx": {"fp32"}, "onnx-int8": {"fp32", "int8"}}[runtime_name]
    assert {v["key"]["precision"] for v in verdicts} == expected
    assert all(v["verification"]["passed"] for v in verdicts)

    forbid_torch(monkeypatch)
    second = evaluate_with_runtime(model, dataset, tmp_path / "second", runtime_name)
    assert second.exit_code == 0, second.output
    pd.testing.assert_frame_equal(predictions(tmp_path / "second"),
                                  predictions(tmp_path / "first"))
    assert stored_scores(tmp_path / "second") == stored_scores(tmp_path / "first")
    first_model = json.loads((tmp_path / "first" / "results.json").read_text())["model"]
    second_model = json.loads((tmp_path / "second" / "results.json").read_text())["model"]
    assert second_model == first_model

    # every prediction already in the store: still no PyTorch
    resumed = evaluate_with_runtime(model, dataset, tmp_path / "first", runtime_name)
    assert resumed.exit_code == 0, resumed.output
    pd.testing.assert_frame_equal(predictions(tmp_path / "first"),
                                  predictions(tmp_path / "second"))


def test_a_changed_file_verifies_again_and_a_failed_verdict_is_not_reused(
        fitted_audio_model, tone_csv, cache_dir, tmp_path, torch_loads):
    import onnx
    from onnx import numpy_helper

    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    assert evaluate_with_runtime(model, dataset, tmp_path / "a", "onnx").exit_code == 0
    [folder] = list((cache_dir / "onnx").iterdir())
    path = str(folder / FP32_FILE)

    graph = onnx.load(path)
    graph.doc_string = "edited"  # another file, the same computation
    onnx.save(graph, path)
    result = evaluate_with_runtime(model, dataset, tmp_path / "b", "onnx")
    assert result.exit_code == 0, result.output
    assert len(torch_loads) == 2

    biggest = max(graph.graph.initializer, key=lambda t: len(t.raw_data))
    biggest.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(biggest) * 3, biggest.name))
    onnx.save(graph, path)
    for attempt, out in enumerate(("c", "d")):
        result = evaluate_with_runtime(model, dataset, tmp_path / out, "onnx")
        assert result.exit_code == 2 and "refusing" in result.output
        assert len(torch_loads) == 3 + attempt  # the failed verdict was verified again
        assert not (tmp_path / out / "results.json").exists()
    verdicts = json.loads((folder / VERDICTS_FILE).read_text())["verdicts"].values()
    assert sorted(v["verification"]["passed"] for v in verdicts) == [False, True, True]


def test_other_samples_verify_again_and_both_verdicts_are_kept(
        fitted_audio_model, tone_csv, cache_dir, tmp_path, torch_loads, monkeypatch):
    model = f"hf:{fitted_audio_model}"
    other_csv = write_tone_csv(tmp_path / "other", per_label=2, seed=9)
    assert evaluate_with_runtime(model, f"csv:{tone_csv}", tmp_path / "a", "onnx").exit_code == 0
    assert evaluate_with_runtime(model, f"csv:{other_csv}", tmp_path / "b", "onnx").exit_code == 0
    assert len(torch_loads) == 2
    # fewer samples of the same dataset: other inputs verified
    assert evaluate_with_runtime(model, f"csv:{tone_csv}", tmp_path / "c", "onnx", "--limit", "6"
                    ).exit_code == 0
    assert len(torch_loads) == 3
    forbid_torch(monkeypatch)
    for dataset, out in ((tone_csv, "d"), (other_csv, "e")):
        result = evaluate_with_runtime(model, f"csv:{dataset}", tmp_path / out, "onnx")
        assert result.exit_code == 0, result.output


def test_a_corrupt_verdict_file_only_costs_a_verification(
        fitted_text_model, cache_dir, tmp_path, torch_loads):
    rows = ["id,text,label", "s0,i am so happy today,joy", "s1,so sad i cry,sadness",
            "s2,i hate this and i am furious,anger", "s3,i am afraid and scared,fear"]
    (tmp_path / "texts.csv").write_text("\n".join(rows) + "\n")
    model, dataset = f"hf:{fitted_text_model}", f"csv:{tmp_path / 'texts.csv'}"
    assert evaluate_with_runtime(model, dataset, tmp_path / "a", "onnx").exit_code == 0
    [folder] = list((cache_dir / "onnx").iterdir())
    (folder / VERDICTS_FILE).write_text('{"verdicts": {"cut sho')
    result = evaluate_with_runtime(model, dataset, tmp_path / "b", "onnx")
    assert result.exit_code == 0, result.output
    assert len(torch_loads) == 2
    pd.testing.assert_frame_equal(predictions(tmp_path / "b"), predictions(tmp_path / "a"))
    assert evaluate_with_runtime(model, dataset, tmp_path / "c", "onnx").exit_code == 0
    assert len(torch_loads) == 2  # the rewritten file is read again


@pytest.mark.parametrize("kind", ["audio", "text"])
def test_fingerprint_from_files_equals_the_loaded_models(fitted_audio_model,
                                                         fitted_text_model, kind):
    spec = f"hf:{fitted_audio_model if kind == 'audio' else fitted_text_model}"
    assert source_fingerprint_of_files(spec) == source_fingerprint(load_torch_model(spec))


def killed_staging(folder) -> str:
    """The staging folder of an export killed with SIGKILL (as ``kill -9`` leaves it)."""
    code = ("import os, signal, sys\n"
            "from emoeval.onnx.export import make_staging\n"
            "print(make_staging(sys.argv[1], 'export'), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                          text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    staging = done.stdout.strip()
    assert os.path.isdir(staging) and os.path.basename(staging).startswith(".export-")
    return staging


def test_stale_staging_folders_are_removed_at_the_next_export(fitted_text_model, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    dead = killed_staging(folder)
    old_unowned = folder / ".quantize-abc123"  # named before owners were recorded
    old_unowned.mkdir()
    os.utime(old_unowned, (0, 0))
    young_unowned = folder / ".export-def456"
    young_unowned.mkdir()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        try:
            live = folder / f".export-{host_tag()}-{alive.pid}-xyz"  # an export running now
            live.mkdir()
            (live / FP32_FILE).write_bytes(b"half written")
            ensure_export(load_torch_model(f"hf:{fitted_text_model}"), str(folder))
            assert not os.path.exists(dead) and not old_unowned.exists()
            assert live.is_dir() and (live / FP32_FILE).read_bytes() == b"half written"
            assert young_unowned.is_dir()
            assert (folder / FP32_FILE).is_file()
            assert not any(name.startswith(".export-") and name not in
                           (live.name, young_unowned.name) for name in os.listdir(folder))
        finally:
            alive.kill()
    alive.wait()
    assert remove_stale_staging(str(folder)) == [str(live)]  # its owner is gone now
    assert young_unowned.is_dir()


def test_int8_quantization_cleans_up_too(fitted_audio_model, tone_csv, cache_dir, tmp_path):
    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    assert evaluate_with_runtime(model, dataset, tmp_path / "a", "onnx").exit_code == 0
    [folder] = list((cache_dir / "onnx").iterdir())
    dead = killed_staging(folder)
    assert evaluate_with_runtime(model, dataset, tmp_path / "b", "onnx-int8").exit_code == 0
    assert (folder / INT8_FILE).is_file() and not os.path.exists(dead)
    assert not [name for name in os.listdir(folder) if name.startswith(".")]
