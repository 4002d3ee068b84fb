"""``emoeval quantize``: export, verify and quantize an ``hf:`` model, and with a dataset
evaluate PyTorch FP32, ONNX FP32 and ONNX INT8 on the same samples.

``OUT/model/`` holds the fixed layout (``model.fp32.onnx``, ``model.int8.onnx``, config and
preprocessing files); ``OUT/torch``, ``OUT/onnx-fp32`` and ``OUT/onnx-int8`` are three full
``emoeval evaluate`` runs (resumable); ``quantize.json`` and ``quantize.md`` compare them.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..audio import audio_duration
from ..datasets.base import DatasetOptions, Row, load_dataset
from ..errors import EmoevalError
from ..evaluation import EvaluationConfig, evaluate
from ..results import SCHEMA_VERSION
from ..results_io import run_block
from ..selection import RowSelection, prepare_rows, stratified_limit
from ..store import MANIFEST_FILE as STORE_MANIFEST
from . import FP32_FILE, INT8_FILE
from .export import ensure_export, load_torch_model, model_files, read_manifest, size_bytes, \
    source_fingerprint, write_manifest
from .quantize import OPS_OPTIONS, build_int8, session_runs
from .speed import SPEED_INPUTS, alternating_times, describe_ratio, speed_block
from .report import RUN_NAMES, compare_runs, write_outputs
from .verify import FP32_TOLERANCE, INT8_MIN_AGREEMENT, VERIFY_SAMPLES, encode_one, \
    reference_outputs, require, synthetic_inputs, verification_inputs, verify

MODEL_DIR = "model"


@dataclass
class QuantizeConfig:
    """Everything ``emoeval quantize`` takes, with the CLI's defaults."""

    model: str
    out: str
    dataset: str | None = None
    split: str | None = None
    limit: int | None = None
    #: 1: latency per sample is one forward pass, as a real-time caller would see it
    batch_size: int = 1
    seed: int = 0
    ops: str = "matmul"
    static: bool = False
    calibration: str | None = None
    calibration_split: str | None = None
    calibration_limit: int = 64
    verify_samples: int = VERIFY_SAMPLES
    tolerance: float = FP32_TOLERANCE
    min_agreement: float = INT8_MIN_AGREEMENT
    labels: list[str] | None = None
    keep_labels: list[str] | None = None
    merge: list[str] = field(default_factory=list)
    label_map: str | None = None
    dataset_options: DatasetOptions = field(default_factory=DatasetOptions)
    command: str = ""


def check_options(cfg: QuantizeConfig) -> None:
    """Every option problem, before anything is loaded or written."""
    if cfg.ops not in OPS_OPTIONS:
        raise EmoevalError(f"--ops {cfg.ops!r}: choose one of {', '.join(OPS_OPTIONS)}")
    if cfg.static and not cfg.calibration:
        raise EmoevalError("--static needs --calibration SPEC (a dataset to fix activation "
                           "ranges on, e.g. csv:calibration.csv)")
    if cfg.calibration and not cfg.static:
        raise EmoevalError("--calibration is used by static quantization only: add --static")
    if cfg.limit is not None and not cfg.dataset:
        raise EmoevalError("--limit applies to --dataset: give one")
    for name, value in (("--verify-samples", cfg.verify_samples),
                        ("--calibration-limit", cfg.calibration_limit),
                        ("--batch-size", cfg.batch_size)):
        if value < 1:
            raise EmoevalError(f"{name} {value}: give a positive number")
    if not 0 < cfg.min_agreement <= 1:
        raise EmoevalError(f"--min-agreement {cfg.min_agreement}: give a share in (0, 1]")
    if cfg.tolerance <= 0:
        raise EmoevalError(f"--tolerance {cfg.tolerance}: give a positive number")


def evaluation_config(cfg: QuantizeConfig, model: str, out: str,
                      adapter_options: dict[str, Any] | None = None) -> EvaluationConfig:
    return EvaluationConfig(model=model, dataset=cfg.dataset or "", out=out, split=cfg.split,
                            limit=cfg.limit, batch_size=cfg.batch_size, labels=cfg.labels,
                            keep_labels=cfg.keep_labels, merge=cfg.merge,
                            label_map=cfg.label_map, seed=cfg.seed,
                            dataset_options=cfg.dataset_options,
                            adapter_options=adapter_options or {}, command=cfg.command)


def evaluation_rows(cfg: QuantizeConfig) -> list[Row]:
    """The samples every runtime is evaluated on (label options and --limit applied)."""
    dataset = load_dataset(cfg.dataset, cfg.dataset_options)
    rows, _, _ = prepare_rows(dataset, dataset.rows(cfg.split), RowSelection.of(cfg))
    return rows


def calibration_feeds(cfg: QuantizeConfig, adapter: Any
                      ) -> tuple[list[dict[str, np.ndarray]], dict[str, Any]]:
    """Encoded inputs from a seeded, stratified sample of ``calibration_limit`` rows of
    --calibration (rows that do not decode are skipped), and a note of what was used."""
    dataset = load_dataset(cfg.calibration, cfg.dataset_options)
    rows = stratified_limit(dataset.rows(cfg.calibration_split), cfg.calibration_limit,
                            cfg.seed)
    inputs, _ = verification_inputs(rows, adapter, k=len(rows))
    note = {"spec": cfg.calibration, "split": cfg.calibration_split, "n_sampled": len(rows),
            "n_decoded": len(inputs)}
    return [encode_one(adapter, item) for item in inputs], note


def int8_settings(cfg: QuantizeConfig) -> dict[str, Any]:
    """What decides the INT8 file: the same settings reuse it on a rerun."""
    return {"ops": cfg.ops, "mode": "static" if cfg.static else "dynamic",
            "calibration": cfg.calibration, "calibration_split": cfg.calibration_split,
            "calibration_limit": cfg.calibration_limit if cfg.static else None,
            "seed": cfg.seed, "min_agreement": cfg.min_agreement}


def check_reuse(cfg: QuantizeConfig, folder: str, fingerprint: str) -> None:
    """Refuse, before anything is overwritten, a rerun whose model or INT8 settings differ
    from those the evaluations already in ``cfg.out`` were made with."""
    manifest = read_manifest(folder)
    if not manifest:
        return
    evaluated = [name for name in RUN_NAMES
                 if os.path.isfile(os.path.join(cfg.out, name, STORE_MANIFEST))]
    if manifest.get("source_fingerprint") != fingerprint and evaluated:
        raise EmoevalError(f"{cfg.out} holds the export and evaluations of "
                           f"{manifest.get('source')!r}, not {cfg.model!r}; use another --out")
    stored = (manifest.get("int8") or {}).get("settings")
    if stored and stored != int8_settings(cfg) and "onnx-int8" in evaluated:
        differing = ", ".join(f"{k} {stored.get(k)!r} (now {v!r})"
                              for k, v in int8_settings(cfg).items() if stored.get(k) != v)
        raise EmoevalError(f"{cfg.out} holds an INT8 model and its evaluation made with other "
                           f"settings: {differing}; rerun with those to resume, or use "
                           "another --out")


def audio_seconds(rows: list[Row]) -> dict[str, float]:
    """Duration per sample id, from the file headers (audio datasets only)."""
    durations = {}
    for row in rows:
        if row.audio is not None:
            seconds = audio_duration(row.audio)
            if seconds:
                durations[row.id] = seconds
    return durations


def run_quantize(cfg: QuantizeConfig, log: Callable[[str], None] | None = None,
                 on_progress: Callable[[str, int, int], None] | None = None
                 ) -> dict[str, Any]:
    """Export, verify, quantize; with a dataset, evaluate all three runtimes and compare.

    Writes ``quantize.json`` and ``quantize.md`` into ``cfg.out`` and returns the summary.
    A rerun into the same folder reuses the export, the INT8 file (same settings) and every
    finished prediction.
    """
    def say(message: str) -> None:
        if log:
            log(message)

    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    check_options(cfg)
    adapter = load_torch_model(cfg.model)
    rows = evaluation_rows(cfg) if cfg.dataset else []
    if rows and rows[0].modality != adapter.modality:
        raise EmoevalError(f"{cfg.model} takes {adapter.modality} but {cfg.dataset} holds "
                           f"{rows[0].modality}; pick a matching model or dataset")
    calibration, calibration_note = calibration_feeds(cfg, adapter) if cfg.static \
        else (None, None)
    folder = os.path.join(cfg.out, MODEL_DIR)
    fingerprint = source_fingerprint(adapter)
    check_reuse(cfg, folder, fingerprint)
    exported = read_manifest(folder).get("source_fingerprint") == fingerprint \
        and os.path.isfile(os.path.join(folder, FP32_FILE))
    say(f"{'reusing the export' if exported else 'exporting'} {cfg.model} -> "
        f"{os.path.join(folder, FP32_FILE)}")
    fp32_path = ensure_export(adapter, folder)
    if rows:
        inputs, ids = verification_inputs(rows, adapter, cfg.verify_samples)
        source = f"a stratified sample of {len(ids)} evaluation samples of {cfg.dataset}"
    else:
        inputs = synthetic_inputs(adapter, cfg.verify_samples)
        source = (f"{len(inputs)} synthetic inputs (seeded noise clips of 1-3 s)"
                  if adapter.modality == "audio" else f"{len(inputs)} fixed sentences")
    reference = reference_outputs(adapter, inputs, source)
    fp32_check = require(verify(reference, fp32_path, "fp32", cfg.tolerance))
    say(fp32_check.describe())

    int8_path = os.path.join(folder, INT8_FILE)
    manifest = read_manifest(folder)
    settings = int8_settings(cfg)
    stored = manifest.get("int8") or {}
    if os.path.isfile(int8_path) and stored.get("settings") == settings:
        say(f"reusing {int8_path} (same settings)")
        quantization = dict(stored["quantization"])
        int8_check = require(verify(reference, int8_path, "int8",
                                    min_agreement=cfg.min_agreement))
        quantization["verification"] = int8_check.to_dict()
    else:
        say(f"quantizing ({settings['mode']}, --ops {cfg.ops})")
        quantization = build_int8(fp32_path, folder, reference, ops=cfg.ops,
                                  calibration=calibration, min_agreement=cfg.min_agreement)
        quantization["calibration"] = calibration_note
        manifest["int8"] = {"file": INT8_FILE, "settings": settings,
                            "quantization": quantization}
        write_manifest(folder, manifest)
    say(f"INT8: {quantization['op_types']} ({quantization['reason']})")

    speed = runtime_speed(adapter, reference, fp32_path, int8_path)
    for pair, ratio in speed["ratios"].items():
        say(f"speed {pair}: {describe_ratio(ratio)} on {speed['n_inputs']} inputs, batch 1")
    torch_size = adapter.efficiency().get("size_bytes")
    fp32_size, int8_size = size_bytes(fp32_path), size_bytes(int8_path)
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "model": {"spec": cfg.model, "fingerprint": fingerprint,
                  "modality": adapter.modality,
                  "n_parameters": adapter.efficiency().get("n_parameters")},
        "export": {"folder": folder, "exporter": manifest.get("exporter"),
                   "fp32": fp32_path, "int8": int8_path},
        "sizes": {
            "torch_bytes": torch_size,
            "onnx_fp32_bytes": fp32_size,
            "onnx_fp32_files": [os.path.basename(p) for p in model_files(fp32_path)],
            "onnx_int8_bytes": int8_size,
            "onnx_int8_files": [os.path.basename(p) for p in model_files(int8_path)],
            "int8_to_fp32": round(int8_size / fp32_size, 4),
            "reduction": round(1 - int8_size / fp32_size, 4),
        },
        "verification": {"fp32": fp32_check.to_dict(), "int8": quantization["verification"]},
        "quantization": quantization,
        "speed": speed,
        "dataset": None,
        "comparison": None,
        "environment": environment(),
    }
    del adapter, reference  # the evaluations load their own models
    gc.collect()
    if rows:
        specs = {"torch": cfg.model, "onnx-fp32": f"onnx:{fp32_path}",
                 "onnx-int8": f"onnx:{int8_path}"}
        for name in RUN_NAMES:
            say(f"evaluating {name}: {specs[name]} -> {os.path.join(cfg.out, name)}")
            # every runtime on CPU, so the speed columns compare like with like
            options = {"device": "cpu"} if name == "torch" else {}
            run_cfg = evaluation_config(cfg, specs[name], os.path.join(cfg.out, name), options)
            if name != "torch":  # its agreement with the PyTorch run, in its results.json
                run_cfg.reference = os.path.join(cfg.out, "torch")
            evaluate(run_cfg,
                     on_progress=(lambda done, total, n=name: on_progress(n, done, total))
                     if on_progress else None)
        summary["dataset"] = {"spec": cfg.dataset, "split": cfg.split, "limit": cfg.limit,
                              "seed": cfg.seed, "n_samples": len(rows),
                              "batch_size": cfg.batch_size}
        summary["comparison"] = compare_runs(cfg.out, audio_seconds(rows))
        if cfg.static and cfg.calibration == cfg.dataset:
            summary.setdefault("warnings", []).append(
                "calibrated on the evaluation data itself: the INT8 figures are optimistic; "
                "calibrate on another split or set")
    summary["run"] = run_block(cfg.command, started, t0)
    write_outputs(cfg.out, summary)
    return summary


#: (faster, baseline) pairs of the speed block
SPEED_PAIRS = [("onnx-fp32", "torch"), ("onnx-int8", "torch"), ("onnx-int8", "onnx-fp32")]


def runtime_speed(adapter: Any, reference: Any, fp32_path: str, int8_path: str
                  ) -> dict[str, Any]:
    """PyTorch FP32, ONNX FP32 and ONNX INT8 on the first ``SPEED_INPUTS`` verification
    inputs (a stratified sample), one input per call, in alternating repeats: each ratio with
    its median and IQR (:mod:`.speed`)."""
    import torch

    def torch_run(item: dict[str, np.ndarray]) -> Any:
        with torch.inference_mode():
            return adapter.model(**{k: torch.from_numpy(v) for k, v in item.items()})

    runs = {"torch": torch_run, **session_runs({"onnx-fp32": fp32_path,
                                                "onnx-int8": int8_path})}
    timed = reference.encoded[:SPEED_INPUTS]
    return speed_block(alternating_times(runs, timed), SPEED_PAIRS, len(timed))


def environment() -> dict[str, Any]:
    """What the speed figures depend on."""
    import onnxruntime
    import torch

    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
            "providers": "CPUExecutionProvider (verification); the onnx: adapter's default "
                         "providers (evaluation)"}
