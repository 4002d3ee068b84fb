"""``emoeval compare`` on open-vocabulary runs: a paired bootstrap of the per-sample scores.

Both runs' ``detailed_results.csv`` hold per-sample accuracy, recall, F1 and their
``scored`` flag; a pair is compared on the samples both scored, whose truth sets agree. The
same resamples (samples, or speakers when the table has them: the run's own resampling plan)
are applied to both runs, so the interval of B - A reflects only how the models differ.
Holm adjusts the p-values of the headline across all pairs.
"""

from __future__ import annotations

import html
import itertools
import json
import os
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from .scoring import METRICS, resampling_plan

HEADLINE = "accuracy_recall_mean"
SCHEMA_VERSION = 2


def shared_scored(run_a, run_b, force: bool) -> tuple[pd.DataFrame, list[str]]:
    """Rows both runs scored, joined on id (A's columns plain, B's with ``_b``)."""
    tables = []
    for run in (run_a, run_b):
        table = run.table()
        if table is None:
            raise EmoevalError(f"{run.name}: {run.table_problem}")
        if "scored" not in table.columns:
            raise EmoevalError(f"{run.name}: its detailed_results.csv has no 'scored' column; "
                               "re-score it with `emoeval score --task open-vocabulary`")
        tables.append(table[table["scored"] == "True"])
    shared = tables[0].merge(tables[1], on="id", suffixes=("", "_b"))
    warnings = []
    differ = shared["truth_words"] != shared["truth_words_b"]
    if differ.any():
        first = shared.loc[differ, "id"].iloc[0]
        message = (f"{run_a.name} and {run_b.name} read different truth sets for "
                   f"{int(differ.sum())} shared samples (first: {first})")
        if not force:
            raise EmoevalError(message + "; score them alike (same --protocol), or pass --force")
        warnings.append("--force: " + message + "; those samples are left out")
        shared = shared[~differ]
    return shared, warnings


def paired_scores(shared: pd.DataFrame, seed: int, n_resamples: int) -> dict[str, Any]:
    """B - A for every metric over the same resamples of the shared rows."""
    from ..compare.paired import PairedDifference, p_value_from_standard_error

    if len(shared) < 2:
        raise EmoevalError("fewer than two shared scored samples to compare")
    plan = resampling_plan(shared, n_resamples, seed)
    a = shared[list(METRICS)].to_numpy(dtype=float)
    b = shared[[f"{m}_b" for m in METRICS]].to_numpy(dtype=float)
    gap = b - a
    resampled = np.stack([gap[index].mean(axis=0) for index in plan["indices"]])
    out = {}
    for j, metric in enumerate(METRICS):
        diff = float(gap[:, j].mean())
        se = float(resampled[:, j].std(ddof=1))
        low, high = np.percentile(resampled[:, j], [2.5, 97.5])
        out[metric] = PairedDifference(
            a=float(a[:, j].mean()), b=float(b[:, j].mean()), difference=diff, low=float(low),
            high=float(high), standard_error=se, p_value=p_value_from_standard_error(diff, se),
            detectable=2.8 * se).to_dict()
    return {"differences": out, "unit": plan["unit"], "n_groups": plan["n_groups"]}


def compare_open_vocabulary(runs: list, out: str, *, rank_by: str | None = None,
                            force: bool = False, seed: int = 0,
                            n_resamples: int = 2000) -> dict[str, Any]:
    """Rank the runs, test every pair, write compare.json, compare.md (and the same as
    compare.html), leaderboard.csv."""
    from ..compare.paired import holm

    metric = rank_by or HEADLINE
    if metric not in METRICS:
        raise EmoevalError(f"--rank-by {metric!r}: open-vocabulary runs rank by one of "
                           f"{', '.join(METRICS)}")
    ranked = sorted(runs, key=lambda run: -float(run.results["metrics"].get(metric) or 0))
    warnings: list[str] = []
    pairs = []
    for b, a in itertools.combinations(ranked, 2):
        shared, notes = shared_scored(a, b, force)
        warnings += notes
        tested = paired_scores(shared, seed, n_resamples)
        pairs.append({"a": a.name, "b": b.name, "n_shared": int(len(shared)), **tested})
    adjusted = holm([p["differences"][metric]["p_value"] for p in pairs])
    for pair, p_holm in zip(pairs, adjusted):
        pair["p_holm"] = p_holm
        pair["verdict"] = (f"{pair['b']} scores higher than {pair['a']} on {metric}"
                           if p_holm < 0.05 else
                           f"no significant difference on {metric} (Holm p = {p_holm:.3f})")
    board = [{"rank": i + 1, "run": run.name, "model": run.model_spec,
              **{m: run.results["metrics"].get(m) for m in METRICS},
              **{f"{m}_low": (run.results.get("ci") or {}).get(m, {}).get("low")
                 for m in METRICS},
              **{f"{m}_high": (run.results.get("ci") or {}).get(m, {}).get("high")
                 for m in METRICS},
              "n_scored": run.results.get("n_scored"), "n_samples": run.results.get("n_samples"),
              "path": os.path.abspath(run.path)} for i, run in enumerate(ranked)]
    comparison = {"schema_version": SCHEMA_VERSION, "task": "open-vocabulary",
                  "rank_by": metric, "seed": seed, "n_resamples": n_resamples,
                  "leaderboard": board, "pairs": pairs,
                  "verdicts": [p["verdict"] for p in pairs], "warnings": warnings}
    os.makedirs(out, exist_ok=True)
    pd.DataFrame(board).to_csv(os.path.join(out, "leaderboard.csv"), index=False)
    with open(os.path.join(out, "compare.json"), "w", encoding="utf-8") as f:
        json.dump(comparison, f, indent=2, allow_nan=False, default=float)
    text = markdown(comparison)
    with open(os.path.join(out, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "compare.html"), "w", encoding="utf-8") as f:
        f.write(f"<!doctype html><meta charset=utf-8><pre>{html.escape(text)}</pre>\n")
    return comparison


def markdown(c: dict[str, Any]) -> str:
    from ..reports.format import markdown_table

    def fmt(value: Any) -> str:
        return "n/a" if value is None else f"{float(value):.4f}"

    lines = ["# Open-vocabulary comparison", "",
             f"Ranked by `{c['rank_by']}`; paired bootstrap of B - A on the samples both runs "
             f"scored ({c['n_resamples']:,} resamples, seed {c['seed']}), Holm across pairs.",
             "", markdown_table(["Rank", "Run", "Accuracy", "Recall", "Mean", "F1", "Scored"],
                        [[r["rank"], r["run"], fmt(r["accuracy"]), fmt(r["recall"]),
                          fmt(r["accuracy_recall_mean"]), fmt(r["f1"]), r["n_scored"]]
                         for r in c["leaderboard"]]), ""]
    for pair in c["pairs"]:
        d = pair["differences"][c["rank_by"]]
        lines += [f"## {pair['b']} - {pair['a']}", "",
                  f"{pair['n_shared']} shared samples, resampled by {pair['unit']}. "
                  f"{c['rank_by']}: {fmt(d['b'])} - {fmt(d['a'])} = {d['difference']:+.4f} "
                  f"[{d['low']:+.4f}, {d['high']:+.4f}], p = {d['p_value']:.3g}, Holm p = "
                  f"{pair['p_holm']:.3g}. {pair['verdict']}.", ""]
    lines += [f"- {w}" for w in c["warnings"]]
    return "\n".join(lines).rstrip() + "\n"
