"""Which metric a comparison ranks by, how it reads, and where a run's value and CI live.

A run's ``metrics`` block is flat for classification (``balanced_accuracy``) and may be
nested for other tasks (dimensional: ``metrics.valence.ccc``). Metrics are addressed by
their dotted path (``valence.ccc``); a plain name that exists under every dimension
(``ccc``) ranks by its mean over the dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EmoevalError
from ..registry import known_task
from ..reports.format import finite


# what people type -> the results.json key
RANK_BY_ALIASES = {
    "ua": "balanced_accuracy", "uar": "balanced_accuracy", "wa": "accuracy",
    "macro_f1": "f1_macro", "macro-f1": "f1_macro", "weighted_f1": "f1_weighted",
    "weighted-f1": "f1_weighted", "micro_f1": "f1_micro", "micro-f1": "f1_micro",
}

SHORT_NAMES = {
    "accuracy": "WA", "balanced_accuracy": "UA", "f1_macro": "macro F1",
    "f1_weighted": "weighted F1", "f1_micro": "micro F1", "precision_macro": "macro precision",
    "recall_macro": "macro recall", "precision_weighted": "weighted precision",
    "recall_weighted": "weighted recall", "ccc": "CCC", "mae": "MAE", "rmse": "RMSE",
    "roc_auc_macro": "macro AUC", "roc_auc_micro": "micro AUC",
    "subset_accuracy": "subset accuracy", "hamming_loss": "Hamming loss",
}

# error-like metrics: smaller is better
LOWER_IS_BETTER = ("mae", "rmse", "mse", "hamming_loss", "loss", "error_rate")



@dataclass(frozen=True)
class RankMetric:
    """The metric a comparison ranks and tests by."""

    key: str  # dotted path into results["metrics"], or the leaf name for a dimension mean
    name: str  # short display name, e.g. "UA"
    higher_is_better: bool
    in_points: bool  # differences shown x100 as percentage points
    mean_over: tuple[str, ...] = ()  # dimensions averaged when the key is a leaf name

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.key, "name": self.name,
                "higher_is_better": self.higher_is_better, "in_points": self.in_points,
                "mean_over": list(self.mean_over)}




def flat_metrics(metrics: Mapping[str, Any] | None, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a (possibly nested) metrics block, keyed by dotted path."""
    flat: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flat_metrics(value, path + "."))
        elif finite(value) is not None or value is None:
            flat[path] = finite(value)
    return flat


def short_name(key: str) -> str:
    leaf = key.rsplit(".", 1)[-1]
    name = SHORT_NAMES.get(leaf, leaf.replace("_", " "))
    return f"{key.rsplit('.', 1)[0]} {name}" if "." in key else name


def lower_is_better(key: str) -> bool:
    leaf = key.rsplit(".", 1)[-1]
    return any(leaf == word or leaf.endswith("_" + word) for word in LOWER_IS_BETTER)


def resolve_rank_metric(rank_by: str | None, task: str,
                        runs_metrics: Mapping[str, Mapping[str, Any]]) -> RankMetric:
    """The rank metric for ``task``, checked against every run's ``metrics`` block.

    ``runs_metrics``: run name -> that run's results["metrics"]. A metric some run lacks is
    an error naming the run and the metrics it has.
    """
    spec = known_task(task)  # the task's default metric, and whether its metrics are shares
    if rank_by is None:
        if spec is None:
            raise EmoevalError(f"no default --rank-by for task {task!r}; pass --rank-by with "
                               "one of the metrics in results.json")
        key = spec.rank_by
    else:
        key = RANK_BY_ALIASES.get(rank_by.strip().lower(), rank_by.strip())
    in_points = spec is not None and spec.metrics_are_shares
    flats = {name: flat_metrics(metrics) for name, metrics in runs_metrics.items()}
    if all(key in flat for flat in flats.values()):
        return RankMetric(key, short_name(key), not lower_is_better(key), in_points)
    # a leaf name present under every dimension: rank by its mean over the dimensions
    dimension_sets = [tuple(sorted(path.rsplit(".", 1)[0] for path in flat
                                   if path.endswith("." + key))) for flat in flats.values()]
    if dimension_sets and dimension_sets[0] and len(set(dimension_sets)) == 1:
        return RankMetric(key, f"mean {short_name(key)}", not lower_is_better(key), in_points,
                          mean_over=dimension_sets[0])
    missing = next(name for name, flat in flats.items() if key not in flat)
    have = ", ".join(sorted(flats[missing])) or "none"
    where = "the default for " + task if rank_by is None else f"--rank-by {rank_by}"
    raise EmoevalError(f"run {missing} (task {task}) has no metric {key!r} ({where}) in its "
                       f"results.json; it has: {have}. Pick --rank-by from those")


def metric_value(metrics: Mapping[str, Any] | None, metric: RankMetric) -> float | None:
    flat = flat_metrics(metrics)
    if metric.mean_over:
        values = [flat.get(f"{dimension}.{metric.key}") for dimension in metric.mean_over]
        known = [v for v in values if v is not None]
        return sum(known) / len(known) if known and len(known) == len(values) else None
    return flat.get(metric.key)


def metric_interval(ci: Mapping[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The run's CI for a dotted metric key: ``ci[key]``, else ``ci[a][b]`` for ``a.b``."""
    if not isinstance(ci, Mapping):
        return None
    node: Any = ci.get(key)
    if node is None and "." in key:
        node = ci
        for part in key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
    if isinstance(node, Mapping) and finite(node.get("low")) is not None \
            and finite(node.get("high")) is not None:
        return dict(node)
    return None
