"""``emoeval train``: fit a probe head on a frozen backbone (see :mod:`emoeval.probe.train`)."""

from __future__ import annotations

from typing import Optional

import typer

from ..options import (
    LabelsOption,
    KeepLabelsOption,
    MergeOption,
    LabelMapOption,
    IdColOption,
    TextColOption,
    AudioColOption,
    LabelColOption,
    SplitColOption,
    SpeakerColOption,
    LabelSepOption,
    LabelGroupOption,
    TargetColsOption,
)


def register(app: typer.Typer) -> None:
    app.command(name="train")(train)


def train(
    backbone: str = typer.Option(..., help="zeroshot:minilm | hf:<model> | opensmile:egemaps"),
    dataset: str = typer.Option(..., help="Dataset spec, e.g. goemotions:../data/goemotions"),
    out: str = typer.Option(..., help="Folder for the probe; evaluate it as probe:<folder>"),
    head: Optional[str] = typer.Option(None, help="logreg | mlp (class labels) | ridge "
                                       "(continuous targets); default: logreg, or ridge when "
                                       "the rows carry targets"),
    layer: Optional[str] = typer.Option(None, help="Hidden layers, e.g. -1 or sentence,-2,-3"),
    pooling: str = typer.Option("mean", help="mean | cls (text)"),
    cv: Optional[str] = typer.Option(None, help="Cross-validate first: loso | <k folds>"),
    split: Optional[str] = typer.Option(None, help="Split to train on (default: train, else "
                                        "all rows)"),
    tune_split: Optional[str] = typer.Option(None, help="Split that picks C or alpha "
                                             "(default: the validation split)"),
    class_weight: str = typer.Option("auto", help="auto (balanced for single-label, none "
                                     "for multi-label) | balanced | none"),
    c: Optional[float] = typer.Option(None, "--c", help="logreg/mlp: inverse regularisation "
                                      "strength (default: chosen on the tuning split, else 1)"),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="ridge: penalty strength on "
                                          "standardised features (default: chosen on the "
                                          "tuning split by mean CCC, else 1)"),
    hidden: int = typer.Option(512, help="mlp: hidden units"),
    networks: int = typer.Option(1, help="mlp: networks from successive seeds, averaged"),
    seed: int = typer.Option(0, help="Seed for folds, mlp and --limit"),
    batch_size: int = typer.Option(64, help="Samples per backbone pass"),
    limit: Optional[int] = typer.Option(None, help="Seeded sample of N training rows"),
    labels: LabelsOption = None,
    keep_labels: KeepLabelsOption = None,
    merge: MergeOption = [],
    label_map: LabelMapOption = None,
    cache_dir: Optional[str] = typer.Option(None, help="Embedding cache (default "
                                            "~/.cache/emoeval/embeddings)"),
    runtime: str = typer.Option("torch", help="Transformer backbones: torch | onnx | onnx-int8 "
                                "| torch-bf16 (verified against FP32 by cosine)"),
    id_col: IdColOption = None,
    text_col: TextColOption = None,
    audio_col: AudioColOption = None,
    label_col: LabelColOption = None,
    split_col: SplitColOption = None,
    speaker_col: SpeakerColOption = None,
    label_sep: LabelSepOption = None,
    label_group: LabelGroupOption = None,
    target_cols: TargetColsOption = None,
) -> None:
    """Train a probe: embed with a frozen backbone, fit a head, save it for probe:<out>."""
    from ..cli import _command_line, _fail, _progress, _split_list, out_console
    from ..datasets.base import DatasetOptions
    from ..errors import EmoevalError
    from ..probe.train import TrainConfig, train_probe

    if class_weight not in ("auto", "balanced", "none"):
        _fail(EmoevalError(f"--class-weight {class_weight!r}: use auto, balanced or none"))
    cfg = TrainConfig(
        backbone=backbone, dataset=dataset, out=out, head=head, layer=layer, pooling=pooling,
        cv=cv, split=split, tune_split=tune_split,
        class_weight=None if class_weight == "none" else class_weight, c=c, alpha=alpha,
        hidden=hidden,
        networks=networks,
        seed=seed, batch_size=batch_size, limit=limit, labels=_split_list(labels),
        keep_labels=_split_list(keep_labels), merge=merge, label_map=label_map,
        cache_dir=cache_dir, runtime=runtime,
        dataset_options=DatasetOptions(id_col=id_col, text_col=text_col, audio_col=audio_col,
                                       label_col=label_col, split_col=split_col,
                                       speaker_col=speaker_col, label_sep=label_sep,
                                       label_group=label_group,
                                       target_cols=_split_list(target_cols)),
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
