"""``emoeval train``: embed a dataset with a frozen backbone, fit a head, save a probe.

The probe folder (``--out``) holds:

- ``probe.json``: backbone (spec, layer, pooling, fingerprint), head, labels, task, the data
  it saw (dataset spec, splits, counts), timings and sizes;
- ``head.npz``: the head's arrays (see :mod:`emoeval.probe.heads`);
- ``trained_on.json``: ``[id, content digest]`` of every training and tuning sample, so
  ``emoeval evaluate --model probe:<dir>`` refuses to report on them;
- ``train_report.md`` and ``cv_results.json`` / ``cv_predictions.csv`` with ``--cv``.

The task comes from the rows, not from a flag: rows with continuous targets (``Row.targets``,
e.g. EmoBank's V, A, D) are dimensional and take the regression head ``ridge``; rows with
class labels take ``logreg`` or ``mlp`` (single- or multi-label). ``--head`` defaults to
``logreg`` for class labels and ``ridge`` for continuous targets; a head that does not fit
the rows is an error. A row whose target is missing or not a number is left out and listed
with the samples that could not be embedded.

Splits: ``--split`` (default ``train`` when the dataset has it, else every row) is fitted;
``--tune-split`` (default, when no strength is given: the validation split, validation /
val / valid / dev) picks the regularisation strength: ``C`` from :data:`C_GRID` by UA
(single-label) or macro ROC-AUC (multi-label), ``alpha`` from :data:`ALPHA_GRID` by the
mean CCC over dimensions (ridge). With ``--c`` / ``--alpha`` and no ``--tune-split`` the
validation split stays unseen, so it can be evaluated; with neither and nothing to tune on,
``C = 1`` and ``alpha = 1`` (scikit-learn's defaults). With ``--cv loso|k`` the folds are
scored first, then the saved head is fitted on every row.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..datasets.base import DatasetOptions, Row, has_targets, load_dataset
from ..errors import EmoevalError
from ..multilabel.scoring import default_tune_split
from ..registry import sample_layout
from ..results import SCHEMA_VERSION
from ..results_io import write_csv, write_json
from ..selection import RowSelection, prepare_rows
from .backbones import load_backbone
from .cache import EmbeddingCache, default_cache_root
from .crossval import HEADLINE_METRIC, fold_metrics, head_task
from .embed import embed_rows, sample_digest
from .heads import CLASSIFIER_HEADS, HEAD_FILE, HEADS, REGRESSION_HEADS, file_digest, fit_head

PROBE_FILE = "probe.json"
TRAINED_ON_FILE = "trained_on.json"
REPORT_FILE = "train_report.md"
CV_FILE = "cv_results.json"
CV_PREDICTIONS = "cv_predictions.csv"
#: regularisation strengths tried on the tuning split when --c is not given
C_GRID = (0.05, 0.2, 1.0)
#: ridge penalties tried on the tuning split when --alpha is not given, from almost none to
#: heavy for standardised features (EmoBank, MiniLM: flat from 1 to 100, lower at 10,000)
ALPHA_GRID = (1.0, 10.0, 100.0, 1000.0, 10000.0)


@dataclass
class TrainConfig:
    backbone: str
    dataset: str
    out: str
    #: logreg | mlp | ridge; None: logreg for class labels, ridge for continuous targets
    head: str | None = None
    layer: str | None = None
    pooling: str = "mean"
    cv: str | None = None
    split: str | None = None
    tune_split: str | None = None
    #: "auto" (balanced for single-label, none for multi-label), "balanced" or None
    class_weight: str | None = "auto"
    #: classifiers: inverse regularisation strength
    c: float | None = None
    #: ridge: penalty strength
    alpha: float | None = None
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
    #: torch | onnx | onnx-int8 | torch-bf16 (transformer backbones; emoeval.onnx.encoders)
    runtime: str = "torch"
    dataset_options: DatasetOptions = field(default_factory=DatasetOptions)
    command: str = ""


def _label_cfg(cfg: TrainConfig, labels: list[str] | None = None,
               limit: int | None = None) -> RowSelection:
    """The label options of ``evaluate``, so ``prepare_rows`` applies them identically."""
    return RowSelection(split=cfg.split, limit=limit, labels=labels or cfg.labels,
                        keep_labels=cfg.keep_labels, merge=list(cfg.merge),
                        label_map=cfg.label_map, seed=cfg.seed)


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
    if cfg.cv or train is None or cfg.c is not None or cfg.alpha is not None:
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


def values_for(rows: list[Row], dimensions: list[str]) -> np.ndarray:
    """(n, n_dimensions) continuous targets."""
    return np.array([[(r.targets or {}).get(d, np.nan) for d in dimensions] for r in rows],
                    dtype=np.float64).reshape(len(rows), len(dimensions))


def target_errors(rows: list[Row], dimensions: list[str]) -> dict[str, str]:
    """``{id: error}`` for rows whose target of some dimension is missing or not finite."""
    errors = {}
    for row in rows:
        for dim in dimensions:
            value = (row.targets or {}).get(dim)
            if value is None or not np.isfinite(float(value)):
                errors[row.id] = f"no target: {dim} is missing or not a number"
                break
    return errors


def resolve_head(cfg: TrainConfig, dimensional: bool) -> str:
    """The head kind for these rows; a head or option that does not fit them is an error."""
    kind = cfg.head or ("ridge" if dimensional else "logreg")
    if kind not in HEADS:
        raise EmoevalError(f"--head {kind!r}: use {', '.join(HEADS[:-1])} or {HEADS[-1]}")
    if dimensional and kind not in REGRESSION_HEADS:
        raise EmoevalError(f"--head {kind} is a classifier, and {cfg.dataset} has continuous "
                           f"targets (dimensional); use --head {REGRESSION_HEADS[0]}")
    if not dimensional and kind in REGRESSION_HEADS:
        raise EmoevalError(f"--head {kind} fits continuous targets, and {cfg.dataset} has class "
                           f"labels; use --head {' or '.join(CLASSIFIER_HEADS)} (or a dataset "
                           "with targets, e.g. emobank: or --target-cols)")
    if kind in REGRESSION_HEADS:
        if cfg.c is not None:
            raise EmoevalError("--c is the classifiers' inverse strength; give ridge its "
                               "penalty with --alpha (e.g. --alpha 100)")
        if cfg.class_weight not in (None, "auto"):
            raise EmoevalError("--class-weight applies to class labels; drop it for ridge")
        if cfg.networks != 1:
            raise EmoevalError(f"--networks {cfg.networks}: applies to --head mlp only")
    elif cfg.alpha is not None:
        raise EmoevalError(f"--alpha is the ridge penalty; give --head {kind} its strength "
                           "with --c")
    return kind


def tune_metric(task: str, labels: list[str], scores: np.ndarray, targets: np.ndarray
                ) -> float:
    """What the strength grid maximises: UA (single-label), macro ROC-AUC (multi-label) or
    the mean CCC over dimensions (dimensional)."""
    return fold_metrics(targets, scores, labels, task)[HEADLINE_METRIC[task]]


def tune_strength(x: np.ndarray, y: np.ndarray, x_tune: np.ndarray, y_tune: np.ndarray,
                  labels: list[str], task: str, head_options: dict[str, Any], name: str,
                  grid: tuple[float, ...]) -> tuple[float | None, dict[str, float]]:
    """Fit one head per strength in ``grid`` (``name``: ``c`` or ``alpha``) and score it on
    the tuning rows by :func:`tune_metric`; returns (the best strength, or None when no
    score is defined, and ``{strength: score}``). The first of equal scores wins."""
    search: dict[str, float] = {}
    for candidate in grid:
        head = fit_head(x, y, labels, **{**head_options, name: candidate})
        search[str(candidate)] = tune_metric(task, labels, head.scores(x_tune), y_tune)
    finite = {k: v for k, v in search.items() if np.isfinite(v)}
    return (float(max(finite, key=lambda k: finite[k])) if finite else None), search


def train_probe(cfg: TrainConfig, on_progress: Callable[[str, int, int], None] | None = None,
                ) -> dict[str, Any]:
    """Train a probe into ``cfg.out``; returns the ``probe.json`` record."""
    started = time.perf_counter()
    dataset = load_dataset(cfg.dataset, cfg.dataset_options)
    available = dataset.splits()
    train_split, tune_split = choose_splits(available, cfg)
    # for rows with continuous targets, prepare_rows returns the dimensions as labels
    rows, labels, _ = prepare_rows(dataset, dataset.rows(train_split),
                                   _label_cfg(cfg, limit=cfg.limit))
    dimensional = has_targets(rows)
    kind = resolve_head(cfg, dimensional)
    multi_label = any(isinstance(r.label, list) for r in rows)
    task = head_task(kind, multi_label)
    tune_rows: list[Row] = []
    if tune_split is not None:
        tune_rows, _, _ = prepare_rows(dataset, dataset.rows(tune_split),
                                       _label_cfg(cfg, labels=labels))
    bad_targets: dict[str, str] = {}
    if dimensional:  # a row without a usable target is left out and listed, not fatal
        bad_targets = target_errors(rows + tune_rows, labels)
        rows = [r for r in rows if r.id not in bad_targets]
        tune_rows = [r for r in tune_rows if r.id not in bad_targets]
        if not rows:
            raise EmoevalError(f"no training sample has finite targets for {', '.join(labels)}"
                               "; check the target columns")
    if cfg.cv == "loso" and not all(r.metadata.get("speaker") for r in rows):
        raise EmoevalError("--cv loso needs a speaker id on every sample (the preset's "
                           "speaker metadata or --speaker-col); use --cv <k> otherwise")
    backbone = load_backbone(cfg.backbone, cfg.layer, cfg.pooling, cfg.runtime)
    if backbone.modality != rows[0].modality:
        raise EmoevalError(f"{cfg.backbone} takes {backbone.modality} but {cfg.dataset} holds "
                           f"{rows[0].modality}; pick a matching backbone or dataset")
    if cfg.runtime != "torch":  # exported and verified on a stratified sample of these rows
        backbone.verify_runtime(rows)
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

    def targets(some: list[Row]) -> np.ndarray:
        return (values_for(some, labels) if dimensional
                else targets_for(some, labels, multi_label))

    y = targets(rows)
    class_weight = cfg.class_weight
    if class_weight == "auto":
        # multi-label: per-class thresholds rebalance the decisions; weighting the loss as
        # well lowered GoEmotions' macro F1 and AUC (benchmarks/goemotions_probe.py)
        class_weight = None if multi_label or dimensional else "balanced"
    head_options = {"kind": kind, "class_weight": class_weight, "hidden": cfg.hidden,
                    "networks": cfg.networks}
    # the strength each head takes: ridge's penalty alpha, or the classifiers' inverse C
    strength_name, grid, given = (("alpha", ALPHA_GRID, cfg.alpha) if dimensional
                                  else ("c", C_GRID, cfg.c))

    cv_result = None
    if cfg.cv:
        cv_result = cross_validate_rows(cfg, x, y, rows, labels, multi_label,
                                        {**head_options, strength_name: given
                                         if given is not None else 1.0})
    t1 = time.perf_counter()
    search: dict[str, float] = {}
    strength = given
    if strength is None and tune_rows:
        strength, search = tune_strength(
            x, y, embedded.matrix([r.id for r in tune_rows]), targets(tune_rows), labels,
            task, {**head_options, "multi_label": multi_label, "seed": cfg.seed},
            strength_name, grid)
    strength = 1.0 if strength is None else float(strength)
    head = fit_head(x, y, labels, multi_label=multi_label, seed=cfg.seed,
                    **{**head_options, strength_name: strength})
    fit_s = time.perf_counter() - t1
    head_path = head.save(cfg.out)
    tune_metrics = None
    if tune_rows:
        tune_metrics = fold_metrics(targets(tune_rows),
                                    head.scores(embedded.matrix([r.id for r in tune_rows])),
                                    labels, task)
    write_json(os.path.join(cfg.out, TRAINED_ON_FILE),
               {"train": [[r.id, sample_digest(r)] for r in rows],
                "tune": [[r.id, sample_digest(r)] for r in tune_rows]}, indent=None)
    backbone_eff = backbone.efficiency()
    errors = {**bad_targets, **embedded.errors}
    record = {
        "schema_version": SCHEMA_VERSION,
        "format": 1,
        "backbone": {**backbone.describe(), "fingerprint": fingerprint, **{
            f"backbone_{k}": v for k, v in backbone_eff.items()}},
        "head": {"kind": head.kind, "file": HEAD_FILE, "digest": file_digest(head_path),
                 "n_parameters": head.n_parameters,
                 "size_bytes": os.path.getsize(head_path), strength_name: strength,
                 f"{strength_name}_search": search, **head.info},
        "labels": labels,
        **({"dimensions": labels} if dimensional else {}),
        "task": task,
        "data": {"dataset": cfg.dataset, "train_split": train_split, "tune_split": tune_split,
                 "label_group": cfg.dataset_options.label_group, "n_train": len(rows),
                 "n_tune": len(tune_rows), "n_errors": len(errors),
                 "errors": [{"id": k, "error": v} for k, v in list(errors.items())[:50]]},
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
    write_json(os.path.join(cfg.out, PROBE_FILE), record)
    if cv_result:
        write_cv_outputs(cfg.out, cv_result, rows, labels, task)
    from .report import write_train_report

    write_train_report(cfg.out, record)
    return record


def cross_validate_rows(cfg: TrainConfig, x: np.ndarray, y: np.ndarray, rows: list[Row],
                        labels: list[str], multi_label: bool, head_options: dict[str, Any]
                        ) -> dict[str, Any]:
    from .crossval import cross_validate

    return cross_validate(x, y, rows, labels, multi_label=multi_label, cv=str(cfg.cv),
                          seed=cfg.seed, **head_options)


def write_cv_outputs(out: str, result: dict[str, Any], rows: list[Row], labels: list[str],
                     task: str) -> None:
    """``cv_results.json`` and the out-of-fold predictions in the detailed-results layout
    (``emoeval score`` rescores them; ``id, <D>_true, <D>_pred, ...`` for dimensional)."""
    import pandas as pd

    scores = result["oof_scores"]
    layout = sample_layout(task)
    records = []
    for i, r in enumerate(rows):
        rec: dict[str, Any] = {"id": r.id}
        if layout == "values":
            for j, dim in enumerate(labels):
                rec[f"{dim}_true"] = float((r.targets or {})[dim])
                rec[f"{dim}_pred"] = float(scores[i, j])
            rec["fold"] = result["fold_of"][i]
            rec.update({k: v for k, v in r.metadata.items()})
            records.append(rec)
            continue
        if layout == "label_set":
            rec["labels"] = json.dumps(r.label, ensure_ascii=False)
        else:
            best = int(np.argmax(scores[i]))
            rec.update(label=r.label, prediction=labels[best],
                       confidence=float(scores[i, best]))
        rec.update({f"score_{l}": float(scores[i, j]) for j, l in enumerate(labels)})
        rec["fold"] = result["fold_of"][i]
        rec.update({k: v for k, v in r.metadata.items()})
        records.append(rec)
    write_csv(os.path.join(out, CV_PREDICTIONS), pd.DataFrame.from_records(records))
    write_json(os.path.join(out, CV_FILE),
               {"schema_version": SCHEMA_VERSION,
                **{k: v for k, v in result.items() if k not in ("oof_scores", "fold_of")}})


def load_record(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, PROBE_FILE)
    if not os.path.isfile(path):
        raise EmoevalError(f"probe:{folder}: no {PROBE_FILE} there; train a probe with "
                           "`emoeval train --backbone ... --dataset ... --out DIR`")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


__all__ = ["TrainConfig", "train_probe", "load_record"]
