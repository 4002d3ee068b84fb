"""INT8 with ONNX Runtime: ``quant_pre_process`` first, then dynamic quantization of the
chosen op types (static, with a calibration set, as an option).

Which op types: measured, not assumed. On a wav2vec2-base-sized model, dynamic INT8 of every
op type ONNX Runtime knows was slower than FP32 (the convolutional feature encoder becomes
ConvInteger, which is slow on CPU), while INT8 of the MatMul nodes alone was faster, smaller
and kept the labels. So MatMul-only is the default; ``auto`` quantizes every candidate, times
each on the verification inputs, and keeps the fastest that passes verification.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EmoevalError
from . import INT8_FILE
from .export import install_files, make_staging, size_bytes, uses_external_data
from .speed import SPEED_INPUTS, alternating_times, ratio_spread
from .verify import FP32_TOLERANCE, INT8_MIN_AGREEMENT, Reference, Verification, \
    onnx_session, session_feeds, verify

#: --ops name -> op types handed to ONNX Runtime (None: every type it can quantize)
OP_CHOICES: dict[str, list[str] | None] = {"matmul": ["MatMul"], "all": None}
OPS_OPTIONS = (*OP_CHOICES, "auto")
#: node types that only appear in a quantized graph
QUANTIZED_NODE_TYPES = {"MatMulInteger", "ConvInteger", "DynamicQuantizeLinear",
                        "QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "QLinearConv",
                        "QAttention", "QGemm", "DynamicQuantizeLSTM", "DynamicQuantizeMatMul",
                        "MatMulIntegerToFloat", "QEmbedLayerNormalization"}
REASONS = {
    "matmul": "default: MatMul nodes only (the linear layers of the transformer). Dynamic "
              "INT8 of every op type also turns the convolutional feature encoder of "
              "wav2vec2-style models into ConvInteger, which made wav2vec2-base slower than "
              "FP32 on CPU; --ops auto measures the candidates on this machine",
    "all": "requested: every op type ONNX Runtime quantizes (--ops all)",
}


@dataclass
class Candidate:
    """One quantized model: its op types, file, size, verification and timing."""

    name: str
    op_types: list[str] | None
    path: str
    size_bytes: int
    verification: Verification
    #: median per input, timed in alternating repeats with the FP32 model (session_runs)
    latency_ms: float = float("nan")
    fp32_latency_ms: float = float("nan")
    #: its speed over FP32's: median and IQR of the per-repeat ratios
    spread: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op_types": op_types_text(self.op_types),
                "size_bytes": self.size_bytes,
                "latency_ms_median": self.latency_ms,
                "fp32_latency_ms_median": self.fp32_latency_ms,
                "speedup_vs_fp32": speedup(self.fp32_latency_ms, self.latency_ms),
                "speedup_vs_fp32_spread": self.spread,
                "verification": {k: v for k, v in self.verification.to_dict().items()
                                 if k != "model"},
                "quantized_nodes": quantized_nodes(self.path)}


def op_types_text(op_types: list[str] | None) -> str:
    return ", ".join(op_types) if op_types else "all (every op type ONNX Runtime quantizes)"


def speedup(slow_ms: float, fast_ms: float) -> float | None:
    return round(slow_ms / fast_ms, 3) if fast_ms > 0 else None


def quantized_nodes(path: str) -> dict[str, int]:
    """Count of each quantized node type in the graph (e.g. MatMulInteger: 72)."""
    import onnx

    model = onnx.load(path, load_external_data=False)
    counts = collections.Counter(n.op_type for n in model.graph.node
                                 if n.op_type in QUANTIZED_NODE_TYPES)
    return dict(sorted(counts.items()))


def preprocess(fp32_path: str, out_path: str) -> None:
    """``quant_pre_process``: shape inference and graph optimisation before quantizing.

    Runs inside the folder of ``out_path``: when ONNX Runtime's symbolic shape inference
    gives up it dumps ``sym_shape_infer_temp.onnx`` and a ``<uuid>.data`` file into the
    working directory, which must not be the user's.
    """
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # its symbolic shape pass logs a warning per dynamic broadcast it cannot name: noise
    logging.getLogger("onnxruntime.tools.symbolic_shape_infer").setLevel(logging.ERROR)
    source, target = os.path.abspath(fp32_path), os.path.abspath(out_path)
    external = uses_external_data(source)
    options = {"save_as_external_data": external, "all_tensors_to_one_file": True,
               "external_data_location": os.path.basename(target) + ".data"} if external else {}
    with contextlib.chdir(os.path.dirname(target)):
        try:
            quant_pre_process(source, target, **options)
        except Exception:
            # symbolic shape inference gives up on some graphs (wav2vec2's convolutional
            # lengths); ONNX's own shape pass suffices for quantizing then
            try:
                quant_pre_process(source, target, skip_symbolic_shape=True, **options)
            except Exception as exc:
                raise EmoevalError(f"quant_pre_process failed on {fp32_path}: "
                                   f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                                   ) from None


def feeds_reader(encoded: list[dict[str, np.ndarray]], input_names: list[str]) -> Any:
    """A ``CalibrationDataReader`` over encoded inputs, one batch-1 feed at a time."""
    from onnxruntime.quantization import CalibrationDataReader

    class FeedsReader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(encoded)

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.items, None)
            if item is None:
                return None
            return {n: item[n].astype(np.float32 if item[n].dtype.kind == "f" else np.int64)
                    for n in input_names}

    return FeedsReader()


def quantize_file(pre_path: str, out_path: str, op_types: list[str] | None,
                  calibration: list[dict[str, np.ndarray]] | None = None) -> None:
    """Dynamic INT8 (weights int8, activations quantized per call), or static QDQ when
    ``calibration`` inputs are given (activation ranges fixed from them, MinMax)."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    external = uses_external_data(pre_path)
    try:
        if calibration is None:
            # per-channel weight scales: per-tensor ones moved MiniLM's sentence embeddings
            # to a mean cosine of 0.954 to FP32 (per channel: 0.991), below the policy
            quantize_dynamic(pre_path, out_path, op_types_to_quantize=op_types,
                             weight_type=QuantType.QInt8, per_channel=True,
                             use_external_data_format=external)
            return
        import onnx

        graph = onnx.load(pre_path, load_external_data=False).graph
        initializers = {t.name for t in graph.initializer}
        names = [i.name for i in graph.input if i.name not in initializers]
        quantize_static(pre_path, out_path, feeds_reader(calibration, names),
                        quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=op_types, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, use_external_data_format=external)
    except EmoevalError:
        raise
    except Exception as exc:
        kind = "static" if calibration is not None else "dynamic"
        raise EmoevalError(f"{kind} INT8 quantization of {op_types_text(op_types)} failed: "
                           f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def build_int8(fp32_path: str, folder: str, reference: Reference, ops: str = "matmul",
               calibration: list[dict[str, np.ndarray]] | None = None,
               min_agreement: float = INT8_MIN_AGREEMENT) -> dict[str, Any]:
    """Quantize ``fp32_path`` into ``folder/model.int8.onnx``.

    ``ops`` is ``matmul``, ``all`` or ``auto`` (every candidate, fastest that passes). The
    chosen model is installed only when it passes verification; otherwise this refuses with
    every candidate's numbers. Returns the ``quantization`` block of ``quantize.json``.
    """
    if ops not in OPS_OPTIONS:
        raise EmoevalError(f"--ops {ops!r}: choose one of {', '.join(OPS_OPTIONS)}")
    names = list(OP_CHOICES) if ops == "auto" else [ops]
    staging = make_staging(folder, "quantize")
    try:
        pre_path = os.path.join(staging, "model.pre.onnx")
        preprocess(fp32_path, pre_path)
        candidates = []
        for name in names:
            os.makedirs(os.path.join(staging, name))
            path = os.path.join(staging, name, INT8_FILE)
            quantize_file(pre_path, path, OP_CHOICES[name], calibration)
            check = verify(reference, path, "int8", FP32_TOLERANCE, min_agreement)
            candidates.append(Candidate(name, OP_CHOICES[name], path, size_bytes(path), check))
        passing = [c for c in candidates if c.verification.passed]
        if not passing:
            numbers = "; ".join(f"{c.name}: {c.verification.describe()}" for c in candidates)
            raise EmoevalError(f"refusing INT8 of {fp32_path}: {numbers}; use the FP32 ONNX "
                               "model, or other op types (--ops matmul | all | auto)")
        timed = reference.encoded[:SPEED_INPUTS]
        seconds = alternating_times(session_runs({"fp32": fp32_path, **{
            c.name: c.path for c in candidates}}), timed)
        per_input = {name: 1000 * float(np.median(times)) / len(timed)
                     for name, times in seconds.items()}
        for candidate in candidates:
            candidate.latency_ms = per_input[candidate.name]
            candidate.fp32_latency_ms = per_input["fp32"]
            candidate.spread = ratio_spread(seconds["fp32"], seconds[candidate.name])
        chosen = min(passing, key=lambda c: c.latency_ms)
        block = {
            "mode": "static" if calibration is not None else "dynamic",
            "ops": ops, "chosen": chosen.name, "op_types": op_types_text(chosen.op_types),
            "reason": reason(ops, chosen, candidates),
            "weight_type": "int8",
            "activation_type": ("uint8, ranges calibrated (MinMax, QDQ)"
                                if calibration is not None else "uint8, quantized per call"),
            "n_calibration_inputs": len(calibration) if calibration is not None else None,
            "candidates": [c.to_dict() for c in candidates],
            "verification": chosen.verification.to_dict(),
        }
        chosen_dir = os.path.dirname(chosen.path)
        install_files(chosen_dir, folder, os.listdir(chosen_dir))
        block["verification"]["model"] = os.path.join(folder, INT8_FILE)
        return block
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def session_runs(paths: dict[str, str]) -> dict[str, Any]:
    """One ONNX Runtime session per file, as a call on one encoded input (batch 1)."""
    runs = {}
    for name, path in paths.items():
        session = onnx_session(path)
        runs[name] = (lambda item, s=session, p=path: s.run(None, session_feeds(s, p, item)))
    return runs


def reason(ops: str, chosen: Candidate, candidates: list[Candidate]) -> str:
    if ops != "auto":
        return REASONS[ops]
    timings = ", ".join(f"{c.name} {c.latency_ms:.1f} ms"
                        + ("" if c.verification.passed else " (failed verification)")
                        for c in candidates)
    return (f"--ops auto: median latency per verification input, timed in alternating "
            f"repeats: ONNX FP32 "
            f"{chosen.fp32_latency_ms:.1f} ms, {timings}; kept {chosen.name}, the fastest "
            "that passed verification")
