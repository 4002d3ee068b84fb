"""``emoeval evaluate``: one model (or a YAML list of them) on one labelled dataset."""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.markup import escape

from ..datasets.base import DatasetOptions
from ..errors import EmoevalError
from ..options import (
    DATASET_PANEL,
    ENGINE_PANEL,
    LABELS_PANEL,
    LLM_PANEL,
    MODEL_PANEL,
    MULTILABEL_PANEL,
    RUN_PANEL,
    InvalidPolicyOption,
    MentionOption,
    OutputNamesOption,
    PredRangeOption,
    TargetPrecisionOption,
    TargetRangeOption,
    ThresholdOption,
    TuneSplitOption,
)
from ._shared import (
    LabelOptions,
    _command_line,
    _fail,
    _headline,
    _progress,
    _split_list,
    console,
    out_console,
    reads_dataset,
)


def register(app: typer.Typer) -> None:
    app.command()(evaluate)


@reads_dataset
def evaluate(
    model: Optional[str] = typer.Option(None, help="Model spec, e.g. "
                                        "hf:superb/wav2vec2-base-superb-er",
                                        rich_help_panel=MODEL_PANEL),
    models: Optional[str] = typer.Option(None, help="YAML list of model specs (e.g. the "
                                         "screening's candidates.usable.yaml): each into "
                                         "OUT/<model-slug>/, then compared",
                                         rich_help_panel=MODEL_PANEL),
    dataset: str = typer.Option(..., help="Dataset spec, e.g. urdu:../data/urdu or csv:test.csv",
                                rich_help_panel=DATASET_PANEL),
    out: str = typer.Option(..., help="Output folder; rerunning with the same one resumes",
                            rich_help_panel=RUN_PANEL),
    split: Optional[str] = typer.Option(None, help="Dataset split to evaluate",
                                        rich_help_panel=DATASET_PANEL),
    limit: Optional[int] = typer.Option(None, help="Seeded sample of N rows, stratified by label",
                                        rich_help_panel=DATASET_PANEL),
    batch_size: int = typer.Option(8, help="Samples per forward pass", rich_help_panel=RUN_PANEL),
    unmapped: str = typer.Option("restrict", help="Model labels without a dataset counterpart: "
                                 "restrict (best mapped label) or wrong (count as a miss)",
                                 rich_help_panel=LABELS_PANEL),
    slice_by: list[str] = typer.Option([], help="Metadata column to report metrics by",
                                       rich_help_panel=RUN_PANEL),
    seed: int = typer.Option(0, help="Seed for --limit and the bootstrap",
                             rich_help_panel=RUN_PANEL),
    runtime: str = typer.Option("torch", help="hf:, zeroshot:, clap: models: torch | onnx | "
                                "onnx-int8 | torch-bf16", rich_help_panel=MODEL_PANEL),
    reference: Optional[str] = typer.Option(None, help="Another run's --out folder: report "
                                            "this run's agreement with it, sample by sample",
                                            rich_help_panel=RUN_PANEL),
    engine: str = typer.Option("local", help="local | ray", rich_help_panel=ENGINE_PANEL),
    address: Optional[str] = typer.Option(None, help="ray: auto | ray://host:port",
                                          rich_help_panel=ENGINE_PANEL),
    workers: Optional[int] = typer.Option(None, help="ray: model actors",
                                          rich_help_panel=ENGINE_PANEL),
    gpus_per_worker: Optional[float] = typer.Option(None, help="ray: GPUs per actor",
                                                    rich_help_panel=ENGINE_PANEL),
    prompt: Optional[str] = typer.Option(None, help="llm: prompt template file",
                                         rich_help_panel=LLM_PANEL),
    concurrency: Optional[int] = typer.Option(None, help="llm: requests in flight",
                                              rich_help_panel=LLM_PANEL),
    timeout: Optional[float] = typer.Option(None, help="llm: seconds per request, connect to "
                                            "last byte", rich_help_panel=LLM_PANEL),
    max_response_bytes: Optional[int] = typer.Option(None, help="llm: longest answer in bytes "
                                                     "(default 10 MB; longer: a transport "
                                                     "error)", rich_help_panel=LLM_PANEL),
    retries: Optional[int] = typer.Option(None, help="llm: retries per request",
                                          rich_help_panel=LLM_PANEL),
    api_key_env: Optional[str] = typer.Option(None, help="llm: env variable with the API key",
                                              rich_help_panel=LLM_PANEL),
    structured_output: Optional[bool] = typer.Option(
        None, "--structured-output/--no-structured-output",
        help="llm: response_format JSON schema enum (plain text if the server answers 400)",
        rich_help_panel=LLM_PANEL),
    max_tokens: Optional[int] = typer.Option(None, help="llm: max_tokens per answer",
                                             rich_help_panel=LLM_PANEL),
    backoff: Optional[float] = typer.Option(None, help="llm: first retry wait in seconds, "
                                            "doubling", rich_help_panel=LLM_PANEL),
    invalid_policy: InvalidPolicyOption = None,
    mention: MentionOption = None,
    threshold: ThresholdOption = None,
    tune_split: TuneSplitOption = None,
    tune_limit: Optional[int] = typer.Option(None, help="multilabel: predict at most N rows "
                                             "of the tuning split (default: all; --limit "
                                             "never shrinks it)",
                                             rich_help_panel=MULTILABEL_PANEL),
    target_precision: TargetPrecisionOption = None,
    pred_range: PredRangeOption = None,
    target_range: TargetRangeOption = None,
    output_names: OutputNamesOption = None,
    retry_errors: bool = typer.Option(False, "--retry-errors",
                                      help="Also ask again the samples stored as unanswered "
                                      "(a model crash, a NaN score, an abstention); failed "
                                      "requests are always asked again",
                                      rich_help_panel=RUN_PANEL),
    train_manifest: Optional[str] = typer.Option(
        None, help="CSV/JSONL with an id and/or speaker column: the samples and speakers the "
        "model was trained on; overlap with the evaluated ones is recorded (protocol) and "
        "overlapping speakers are a warning", rich_help_panel=RUN_PANEL),
    *,
    dataset_options: DatasetOptions,
    label_options: LabelOptions,
) -> None:
    """Evaluate one model on one labelled dataset: results.json, detailed_results.csv, report."""
    from ..api import EvaluationConfig
    from ..api import evaluate as run_evaluation

    if (model is None) == (models is None):
        _fail(EmoevalError("give exactly one of --model SPEC or --models FILE"))
    cfg = EvaluationConfig(
        model=model or "", dataset=dataset, out=out, split=split, limit=limit,
        batch_size=batch_size,
        labels=label_options.labels, keep_labels=label_options.keep_labels,
        merge=label_options.merge, label_map=label_options.label_map, unmapped=unmapped,
        slice_by=slice_by, seed=seed, dataset_options=dataset_options,
        runtime=runtime, reference=reference, engine=engine, tune_limit=tune_limit,
        engine_options={"address": address, "workers": workers,
                        "gpus_per_worker": gpus_per_worker},
        adapter_options={"prompt": prompt, "concurrency": concurrency, "timeout": timeout,
                         "retries": retries, "api_key_env": api_key_env,
                         "structured_output": structured_output, "max_tokens": max_tokens,
                         "backoff": backoff, "output_names": _split_list(output_names),
                         "max_response_bytes": max_response_bytes},
        task_options={"invalid_policy": invalid_policy, "mention": mention,
                      "threshold": threshold, "tune_split": tune_split,
                      "target_precision": target_precision, "pred_range": pred_range,
                      "target_range": target_range},
        command=_command_line(), retry_errors=retry_errors, train_manifest=train_manifest)
    try:
        if models:
            _evaluate_models(models, cfg)
            return
        with _progress() as progress:
            task = progress.add_task(f"{model}", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            results = run_evaluation(cfg, on_progress=on_progress)
    except EmoevalError as exc:
        _fail(exc)
    for notice in (results.get("store") or {}).get("notices", []):
        console.print(f"[yellow]note:[/] {escape(notice)}", highlight=False, soft_wrap=True)
    _headline(results, out)
    if results.get("reference"):
        from ..onnx.agreement import describe

        out_console.print(describe(results["reference"]), highlight=False)


def _evaluate_models(models_file: str, cfg) -> None:
    from ..api import evaluate_models, load_results

    with _progress() as progress:
        tasks: dict[str, Any] = {}

        def on_progress(spec: str, done: int, total: int) -> None:
            if spec not in tasks:
                tasks[spec] = progress.add_task(spec, total=total)
            progress.update(tasks[spec], completed=done, total=total)

        summary = evaluate_models(models_file, cfg, on_progress=on_progress)
    for run_dir in summary["runs"]:
        _headline(load_results(run_dir), run_dir)
    for spec, error in summary["failures"].items():
        console.print(f"[yellow]skipped[/] {escape(spec)}: {escape(error)}", highlight=False)
    if "compare" in summary:
        out_console.print(f"comparison -> {cfg.out}/compare/compare.md")
