"""``report.md`` of the similarity benchmark: it starts and ends with the score rubric.

Layout follows emolia-bench's ``benchmark.py``: rubric (baselines, human numbers, quality
bands), run facts, headline on all items, unanimous subset, slices, outputs, rubric recap.
Rendered from ``summary.json`` alone.
"""

from __future__ import annotations

import math
from typing import Any

#: (band, lower bound of balanced accuracy, note) - emolia-bench's rubric
BANDS = (
    ("Bad", 0.0, "At or below random; model isn't learning"),
    ("Weak", 0.55, "Some signal, far from human"),
    ("Medium", 0.65, "Useful but lossy; decent training target"),
    ("Good", 0.75, "Strong CLAP-style performance"),
    ("Excellent", 0.85, "Approaches human inter-rater agreement"),
)
SLICE_TITLES = {"task_type": "task type", "polarity": "polarity",
                "queried_emotion": "queried emotion", "benchmark_bucket": "`benchmark_bucket`"}


def quality_band(balanced_accuracy: float | None) -> str:
    if balanced_accuracy is None or math.isnan(balanced_accuracy):
        return "n/a"
    band = BANDS[0][0]
    for name, lower, _ in BANDS:
        if balanced_accuracy >= lower:
            band = name
    return band


def fmt(value: Any, digits: int = 4) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if math.isnan(number) else f"{number:.{digits}f}"


def _ci(block: dict[str, Any], metric: str) -> str:
    interval = (block.get("ci") or {}).get(metric) or {}
    if interval.get("low") is None:
        return ""
    return f" [{interval['low']:.3f}, {interval['high']:.3f}] ({unit_count(interval)})"


def unit_count(interval: dict[str, Any]) -> str:
    """``12 speakers`` / ``240 audio clips``: what an interval resampled."""
    unit, n_groups = interval.get("unit") or "sample", interval.get("n_groups")
    return f"{n_groups:,} {unit}s" if n_groups is not None else f"{unit}s"


def band_table(with_notes: bool) -> list[str]:
    """The quality bands as a markdown table."""
    lines = (["| Band | Balanced accuracy | Notes |", "|---|---|---|"] if with_notes
             else ["| Band | Balanced accuracy |", "|---|---|"])
    for i, (name, lower, note) in enumerate(BANDS):
        upper = BANDS[i + 1][1] if i + 1 < len(BANDS) else None
        span = (f"< {upper:.2f}" if i == 0 else
                f"{lower:.2f} – {upper:.2f}" if upper is not None else f"≥ {lower:.2f}")
        lines.append(f"| {name} | {span} |" + (f" {note} |" if with_notes else ""))
    return lines


def rubric_lines(summary: dict[str, Any]) -> list[str]:
    return [
        "## Score rubric (read me first)",
        "",
        "Primary metric: **balanced accuracy** vs `majority_present` (binary). "
        "Threshold-free: **ROC-AUC**. Secondary: **F1** of the positive class.",
        "",
        "- Random / chance baseline: **0.500** balanced accuracy (0.500 ROC-AUC)",
        f"- Always-majority baseline: **{fmt(summary.get('majority_baseline'), 3)}** accuracy "
        "(0.500 balanced)",
        "",
        "**Human numbers on the same binary task** "
        + ("(from `--human-summary`):" if summary.get("human_accuracy_binary") is not None
           or summary.get("human_loo_balanced_accuracy_binary") is not None
           else "(not given: pass the agreement command's summary.json as `--human-summary`):"),
        "",
        "| Human metric | Accuracy | Balanced accuracy |",
        "|---|---:|---:|",
        f"| Pairwise (rater A vs rater B on shared items) | "
        f"{fmt(summary.get('human_accuracy_binary'), 3)} | "
        f"{fmt(summary.get('human_balanced_accuracy_binary'), 3)} |",
        f"| Leave-one-out (rater vs majority of others, n="
        f"{int(summary.get('human_loo_n_annotations') or 0)}) | "
        f"{fmt(summary.get('human_loo_accuracy_binary'), 3)} | "
        f"{fmt(summary.get('human_loo_balanced_accuracy_binary'), 3)} |",
        "",
        "Quality bands (balanced accuracy on `majority_present`):",
        "",
        *band_table(with_notes=True),
        "",
        "Maximise balanced accuracy on the **unanimous subset** (`benchmark_bucket` starting "
        "with `unanimous_`): the cleanest items. Tie items (no human majority) are left out "
        "of every metric.",
        "",
    ]


def _block_rows(block: dict[str, Any]) -> list[str]:
    n = int(block.get("n") or 0)
    return [
        "| Metric | Value |",
        "|---|---|",
        f"| Items evaluated | {n} |",
        f"| Accuracy | {fmt(block.get('accuracy'))}{_ci(block, 'accuracy')} |",
        f"| **Balanced accuracy** | **{fmt(block.get('balanced_accuracy'))}**"
        f"{_ci(block, 'balanced_accuracy')} |",
        f"| ROC-AUC (threshold-free) | {fmt(block.get('roc_auc'))}{_ci(block, 'roc_auc')} |",
        f"| F1 (positive class) | {fmt(block.get('f1'))} |",
        f"| Precision / Recall | {fmt(block.get('precision'))} / {fmt(block.get('recall'))} |",
        f"| Quality band | **{quality_band(block.get('balanced_accuracy'))}**"
        f"{_chance_note(block)} |",
        "",
    ]


def _chance_note(block: dict[str, Any]) -> str:
    interval = (block.get("ci") or {}).get("balanced_accuracy") or {}
    if interval.get("low") is not None and interval["low"] <= 0.5 <= interval["high"]:
        return " (the 95% CI includes 0.5: not distinguishable from chance)"
    return ""


def _slice_table(name: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = [f"## By {SLICE_TITLES.get(name, name)}", "",
             f"| {name} | n | accuracy | bal. acc | F1 | ROC-AUC |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row[name]} | {int(row['n'])} | {fmt(row['accuracy'])} | "
                     f"{fmt(row['balanced_accuracy'])} | {fmt(row['f1'])} | "
                     f"{fmt(row['roc_auc'])} |")
    return lines + [""]


def render_report(summary: dict[str, Any]) -> str:
    overall, unanimous = summary["overall"], summary["unanimous_subset"]
    source = summary.get("endpoint") or summary.get("model")
    distribution = summary.get("similarity_distribution") or {}
    ci_note = ""
    interval = (overall.get("ci") or {}).get("balanced_accuracy") or {}
    if interval:
        ci_note = (f"95% bootstrap CIs in brackets ({interval.get('n_resamples')} resamples "
                   f"of {unit_count(interval)})")
    threshold_line = (f"- Threshold: **{fmt(summary['threshold'])}** "
                      f"({summary['threshold_strategy']}; predict present if "
                      f"{'/'.join(summary.get('response_keys') or ['similarity'])} ≥ threshold)")
    tuned = summary.get("threshold_tuned_on")
    if tuned:
        threshold_line += (f", tuned for balanced accuracy on {tuned['n']} `split == dev` "
                           "items; the metrics below use only the other items")
    errors = summary.get("errors_by_kind") or {}
    md = [
        "# Similarity benchmark report",
        "",
        *rubric_lines(summary),
        "## Run",
        "",
        f"- Mode: **{summary['mode']}**" + (f" (`{source}`)" if source else ""),
        f"- Items: `{summary['labels_path']}`",
        f"- Items considered: **{summary['rows_total']}** (evaluated OK: "
        f"**{summary['rows_evaluated_ok']}**, missing audio: **{summary['missing_audio']}**, "
        f"errors: **{summary['evaluation_errors']}**, ties left out: **{summary['ties']}**)",
    ]
    if errors:
        md.append("- Errors by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(errors.items())))
    md += [
        threshold_line,
        "- Score distribution (OK rows): " + (
            f"min={distribution['min']:.4f}, median={distribution['median']:.4f}, "
            f"max={distribution['max']:.4f}" if distribution else "no successful predictions"),
        "",
        f"## Headline metrics ({summary['reported_rows']})",
        "",
        *([ci_note, ""] if ci_note else []),
        *_block_rows(overall),
    ]
    if summary.get("headline_over_human_upper_bound") is not None:
        md += [f"Headline / human upper bound ({fmt(summary['human_upper_bound_binary'], 3)}, "
               f"pairwise agreement): **{fmt(summary['headline_over_human_upper_bound'], 3)}**",
               ""]
    if summary.get("headline_over_human_loo_balanced_accuracy") is not None:
        md += ["Headline / human leave-one-out balanced accuracy: "
               f"**{fmt(summary['headline_over_human_loo_balanced_accuracy'], 3)}**", ""]
    md += ["## Unanimous-only subset (cleanest items)", "", *_block_rows(unanimous)]
    for name in summary.get("slices", []):
        rows = summary.get(f"by_{name}") or []
        if rows:
            md += _slice_table(name, rows)
    md += [
        "## Outputs",
        "",
        "- `predictions.csv` — all rows; `ok` and `error` per item, `in_headline` marks "
        "the rows behind the headline",
        "- `metrics_by_*.csv` — slice metrics",
        "- `summary.json` — machine-readable summary",
        "- `predictions.jsonl`, `store.json` — the resumable store of raw scores",
        "",
        "## Score rubric (recap — share these numbers with reviewers)",
        "",
        f"Model balanced accuracy = **{fmt(overall.get('balanced_accuracy'))}** "
        f"-> **{quality_band(overall.get('balanced_accuracy'))}** band; "
        f"ROC-AUC **{fmt(overall.get('roc_auc'))}**.",
        "",
        "Comparable numbers on the *same binary task*:",
        "",
        "- Random baseline: **0.500**",
        f"- Always-majority baseline: **{fmt(summary.get('majority_baseline'), 3)}** accuracy "
        "(0.500 balanced)",
        f"- Single-human pairwise: accuracy **{fmt(summary.get('human_accuracy_binary'), 3)}**, "
        f"balanced **{fmt(summary.get('human_balanced_accuracy_binary'), 3)}**",
        f"- Single-human leave-one-out (vs. majority of others, n="
        f"{int(summary.get('human_loo_n_annotations') or 0)}): accuracy "
        f"**{fmt(summary.get('human_loo_accuracy_binary'), 3)}**, balanced "
        f"**{fmt(summary.get('human_loo_balanced_accuracy_binary'), 3)}**",
        "",
        *band_table(with_notes=False),
        "",
    ]
    return "\n".join(md)
