"""Regression heads under ONNX Runtime: `--runtime onnx` exports an `hf:` regression head and
the `onnx:` adapter returns its raw outputs as values, as the `hf:` adapter does."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from builders import build_text_classifier
from typer.testing import CliRunner

from emoeval.adapters.base import load_adapter
from emoeval.cli import app
from emoeval.errors import EmoevalError

TEXTS = ["i am so happy today", "sad", "this is not a very good day at all i hate it " * 40,
         "what news", "i love this", "angry words here", "calm", "a plain sentence"]


@pytest.fixture
def regressor(tmp_path):
    from transformers import AutoConfig

    folder = build_text_classifier(tmp_path / "bert_vad", ["valence", "arousal", "dominance"],
                                   seed=7)
    config = AutoConfig.from_pretrained(folder)
    config.problem_type = "regression"
    config.save_pretrained(folder)
    return folder


def test_onnx_runtime_gives_the_regression_values_of_pytorch(tmp_path, regressor):
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"id": [f"t{i}" for i in range(len(TEXTS))], "text": TEXTS,
                          "V": rng.uniform(1, 5, len(TEXTS)), "A": rng.uniform(1, 5, len(TEXTS)),
                          "D": rng.uniform(1, 5, len(TEXTS))})
    table.to_csv(tmp_path / "vad.csv", index=False)
    runs = {}
    for runtime in ("torch", "onnx"):
        out = tmp_path / runtime
        result = CliRunner().invoke(app, ["evaluate", "--model", f"hf:{regressor}", "--dataset",
                                          f"csv:{tmp_path / 'vad.csv'}", "--target-cols",
                                          "V,A,D", "--runtime", runtime, "--out", str(out)])
        assert result.exit_code == 0, result.output
        runs[runtime] = pd.read_csv(out / "detailed_results.csv")
        results = json.loads((out / "results.json").read_text())
        assert results["task"] == "dimensional" and results["n_errors"] == 0
    for dim in "VAD":  # the long text is truncated at the model's positions, not an error
        np.testing.assert_allclose(runs["onnx"][f"{dim}_pred"], runs["torch"][f"{dim}_pred"],
                                   atol=1e-4)
    onnx_spec = results["model"]["spec"]
    adapter = load_adapter(onnx_spec, output_names="V,A,D")
    assert adapter.output == "values" and adapter.labels == ["V", "A", "D"]
    plain = load_adapter(onnx_spec)
    assert plain.labels == ["valence", "arousal", "dominance"]
    assert adapter.fingerprint() != plain.fingerprint()
    with pytest.raises(EmoevalError, match="gives 2 names"):
        load_adapter(onnx_spec, output_names="V,A")


def test_reduced_precision_checks_regression_values_by_tolerance_not_by_argmax():
    """Argmax over arousal/dominance/valence means nothing: a regression head agrees on an
    input when every output is within a tenth of its spread."""
    from emoeval.onnx.verify import VALUE_TOLERANCE, Reference, compare

    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 0.5, (20, 3))
    reference = Reference(encoded=[{}] * 20, logits=values, latency_ms=[1.0] * 20,
                          source="test", values=True)
    spread = values.std(axis=0)
    # a shift within the tolerance on every output: agreement, whatever the argmax does
    close = values + 0.5 * VALUE_TOLERANCE * spread * np.sign(rng.normal(size=values.shape))
    verdict = compare(reference, close, [1.0], "int8 model", "int8")
    assert verdict.passed and verdict.label_agreement == 1.0 and verdict.values
    far = values.copy()
    far[0, 1] += 3 * VALUE_TOLERANCE * spread[1]
    failed = compare(reference, far, [1.0], "int8 model", "int8")
    assert not failed.passed and failed.n_label_disagreements == 1
    assert "close values" in failed.describe()
