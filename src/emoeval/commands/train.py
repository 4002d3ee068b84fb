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
)


def register(app: typer.Typer) -> None:
    app.command(name="train")(train)


def train(
    backbone: str = typer.Option(..., help="zeroshot:minilm | hf:<model> | opensmile:egemaps"),
    dataset: str = typer.Option(..., help="Dataset spec, e.g. goemotions:../data/goemotions"),
    out: str = typer.Option(..., help="Folder for the probe; evaluate it as probe:<folder>"),
    head: str = typer.Option("logreg", help="logreg | mlp"),
    layer: Optional[str] = typer.Option(None, help="Hidden layers, e.g. -1 or sentence,-2,-3"),
    pooling: str = typer.Option("mean", help="mean | cls (text)"),
    cv: Optional[str] = typer.Option(None, help="Cross-validate first: loso | <k folds>"),
    split: Optional[str] = typer.Option(None, help="Split to train on (default: train, else "
                                        "all rows)"),
    tune_split: Optional[str] = typer.Option(None, help="Split that picks C (default: the "
                                             "validation split)"),
    class_weight: str = typer.Option("auto", help="auto (balanced for single-label, none "
                                     "for multi-label) | balanced | none"),
    c: Optional[float] = typer.Option(None, "--c", help="Inverse regularisation strength "
                                      "(default: chosen on the tuning split, else 1)"),
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
    id_col: IdColOption = None,
    text_col: TextColOption = None,
    audio_col: AudioColOption = None,
    label_col: LabelColOption = None,
    split_col: SplitColOption = None,
    speaker_col: SpeakerColOption = None,
    label_sep: LabelSepOption = None,
    label_group: LabelGroupOption = None,
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
        class_weight=None if class_weight == "none" else class_weight, c=c, hidden=hidden,
        networks=networks,
        seed=seed, batch_size=batch_size, limit=limit, labels=_split_list(labels),
        keep_labels=_split_list(keep_labels), merge=merge, label_map=label_map,
        cache_dir=cache_dir,
        dataset_options=DatasetOptions(id_col=id_col, text_col=text_col, audio_col=audio_col,
                                       label_col=label_col, split_col=split_col,
                                       speaker_col=speaker_col, label_sep=label_sep,
                                       label_group=label_group),
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


def summary_line(record: dict, out: str) -> str:
    d, t = record["data"], record["timing"]
    parts = [f"probe {record['head']['kind']} on {record['backbone']['spec']}: "
             f"{d['n_train']} training samples"
             + (f", {d['n_tune']} tuning" if d.get("n_tune") else "")
             + f", {len(record['labels'])} labels, trained in {t['training_s']:.1f} s"]
    cv = record.get("cv")
    if cv:
        key = "balanced_accuracy" if record["task"] == "classification" else "roc_auc_macro"
        s = cv["summary"][key]
        name = "UA" if key == "balanced_accuracy" else "macro AUC"
        spread = f" +/- {s['std']:.3f}" if s.get("std") is not None else ""
        parts.append(f"{cv['cv']} {name} {s['mean']:.3f}{spread} over {cv['n_folds']} folds")
    if record.get("tune_metrics"):
        key = "roc_auc_macro" if record["task"] == "multilabel" else "balanced_accuracy"
        parts.append(f"{d['tune_split']} {key} {record['tune_metrics'][key]:.3f}")
    return "; ".join(parts) + f" -> {out}/train_report.md"
