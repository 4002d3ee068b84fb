"""``emoeval evaluate --runtime torch-bf16``: the ``hf:`` model under bf16 autocast, verified
against itself in FP32 on the run's first samples (the INT8 policy), the verdict cached,
bf16 predictions kept apart from FP32 ones by the fingerprint."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from onnx_builders import AUDIO_LABELS, text_examples, tone, evaluate_with_runtime, predictions

import emoeval.onnx.runtime as runtime
import emoeval.onnx.verify as verify
from emoeval.adapters.base import load_adapter
from emoeval.errors import EmoevalError
from emoeval.onnx.export import source_fingerprint_of_files
from emoeval.onnx.verdicts import VERDICTS_FILE

# bfloat16 keeps 8 significant bits (relative rounding 2^-8 per operation): probabilities of
# a tiny model move by a few 1e-3; a forward pass not in bf16 at all moves them by 0, a broken
# one by far more than this
PROBABILITY_TOLERANCE = 0.05






def results_model(out) -> dict:
    return json.loads((out / "results.json").read_text())["model"]


def verdicts(cache_dir) -> list[dict]:
    [folder] = list((cache_dir / "onnx").iterdir())
    return list(json.loads((folder / VERDICTS_FILE).read_text())["verdicts"].values())


@pytest.mark.parametrize("kind", ["audio", "text"])
def test_bf16_predictions_are_close_to_fp32_with_the_same_labels(
        fitted_audio_model, fitted_text_model, kind):
    if kind == "audio":
        spec = f"hf:{fitted_audio_model}"
        # the clips it was fitted on (onnx_builders.build_fitted_audio_classifier)
        inputs = [tone(label, 0.3 + 0.15 * b, 10_000 + 10 * b + j)
                  for b in range(4) for j, label in enumerate(AUDIO_LABELS)]
    else:
        spec = f"hf:{fitted_text_model}"
        inputs, _ = text_examples()
    fp32 = load_adapter(spec, device="cpu")
    bf16 = load_adapter(spec, device="cpu", autocast="bf16")
    fp32_scores, bf16_scores = fp32.predict(inputs), bf16.predict(inputs)
    assert bf16_scores.dtype == np.float64 and np.allclose(bf16_scores.sum(axis=1), 1)
    assert np.abs(bf16_scores - fp32_scores).max() <= PROBABILITY_TOLERANCE
    assert not np.array_equal(bf16_scores, fp32_scores)  # the forward did run in bf16
    # on inputs decided by a clear margin (the models were fitted on them), bf16 takes the
    # same decisions
    top_two = np.sort(fp32_scores, axis=1)[:, -2:]
    assert np.all(top_two[:, 1] - top_two[:, 0] > 2 * PROBABILITY_TOLERANCE)
    assert list(bf16_scores.argmax(axis=1)) == list(fp32_scores.argmax(axis=1))
    assert bf16.fingerprint() != fp32.fingerprint()


def test_torch_bf16_run_verifies_once_then_reuses_the_verdict(
        fitted_audio_model, tone_csv, cache_dir, tmp_path, monkeypatch):
    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    result = evaluate_with_runtime(model, dataset, tmp_path / "torch", "torch")
    assert result.exit_code == 0, result.output
    result = evaluate_with_runtime(model, dataset, tmp_path / "bf16", "torch-bf16")
    assert result.exit_code == 0, result.output

    torch_table, bf16_table = predictions(tmp_path / "torch"), predictions(tmp_path / "bf16")
    pd.testing.assert_frame_equal(bf16_table, torch_table)  # the same labels, the same errors
    assert (bf16_table["error"] != "").sum() == 2  # the corrupt and the missing file
    fp32_model, bf16_model = results_model(tmp_path / "torch"), results_model(tmp_path / "bf16")
    assert bf16_model["runtime"] == "torch-bf16" and bf16_model["spec"] == model
    assert bf16_model["fingerprint"] != fp32_model["fingerprint"]
    [verdict] = verdicts(cache_dir)
    assert verdict["key"]["precision"] == "bf16" and verdict["key"]["device"] == "cpu"
    assert verdict["key"]["content_sha256"] == source_fingerprint_of_files(model)
    assert verdict["verification"]["passed"] is True
    # all 16 clips that decode: fewer than VERIFY_SAMPLES (64)
    assert verdict["verification"]["n_inputs"] == 16 < verify.VERIFY_SAMPLES

    def refuse(*args, **kwargs):
        raise AssertionError("verified again")

    monkeypatch.setattr(runtime, "verify_autocast", refuse)
    result = evaluate_with_runtime(model, dataset, tmp_path / "again", "torch-bf16")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(predictions(tmp_path / "again"), bf16_table)
    assert results_model(tmp_path / "again") == bf16_model


def test_a_failed_bf16_verification_refuses_the_run_and_is_verified_again(
        fitted_audio_model, tone_csv, cache_dir, tmp_path, monkeypatch):
    model, dataset = f"hf:{fitted_audio_model}", f"csv:{tone_csv}"
    real_outputs = verify.torch_outputs

    def disagreeing(adapter, encoded, autocast=None):
        logits, latency = real_outputs(adapter, encoded, autocast)
        # bf16 that picks the next class on every input: the policy must see it
        return (np.roll(logits, 1, axis=1) if autocast else logits), latency

    monkeypatch.setattr(verify, "torch_outputs", disagreeing)
    result = evaluate_with_runtime(model, dataset, tmp_path / "refused", "torch-bf16")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "refusing" in message and "BF16 autocast PyTorch vs FP32 PyTorch" in message
    assert "(16 differ)" in message and "--runtime torch" in message  # all 16 that decode
    assert not (tmp_path / "refused" / "results.json").exists()
    [verdict] = verdicts(cache_dir)
    assert verdict["verification"]["passed"] is False

    # the failed verdict is not reused: the next run verifies again, and its verdict (under
    # the same key) replaces the failed one
    monkeypatch.setattr(verify, "torch_outputs", real_outputs)
    calls = []
    real_verify = runtime.verify_autocast
    monkeypatch.setattr(runtime, "verify_autocast",
                        lambda *args: calls.append(args) or real_verify(*args))
    result = evaluate_with_runtime(model, dataset, tmp_path / "passed", "torch-bf16")
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    [verdict] = verdicts(cache_dir)
    assert verdict["verification"]["passed"] is True


def test_autocast_is_refused_for_other_models_and_other_values(fitted_text_model, tmp_path):
    with pytest.raises(EmoevalError, match="--autocast does not apply to lexicon: models"):
        load_adapter("lexicon:nrc", autocast="bf16")
    with pytest.raises(EmoevalError,
                       match="--runtime torch-bf16 runs hf:, zeroshot: and clap: models"):
        runtime.prepare_runtime("lexicon:nrc", "torch-bf16", [])
    with pytest.raises(EmoevalError, match="autocast 'fp16' is not one of bf16"):
        load_adapter(f"hf:{fitted_text_model}", autocast="fp16")
    assert runtime.runtime_adapter_options("torch-bf16") == {"autocast": "bf16"}
    assert runtime.runtime_adapter_options("onnx") == {}

    (tmp_path / "texts.csv").write_text("id,text,label\ns0,so happy,joy\n")
    result = evaluate_with_runtime("lexicon:nrc", f"csv:{tmp_path / 'texts.csv'}", tmp_path / "out",
                      "torch-bf16")
    assert result.exit_code == 2 and "runs hf:, zeroshot: and clap: models" in result.output
