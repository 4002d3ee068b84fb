"""Synthetic predictions with a known true difference (or none) for the comparison tests.

Importable as ``compare_synthetic`` (this folder is on pytest's pythonpath)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emoeval.api import score_file

LABELS = ["angry", "happy", "neutral", "sad"]


def balanced_truth(n: int, labels: list[str] = LABELS) -> np.ndarray:
    return np.array([labels[i % len(labels)] for i in range(n)], dtype=object)


def predictions_from_hits(truth: np.ndarray, hits: np.ndarray, labels: list[str],
                          seed: int) -> np.ndarray:
    """The true label where ``hits``, else a random other label."""
    rng = np.random.default_rng(seed)
    wrong = np.array([rng.choice([l for l in labels if l != t]) for t in truth], dtype=object)
    return np.where(hits, truth, wrong)


def hits_with_rate(n: int, rate: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n) < rate


def same_rate_hits(truth: np.ndarray, hits: np.ndarray, seed: int) -> np.ndarray:
    """Other samples right, but exactly as many per class: identical recall per class, so
    the true (and observed) difference in UA and WA is zero."""
    rng = np.random.default_rng(seed)
    shuffled = hits.copy()
    for label in np.unique(truth):
        rows = np.flatnonzero(truth == label)
        shuffled[rows] = rng.permutation(hits[rows])
    return shuffled


def run_maker(base: Path):
    """``make_run(name, ids, truth, predictions, labels=None, ...)`` -> run folder, scored by
    ``emoeval.api.score_file`` like ``emoeval score``. ``model`` names the predictions file,
    which the run records as its model (``file:<model>.csv``)."""

    def make(name: str, ids, truth, predictions, labels: list[str] | None = None,
             speakers=None, errors=None, model: str | None = None) -> str:
        table = pd.DataFrame({"id": list(ids), "label": list(truth),
                              "prediction": list(predictions)})
        if errors is not None:
            table["error"] = list(errors)
        if speakers is not None:
            table["speaker"] = list(speakers)
        source = base / "predictions" / name / f"{model or name}.csv"
        source.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(source, index=False)
        out = base / "runs" / name
        score_file(str(source), str(out), labels=labels or LABELS, n_resamples=200)
        return str(out)

    return make
