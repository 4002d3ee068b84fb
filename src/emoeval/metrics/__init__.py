"""Metrics: pure functions over label arrays and confusion counts (sklearn-checked)."""

from .classification import (
    HEADLINE_METRICS,
    OTHER_PREDICTION,
    UNKNOWN_SLICE,
    class_imbalance,
    classification_summary,
    confusion_counts,
    metrics_from_counts,
    per_class,
    slice_metrics,
    top_confusions,
)
from .stats import bootstrap_ci

__all__ = [
    "HEADLINE_METRICS",
    "OTHER_PREDICTION",
    "UNKNOWN_SLICE",
    "bootstrap_ci",
    "class_imbalance",
    "classification_summary",
    "confusion_counts",
    "metrics_from_counts",
    "per_class",
    "slice_metrics",
    "top_confusions",
]
