"""INT8 with ONNX Runtime on fitted tiny models: which nodes get quantized, the labels it
keeps, the ``auto`` choice, static calibration, and refusal when labels change."""

from __future__ import annotations

import os

import numpy as np
import pytest
from onnx_builders import AUDIO_LABELS, tone

from emoeval.adapters.base import load_adapter
from emoeval.errors import EmoevalError
from emoeval.onnx import FP32_FILE, INT8_FILE
from emoeval.onnx.export import ensure_export, load_torch_model, size_bytes
from emoeval.onnx.quantize import build_int8, quantized_nodes
from emoeval.onnx.verify import Reference, encode_one, reference_outputs

#: INT8 must give PyTorch's label on at least this share of the held-out clips; a fitted
#: head has real margins, so the policy's 99% holds with room on 16 clips
MIN_AGREEMENT = 0.99


def held_out_clips(n_per_label: int = 4, seed: int = 500) -> tuple[list[np.ndarray], list[int]]:
    clips, targets = [], []
    for i in range(n_per_label):
        for index, label in enumerate(AUDIO_LABELS):
            clips.append(tone(label, 0.35 + 0.15 * i, seed + 10 * i + index))
            targets.append(index)
    return clips, targets


@pytest.fixture(scope="module")
def exported(fitted_audio_model, tmp_path_factory):
    """(torch adapter, export folder, reference on 16 held-out clips)."""
    adapter = load_torch_model(f"hf:{fitted_audio_model}")
    folder = tmp_path_factory.mktemp("exported")
    ensure_export(adapter, str(folder))
    clips, _ = held_out_clips()
    return adapter, folder, reference_outputs(adapter, clips, "held-out tones")


@pytest.fixture
def empty_working_dir(tmp_path, monkeypatch):
    """ONNX Runtime's shape inference may dump files into the working directory: it must be
    ours, and left empty."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    yield folder
    assert not os.listdir(folder)


def fresh_copy(exported, tmp_path) -> str:
    """A folder with the FP32 file only, so each test quantizes from scratch."""
    import shutil

    _, folder, _ = exported
    target = tmp_path / "model"
    shutil.copytree(folder, target)
    for name in os.listdir(target):
        if name.startswith(INT8_FILE):
            os.remove(target / name)
    return str(target)


@pytest.mark.parametrize("ops, present, absent", [
    ("matmul", {"MatMulInteger"}, {"ConvInteger"}),
    ("all", {"MatMulInteger", "ConvInteger"}, set()),
])
def test_dynamic_int8_quantizes_the_chosen_ops_and_keeps_labels(exported, tmp_path, ops,
                                                                 present, absent,
                                                                 empty_working_dir):
    adapter, _, reference = exported
    folder = fresh_copy(exported, tmp_path)
    block = build_int8(os.path.join(folder, FP32_FILE), folder, reference, ops=ops)
    path = os.path.join(folder, INT8_FILE)
    nodes = quantized_nodes(path)
    assert present <= set(nodes) and not absent & set(nodes)
    assert block["mode"] == "dynamic" and block["chosen"] == ops
    assert block["op_types"].startswith("MatMul" if ops == "matmul" else "all")
    assert block["verification"]["passed"]
    assert block["verification"]["label_agreement"] >= MIN_AGREEMENT
    assert size_bytes(path) < size_bytes(os.path.join(folder, FP32_FILE))

    # through the onnx: adapter, on clips of lengths the reference never had
    clips, targets = held_out_clips(n_per_label=3, seed=900)
    int8_labels = load_adapter(f"onnx:{path}").predict(clips).argmax(axis=1)
    torch_labels = adapter.predict(clips).argmax(axis=1)
    assert np.mean(int8_labels == torch_labels) >= 11 / 12
    assert np.mean(torch_labels == np.array(targets)) >= 9 / 12  # the fit is real (chance: 3)


def test_auto_keeps_the_fastest_candidate_that_passes(exported, tmp_path):
    _, _, reference = exported
    folder = fresh_copy(exported, tmp_path)
    block = build_int8(os.path.join(folder, FP32_FILE), folder, reference, ops="auto")
    candidates = {c["name"]: c for c in block["candidates"]}
    assert set(candidates) == {"matmul", "all"}
    passing = [c for c in candidates.values() if c["verification"]["passed"]]
    fastest = min(passing, key=lambda c: c["latency_ms_median"])
    assert block["chosen"] == fastest["name"]
    # one FP32 timing, taken in turns with the candidates, is the yardstick for all
    assert len({c["fp32_latency_ms_median"] for c in candidates.values()}) == 1
    assert all(c["speedup_vs_fp32"] == pytest.approx(
        c["fp32_latency_ms_median"] / c["latency_ms_median"], rel=1e-2)
        for c in candidates.values())
    assert "--ops auto" in block["reason"] and "matmul" in block["reason"]
    assert set(quantized_nodes(os.path.join(folder, INT8_FILE))) == \
        set(candidates[block["chosen"]]["quantized_nodes"])


def test_static_int8_with_calibration(exported, tmp_path, empty_working_dir):
    adapter, _, reference = exported
    folder = fresh_copy(exported, tmp_path)
    clips, _ = held_out_clips(n_per_label=3, seed=2000)
    calibration = [encode_one(adapter, clip) for clip in clips]
    block = build_int8(os.path.join(folder, FP32_FILE), folder, reference, ops="matmul",
                       calibration=calibration)
    nodes = quantized_nodes(os.path.join(folder, INT8_FILE))
    assert {"QuantizeLinear", "DequantizeLinear"} <= set(nodes)
    assert block["mode"] == "static" and block["n_calibration_inputs"] == 12
    assert block["verification"]["label_agreement"] >= MIN_AGREEMENT


def test_int8_that_changes_labels_is_refused_and_not_installed(exported, tmp_path):
    _, _, reference = exported
    folder = fresh_copy(exported, tmp_path)
    # a reference whose labels INT8 cannot reproduce: PyTorch's logits with classes rolled
    rolled = Reference(reference.encoded, np.roll(reference.logits, 1, axis=1),
                       reference.latency_ms, reference.source)
    with pytest.raises(EmoevalError) as error:
        build_int8(os.path.join(folder, FP32_FILE), folder, rolled, ops="auto")
    message = str(error.value)
    assert "refusing INT8" in message and "matmul:" in message and "all:" in message
    assert "same label on 0.0%" in message
    assert not os.path.exists(os.path.join(folder, INT8_FILE))
    assert not [n for n in os.listdir(folder) if n.startswith(".quantize-")]


def test_unknown_ops_is_an_error(exported, tmp_path):
    _, _, reference = exported
    folder = fresh_copy(exported, tmp_path)
    with pytest.raises(EmoevalError, match="matmul, all, auto"):
        build_int8(os.path.join(folder, FP32_FILE), folder, reference, ops="conv")


def test_text_int8_keeps_labels(fitted_text_model, tmp_path, empty_working_dir):
    from onnx_builders import text_examples

    adapter = load_torch_model(f"hf:{fitted_text_model}")
    folder = str(tmp_path / "model")
    fp32 = ensure_export(adapter, folder)
    texts, targets = text_examples()
    block = build_int8(fp32, folder, reference_outputs(adapter, texts, "keywords"), ops="all")
    assert block["verification"]["label_agreement"] >= MIN_AGREEMENT
    assert "MatMulInteger" in quantized_nodes(os.path.join(folder, INT8_FILE))
    labels = load_adapter(f"onnx:{os.path.join(folder, INT8_FILE)}").predict(texts)
    assert np.mean(labels.argmax(axis=1) == np.array(targets)) >= 0.95
