"""Export to the fixed layout, FP32 verification against PyTorch, and its refusals."""

from __future__ import annotations

import inspect
import json
import os

import numpy as np
import pytest
from builders import build_audio_classifier, build_text_classifier
from onnx_builders import AUDIO_LABELS, TEXT_LABELS, tone

from emoeval.adapters.base import load_adapter
from emoeval.errors import EmoevalError
from emoeval.onnx import FP32_FILE, MANIFEST_FILE
from emoeval.onnx.export import (consolidate_external_data, ensure_export, example_inputs,
                                 load_torch_model, positional_inputs, size_bytes)
from emoeval.onnx.verify import (FP32_TOLERANCE, reference_outputs, require, synthetic_inputs,
                                 verify)


@pytest.mark.parametrize("kind", ["text", "audio-mask", "audio-group-norm"])
def test_export_layout_loads_through_onnx_adapter_and_matches_pytorch(tmp_path, kind):
    if kind == "text":
        source = build_text_classifier(tmp_path / "src", TEXT_LABELS)
        inputs = ["i am so happy today", "sad", "this is not a very good day at all i hate it"]
        expected = {"config.json", "tokenizer_config.json"}
    else:
        source = build_audio_classifier(tmp_path / "src", AUDIO_LABELS,
                                        attention_mask=kind == "audio-mask")
        # lengths the export never saw: the batch and length axes are dynamic
        inputs = [tone(label, seconds, i) for i, (label, seconds)
                  in enumerate(zip(AUDIO_LABELS, (0.25, 0.5, 0.25, 1.3)))]
        expected = {"config.json", "preprocessor_config.json"}
    torch_adapter = load_torch_model(f"hf:{source}")
    folder = tmp_path / "onnx"
    path = ensure_export(torch_adapter, str(folder))
    assert path == str(folder / FP32_FILE)
    assert expected | {FP32_FILE, MANIFEST_FILE} <= set(os.listdir(folder))
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["source"] == f"hf:{source}" and "dynamo=False" in manifest["exporter"]

    onnx_adapter = load_adapter(f"onnx:{path}")
    assert onnx_adapter.labels == torch_adapter.labels
    assert onnx_adapter.modality == torch_adapter.modality
    np.testing.assert_allclose(onnx_adapter.predict(inputs), torch_adapter.predict(inputs),
                               atol=1e-5)
    check = require(verify(reference_outputs(torch_adapter, inputs, "test"), path, "fp32"))
    assert check.passed and check.max_abs_logit_diff <= FP32_TOLERANCE
    assert check.n_inputs == len(inputs) and check.label_agreement == 1.0


def test_export_is_reused_until_the_weights_change(tmp_path):
    source = build_text_classifier(tmp_path / "src", TEXT_LABELS)
    folder = str(tmp_path / "onnx")
    path = ensure_export(load_torch_model(f"hf:{source}"), folder)
    first = os.stat(path).st_mtime_ns
    assert ensure_export(load_torch_model(f"hf:{source}"), folder) == path
    assert os.stat(path).st_mtime_ns == first
    build_text_classifier(tmp_path / "src", TEXT_LABELS, seed=7)  # new weights, same place
    ensure_export(load_torch_model(f"hf:{source}"), folder)
    assert os.stat(path).st_mtime_ns != first


def test_inputs_go_in_by_position_in_forward_order(tmp_path):
    source = build_text_classifier(tmp_path / "src", TEXT_LABELS)
    adapter = load_torch_model(f"hf:{source}")
    inputs = example_inputs(adapter)
    names, args = positional_inputs(adapter.model, inputs)
    signature = list(inspect.signature(adapter.model.forward).parameters)
    assert names == sorted(inputs, key=signature.index)
    assert all(args[signature.index(name)] is inputs[name] for name in names)
    assert all(not value.is_floating_point() and value.dtype.itemsize == 8
               for value in inputs.values())  # int64, as the onnx: adapter feeds them


def test_a_tampered_export_is_refused_with_the_numbers(tmp_path):
    import onnx
    from onnx import numpy_helper

    source = build_audio_classifier(tmp_path / "src", AUDIO_LABELS, attention_mask=False)
    adapter = load_torch_model(f"hf:{source}")
    path = ensure_export(adapter, str(tmp_path / "onnx"))
    model = onnx.load(path)
    biggest = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    values = numpy_helper.to_array(biggest)
    biggest.CopyFrom(numpy_helper.from_array(values + 0.5, biggest.name))
    onnx.save(model, path)

    check = verify(reference_outputs(adapter, synthetic_inputs(adapter, 4), "noise"), path,
                   "fp32")
    assert not check.passed and check.max_abs_logit_diff > FP32_TOLERANCE
    with pytest.raises(EmoevalError) as error:
        require(check)
    message = str(error.value)
    assert "refusing" in message and f"{check.max_abs_logit_diff:.3g}" in message
    assert "<= 0.001" in message


def test_a_too_strict_tolerance_refuses(tmp_path):
    source = build_audio_classifier(tmp_path / "src", AUDIO_LABELS, attention_mask=True)
    adapter = load_torch_model(f"hf:{source}")
    path = ensure_export(adapter, str(tmp_path / "onnx"))
    reference = reference_outputs(adapter, synthetic_inputs(adapter, 4), "noise")
    check = verify(reference, path, "fp32")
    assert check.passed
    if check.max_abs_logit_diff == 0:
        pytest.skip("ONNX Runtime reproduced PyTorch bit for bit: no tolerance is too strict")
    strict = verify(reference, path, "fp32", tolerance=check.max_abs_logit_diff / 2)
    with pytest.raises(EmoevalError, match="max \\|logit difference\\|"):
        require(strict)


def test_external_weights_are_gathered_beside_the_model_and_counted(tmp_path):
    import onnx

    source = build_text_classifier(tmp_path / "src", TEXT_LABELS)
    adapter = load_torch_model(f"hf:{source}")
    folder = tmp_path / "onnx"
    path = ensure_export(adapter, str(folder))
    # the TorchScript exporter writes one file per tensor above 2 GB: do that here, small
    onnx.save_model(onnx.load(path), path, save_as_external_data=True,
                    all_tensors_to_one_file=False, size_threshold=0)
    assert len(os.listdir(folder)) > 8
    consolidate_external_data(path)
    data = folder / (FP32_FILE + ".data")
    assert data.is_file()
    assert not [f for f in os.listdir(folder) if f not in
                {FP32_FILE, FP32_FILE + ".data", MANIFEST_FILE, "config.json",
                 "tokenizer_config.json", "tokenizer.json"}]
    assert size_bytes(path) == os.path.getsize(path) + data.stat().st_size
    assert data.stat().st_size > os.path.getsize(path)
    onnx_adapter = load_adapter(f"onnx:{path}")
    assert onnx_adapter.efficiency()["size_bytes"] == size_bytes(path)
    assert verify(reference_outputs(adapter, ["so sad", "glad"], "t"), path, "fp32").passed


def test_only_hf_models_are_exported():
    with pytest.raises(EmoevalError, match="hf: model"):
        load_torch_model("onnx:model.onnx")
