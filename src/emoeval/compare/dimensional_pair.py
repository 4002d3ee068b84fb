"""Dimensional pairs (continuous targets): which metrics the paired bootstrap covers, the
check that a run's table reproduces its results.json, and the pair's test."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..dimensional.scoring import PRED_SUFFIX, TRUE_SUFFIX, map_predictions
from ..metrics.dimensional import dimension_metrics
from .metrics import RankMetric
from .paired import PAIRED_DIMENSIONAL_METRICS, paired_dimensional_bootstrap
from .runs import Run

REPRODUCE_TOLERANCE = 1e-9
TRUE_VALUE_TOLERANCE = 1e-9  # dimensional: true values further apart are different data
MCNEMAR_NOT_DIMENSIONAL = ("McNemar counts samples one model gets right and the other wrong; "
                           "continuous targets have no right or wrong per sample")


def dimensional_pair(pair: dict[str, Any], shared: pd.DataFrame, run_a: Run, run_b: Run,
                          dimensions: list[str], clusters, metric: RankMetric, seed: int,
                          n_resamples: int) -> dict[str, Any]:
    """The paired bootstrap of a dimensional pair on its shared samples (``shared``: A's
    columns, then B's with the suffix ``_b``)."""
    pair["dimensions"] = dimensions
    pair["mcnemar_reason"] = MCNEMAR_NOT_DIMENSIONAL
    if len(shared) < 2:
        pair["reason"] = "fewer than two samples were scored by both runs"
        return pair
    truth = dimension_values(shared, dimensions, TRUE_SUFFIX)
    predictions_a = predicted_values(run_a, shared, dimensions)
    predictions_b = predicted_values(run_b, shared, dimensions, "_b")
    differences = paired_dimensional_bootstrap(truth, predictions_a, predictions_b,
                                               dimensions, groups=clusters,
                                               n_resamples=n_resamples, seed=seed)
    ranked = differences[metric.key]
    if not (np.isfinite(ranked.difference) and np.isfinite(ranked.p_value)):
        pair["reason"] = (f"{metric.name} is undefined on the {len(shared):,} shared samples "
                          "(constant true values or predictions?)")
        return pair
    pair["differences"] = {name: d.to_dict() for name, d in differences.items()}
    pair["identical"] = bool(np.array_equal(predictions_a, predictions_b))
    pair["tested"] = True
    return pair


def shared_dimensions(run_a: Run, run_b: Run) -> list[str]:
    """The dimensions both runs scored, in A's order."""
    return [dimension for dimension in run_a.labels if dimension in run_b.labels]


def dimension_values(table: pd.DataFrame, dimensions: list[str], column_suffix: str,
                     run_suffix: str = "") -> np.ndarray:
    """``<D><column_suffix><run_suffix>`` for every dimension as a (rows, dimensions) float
    array; the detailed table is read as text."""
    return np.column_stack([table[f"{d}{column_suffix}{run_suffix}"].astype(float).to_numpy()
                            for d in dimensions]).reshape(len(table), len(dimensions))


def predicted_values(run: Run, table: pd.DataFrame, dimensions: list[str],
                     run_suffix: str = "") -> np.ndarray:
    """The predictions the run scored: the detailed table keeps raw predictions, and a
    --pred-range/--target-range run maps them as its results.json records."""
    return map_predictions(dimension_values(table, dimensions, PRED_SUFFIX, run_suffix),
                           run.results.get("range_mapping"))


def dimensional_metric_problem(run_a: Run, run_b: Run, metric: RankMetric) -> str | None:
    """Whether the dimensional paired bootstrap covers the rank metric for this pair."""
    dimensions = shared_dimensions(run_a, run_b)
    if not dimensions:
        return f"{run_a.name} and {run_b.name} share no dimension"
    dimension, _, leaf = metric.key.rpartition(".")
    if leaf not in PAIRED_DIMENSIONAL_METRICS:
        return (f"the paired bootstrap covers {', '.join(PAIRED_DIMENSIONAL_METRICS)} (per "
                f"dimension, e.g. {dimensions[0]}.ccc, or their mean, e.g. ccc); rank by one "
                f"of them to test {metric.key}")
    if metric.mean_over and sorted(metric.mean_over) != sorted(dimensions):
        return (f"{metric.name} averages {', '.join(metric.mean_over)} but the runs share "
                f"{', '.join(dimensions)}")
    if not metric.mean_over and dimension not in dimensions:
        return f"{dimension!r} is not a dimension both runs scored ({', '.join(dimensions)})"
    return None


def dimensional_reproduction_problem(run: Run) -> str | None:
    """Paired dimensional metrics are rebuilt from detailed_results.csv; this checks that its
    scored rows give the run's own results.json CCC and MAE before trusting it."""
    scored = run.scored()
    if scored is None:
        return run.table_problem
    dimensions = run.labels
    missing = [f"{d}{s}" for d in dimensions for s in (TRUE_SUFFIX, PRED_SUFFIX)
               if f"{d}{s}" not in scored.columns]
    if not dimensions or missing:
        return (f"{run.name}'s detailed_results.csv has no {', '.join(missing)} column"
                if missing else f"{run.name}'s results.json names no dimension (labels)")
    if scored.empty:
        return f"{run.name} scored no sample"
    try:
        truth = dimension_values(scored, dimensions, TRUE_SUFFIX)
        predicted = predicted_values(run, scored, dimensions)
    except ValueError as exc:
        return (f"{run.name}'s detailed_results.csv has a non-numeric value in a scored row "
                f"({exc}): re-run `emoeval score` on it")
    recorded = run.results.get("metrics") or {}
    for j, dimension in enumerate(dimensions):
        rebuilt = dimension_metrics(truth[:, j], predicted[:, j])
        for name in ("ccc", "mae"):
            value = (recorded.get(dimension) or {}).get(name)
            if value is None and not np.isfinite(rebuilt[name]):
                continue  # undefined in both (strict JSON writes NaN as null)
            if value is None or abs(rebuilt[name] - float(value)) > REPRODUCE_TOLERANCE:
                return (f"{run.name}'s detailed_results.csv does not reproduce the "
                        f"{dimension} {name} in its results.json ({rebuilt[name]:.4f} vs "
                        f"{value}): re-run `emoeval score` on it")
    return None




def true_value_disagreement(shared: pd.DataFrame, dimensions: list[str]
                            ) -> tuple[pd.Series, str]:
    """Rows whose true values differ between the runs, and the first such difference said
    in words (empty when none)."""
    gap = np.abs(dimension_values(shared, dimensions, TRUE_SUFFIX)
                 - dimension_values(shared, dimensions, TRUE_SUFFIX, "_b"))
    disagree = pd.Series(gap.max(axis=1) > TRUE_VALUE_TOLERANCE, index=shared.index)
    if not disagree.any():
        return disagree, ""
    first = shared[disagree].iloc[0]
    column = next(f"{d}{TRUE_SUFFIX}" for d in dimensions
                  if abs(float(first[f"{d}{TRUE_SUFFIX}"])
                         - float(first[f"{d}{TRUE_SUFFIX}_b"])) > TRUE_VALUE_TOLERANCE)
    return disagree, f"{column} {first[column]} vs {first[column + '_b']}"
