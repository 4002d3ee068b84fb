"""``emoeval train``: fit a probe head on a frozen backbone (see :mod:`emoeval.probe.train`)."""

from __future__ import annotations

from typing import Optional

import typer

from ..datasets.base import DatasetOptions
from ..errors import EmoevalError
from ..options import DATASET_PANEL, MODEL_PANEL, RUN_PANEL
from ._shared import LabelOptions, _command_line, _fail, _progress, out_console, reads_dataset


def register(app: typer.Typer) -> None:
    app.command(name="train")(train)


@reads_dataset
def train(
    backbone: str = typer.Option(..., help="zeroshot:minilm | hf:<model> | opensmile:egemaps",
                                 rich_help_panel=MODEL_PANEL),
    dataset: str = typer.Option(..., help="Dataset spec, e.g. goemotions:../data/goemotions",
                                rich_help_panel=DATASET_PANEL),
    out: str = typer.Option(..., help="Folder for the probe; evaluate it as probe:<folder>",
                            rich_help_panel=RUN_PANEL),
    head: Optional[str] = typer.Option(None, help="logreg | mlp (class labels) | ridge "
                                       "(continuous targets); default: logreg, or ridge when "
                                       "the rows carry targets", rich_help_panel=MODEL_PANEL),
    layer: Optional[str] = typer.Option(None, help="Hidden layers, e.g. -1 or sentence,-2,-3",
                                        rich_help_panel=MODEL_PANEL),
    pooling: str = typer.Option("mean", help="mean | cls (text)", rich_help_panel=MODEL_PANEL),
    cv: Optional[str] = typer.Option(None, help="Cross-validate first: loso | <k folds>",
                                     rich_help_panel=RUN_PANEL),
    split: Optional[str] = typer.Option(None, help="Split to train on (default: train, else "
                                        "all rows)", rich_help_panel=DATASET_PANEL),
    tune_split: Optional[str] = typer.Option(None, help="Split that picks C or alpha "
                                             "(default: the validation split)",
                                             rich_help_panel=DATASET_PANEL),
    class_weight: str = typer.Option("auto", help="auto (balanced for single-label, none "
                                     "for multi-label) | balanced | none",
                                     rich_help_panel=MODEL_PANEL),
    c: Optional[float] = typer.Option(None, "--c", help="logreg/mlp: inverse regularisation "
                                      "strength (default: chosen on the tuning split, else 1)",
                                      rich_help_panel=MODEL_PANEL),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="ridge: penalty strength on "
                                          "standardised features (default: chosen on the "
                                          "tuning split by mean CCC, else 1)",
                                          rich_help_panel=MODEL_PANEL),
    hidden: int = typer.Option(512, help="mlp: hidden units", rich_help_panel=MODEL_PANEL),
    networks: int = typer.Option(1, help="mlp: networks from successive seeds, averaged",
                                 rich_help_panel=MODEL_PANEL),
    seed: int = typer.Option(0, help="Seed for folds, mlp and --limit", rich_help_panel=RUN_PANEL),
    batch_size: int = typer.Option(64, help="Samples per backbone pass",
                                   rich_help_panel=RUN_PANEL),
    limit: Optional[int] = typer.Option(None, help="Seeded sample of N training rows",
                                        rich_help_panel=DATASET_PANEL),
    cache_dir: Optional[str] = typer.Option(None, help="Embedding cache (default "
                                            "~/.cache/emoeval/embeddings)",
                                            rich_help_panel=RUN_PANEL),
    runtime: str = typer.Option("torch", help="Transformer backbones: torch | onnx | onnx-int8 "
                                "| torch-bf16 (verified against FP32 by cosine)",
                                rich_help_panel=MODEL_PANEL),
    *,
    dataset_options: DatasetOptions,
    label_options: LabelOptions,
) -> None:
    """Train a probe: embed with a frozen backbone, fit a head, save it for probe:<out>."""
    from ..probe.train import TrainConfig, train_probe

    if class_weight not in ("auto", "balanced", "none"):
        _fail(EmoevalError(f"--class-weight {class_weight!r}: use auto, balanced or none"))
    cfg = TrainConfig(
        backbone=backbone, dataset=dataset, out=out, head=head, layer=layer, pooling=pooling,
        cv=cv, split=split, tune_split=tune_split,
        class_weight=None if class_weight == "none" else class_weight, c=c, alpha=alpha,
        hidden=hidden,
        networks=networks,
        seed=seed, batch_size=batch_size, limit=limit, labels=label_options.labels,
        keep_labels=label_options.keep_labels, merge=label_options.merge,
        label_map=label_options.label_map, cache_dir=cache_dir, runtime=runtime,
        dataset_options=dataset_options,
        command=_command_line())
    try:
        with _progress() as progress:
            task = progress.add_task("embedding", total=None)

            def on_progress(stage: str, done: int, total: int) -> None:
                progress.update(task, description=stage, completed=done, total=total)

            record = train_probe(cfg, on_progress=on_progress)
    except EmoevalError as exc:
        _fail(exc)
    out_console.print(summary_line(record, out), highlight=False)


HEADLINE_NAMES = {"balanced_accuracy": "UA", "roc_auc_macro": "macro AUC",
                  "ccc_mean": "mean CCC"}


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def summary_line(record: dict, out: str) -> str:
    from ..probe.crossval import HEADLINE_METRIC

    d, t = record["data"], record["timing"]
    dimensional = record["task"] == "dimensional"
    key = HEADLINE_METRIC[record["task"]]
    name = HEADLINE_NAMES[key]
    parts = [f"probe {record['head']['kind']} on {record['backbone']['spec']}: "
             f"{d['n_train']} training samples"
             + (f", {d['n_tune']} tuning" if d.get("n_tune") else "")
             + f", {len(record['labels'])} {'dimensions' if dimensional else 'labels'}, "
             f"trained in {t['training_s']:.1f} s"]
    if dimensional:
        parts.append(f"alpha {record['head']['alpha']:g}")
    cv = record.get("cv")
    if cv:
        s = cv["summary"][key]
        spread = f" +/- {s['std']:.3f}" if s.get("std") is not None else ""
        parts.append(f"{cv['cv']} {name} {_number(s['mean'])}{spread} over {cv['n_folds']} "
                     "folds")
    tuned = record.get("tune_metrics")
    if tuned and dimensional:
        per_dim = ", ".join(f"{dim} {_number(tuned.get(f'ccc_{dim}'))}"
                            for dim in record["labels"])
        parts.append(f"{d['tune_split']} CCC {per_dim} (mean {_number(tuned[key])})")
    elif tuned:
        parts.append(f"{d['tune_split']} {key} {_number(tuned[key])}")
    return "; ".join(parts) + f" -> {out}/train_report.md"
