"""Cross-validation of a probe head on cached embeddings: ``--cv loso`` or ``--cv <k>``.

``loso``: one fold per speaker, that speaker's samples held out (leave-one-speaker-out,
as EmoBox and SUPERB report for speech). ``<k>``: k folds; when speaker ids are known the
folds are speaker-independent (no speaker on both sides; stratified by label for
single-label data), otherwise stratified (single-label) or plain shuffled (multi-label,
continuous targets) sample folds. Each fold fits a fresh head on the other folds and scores
the held-out one; the summary gives each metric's mean, standard deviation (``ddof=1``),
minimum and maximum over folds, and the pooled metrics of all out-of-fold predictions.

Metrics by task: UA, WA and macro F1 (classification); micro and macro ROC-AUC and macro F1
at 0.5 (multilabel); per dimension CCC, Pearson, Spearman, MAE and RMSE
(:mod:`emoeval.metrics.dimensional`), keyed ``<metric>_<dimension>``, plus ``ccc_mean``, the
mean CCC over dimensions (dimensional, a ridge head).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..datasets.base import Row
from ..errors import EmoevalError
from ..registry import sample_layout
from .heads import REGRESSION_HEADS, fit_head

SINGLE_LABEL_METRICS = ("balanced_accuracy", "accuracy", "f1_macro")
MULTI_LABEL_METRICS = ("roc_auc_micro", "roc_auc_macro", "f1_macro")
#: what tuning maximises and what the CLI prints, per task
HEADLINE_METRIC = {"classification": "balanced_accuracy", "multilabel": "roc_auc_macro",
                   "dimensional": "ccc_mean"}


def head_task(kind: str, multi_label: bool) -> str:
    """classification, multilabel or dimensional (a regression head)."""
    if kind in REGRESSION_HEADS:
        return "dimensional"
    return "multilabel" if multi_label else "classification"


def metric_names(task: str, labels: list[str]) -> tuple[str, ...]:
    """The metrics summarised over folds."""
    layout = sample_layout(task)
    if layout == "values":
        return ("ccc_mean", *[f"ccc_{d}" for d in labels])
    return MULTI_LABEL_METRICS if layout == "label_set" else SINGLE_LABEL_METRICS


def make_folds(rows: list[Row], cv: str, targets: np.ndarray, multi_label: bool, seed: int
               ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(fold name, train indices, held-out indices) for ``loso`` or a number of folds."""
    speakers = [str(r.metadata.get("speaker") or "") for r in rows]
    known = all(speakers) and len(set(speakers)) > 1
    if cv == "loso":
        if not known:
            raise EmoevalError("--cv loso needs a speaker id on every sample (the preset's "
                               "speaker metadata or --speaker-col); use --cv <k> otherwise")
        groups = np.array(speakers)
        return [(f"speaker {s}", np.flatnonzero(groups != s), np.flatnonzero(groups == s))
                for s in sorted(set(speakers))]
    try:
        k = int(cv)
    except ValueError:
        raise EmoevalError(f"--cv {cv!r}: use loso or a number of folds (e.g. 5)") from None
    if k < 2:
        raise EmoevalError(f"--cv {k}: cross-validation needs at least 2 folds")
    from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold

    index = np.arange(len(rows))
    # class indices stratify; label sets and continuous targets (2-d) do not
    by_class = not multi_label and np.ndim(targets) == 1
    if known:
        if len(set(speakers)) < k:
            raise EmoevalError(f"--cv {k}: only {len(set(speakers))} speakers; speaker-"
                               "independent folds need at least one speaker per fold")
        strata = targets if by_class else np.zeros(len(rows))
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = splitter.split(index, strata, groups=speakers)
    elif not by_class:
        if k > len(rows):
            raise EmoevalError(f"--cv {k}: only {len(rows)} samples; use fewer folds")
        splits = KFold(n_splits=k, shuffle=True, random_state=seed).split(index)
    else:
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(index,
                                                                                   targets)
    return [(f"fold {i + 1}", train, test) for i, (train, test) in enumerate(splits)]


def fold_metrics(y_true: np.ndarray, scores: np.ndarray, labels: list[str], task: str
                 ) -> dict[str, float]:
    """The task's metrics of one set of predictions (see the module docstring)."""
    layout = sample_layout(task)
    if layout == "values":
        return dimensional_metrics(y_true, scores, labels)
    if layout == "label_set":
        from ..metrics.multilabel import decision_metrics, ranking_metrics

        ranking = ranking_metrics(y_true, scores, labels)["metrics"]
        return {"roc_auc_micro": ranking["roc_auc_micro"],
                "roc_auc_macro": ranking["roc_auc_macro"],
                "f1_macro": decision_metrics(y_true, scores >= 0.5)["f1_macro"]}
    from ..metrics.classification import classification_summary

    names = np.array(labels, dtype=object)
    metrics = classification_summary(names[y_true], names[scores.argmax(axis=1)],
                                     labels)["metrics"]
    return {k: float(metrics[k]) for k in SINGLE_LABEL_METRICS}


def dimensional_metrics(y_true: np.ndarray, values: np.ndarray, dimensions: list[str]
                        ) -> dict[str, float]:
    """``{<metric>_<dimension>: value}`` for every dimensional metric, and ``ccc_mean``."""
    from ..metrics.dimensional import dimension_metrics

    out: dict[str, float] = {}
    for j, dim in enumerate(dimensions):
        for name, value in dimension_metrics(y_true[:, j], values[:, j]).items():
            out[f"{name}_{dim}"] = value
    cccs = [out[f"ccc_{d}"] for d in dimensions]
    mean = float(np.mean(cccs)) if np.all(np.isfinite(cccs)) else float("nan")
    return {"ccc_mean": mean, **out}


def summarise(per_fold: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        values = np.array([f[name] for f in per_fold], dtype=float)
        values = values[np.isfinite(values)]
        out[name] = {"mean": float(values.mean()) if values.size else None,
                     "std": float(values.std(ddof=1)) if values.size > 1 else None,
                     "min": float(values.min()) if values.size else None,
                     "max": float(values.max()) if values.size else None,
                     "n_folds": int(values.size)}
    return out


def cross_validate(features: np.ndarray, targets: np.ndarray, rows: list[Row],
                   labels: list[str], *, multi_label: bool, cv: str, seed: int = 0,
                   on_fold: Any = None, **head_options: Any) -> dict[str, Any]:
    """Fit and score one head per fold; returns folds, summary, pooled metrics and the
    out-of-fold scores (``oof_scores``, in row order: values for a ridge head)."""
    task = head_task(str(head_options.get("kind", "logreg")), multi_label)
    folds = make_folds(rows, cv, targets, multi_label, seed)
    oof = np.zeros((len(rows), len(labels)))
    fold_of = np.empty(len(rows), dtype=object)
    per_fold = []
    for name, train, test in folds:
        head = fit_head(features[train], targets[train], labels, multi_label=multi_label,
                        seed=seed, **head_options)
        oof[test] = head.scores(features[test])
        fold_of[test] = name
        row = {"fold": name, "n_train": int(len(train)), "n_test": int(len(test)),
               **fold_metrics(targets[test], oof[test], labels, task)}
        per_fold.append(row)
        if on_fold:
            on_fold(row)
    return {"cv": cv, "n_folds": len(folds), "folds": per_fold,
            "summary": summarise(per_fold, metric_names(task, labels)),
            "pooled": fold_metrics(targets, oof, labels, task),
            "oof_scores": oof, "fold_of": list(fold_of)}
