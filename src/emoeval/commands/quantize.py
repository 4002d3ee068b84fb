"""``emoeval quantize``: ONNX FP32 and INT8 of an ``hf:`` model, and what INT8 costs.

A thin layer over :func:`emoeval.onnx.pipeline.run_quantize`; torch, transformers and
onnxruntime are imported only when the command runs.
"""

from __future__ import annotations

from typing import Optional

import typer

# light module (numpy only): the policy's numbers, one source for the CLI and the API
from ..onnx.verify import FP32_TOLERANCE, INT8_MIN_AGREEMENT, VERIFY_SAMPLES
from ..datasets.base import DatasetOptions
from ..options import DATASET_PANEL, MODEL_PANEL, RUN_PANEL
from ._shared import (
    LabelOptions,
    _command_line,
    _fail,
    _progress,
    console,
    out_console,
    reads_dataset,
)


def register(app: typer.Typer) -> None:
    app.command()(quantize)


@reads_dataset
def quantize(
    model: str = typer.Option(..., help="hf:<hub id or local dir> to export and quantize",
                              rich_help_panel=MODEL_PANEL),
    out: str = typer.Option(..., help="Output folder (model/, quantize.json, quantize.md); "
                            "rerunning with the same one resumes", rich_help_panel=RUN_PANEL),
    dataset: Optional[str] = typer.Option(None, help="Evaluate PyTorch FP32, ONNX FP32 and "
                                          "ONNX INT8 on this dataset spec",
                                          rich_help_panel=DATASET_PANEL),
    split: Optional[str] = typer.Option(None, help="Dataset split to evaluate",
                                        rich_help_panel=DATASET_PANEL),
    limit: Optional[int] = typer.Option(None, help="Seeded sample of N rows, stratified by "
                                        "label", rich_help_panel=DATASET_PANEL),
    batch_size: int = typer.Option(1, help="Samples per forward pass (1: per-sample "
                                   "latency as a real-time caller sees it)",
                                   rich_help_panel=RUN_PANEL),
    ops: str = typer.Option("matmul", help="Op types to quantize: matmul | all | auto (time "
                            "each, keep the fastest that passes verification)",
                            rich_help_panel=MODEL_PANEL),
    static: bool = typer.Option(False, "--static", help="Static INT8 with activation ranges "
                                "calibrated on --calibration", rich_help_panel=MODEL_PANEL),
    calibration: Optional[str] = typer.Option(None, help="Dataset spec to calibrate --static "
                                              "on", rich_help_panel=MODEL_PANEL),
    calibration_split: Optional[str] = typer.Option(None, help="Split of --calibration",
                                                    rich_help_panel=MODEL_PANEL),
    calibration_limit: int = typer.Option(64, help="Calibration samples (seeded, stratified)",
                                          rich_help_panel=MODEL_PANEL),
    verify_samples: int = typer.Option(VERIFY_SAMPLES, help="Inputs to verify ONNX against "
                                       "PyTorch on", rich_help_panel=MODEL_PANEL),
    tolerance: float = typer.Option(FP32_TOLERANCE, help="FP32: largest allowed |logit "
                                    "difference|", rich_help_panel=MODEL_PANEL),
    min_agreement: float = typer.Option(INT8_MIN_AGREEMENT, help="INT8: least share of inputs "
                                        "with PyTorch's label", rich_help_panel=MODEL_PANEL),
    seed: int = typer.Option(0, help="Seed for --limit, calibration sample and bootstrap",
                             rich_help_panel=RUN_PANEL),
    *,
    dataset_options: DatasetOptions,
    label_options: LabelOptions,
) -> None:
    """Export an hf: model to ONNX FP32 and INT8, verify both against PyTorch, and with
    --dataset compare accuracy, label agreement, speed and size on the same samples."""
    from ..errors import EmoevalError
    from ..extras import require_all
    from ..onnx import EXPORT_NEEDS
    from ..onnx.pipeline import QuantizeConfig, run_quantize

    cfg = QuantizeConfig(
        model=model, out=out, dataset=dataset, split=split, limit=limit,
        batch_size=batch_size, seed=seed, ops=ops, static=static, calibration=calibration,
        calibration_split=calibration_split, calibration_limit=calibration_limit,
        verify_samples=verify_samples, tolerance=tolerance, min_agreement=min_agreement,
        labels=label_options.labels, keep_labels=label_options.keep_labels,
        merge=label_options.merge, label_map=label_options.label_map,
        dataset_options=dataset_options,
        command=_command_line())
    try:
        require_all(EXPORT_NEEDS, "emoeval quantize")
        with _progress() as progress:
            tasks: dict[str, int] = {}

            def on_progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = progress.add_task(name, total=total)
                progress.update(tasks[name], completed=done, total=total)

            summary = run_quantize(cfg, log=lambda m: console.print(m, highlight=False),
                                   on_progress=on_progress)
    except EmoevalError as exc:
        _fail(exc)
    out_console.print(headline(summary, out), highlight=False)


def headline(summary: dict, out: str) -> str:
    from ..onnx.speed import describe_ratio

    sizes = summary["sizes"]
    text = (f"INT8 ({summary['quantization']['op_types']}) {sizes['onnx_int8_bytes'] / 1e6:.1f}"
            f" MB, {100 * sizes['reduction']:.0f}% smaller than ONNX FP32")
    ratios = (summary.get("speed") or {}).get("ratios") or {}
    if ratios:
        text += ("; INT8 " + describe_ratio(ratios.get("onnx-int8 vs onnx-fp32"))
                 + " as fast as ONNX FP32, " + describe_ratio(ratios.get("onnx-int8 vs torch"))
                 + " as PyTorch")
    comparison = summary.get("comparison")
    if comparison:
        runs = comparison["runs"]
        share = comparison["disagreement"]["onnx-int8 vs onnx-fp32"]["share"]
        with_torch = comparison["disagreement"]["onnx-int8 vs torch"]
        accuracy = ", ".join(
            f"{name} " + percent(runs[name]["metrics"]["accuracy"]["value"])
            for name in ("torch", "onnx-fp32", "onnx-int8"))
        text += (f"; accuracy {accuracy}; INT8 and FP32 labels differ on {percent(share)}; "
                 f"INT8 has PyTorch's label on {with_torch['n_compared'] - with_torch['n_differ']}"
                 f"/{with_torch['n_compared']} samples")
    return f"{text} -> {out}/quantize.md"


def percent(value: float | None) -> str:
    return f"{100 * value:.1f}%" if value is not None else "n/a"
