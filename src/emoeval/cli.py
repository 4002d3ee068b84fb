"""The ``emoeval`` command line: a thin typer layer over :mod:`emoeval.api`.

Heavy libraries (torch, transformers) are imported only by the adapters that need them,
so ``emoeval --help``, ``models`` and ``datasets`` start fast.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .cli_guard import CheckedGroup
from .errors import EmoevalError
from .options import (
    LabelsOption,
    KeepLabelsOption,
    MergeOption,
    LabelMapOption,
    IdColOption,
    TextColOption,
    LabelColOption,
    SplitColOption,
    AudioColOption,
    SpeakerColOption,
    LabelSepOption,
    LabelGroupOption,
    OutputNamesOption,
    PredRangeOption,
    TargetColsOption,
    TargetRangeOption,
    InvalidPolicyOption,
    MentionOption,
    ThresholdOption,
    TuneSplitOption,
    TargetPrecisionOption,
)

# our own rich progress bar is the one to watch; the Hub's and transformers' tqdm bars
# (weight loading) only add noise to the terminal and to CI logs
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

# CheckedGroup: numeric options and --out checked first; a disk-full or read-only --out is
# one line, not a traceback (see cli_guard)
app = typer.Typer(cls=CheckedGroup, add_completion=False, no_args_is_help=True,
                  help="Evaluate emotion-recognition models with numbers you can trust.")
console = Console(stderr=True)
out_console = Console()


def _split_list(value: Optional[str]) -> Optional[list[str]]:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _command_line() -> str:
    return "emoeval " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _fail(exc: EmoevalError) -> None:
    # escape: messages hold literal brackets (pip install 'emoeval[ray]') that are not markup
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                    transient=False)


def _headline(results: dict, out: str) -> None:
    """One line a person reads first; tasks other than classification print their own,
    with how many samples were answered beside it."""
    from .answers.coverage import answered_text

    answered = answered_text(results.get("coverage"), results.get("n_samples") or 0)
    if results.get("headline"):
        headline = results["headline"]
        if answered and "answered " not in headline:
            headline += f"; {answered}"
        out_console.print(f"{headline} -> {out}/report.md", highlight=False)
        return
    from .reports.format import metric_with_ci

    m, ci = results["metrics"], results.get("ci") or {}

    def cell(key: str) -> str:
        return metric_with_ci(m[key], ci.get(key))

    policy = (results.get("protocol") or {}).get("unanswered_policy")
    answered = f"{answered} (--unanswered {policy}), " if answered and policy else (
        f"{answered}, " if answered else "")
    out_console.print(f"{results['model']['spec']} on {results['dataset']['spec']}: "
                      f"accuracy (WA) {cell('accuracy')}, balanced accuracy (UA) "
                      f"{cell('balanced_accuracy')}, macro F1 {cell('f1_macro')}; "
                      f"{answered}{results['n_scored']}/{results['n_samples']} scored, "
                      f"{results['n_errors']} errors -> {out}/report.md", highlight=False)


@app.command()
def evaluate(
    model: Optional[str] = typer.Option(None, help="Model spec, e.g. "
                                        "hf:superb/wav2vec2-base-superb-er"),
    models: Optional[str] = typer.Option(None, help="YAML list of model specs (e.g. the "
                                         "screening's candidates.usable.yaml): each into "
                                         "OUT/<model-slug>/, then compared"),
    dataset: str = typer.Option(..., help="Dataset spec, e.g. urdu:../data/urdu or csv:test.csv"),
    out: str = typer.Option(..., help="Output folder; rerunning with the same one resumes"),
    split: Optional[str] = typer.Option(None, help="Dataset split to evaluate"),
    limit: Optional[int] = typer.Option(None, help="Seeded sample of N rows, stratified by label"),
    batch_size: int = typer.Option(8, help="Samples per forward pass"),
    labels: LabelsOption = None,
    keep_labels: KeepLabelsOption = None,
    merge: MergeOption = [],
    label_map: LabelMapOption = None,
    unmapped: str = typer.Option("restrict", help="Model labels without a dataset counterpart: "
                                 "restrict (best mapped label) or wrong (count as a miss)"),
    slice_by: list[str] = typer.Option([], help="Metadata column to report metrics by"),
    seed: int = typer.Option(0, help="Seed for --limit and the bootstrap"),
    id_col: IdColOption = None,
    text_col: TextColOption = None,
    audio_col: AudioColOption = None,
    label_col: LabelColOption = None,
    split_col: SplitColOption = None,
    speaker_col: SpeakerColOption = None,
    label_sep: LabelSepOption = None,
    target_cols: TargetColsOption = None,
    label_group: LabelGroupOption = None,
    runtime: str = typer.Option("torch",
                                help="hf: models: torch | onnx | onnx-int8 | torch-bf16"),
    engine: str = typer.Option("local", help="local | ray"),
    address: Optional[str] = typer.Option(None, help="ray: auto | ray://host:port"),
    workers: Optional[int] = typer.Option(None, help="ray: model actors"),
    gpus_per_worker: Optional[float] = typer.Option(None, help="ray: GPUs per actor"),
    prompt: Optional[str] = typer.Option(None, help="llm: prompt template file"),
    concurrency: Optional[int] = typer.Option(None, help="llm: requests in flight"),
    timeout: Optional[float] = typer.Option(None, help="llm: seconds per request, connect to "
                                            "last byte"),
    max_response_bytes: Optional[int] = typer.Option(None, help="llm: longest answer in bytes "
                                                     "(default 10 MB; longer: a transport "
                                                     "error)"),
    retries: Optional[int] = typer.Option(None, help="llm: retries per request"),
    api_key_env: Optional[str] = typer.Option(None, help="llm: env variable with the API key"),
    structured_output: Optional[bool] = typer.Option(
        None, "--structured-output/--no-structured-output",
        help="llm: response_format JSON schema enum (plain text if the server answers 400)"),
    max_tokens: Optional[int] = typer.Option(None, help="llm: max_tokens per answer"),
    backoff: Optional[float] = typer.Option(None, help="llm: first retry wait in seconds, "
                                            "doubling"),
    invalid_policy: InvalidPolicyOption = None,
    mention: MentionOption = None,
    threshold: ThresholdOption = None,
    tune_split: TuneSplitOption = None,
    target_precision: TargetPrecisionOption = None,
    pred_range: PredRangeOption = None,
    target_range: TargetRangeOption = None,
    output_names: OutputNamesOption = None,
    retry_errors: bool = typer.Option(False, "--retry-errors",
                                      help="Also ask again the samples stored as unanswered "
                                      "(a model crash, a NaN score, an abstention); failed "
                                      "requests are always asked again"),
    train_manifest: Optional[str] = typer.Option(
        None, help="CSV/JSONL with an id and/or speaker column: the samples and speakers the "
        "model was trained on; overlap with the evaluated ones is recorded (protocol) and "
        "overlapping speakers are a warning"),
) -> None:
    """Evaluate one model on one labelled dataset: results.json, detailed_results.csv, report."""
    from .api import EvaluationConfig, evaluate_models
    from .api import evaluate as run_evaluation
    from .datasets.base import DatasetOptions

    if (model is None) == (models is None):
        _fail(EmoevalError("give exactly one of --model SPEC or --models FILE"))
    cfg = EvaluationConfig(
        model=model or "", dataset=dataset, out=out, split=split, limit=limit, batch_size=batch_size,
        labels=_split_list(labels), keep_labels=_split_list(keep_labels), merge=merge,
        label_map=label_map, unmapped=unmapped, slice_by=slice_by, seed=seed,
        dataset_options=DatasetOptions(id_col=id_col, text_col=text_col, audio_col=audio_col,
                                       label_col=label_col, split_col=split_col,
                                       speaker_col=speaker_col, label_sep=label_sep,
                                       target_cols=_split_list(target_cols),
                                       label_group=label_group),
        runtime=runtime, engine=engine,
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


def _evaluate_models(models_file: str, cfg) -> None:
    from .api import evaluate_models, load_results

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


@app.command()
def score(
    file: Optional[str] = typer.Argument(None, help="Predictions file (CSV, TSV, JSONL or "
                                         "Parquet); open-vocabulary: or --truth/--predictions"),
    out: str = typer.Option(..., help="Output folder"),
    task: str = typer.Option("classification",
                             help="classification | generative | multilabel | dimensional "
                             "| open-vocabulary"),
    labels: Optional[str] = typer.Option(None, help="Label set and order a,b,c"),
    slice_by: list[str] = typer.Option([], help="Column to report metrics by"),
    seed: int = typer.Option(0, help="Bootstrap seed"),
    invalid_policy: InvalidPolicyOption = None,
    mention: MentionOption = None,
    threshold: ThresholdOption = None,
    tune_split: TuneSplitOption = None,
    target_precision: TargetPrecisionOption = None,
    label_sep: Optional[str] = typer.Option(None, help="multilabel: separator in 'labels'"),
    target_cols: TargetColsOption = None,
    pred_range: PredRangeOption = None,
    target_range: TargetRangeOption = None,
    truth: Optional[str] = typer.Option(None, help="open-vocabulary: MER truth CSV name,openset"),
    predictions: Optional[str] = typer.Option(None, help="open-vocabulary: MER predictions CSV"),
    synonyms: Optional[str] = typer.Option(None, help="open-vocabulary: .npy folder/zip, synonym "
                                           "file, or judge:llm:<url>#<model>"),
    protocol: Optional[str] = typer.Option(None, help="open-vocabulary: default | mer2024"),
    to_taxonomy: Optional[str] = typer.Option(None, help="open-vocabulary: also score as "
                                              "classes a,b,c"),
    judge_cache: Optional[str] = typer.Option(None, help="open-vocabulary: judge answer cache"),
) -> None:
    """Score an existing predictions file without any model (``--task`` picks the scorer)."""
    from .api import score_file

    if file is None and truth is None:
        _fail(EmoevalError("give a predictions FILE (open-vocabulary: or --truth and "
                           "--predictions)"))
    try:
        results = score_file(file, out, task=task, labels=_split_list(labels),
                             slice_by=slice_by, seed=seed, command=_command_line(),
                             invalid_policy=invalid_policy, mention=mention,
                             threshold=threshold, tune_split=tune_split,
                             target_precision=target_precision, label_sep=label_sep,
                             target_cols=_split_list(target_cols), pred_range=pred_range,
                             target_range=target_range, truth=truth,
                             predictions=predictions, synonyms=synonyms, protocol=protocol,
                             to_taxonomy=to_taxonomy, judge_cache=judge_cache)
    except EmoevalError as exc:
        _fail(exc)
    _headline(results, out)


@app.command()
def report(out: str = typer.Argument(..., help="A folder written by evaluate or score")) -> None:
    """Re-render every report from the saved files (never re-runs a model)."""
    from .api import render_reports

    try:
        paths = render_reports(out)
    except EmoevalError as exc:
        _fail(exc)
    for path in paths:
        out_console.print(path)


@app.command()
def demo(out: str = typer.Option("demo_out", help="Output folder for both reports")) -> None:
    """The embedded default: lexicon:nrc and zeroshot:minilm on the shipped English text set."""
    from .demo import run_demo

    try:
        run_demo(out, console=out_console, progress_factory=_progress)
    except EmoevalError as exc:
        _fail(exc)


def _registry_table(title: str, table: dict[str, tuple[str, str]]) -> None:
    grid = Table(title=title, show_lines=False)
    grid.add_column("name")
    grid.add_column("what it is and needs")
    for name, (_, help_text) in table.items():
        grid.add_row(name, help_text)
    out_console.print(grid)


@app.command()
def models() -> None:
    """List the registered model adapters."""
    from .registry import MODEL_ADAPTERS

    _registry_table("model adapters", MODEL_ADAPTERS)


@app.command()
def datasets() -> None:
    """List the registered dataset sources and corpus presets."""
    from .registry import DATASET_SOURCES

    _registry_table("dataset sources", DATASET_SOURCES)


def _register_commands() -> None:
    from .commands import register_all

    register_all(app)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
