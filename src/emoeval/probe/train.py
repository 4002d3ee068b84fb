"""``emoeval train``: embed a dataset with a frozen backbone, fit a head, save a probe.

The probe folder (``--out``) holds:

- ``probe.json``: backbone (spec, layer, pooling, fingerprint), head, labels, task, the data
  it saw (dataset spec, splits, counts), timings and sizes;
- ``head.npz``: the head's arrays (see :mod:`emoeval.probe.heads`);
- ``trained_on.json``: ``[id, content digest]`` of every training and tuning sample, so
  ``emoeval evaluate --model probe:<dir>`` refuses to report on them;
- ``train_report.md`` and ``cv_results.json`` / ``cv_predictions.csv`` with ``--cv``.

Splits: ``--split`` (default ``train`` when the dataset has it, else every row) is fitted;
``--tune-split`` (default, when ``--c`` is not given: the validation split, validation / val /
valid / dev) picks the regularisation strength; with ``--c`` and no ``--tune-split`` the
validation split stays unseen, so it can be evaluated. With ``--cv loso|k`` the folds are
scored first, then the saved head is fitted on every row.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..api import EvaluationConfig, prepare_rows, strict_json
from ..datasets.base import DatasetOptions, Row, load_dataset
from ..errors import EmoevalError
from ..multilabel.scoring import default_tune_split
from .backbones import load_backbone
from .cache import EmbeddingCache, default_cache_root
from .embed import embed_rows, sample_digest
from .heads import HEAD_FILE, Head, file_digest, fit_head

PROBE_FILE = "probe.json"
TRAINED_ON_FILE = "trained_on.json"
REPORT_FILE = "train_report.md"
CV_FILE = "cv_results.json"
CV_PREDICTIONS = "cv_predictions.csv"
#: regularisation strengths tried on the tuning split when --c is not given
C_GRID = (0.05, 0.2, 1.0)


@dataclass
class TrainConfig:
    backbone: str
    dataset: str
    out: str
    head: str = "logreg"
    layer: str | None = None
    pooling: str = "mean"
    cv: str | None = None
    split: str | None = None
    tune_split: str | None = None
    #: "auto" (balanced for single-label, none for multi-label), "balanced" or None
    class_weight: str | None = "auto"
    c: float | None = None
    hidden: int = 512
    #: mlp: networks trained from successive seeds, probabilities averaged
    networks: int = 1
    seed: int = 0
    batch_size: int = 64
    limit: int | None = None
    labels: list[str] | None = None
    keep_labels: list[str] | None = None
    merge: list[str] = field(default_factory=list)
    label_map: str | None = None
    cache_dir: str | None = None
    dataset_options: DatasetOptions = field(default_factory=DatasetOptions)
    command: str = ""


def _label_cfg(cfg: TrainConfig, labels: list[str] | None = None,
               limit: int | None = None) -> EvaluationConfig:
    """The label options of ``evaluate``, so ``prepare_rows`` applies them identically."""
    return EvaluationConfig(model="", dataset=cfg.dataset, out=cfg.out, split=cfg.split,
                            limit=limit, labels=labels or cfg.labels,
                            keep_labels=cfg.keep_labels, merge=list(cfg.merge),
                            label_map=cfg.label_map, seed=cfg.seed,
                            dataset_options=cfg.dataset_options)


def choose_splits(available: list[str], cfg: TrainConfig) -> tuple[str | None, str | None]:
    """(training split or None for all rows, tuning split or None)."""
    if cfg.split is not None and available and cfg.split not in available:
        raise EmoevalError(f"--split {cfg.split!r}: no such split (have: "
                           f"{', '.join(available)})")
    train = cfg.split if cfg.split is not None else ("train" if "train" in available else None)
    if cfg.tune_split is not None:
        if cfg.tune_split not in available:
            raise EmoevalError(f"--tune-split {cfg.tune_split!r}: no such split (have: "
                               f"{', '.join(available) or 'none'})")
        if cfg.tune_split == train:
            raise EmoevalError(f"--tune-split {cfg.tune_split!r} is the training split; "
                               "tune on held-out data (e.g. dev)")
        return train, cfg.tune_split
    if cfg.cv or train is None or cfg.c is not None:
        return train, None  # nothing to tune: the validation split stays unseen
    return train, default_tune_split([s for s in available if s != train])


def targets_for(rows: list[Row], labels: list[str], multi_label: bool) -> np.ndarray:
    index = {l: j for j, l in enumerate(labels)}
    if multi_label:
        y = np.zeros((len(rows), len(labels)), dtype=bool)
        for i, r in enumerate(rows):
            for name in (r.label if isinstance(r.label, list) else [r.label]):
                y[i, index[name]] = True
        return y
    return np.array([index[r.label] for r in rows], dtype=int)


def tune_metric(head: Head, features: np.ndarray, targets: np.ndarray) -> float:
    """What the C grid maximises: macro ROC-AUC (multi-label) or UA (single-label)."""
    from .crossval import fold_metrics

    metrics = fold_metrics(targets, head.scores(features), head.labels, head.multi_label)
    return metrics["roc_auc_macro" if head.multi_label else "balanced_accuracy"]


def train_probe(cfg: TrainConfig, on_progress: Callable[[str, int, int], None] | None = None,
                ) -> dict[str, Any]:
    """Train a probe into ``cfg.out``; returns the ``probe.json`` record."""
    started = time.perf_counter()
    dataset = load_dataset(cfg.dataset, cfg.dataset_options)
    available = dataset.splits()
    train_split, tune_split = choose_splits(available, cfg)
    rows, labels, _ = prepare_rows(dataset, dataset.rows(train_split),
                                   _label_cfg(cfg, limit=cfg.limit))
    multi_label = any(isinstance(r.label, list) for r in rows)
    tune_rows: list[Row] = []
    if tune_split is not None:
        tune_rows, _, _ = prepare_rows(dataset, dataset.rows(tune_split),
                                       _label_cfg(cfg, labels=labels))
    if cfg.cv == "loso" and not all(r.metadata.get("speaker") for r in rows):
        raise EmoevalError("--cv loso needs a speaker id on every sample (the preset's "
                           "speaker metadata or --speaker-col); use --cv <k> otherwise")
    backbone = load_backbone(cfg.backbone, cfg.layer, cfg.pooling)
    if backbone.modality != rows[0].modality:
        raise EmoevalError(f"{cfg.backbone} takes {backbone.modality} but {cfg.dataset} holds "
                           f"{rows[0].modality}; pick a matching backbone or dataset")
    fingerprint = backbone.fingerprint()
    cache = EmbeddingCache(cfg.cache_dir or default_cache_root(), fingerprint)
    os.makedirs(cfg.out, exist_ok=True)

    def progress(stage: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: on_progress(stage, done, total)) if on_progress else None

    t0 = time.perf_counter()
    embedded = embed_rows(backbone, rows + tune_rows, cache, batch_size=cfg.batch_size,
                          on_progress=progress("embedding"))
    embed_s = time.perf_counter() - t0
    rows = [r for r in rows if r.id in embedded.vectors]
    tune_rows = [r for r in tune_rows if r.id in embedded.vectors]
    if not rows:
        raise EmoevalError("no training sample could be embedded (see the errors in "
                           f"{REPORT_FILE}); check the inputs")
    x = embedded.matrix([r.id for r in rows])
    y = targets_for(rows, labels, multi_label)
    class_weight = cfg.class_weight
    if class_weight == "auto":
        # multi-label: per-class thresholds rebalance the decisions; weighting the loss as
        # well lowered GoEmotions' macro F1 and AUC (benchmarks/goemotions_probe.py)
        class_weight = None if multi_label else "balanced"
    head_options = {"kind": cfg.head, "class_weight": class_weight, "hidden": cfg.hidden,
                    "networks": cfg.networks}

    cv_result = None
    if cfg.cv:
        cv_result = cross_validate_rows(cfg, x, y, rows, labels, multi_label, head_options)
    t1 = time.perf_counter()
    c_search: dict[str, float] = {}
    c = cfg.c
    if c is None and tune_rows:
        x_tune = embedded.matrix([r.id for r in tune_rows])
        y_tune = targets_for(tune_rows, labels, multi_label)
        for candidate in C_GRID:
            head = fit_head(x, y, labels, multi_label=multi_label, c=candidate, seed=cfg.seed,
                            **head_options)
            c_search[str(candidate)] = tune_metric(head, x_tune, y_tune)
        c = float(max(c_search, key=lambda k: c_search[k]))
    c = 1.0 if c is None else float(c)
    head = fit_head(x, y, labels, multi_label=multi_label, c=c, seed=cfg.seed, **head_options)
    fit_s = time.perf_counter() - t1
    head_path = head.save(cfg.out)
    tune_metrics = None
    if tune_rows:
        from .crossval import fold_metrics

        tune_metrics = fold_metrics(targets_for(tune_rows, labels, multi_label),
                                    head.scores(embedded.matrix([r.id for r in tune_rows])),
                                    labels, multi_label)
    with open(os.path.join(cfg.out, TRAINED_ON_FILE), "w", encoding="utf-8") as f:
        json.dump({"train": [[r.id, sample_digest(r)] for r in rows],
                   "tune": [[r.id, sample_digest(r)] for r in tune_rows]}, f)
    backbone_eff = backbone.efficiency()
    record = {
        "format": 1,
        "backbone": {**backbone.describe(), "fingerprint": fingerprint, **{
            f"backbone_{k}": v for k, v in backbone_eff.items()}},
        "head": {"kind": head.kind, "file": HEAD_FILE, "digest": file_digest(head_path),
                 "n_parameters": head.n_parameters,
                 "size_bytes": os.path.getsize(head_path), "c": c, "c_search": c_search,
                 **head.info},
        "labels": labels,
        "task": "multilabel" if multi_label else "classification",
        "data": {"dataset": cfg.dataset, "train_split": train_split, "tune_split": tune_split,
                 "label_group": cfg.dataset_options.label_group, "n_train": len(rows),
                 "n_tune": len(tune_rows), "n_errors": len(embedded.errors),
                 "errors": [{"id": k, "error": v} for k, v in list(embedded.errors.items())[:50]]},
        "tune_metrics": tune_metrics,
        "timing": {"embedding_s": round(embed_s, 3), "fit_s": round(fit_s, 3),
                   "training_s": round(time.perf_counter() - started, 3),
                   "n_embedded": embedded.n_computed, "n_from_cache": embedded.n_cached,
                   "embedding_samples_per_s": round(embedded.n_computed / embedded.seconds, 2)
                   if embedded.seconds > 0 else None},
        "cv": {k: v for k, v in cv_result.items() if k not in ("oof_scores", "fold_of")}
        if cv_result else None,
        "command": cfg.command,
    }
    tmp = os.path.join(cfg.out, PROBE_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(strict_json(record), f, indent=2)
    os.replace(tmp, os.path.join(cfg.out, PROBE_FILE))
    if cv_result:
        write_cv_outputs(cfg.out, cv_result, rows, labels, multi_label)
    from .report import write_train_report

    write_train_report(cfg.out, record)
    return record


def cross_validate_rows(cfg: TrainConfig, x: np.ndarray, y: np.ndarray, rows: list[Row],
                        labels: list[str], multi_label: bool, head_options: dict[str, Any]
                        ) -> dict[str, Any]:
    from .crossval import cross_validate

    return cross_validate(x, y, rows, labels, multi_label=multi_label, cv=str(cfg.cv),
                          seed=cfg.seed, c=cfg.c if cfg.c is not None else 1.0,
                          **head_options)


def write_cv_outputs(out: str, result: dict[str, Any], rows: list[Row], labels: list[str],
                     multi_label: bool) -> None:
    """``cv_results.json`` and the out-of-fold predictions in the detailed-results layout
    (``emoeval score`` rescores them)."""
    import pandas as pd

    scores = result["oof_scores"]
    records = []
    for i, r in enumerate(rows):
        rec: dict[str, Any] = {"id": r.id}
        if multi_label:
            rec["labels"] = json.dumps(r.label, ensure_ascii=False)
        else:
            best = int(np.argmax(scores[i]))
            rec.update(label=r.label, prediction=labels[best],
                       confidence=float(scores[i, best]))
        rec.update({f"score_{l}": float(scores[i, j]) for j, l in enumerate(labels)})
        rec["fold"] = result["fold_of"][i]
        rec.update({k: v for k, v in r.metadata.items()})
        records.append(rec)
    pd.DataFrame.from_records(records).to_csv(os.path.join(out, CV_PREDICTIONS), index=False)
    with open(os.path.join(out, CV_FILE), "w", encoding="utf-8") as f:
        json.dump(strict_json({k: v for k, v in result.items()
                               if k not in ("oof_scores", "fold_of")}), f, indent=2)


def load_record(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, PROBE_FILE)
    if not os.path.isfile(path):
        raise EmoevalError(f"probe:{folder}: no {PROBE_FILE} there; train a probe with "
                           "`emoeval train --backbone ... --dataset ... --out DIR`")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


__all__ = ["TrainConfig", "train_probe", "load_record"]
