"""``zeroshot:`` under ``--runtime onnx|onnx-int8|torch-bf16``: one embedding graph (transformer
and pooling), exported, quantized and verified by cosine and zero-shot label through the same
path as ``hf:`` classifiers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from onnx_builders import evaluate_with_runtime
from test_int8_one_rule import write_text_csv

from emoeval.adapters.base import load_adapter
from emoeval.errors import EmoevalError
from emoeval.onnx.verdicts import read_verdicts


def table(out) -> pd.DataFrame:
    return pd.read_csv(out / "detailed_results.csv", dtype=str,
                       keep_default_na=False).set_index("id")


def all_verdicts(cache_dir) -> list[dict]:
    return [v for folder in (cache_dir / "onnx").iterdir()
            for v in read_verdicts(str(folder)).values()]


def test_zeroshot_runtimes_from_the_cli(tiny_sentence_model, tmp_path, cache_dir):
    dataset = f"csv:{write_text_csv(tmp_path, 24)}"
    model = f"zeroshot:{tiny_sentence_model}"
    result = evaluate_with_runtime(model, dataset, tmp_path / "torch", "torch")
    assert result.exit_code == 0, result.output
    for runtime in ("onnx", "onnx-int8", "torch-bf16"):
        result = evaluate_with_runtime(model, dataset, tmp_path / runtime, runtime,
                                       "--reference", str(tmp_path / "torch"))
        assert result.exit_code == 0, result.output
        results = json.loads((tmp_path / runtime / "results.json").read_text())
        assert results["model"]["runtime"] == runtime
        assert results["reference"]["n_compared"] == 24
    fp32 = json.loads((tmp_path / "onnx" / "results.json").read_text())["reference"]
    assert fp32["label_agreement"] == 1.0 and fp32["max_abs_score_difference"] < 1e-4
    fingerprints = {json.loads((tmp_path / name / "results.json").read_text())["model"]
                    ["fingerprint"] for name in ("torch", "onnx", "onnx-int8", "torch-bf16")}
    assert len(fingerprints) == 4  # a store never mixes runtimes
    verdicts = {v["key"]["precision"]: v["verification"] for v in all_verdicts(cache_dir)}
    assert set(verdicts) == {"fp32", "int8", "bf16"}
    for precision in ("int8", "bf16"):
        check = verdicts[precision]
        assert check["passed"] and check["cosine_min"] >= 0.95
        # the 24 texts and one prompt per label (4), labels checked too
        assert check["n_inputs"] == 28 and "the same label" in check["criterion"]


def test_zeroshot_int8_embeddings_do_not_depend_on_batch_mates(tiny_sentence_model, cache_dir):
    texts = ["i am so happy today", "sad", "what a furious angry day this is", "scared",
             "glad news", "i hate this very bad day", "cry", "smile"]
    scores = {}
    for size in (1, 8):
        adapter = load_adapter(f"zeroshot:{tiny_sentence_model}", runtime="onnx-int8",
                               batch_size=size)
        adapter.set_candidate_labels(["joy", "sadness", "anger", "fear"])
        scores[size] = adapter.predict(texts)
    assert np.array_equal(scores[1], scores[8])
    fp32 = load_adapter(f"zeroshot:{tiny_sentence_model}", device="cpu")
    fp32.set_candidate_labels(["joy", "sadness", "anger", "fear"])
    cosine = np.einsum("ij,ij->i", adapter._encode(texts), fp32._encode(texts))
    assert cosine.min() > 0.95


def test_unsupported_sentence_models_are_refused_with_the_way_out(tmp_path, cache_dir):
    from embedding_builders import build_tiny_sentence_model

    model = build_tiny_sentence_model(tmp_path / "max", pooling="max")
    with pytest.raises(EmoevalError, match="use --runtime torch"):
        load_adapter(f"zeroshot:{model}", runtime="onnx")
