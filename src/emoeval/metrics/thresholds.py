"""One threshold grammar for every task that turns scores into yes/no decisions.

``--threshold`` takes:
- ``<float>``: one fixed threshold (``0.5``);
- ``per-class``: one threshold per label, tuned on a tuning split (multi-label);
- ``tune``: one threshold tuned on a tuning split (similarity benchmark);
- ``top-k:<k>``: the k highest-scoring labels of each sample are positive (multi-label).

Tuning always happens on a split other than the reported one; the callers refuse otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EmoevalError


@dataclass(frozen=True)
class ThresholdStrategy:
    kind: str  # "fixed" | "per-class" | "tune" | "top-k"
    value: float | None = None
    k: int | None = None

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"{self.value:g}"
        if self.kind == "top-k":
            return f"top-k:{self.k}"
        return self.kind

    @property
    def needs_tuning(self) -> bool:
        return self.kind in {"per-class", "tune"}


def parse_threshold(spec: str | float | None, default: float = 0.5,
                    allowed: tuple[str, ...] = ("fixed", "per-class", "tune", "top-k")
                    ) -> ThresholdStrategy:
    """Parse ``--threshold``; ``allowed`` names the kinds the calling task supports."""
    if spec is None or spec == "":
        strategy = ThresholdStrategy("fixed", float(default))
    elif isinstance(spec, (int, float)):
        strategy = ThresholdStrategy("fixed", float(spec))
    else:
        text = str(spec).strip().lower()
        if text in {"per-class", "tune"}:
            strategy = ThresholdStrategy(text)
        elif text.startswith("top-k:"):
            try:
                k = int(text.split(":", 1)[1])
            except ValueError:
                k = 0
            if k < 1:
                raise EmoevalError(f"--threshold {spec!r}: top-k needs a whole number >= 1, "
                                   "e.g. top-k:3")
            strategy = ThresholdStrategy("top-k", k=k)
        else:
            try:
                strategy = ThresholdStrategy("fixed", float(text))
            except ValueError:
                raise EmoevalError(f"--threshold {spec!r}: give a number, per-class, tune or "
                                   "top-k:<k>") from None
    if strategy.kind not in allowed:
        kinds = ", ".join("<float>" if a == "fixed" else ("top-k:<k>" if a == "top-k" else a)
                          for a in allowed)
        raise EmoevalError(f"--threshold {spec}: this task takes {kinds}")
    return strategy


def best_threshold(y_true: np.ndarray, scores: np.ndarray, objective: str = "f1",
                   target_precision: float | None = None) -> float:
    """The threshold on ``scores`` that maximises ``objective`` on binary ``y_true``.

    ``objective``: ``f1`` or ``balanced_accuracy``. With ``target_precision``, the lowest
    threshold whose precision reaches it (most recall at that precision), else the highest
    score (predict nothing). Candidates are midpoints between distinct scores, so the
    decision ``score >= threshold`` reproduces each candidate split exactly.
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if y_true.shape != scores.shape or y_true.ndim != 1:
        raise ValueError("y_true and scores must be 1-d arrays of one length")
    if objective not in {"f1", "balanced_accuracy"}:
        raise ValueError(f"unknown objective {objective!r}")
    distinct = np.unique(scores)
    if distinct.size == 0:
        return 0.5
    candidates = np.concatenate([[distinct[0] - 1e-9], (distinct[:-1] + distinct[1:]) / 2,
                                 [distinct[-1] + 1e-9]])
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_truth = scores[order], y_true[order]
    # predicted positive count for each candidate: scores >= threshold
    n_pred = np.searchsorted(-sorted_scores, -candidates, side="right")
    tp_cum = np.concatenate([[0], np.cumsum(sorted_truth)])
    tp = tp_cum[n_pred]
    fp = n_pred - tp
    positives = y_true.sum()
    negatives = y_true.size - positives
    fn = positives - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_pred > 0, tp / np.maximum(n_pred, 1), 0.0)
        recall = np.where(positives > 0, tp / max(positives, 1), 0.0)
        if target_precision is not None:
            ok = (precision >= target_precision) & (n_pred > 0)
            return float(candidates[ok].min()) if ok.any() else float(candidates[-1])
        if objective == "f1":
            value = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        else:
            tnr = np.where(negatives > 0, (negatives - fp) / max(negatives, 1), 0.0)
            value = (recall + tnr) / 2
    best = np.flatnonzero(value == value.max())
    return float(candidates[best[len(best) // 2]])  # the middle of a plateau: more margin


def small_class_fallback(y_true: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                         labels: list[str], min_positives: int,
                         target_precision: float | None = None
                         ) -> tuple[np.ndarray, float | None, dict[str, dict]]:
    """Per-class thresholds where a class with fewer than ``min_positives`` positives on the
    tuning rows takes the global threshold (one threshold tuned on every label's decisions
    pooled) instead of its own, which two positives cannot pin down.

    Returns the thresholds in force, the global threshold (None when no class fell back)
    and ``{label: {n, small, tuned, global}}`` for the classes that fell back.
    """
    positives = np.asarray(y_true).sum(axis=0)
    small = positives < min_positives
    if not small.any():
        return thresholds, None, {}
    pooled = best_threshold(np.asarray(y_true).ravel(), np.asarray(scores).ravel(), "f1",
                            target_precision)
    used = np.array(thresholds, dtype=float)
    used[small] = pooled
    fallen = {labels[j]: {"n": int(positives[j]), "small": True,
                          "tuned": float(thresholds[j]), "global": pooled}
              for j in np.flatnonzero(small)}
    return used, pooled, fallen
