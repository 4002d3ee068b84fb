"""``onnx:`` loads an exported model with its config and preprocessing files beside it and
gives the same scores as the PyTorch model it came from."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from builders import build_audio_classifier, build_text_classifier

from emoeval.adapters.base import load_adapter
from emoeval.errors import EmoevalError


def export(model, inputs: dict, path, axes: dict) -> None:
    import torch

    import inspect

    # positional inputs in the forward signature's order (the tokenizer's key order differs,
    # and the TorchScript exporter mis-binds kwargs)
    names = [n for n in inspect.signature(model.forward).parameters if n in inputs]
    torch.onnx.export(model, tuple(inputs[n] for n in names), str(path), input_names=names,
                      output_names=["logits"], dynamic_axes=axes, dynamo=False)


def test_text_onnx_matches_pytorch(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = build_text_classifier(tmp_path / "bert", ["joy", "sadness", "anger", "fear"])
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    encoded = dict(AutoTokenizer.from_pretrained(folder)(["i am happy", "so sad today"],
                                                         return_tensors="pt", padding=True))
    export(model, encoded, folder / "model.onnx", {n: {0: "batch", 1: "seq"} for n in encoded})
    onnx_adapter = load_adapter(f"onnx:{folder / 'model.onnx'}")
    torch_adapter = load_adapter(f"hf:{folder}")
    assert onnx_adapter.modality == "text" and onnx_adapter.labels == torch_adapter.labels
    texts = ["i am so happy today", "sad", "this is not a very good day at all i hate it"]
    np.testing.assert_allclose(onnx_adapter.predict(texts), torch_adapter.predict(texts),
                               atol=1e-5)
    info = onnx_adapter.efficiency()
    # initializer elements: the exporter folds some constants, so close, not equal
    assert info["n_parameters"] == pytest.approx(torch_adapter.efficiency()["n_parameters"],
                                                 rel=0.05)
    assert info["size_bytes"] == (folder / "model.onnx").stat().st_size


@pytest.mark.parametrize("attention_mask", [True, False])
def test_audio_onnx_matches_pytorch(tmp_path, attention_mask):
    import torch
    from transformers import AutoModelForAudioClassification

    folder = build_audio_classifier(tmp_path / "w2v", ["angry", "happy", "neutral", "sad"],
                                    attention_mask=attention_mask)
    model = AutoModelForAudioClassification.from_pretrained(folder).eval()
    inputs = {"input_values": torch.randn(2, 4000)}
    if attention_mask:
        inputs["attention_mask"] = torch.ones(2, 4000, dtype=torch.long)
    export(model, inputs, folder / "model.onnx", {n: {0: "batch", 1: "time"} for n in inputs})
    onnx_adapter = load_adapter(f"onnx:{folder / 'model.onnx'}")
    torch_adapter = load_adapter(f"hf:{folder}")
    assert onnx_adapter.modality == "audio" and onnx_adapter.sampling_rate == 16000
    rng = np.random.default_rng(1)
    clips = [0.1 * rng.standard_normal(n).astype(np.float32) for n in (4000, 6400, 4000)]
    np.testing.assert_allclose(onnx_adapter.predict(clips), torch_adapter.predict(clips),
                               atol=1e-4)


def test_onnx_needs_config_beside_the_model(tmp_path):
    with pytest.raises(EmoevalError, match="does not exist"):
        load_adapter(f"onnx:{tmp_path / 'absent.onnx'}")
    folder = build_text_classifier(tmp_path / "bert", ["joy", "sadness"])
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(folder / "vocab.txt", lonely / "model.onnx")  # any file: config is checked first
    with pytest.raises(EmoevalError, match="no config.json"):
        load_adapter(f"onnx:{lonely / 'model.onnx'}")
