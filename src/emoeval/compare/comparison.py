"""``compare_runs``: run folders in, one comparison (``compare.json``) and its reports out.

Runs on one dataset (and one label set) are compared paired on the samples both scored:
a paired bootstrap of every headline metric's difference, McNemar on accuracy, Holm across
all pairs. Dimensional runs (continuous targets) get a paired bootstrap of CCC, Pearson, MAE
and RMSE per dimension and of their means over the dimensions, and no McNemar. Runs on
different datasets form a model x dataset grid of the rank metric with each cell's own CI
and no paired test across datasets.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from ..metrics.classification import HEADLINE_METRICS, confusion_counts, metrics_from_counts
from ..metrics.resampling import resolve_ci_unit
from ..registry import sample_layout
from ..results import SCHEMA_VERSION
from ..results_io import strict_json
from .common import count_text, leaderboard_views, sample_noun, scored_ids
from .dimensional_pair import (MCNEMAR_NOT_DIMENSIONAL, REPRODUCE_TOLERANCE,
                               TRUE_VALUE_TOLERANCE, dimensional_metric_problem, dimensional_pair,
                               dimensional_reproduction_problem, shared_dimensions,
                               true_value_disagreement)
from .metrics import RankMetric, flat_metrics, metric_interval, metric_value, resolve_rank_metric
from .multilabel_pair import (PAIRED_MULTILABEL_METRICS, multilabel_arrays,
                              multilabel_reproduction_problem, multilabel_truth_disagreement,
                              paired_multilabel_bootstrap)
from .paired import DETECTABLE_SE_MULTIPLE, holm, mcnemar_test, paired_bootstrap
from .runs import DatasetGroup, Run, group_by_dataset, label_set_problem, load_runs, sample_overlap
from .verdicts import is_win, untested, verdict

DEFAULT_RESAMPLES = 2000
EFFICIENCY_COLUMNS = ("n_parameters", "size_bytes", "samples_per_s", "latency_ms_p50",
                      "latency_ms_p95")
MCNEMAR_NOT_MULTILABEL = ("McNemar counts samples one model gets right and the other wrong; "
                          "a multi-label sample can be partly right")


def compare_runs(run_dirs: list[str], out: str, rank_by: str | None = None,
                 force: bool = False, seed: int = 0,
                 n_resamples: int = DEFAULT_RESAMPLES,
                 common_samples: bool | None = None) -> dict[str, Any]:
    """Compare the runs in ``run_dirs`` into ``out``; return the ``compare.json`` dict.

    Writes ``leaderboard.csv``, ``compare.json``, ``compare.md``, ``compare.html`` and the
    plots. ``force`` compares runs on one dataset whose label sets (or true labels) differ.
    ``common_samples``: rank on the samples every run of a dataset scored (None: when the
    runs' scored samples differ; see :mod:`emoeval.compare.common`).
    """
    from .report import write_reports

    if n_resamples < 2:
        raise EmoevalError(f"--n-resamples {n_resamples}: give at least 2 (default "
                           f"{DEFAULT_RESAMPLES})")
    runs = load_runs(list(run_dirs))
    task = runs[0].task
    metric = resolve_rank_metric(rank_by, task, {r.name: r.results["metrics"] for r in runs})
    groups = group_by_dataset(runs)
    warnings: list[str] = []
    for group in groups:
        problem = label_set_problem(group)
        if problem and not force:
            raise EmoevalError(problem)
        if problem:
            warnings.append(f"--force: runs on {group.name} were scored on different label "
                            "sets; they are compared on the union of their labels")
    views = leaderboard_views(groups, common_samples, table_problem, n_resamples, seed,
                              warnings)
    for group in groups:
        group.runs.sort(key=lambda run: rank_key(views[run.name], metric))
    # b is the higher-ranked run of each pair, so "b beats a" reads in rank order
    pairs = [compare_pair(group, a, b, metric, force, seed, n_resamples, warnings)
             for group in groups for b, a in itertools.combinations(group.runs, 2)]
    adjust_and_decide(pairs, metric)
    comparison = {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "rank_by": metric.to_dict(),
        "seed": seed,
        "n_resamples": n_resamples,
        "runs": [run_summary(run, group) for group in groups for run in group.runs],
        "datasets": [dataset_summary(group) for group in groups],
        "leaderboard": leaderboard_rows(groups, metric, views),
        "pairs": pairs,
        "verdicts": [pair["verdict"] for pair in pairs],
        "grid": model_dataset_grid(groups, metric) if len(groups) > 1 else None,
        "per_class_f1": per_class_f1(groups),
        "method": method_notes(metric, n_resamples, grid=len(groups) > 1, task=task),
        "warnings": warnings,
    }
    comparison = strict_json(comparison)
    comparison["files"] = write_reports(comparison, out)
    return comparison


# --------------------------------------------------------------------------- ranking


def rank_key(view: dict[str, Any], metric: RankMetric) -> tuple[int, float]:
    value = metric_value(view.get("metrics"), metric)
    if value is None:
        return (1, 0.0)
    return (0, -value if metric.higher_is_better else value)


def metric_columns(groups: list[DatasetGroup], metric: RankMetric) -> list[str]:
    """The rank metric first, then the headline metrics (classification) or every numeric
    metric the runs report (other tasks)."""
    task = groups[0].runs[0].task
    names: list[str] = []
    if sample_layout(task) == "label":
        names = list(HEADLINE_METRICS)
    else:
        for group in groups:
            for run in group.runs:
                names += [k for k in flat_metrics(run.results.get("metrics")) if k not in names]
    key = rank_column(metric)
    return [key] + [name for name in names if name != key]


def rank_column(metric: RankMetric) -> str:
    return f"mean_{metric.key}" if metric.mean_over else metric.key


def leaderboard_rows(groups: list[DatasetGroup], metric: RankMetric,
                     views: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run: its metrics with CIs on the samples of its view (its own scored
    samples, or those every run of the dataset scored), and how many those are."""
    columns = metric_columns(groups, metric)
    rows = []
    for group in groups:
        noun = sample_noun(group)
        for rank, run in enumerate(group.runs, start=1):
            results, view = run.results, views[run.name]
            flat = flat_metrics(view.get("metrics"))
            row: dict[str, Any] = {"run": run.name, "model": run.model_spec,
                                   "dataset": group.name, "split": run.split,
                                   "task": run.task, "rank": rank}
            for column in columns:
                if column == rank_column(metric):
                    value = metric_value(view.get("metrics"), metric)
                else:
                    value = flat.get(column)
                interval = metric_interval(view.get("ci"), column) or {}
                row[column] = value
                row[f"{column}_low"] = interval.get("low")
                row[f"{column}_high"] = interval.get("high")
            interval = metric_interval(view.get("ci"), metric.key) or {}
            row["ci_unit"] = interval.get("unit")
            row["n_compared"] = view.get("n_compared")
            row["sample_set"] = view.get("sample_set")
            row["on"] = count_text(view.get("n_compared"), noun,
                                   shared=view.get("sample_set") == "shared")
            for key in ("n_samples", "n_scored", "n_errors"):
                row[key] = results.get(key)
            efficiency = results.get("efficiency") or {}
            for key in EFFICIENCY_COLUMNS:
                row[key] = efficiency.get(key)
            row["path"] = os.path.abspath(run.path)
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- pairs


def compare_pair(group: DatasetGroup, run_a: Run, run_b: Run, metric: RankMetric,
                 force: bool, seed: int, n_resamples: int,
                 warnings: list[str]) -> dict[str, Any]:
    """Paired tests of ``run_b - run_a`` on their shared scored samples."""
    ids_a, ids_b = scored_ids(run_a), scored_ids(run_b)
    pair: dict[str, Any] = {"dataset": group.name, "a": run_a.name, "b": run_b.name,
                            "tested": False, "reason": None,
                            "n_shared": (None if ids_a is None or ids_b is None
                                         else len(ids_a & ids_b)),
                            "sample_noun": sample_noun(group), "unit": None,
                            "n_clusters": None, "differences": None, "mcnemar": None,
                            "mcnemar_reason": None}
    reason = pair_obstacle(run_a, run_b, metric)
    if reason:
        pair["reason"] = reason
        return pair
    scored_a, scored_b = run_a.scored(), run_b.scored()
    shared = scored_a.merge(scored_b, on="id", suffixes=("", "_b"))
    pair["overlap"] = {"a_scored": len(scored_a), "b_scored": len(scored_b),
                       "shared_scored": len(shared),
                       "shared_ids": len(run_a.ids() & run_b.ids())}
    disagree, what, example = truth_disagreement(run_a, run_b, shared)
    if disagree.any():
        message = (f"{run_a.name} and {run_b.name} give different {what} for "
                   f"{int(disagree.sum())} shared samples (first: "
                   f"{shared[disagree].iloc[0]['id']}: {example}); they were not scored on "
                   "the same data (different --merge or --label-map?)")
        if not force:
            raise EmoevalError(message + f"; re-run them alike, or pass --force to compare on "
                               f"the samples whose {what} agree")
        warnings.append("--force: " + message + "; those samples are left out")
        shared = shared[~disagree]
    pair["n_shared"] = len(shared)
    if shared.empty:
        pair["reason"] = "no sample was scored by both runs"
        return pair
    # the core's rule (metrics.resampling): speakers when a speaker column names two or
    # more; empty ids are pooled into one cluster by the bootstrap, as in the run's own CIs
    clusters, unit, n_groups = resolve_ci_unit(shared)
    pair["n_clusters"] = n_groups if clusters is not None else None
    pair["unit"] = unit
    if sample_layout(run_a.task) == "values":
        return dimensional_pair(pair, shared, run_a, run_b, shared_dimensions(run_a, run_b),
                                clusters, metric, seed, n_resamples)
    if sample_layout(run_a.task) == "label_set":
        return multilabel_pair(pair, shared, run_a, run_b, clusters, seed, n_resamples)
    labels = union_labels(group)
    y_true = shared["label"].to_numpy(dtype=object)
    predictions_a = shared["prediction"].to_numpy(dtype=object)
    predictions_b = shared["prediction_b"].to_numpy(dtype=object)
    differences = paired_bootstrap(y_true, predictions_a, predictions_b, labels,
                                   groups=clusters, n_resamples=n_resamples, seed=seed)
    pair["differences"] = {name: d.to_dict() for name, d in differences.items()}
    pair["mcnemar"] = mcnemar_test(y_true, predictions_a, predictions_b)
    pair["identical"] = bool((predictions_a == predictions_b).all())
    pair["tested"] = True
    return pair


def truth_disagreement(run_a: Run, run_b: Run, shared: pd.DataFrame
                       ) -> tuple[pd.Series, str, str]:
    """Shared rows whose truth differs between the runs, what the truth is called, and the
    first difference in words."""
    if sample_layout(run_a.task) == "values":
        disagree, example = true_value_disagreement(shared, shared_dimensions(run_a, run_b))
        return disagree, "true values", example
    if sample_layout(run_a.task) == "label_set":
        disagree = multilabel_truth_disagreement(shared)
        columns = ("labels", "labels_b")
    else:
        disagree = shared["label"] != shared["label_b"]
        columns = ("label", "label_b")
    example = ""
    if disagree.any():
        first = shared[disagree].iloc[0]
        example = f"{first[columns[0]]} vs {first[columns[1]]}"
    return disagree, "true labels", example


def multilabel_pair(pair: dict[str, Any], shared: pd.DataFrame, run_a: Run, run_b: Run,
                    clusters, seed: int, n_resamples: int) -> dict[str, Any]:
    """The paired bootstrap of a multi-label pair on its shared samples, on the labels both
    runs scored (A's order)."""
    labels = [label for label in run_a.labels if label in run_b.labels]
    truth, decisions_a, scores_a = multilabel_arrays(shared, labels)
    _, decisions_b, scores_b = multilabel_arrays(shared, labels, "_b")
    differences = paired_multilabel_bootstrap(truth, decisions_a, decisions_b, scores_a,
                                              scores_b, groups=clusters,
                                              n_resamples=n_resamples, seed=seed)
    pair["mcnemar_reason"] = MCNEMAR_NOT_MULTILABEL
    pair["differences"] = {name: d.to_dict() for name, d in differences.items()}
    pair["identical"] = bool(np.array_equal(decisions_a, decisions_b)
                             and np.array_equal(scores_a, scores_b))
    pair["tested"] = True
    return pair


def union_labels(group: DatasetGroup) -> list[str]:
    labels: list[str] = []
    for run in group.runs:
        labels += [label for label in run.labels if label not in labels]
    return labels


def pair_obstacle(run_a: Run, run_b: Run, metric: RankMetric) -> str | None:
    """Why a pair cannot be tested paired, or None."""
    if sample_layout(run_a.task) == "values":
        problem = dimensional_metric_problem(run_a, run_b, metric)
        check = dimensional_reproduction_problem
    elif sample_layout(run_a.task) == "label":
        problem = (None if metric.key in HEADLINE_METRICS else
                   f"the paired bootstrap covers {', '.join(HEADLINE_METRICS)}; rank by one of "
                   f"them to test {metric.key}")
        check = reproduction_problem
    elif sample_layout(run_a.task) == "label_set":
        problem = (None if metric.key in PAIRED_MULTILABEL_METRICS else
                   f"the paired bootstrap covers {', '.join(PAIRED_MULTILABEL_METRICS)}; rank "
                   f"by one of them to test {metric.key}")
        check = multilabel_reproduction_problem
    else:
        return (f"compare has no paired test for {run_a.task} runs; compare their "
                "confidence intervals")
    if problem:
        return problem
    for run in (run_a, run_b):
        problem = check(run)
        if problem:
            return problem
    return None


def table_problem(run: Run) -> str | None:
    """Why the run's detailed_results.csv cannot rebuild its metrics, or None."""
    check = REPRODUCTION_CHECKS.get(sample_layout(run.task))
    if check is None:
        return f"compare cannot rebuild {run.task} metrics from detailed_results.csv"
    return check(run)


def reproduction_problem(run: Run) -> str | None:
    """Paired metrics are rebuilt from detailed_results.csv; this checks that it gives the
    run's own results.json metrics before trusting it."""
    scored, problem = run.scored_columns(("label", "prediction"))
    if scored is None:
        return problem
    stray = sorted(set(scored["label"]) - set(run.labels))
    if stray or scored.empty:
        return (f"{run.name}'s detailed_results.csv has true labels outside its label set "
                f"({', '.join(stray[:5])})" if stray else f"{run.name} scored no sample")
    counts = confusion_counts(scored["label"].to_numpy(dtype=object),
                              scored["prediction"].to_numpy(dtype=object), run.labels)
    rebuilt = metrics_from_counts(counts)
    recorded = run.results.get("metrics") or {}
    for name in ("accuracy", "balanced_accuracy", "f1_macro"):
        value = recorded.get(name)
        if value is None or abs(rebuilt[name] - float(value)) > REPRODUCE_TOLERANCE:
            return (f"{run.name}'s detailed_results.csv does not reproduce the {name} in its "
                    f"results.json ({rebuilt[name]:.4f} vs {value}): re-run `emoeval score` "
                    "on it")
    return None


# by the task's sample layout (registry.sample_layout)
REPRODUCTION_CHECKS = {"label": reproduction_problem,
                       "values": dimensional_reproduction_problem,
                       "label_set": multilabel_reproduction_problem}


def adjust_and_decide(pairs: list[dict[str, Any]], metric: RankMetric) -> None:
    """Holm across all tested pairs (per metric, and for McNemar), then the verdicts."""
    tested = [pair for pair in pairs if pair["tested"]]
    names: list[str] = []
    for pair in tested:
        names += [name for name in pair["differences"] if name not in names]
    for name in names:
        family = [pair["differences"][name] for pair in tested if name in pair["differences"]]
        for difference, p in zip(family, holm([d["p_value"] for d in family])):
            difference["p_holm"] = p
    with_mcnemar = [pair["mcnemar"] for pair in tested if pair["mcnemar"] is not None]
    for mcnemar, p in zip(with_mcnemar, holm([m["p_value"] for m in with_mcnemar])):
        mcnemar["p_holm"] = p
    for pair in pairs:
        on = (None if pair["n_shared"] is None else
              count_text(pair["n_shared"], pair["sample_noun"], shared=True))
        if not pair["tested"]:
            pair["verdict"] = untested(pair["a"], pair["b"], pair["reason"], on)
            pair["significant"] = None
            continue
        difference = pair["differences"][metric.key]
        if pair["identical"]:
            pair["verdict"] = (f"no detectable difference between {pair['a']} and "
                               f"{pair['b']} on {metric.name}: they made the same prediction "
                               f"on all {on}")
        else:
            pair["verdict"] = verdict(pair["a"], pair["b"], difference,
                                      difference["p_holm"], metric, on)
        pair["significant"] = is_win(difference, difference["p_holm"])


# --------------------------------------------------------------------------- summaries


def run_summary(run: Run, group: DatasetGroup) -> dict[str, Any]:
    results = run.results
    return {"name": run.name, "path": os.path.abspath(run.path), "model": run.model_spec,
            "dataset": group.name, "dataset_spec": run.dataset_spec, "split": run.split,
            "task": run.task, "labels": run.labels, "n_samples": results.get("n_samples"),
            "n_scored": results.get("n_scored"), "n_errors": results.get("n_errors"),
            "metrics": results.get("metrics"), "ci": results.get("ci"),
            "efficiency": results.get("efficiency"), "warnings": results.get("warnings") or []}


def dataset_summary(group: DatasetGroup) -> dict[str, Any]:
    return {"name": group.name, "spec": group.spec, "split": group.split,
            "fingerprint": group.runs[0].dataset_fingerprint,
            "labels": union_labels(group), "runs": [run.name for run in group.runs],
            "sample_noun": sample_noun(group),
            "paired": len(group.runs) > 1, "overlap": sample_overlap(group)}


def model_dataset_grid(groups: list[DatasetGroup], metric: RankMetric) -> dict[str, Any]:
    """Rows: models; columns: datasets; cells: the rank metric with the run's own CI."""
    datasets = [group.name for group in groups]
    models: list[str] = []
    cells: dict[str, dict[str, Any]] = {}
    for group in groups:
        for run in group.runs:
            model = run.model_spec
            if group.name in cells.get(model, {}):  # the same model twice on one dataset
                model = f"{run.model_spec} ({run.name})"
            if model not in models:
                models.append(model)
            interval = metric_interval(run.results.get("ci"), metric.key) or {}
            cells.setdefault(model, {})[group.name] = {
                "run": run.name, "value": metric_value(run.results.get("metrics"), metric),
                "low": interval.get("low"), "high": interval.get("high"),
                "unit": interval.get("unit"), "n_scored": run.results.get("n_scored")}
    return {"metric": metric.key, "datasets": datasets, "models": models, "cells": cells}


def per_class_f1(groups: list[DatasetGroup]) -> list[dict[str, Any]]:
    """Per dataset: the label order and each run's per-class F1 (None where absent)."""
    blocks = []
    for group in groups:
        labels = union_labels(group)
        rows = {}
        for run in group.runs:
            per_class = run.results.get("per_class")
            if not isinstance(per_class, dict):
                continue
            rows[run.name] = [(per_class.get(label) or {}).get("f1") for label in labels]
        if rows:
            blocks.append({"dataset": group.name, "labels": labels, "runs": rows})
    return blocks


def method_notes(metric: RankMetric, n_resamples: int, grid: bool,
                 task: str = "classification") -> dict[str, str]:
    dimensional = sample_layout(task) == "values"
    multilabel = sample_layout(task) == "label_set"
    notes = {
        "pairing": "pairs compare the samples both runs scored (matched by id); a sample one "
                   "run could not score is left out of that pair" +
                   (f"; true values must agree within {TRUE_VALUE_TOLERANCE:g}" if dimensional
                    else ""),
        "paired_bootstrap": f"{n_resamples:,} seeded resamples of the shared samples (of "
                            "speakers when the samples name speakers), the same resample "
                            "for both models; percentile 95% CI of the difference; two-sided "
                            "p from the difference over its bootstrap standard error "
                            "(normal)" +
                            ("; CCC, Pearson, MAE and RMSE per dimension and their means over "
                             "the dimensions, rebuilt from detailed_results.csv (checked "
                             "against each run's results.json); Spearman is not tested"
                             if dimensional else "") +
                            ("; micro and macro F1 (each run's own decisions) and micro and "
                             "macro ROC-AUC (its scores), rebuilt from detailed_results.csv "
                             "(checked against each run's results.json)" if multilabel
                             else ""),
        "leaderboard": "each run's metrics and CIs on the samples it scored; when the runs "
                       "of a dataset scored different samples (or with --common-samples), "
                       "recomputed from detailed_results.csv on the samples every run scored; "
                       "each row says on how many",
        "mcnemar": ("not run: " + MCNEMAR_NOT_DIMENSIONAL if dimensional else
                    "not run: " + MCNEMAR_NOT_MULTILABEL if multilabel else
                    "McNemar on accuracy (exact binomial under 25 discordant samples); it "
                    "treats samples as independent"),
        "holm": "Holm's step-down adjustment across all tested pairs, per metric" +
                (" (and per dimension)" if dimensional else ""),
        "verdict": f"'beats' only when the Holm-adjusted p < 0.05 and the 95% CI of the "
                   f"difference excludes 0, on {metric.name}",
        "detectable_difference": f"{DETECTABLE_SE_MULTIPLE:.2f} x the bootstrap standard "
                                 "error of the difference (z 0.975 + z 0.80): the true "
                                 "difference a test at alpha 0.05 finds 80% of the time; "
                                 "Holm across several pairs raises it",
    }
    if grid:
        notes["grid"] = ("runs on different datasets are not tested against each other; each "
                         "cell carries its own run's CI")
    return notes
