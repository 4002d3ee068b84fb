"""``emoeval evaluate --runtime onnx|onnx-int8``: run an ``hf:`` model with ONNX Runtime.

The export is made once per model and cached by the model's fingerprint (weights and
preprocessing files) under ``$EMOEVAL_CACHE_DIR/onnx/<fingerprint>/`` (default
``~/.cache/emoeval``), in the fixed layout. Every run verifies the cached file against
PyTorch on the run's own first samples before any prediction, and refuses when it fails.
"""

from __future__ import annotations

import os

from ..datasets.base import Row
from ..errors import EmoevalError
from . import INT8_FILE
from .export import ensure_export, load_torch_model, read_manifest, source_fingerprint, \
    write_manifest
from .quantize import build_int8
from .verify import VERIFY_SAMPLES, reference_outputs, require, verification_inputs, verify

RUNTIMES = ("torch", "onnx", "onnx-int8")


def cache_root() -> str:
    """``$EMOEVAL_CACHE_DIR/onnx``, default ``~/.cache/emoeval/onnx``."""
    base = os.environ.get("EMOEVAL_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "emoeval")
    return os.path.join(base, "onnx")


def check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise EmoevalError(f"--runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")


def prepare_runtime(model_spec: str, runtime: str, rows: list[Row]) -> str:
    """The ``onnx:<path>`` spec to evaluate instead of ``model_spec`` (an ``hf:`` model).

    Exports (once) and, for ``onnx-int8``, quantizes MatMul nodes (once); verifies the file
    on the first ``VERIFY_SAMPLES`` rows that decode. ``torch`` returns ``model_spec``.
    """
    check_runtime(runtime)
    if runtime == "torch":
        return model_spec
    if not model_spec.startswith("hf:"):
        raise EmoevalError(f"--runtime {runtime} exports hf: models only, and {model_spec!r} "
                           "is not one; drop --runtime (an onnx:<file> model already runs with "
                           "ONNX Runtime)")
    adapter = load_torch_model(model_spec)
    if rows and adapter.modality != rows[0].modality:
        raise EmoevalError(f"{model_spec} takes {adapter.modality} but the dataset holds "
                           f"{rows[0].modality}; pick a matching model or dataset")
    folder = os.path.join(cache_root(), source_fingerprint(adapter))
    fp32_path = ensure_export(adapter, folder)
    inputs, ids = verification_inputs(rows, adapter, VERIFY_SAMPLES)
    reference = reference_outputs(adapter, inputs, f"the run's first {len(ids)} samples")
    require(verify(reference, fp32_path, "fp32"))
    if runtime == "onnx":
        return f"onnx:{fp32_path}"
    int8_path = os.path.join(folder, INT8_FILE)
    if os.path.isfile(int8_path):
        require(verify(reference, int8_path, "int8"))
    else:
        block = build_int8(fp32_path, folder, reference, ops="matmul")
        manifest = read_manifest(folder)
        manifest["int8"] = {"file": INT8_FILE, **{k: block[k] for k in
                                                  ("mode", "ops", "op_types", "reason")}}
        write_manifest(folder, manifest)
    return f"onnx:{int8_path}"
