"""Multi-label threshold guards (issue 19): option values checked before any model runs,
and per-class thresholds that too few tuning positives cannot pin down (contracts-v2
section 5: fewer than MIN_ITEMS positives take the global threshold)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..metrics.thresholds import parse_threshold, small_class_fallback
from ..small_samples import MIN_ITEMS


ALLOWED_THRESHOLDS = ("fixed", "per-class", "top-k")
DEFAULT_THRESHOLD = 0.5


def check_options(*, labels: list[str], threshold: Any = None,
                  target_precision: float | None = None, **_: Any) -> None:
    """The threshold and target precision, checked before any model runs (the scorer
    task's ``check_values`` hook)."""
    strategy = parse_threshold(threshold, DEFAULT_THRESHOLD, ALLOWED_THRESHOLDS)
    if target_precision is not None and strategy.kind != "per-class":
        raise EmoevalError("--target-precision applies to --threshold per-class")


def small_positive_fallback(y_true: np.ndarray, scores: np.ndarray, tuned: np.ndarray,
                            labels: list[str], target_precision: float | None,
                            notes: dict[str, str]) -> tuple[np.ndarray, dict[str, dict]]:
    """The thresholds in force: a class with fewer than MIN_ITEMS tuning positives takes the
    global threshold and its note says so (its own tuned value stays in
    ``tuned_thresholds``). Returns them and ``{label: {n, small, tuned, global}}``."""
    used, pooled, fallen = small_class_fallback(y_true, scores, tuned, labels, MIN_ITEMS,
                                                target_precision)
    for label, entry in fallen.items():
        notes[label] = (f"{entry['n']} positive{'s' if entry['n'] != 1 else ''} in the tuning "
                        f"split (fewer than {MIN_ITEMS}): the global threshold {pooled:.3g} "
                        "is used")
    return used, fallen


def tune_per_class(y_true: np.ndarray, scores: np.ndarray, labels: list[str],
                   target_precision: float | None, tune_thresholds: Any
                   ) -> tuple[np.ndarray, np.ndarray, dict[str, str], dict[str, dict]]:
    """Per-class thresholds on the tuning rows (``tune_thresholds`` gives each class's own):
    those in force (the small classes on the global one), each class's own, the notes, and
    the classes that fell back."""
    own, notes = tune_thresholds(y_true, scores, labels, target_precision)
    used, fallen = small_positive_fallback(y_true, scores, own, labels, target_precision, notes)
    return used, own, notes, fallen
