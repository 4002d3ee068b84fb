"""``emoeval similarity`` (the CLAP-style benchmark) and ``emoeval similarity-items``."""

from __future__ import annotations

from typing import Optional

import typer

from ..datasets.base import DatasetOptions
from ._shared import _command_line, _fail, _progress, out_console, reads_dataset


def register(app: typer.Typer) -> None:
    app.command("similarity")(similarity)
    app.command("similarity-items")(similarity_items)


def similarity(
    items: str = typer.Option(..., help="Items CSV (emolia-bench layout, the agreement "
                              "command's benchmark_labels.csv, or similarity-items output)"),
    out: str = typer.Option(..., help="Output folder; rerunning with the same one resumes"),
    audio_dir: Optional[str] = typer.Option(None, help="Folder holding the clips (searched "
                                            "by file stem, subfolders included)"),
    endpoint: Optional[str] = typer.Option(None, help="URL of a server speaking the contract, "
                                           "e.g. http://127.0.0.1:8765/v1/similarity"),
    sham: bool = typer.Option(False, help="emolia-bench's deterministic sham scores"),
    model: Optional[str] = typer.Option(None, help="A local model: clap:<dir|hub id> or an "
                                        "audio classifier (hf:, onnx:, python:)"),
    threshold: Optional[str] = typer.Option(None, help="<float> | tune (on split == dev); "
                                            "default by response key: similarity 0.0, "
                                            "score 0.5, logit 0.0"),
    prompt_template: str = typer.Option(
        "Speech audio in which the speaker expresses or conveys {label}.",
        help="Prompt with {label} (queried_emotion, ___ as ' / ', _ as a space); a text "
             "column overrides it"),
    min_raters: Optional[int] = typer.Option(None, help="Keep items with n_raters >= N"),
    exclude_flagged: bool = typer.Option(False, help="Drop items whose flagged column is true"),
    unanimous_only: bool = typer.Option(False, help="Keep only unanimous_* buckets"),
    limit: Optional[int] = typer.Option(None, help="Seeded sample of N items, stratified by "
                                        "majority_present"),
    no_audio_send: bool = typer.Option(False, help="With --endpoint: send only the file name, "
                                       "stem and text (the server reads its own files)"),
    concurrency: int = typer.Option(4, help="endpoint: requests in flight"),
    timeout: float = typer.Option(60.0, help="endpoint: seconds per request, connect to "
                                  "last byte"),
    max_response_bytes: int = typer.Option(10_000_000, help="endpoint: longest answer in "
                                           "bytes (a longer one is a transport error)"),
    retries: int = typer.Option(3, help="endpoint: retries per request"),
    api_key_env: Optional[str] = typer.Option(None, help="endpoint: env variable with a "
                                              "bearer token"),
    batch_size: int = typer.Option(8, help="model: clips per forward pass"),
    human_summary: Optional[str] = typer.Option(None, help="summary.json of `emoeval "
                                                "agreement`: human numbers beside the score"),
    seed: int = typer.Option(0, help="Seed for --limit and the bootstrap"),
    ties: str = typer.Option("peer", help="peer: a 1/0 majority_present counts where the "
                             "raters tied (emolia-bench's rule, a tie is absent); exclude: "
                             "tied items are left out (the other rule is reported beside)"),
    audio_path: Optional[str] = typer.Option(None, help="Clip path under --audio-dir as a "
                                             "template of item columns, or the preset "
                                             "emolia-dim ({dimension}/{level}/{polarity}/"
                                             "{file_name})"),
    dim_variables: Optional[str] = typer.Option(None, help="emolia-dim's variables.json "
                                                "(prompts for dimension items; default: "
                                                "beside --audio-dir)"),
    ci_unit: str = typer.Option("auto", help="What intervals resample: auto (the speaker "
                                "when every item names one, else the audio clip), sample "
                                "(items) or an item column"),
) -> None:
    """Score (audio, prompt) pairs against the human majority: balanced accuracy, ROC-AUC,
    slices, the rubric report (emolia-bench's outputs)."""
    from ..errors import EmoevalError
    from ..http import ClientOptions
    from ..similarity import SimilarityConfig, run_similarity

    try:
        cfg = SimilarityConfig(
            items=items, out=out, audio_dir=audio_dir, endpoint=endpoint, sham=sham,
            model=model, threshold=threshold, prompt_template=prompt_template,
            min_raters=min_raters, exclude_flagged=exclude_flagged,
            unanimous_only=unanimous_only, limit=limit, send_audio=not no_audio_send,
            client=ClientOptions(concurrency=concurrency, timeout=timeout, retries=retries,
                                 api_key_env=api_key_env,
                                 max_response_bytes=max_response_bytes),
            batch_size=batch_size, human_summary=human_summary, seed=seed, ci_unit=ci_unit,
            command=_command_line(), ties=ties, audio_path=audio_path,
            dim_variables=dim_variables)
        progress = _progress()
        task = progress.add_task(endpoint or model or "sham", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.start()  # on the first item: input errors print without a bar
            progress.update(task, completed=done, total=total)

        try:
            summary = run_similarity(cfg, on_progress=on_progress)
        finally:
            progress.stop()
    except EmoevalError as exc:
        _fail(exc)
    out_console.print(headline_line(summary, out), highlight=False)


def headline_line(summary: dict, out: str) -> str:
    from ..similarity.report import fmt, quality_band, unit_count

    overall = summary["overall"]
    interval = (overall.get("ci") or {}).get("balanced_accuracy") or {}
    band = (f" [{interval['low']:.3f}, {interval['high']:.3f}] ({unit_count(interval)})"
            if interval.get("low") is not None else "")
    return (f"balanced accuracy {fmt(overall['balanced_accuracy'], 3)}{band} "
            f"({quality_band(overall['balanced_accuracy'])}), ROC-AUC "
            f"{fmt(overall['roc_auc'], 3)}, accuracy {fmt(overall['accuracy'], 3)} on "
            f"{int(overall['n'] or 0)} items; unanimous subset "
            f"{fmt(summary['unanimous_subset']['balanced_accuracy'], 3)} "
            f"(n={int(summary['unanimous_subset']['n'] or 0)}); "
            f"{summary['rows_evaluated_ok']}/{summary['rows_total']} scored, "
            f"{summary['missing_audio']} missing audio, {summary['evaluation_errors']} errors "
            f"-> {out}/report.md")


@reads_dataset(labels=False)
def similarity_items(
    dataset: str = typer.Option(..., help="Dataset spec of a labelled audio corpus, e.g. "
                                "urdu:../shared/data/urdu"),
    out: str = typer.Option(..., help="Items CSV to write"),
    split: Optional[str] = typer.Option(None, help="Dataset split to read"),
    dev_fraction: float = typer.Option(0.3, help="Share of each emotion's clips in split dev"),
    negatives: Optional[int] = typer.Option(None, help="Negative items per clip (default: "
                                            "every other emotion)"),
    seed: int = typer.Option(0, help="Seed for the split and the negatives"),
    *,
    dataset_options: DatasetOptions,
) -> None:
    """Build similarity items from a labelled corpus: the true emotion as a positive, the
    corpus' other emotions as negatives, with a seeded dev/test split grouped by clip."""
    from ..errors import EmoevalError
    from ..similarity.build_items import build_items

    try:
        result = build_items(dataset, out, split=split, dev_fraction=dev_fraction,
                             negatives=negatives, seed=seed,
                             options=dataset_options)
    except EmoevalError as exc:
        _fail(exc)
    out_console.print(f"{result['items']} items ({result['positives']} positive) from "
                      f"{result['clips']} clips, emotions {', '.join(result['emotions'])}; "
                      f"dev {result['dev_items']}, test {result['test_items']} -> {out}; "
                      f"use --audio-dir {result['audio_dir']}", highlight=False)
