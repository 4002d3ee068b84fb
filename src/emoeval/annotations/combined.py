"""``emoeval agreement-report``: one paper-ready ``report.md`` over several agreement runs
(emolia-bench's combined ``analysis_outputs/report.md`` over its two subsets), rendered from
their ``summary.json`` files alone."""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import EmoevalError
from ..reports.format import finite, markdown_table

REPORT_FILE = "report.md"


def _number(value: Any) -> str:
    number = finite(value)
    return "n/a" if number is None else f"{number:.3f}"


def _count(value: Any) -> str:
    number = finite(value)
    return "0" if number is None else f"{int(number):,}"


def read_summaries(folders: list[str]) -> list[tuple[str, dict[str, Any]]]:
    runs = []
    for folder in folders:
        path = os.path.join(folder, "summary.json")
        try:
            with open(path, encoding="utf-8") as handle:
                summary = json.load(handle)
        except FileNotFoundError:
            raise EmoevalError(f"{path}: not found; run `emoeval agreement --out {folder}` "
                               "first") from None
        except (OSError, ValueError) as exc:
            raise EmoevalError(f"{path}: not readable JSON ({exc})") from None
        if summary.get("task") != "agreement":
            raise EmoevalError(f"{path}: not a summary of `emoeval agreement`")
        runs.append((summary.get("subset") or os.path.basename(os.path.normpath(folder)),
                     summary))
    if not runs:
        raise EmoevalError("give one or more agreement output folders")
    return runs


def render_combined(runs: list[tuple[str, dict[str, Any]]]) -> str:
    panel_rows, human_rows, prior_rows, stats_rows = [], [], [], []
    for name, summary in runs:
        augmented = summary.get("augmented_agreement") or {}
        if augmented:
            panel_rows.append([name, _count(augmented.get("preselection_n_eligible_items")),
                               _number(augmented.get("preselection_pairwise_accuracy")),
                               _number(augmented.get("preselection_pairwise_balanced_accuracy")),
                               _number(augmented.get("preselection_loo_accuracy")),
                               _number(augmented.get("preselection_loo_balanced_accuracy")),
                               _count(augmented.get("preselection_loo_n_annotations"))])
            prior_rows.append([name, _count(augmented.get("gemini_vs_human_consensus_n_items")),
                               _number(augmented.get("gemini_vs_human_consensus_accuracy")),
                               _number(augmented.get(
                                   "gemini_vs_human_consensus_balanced_accuracy"))])
        human_rows.append([name, _number(summary.get("human_accuracy_binary")),
                           _number(summary.get("human_balanced_accuracy_binary")),
                           _number(summary.get("human_loo_accuracy_binary")),
                           _number(summary.get("human_loo_balanced_accuracy_binary")),
                           _count(summary.get("human_loo_n_annotations"))])
        block = summary.get("agreement_emolia") or {}
        kappa = (block.get("pairwise_binary_kappa") or {}).get("mean")
        stats_rows.append([name, _count(summary.get("n_raters")),
                           _count(summary.get("items_complete", summary.get("n_items"))),
                           _count(summary.get("n_ratings")),
                           _number(summary.get("majority_present_rate",
                                               summary.get("majority_yes_rate"))),
                           _number(kappa), _number(block.get("fleiss_binary_kappa"))])
    lines = ["# Annotation analysis", "",
             f"Combined from {len(runs)} runs of `emoeval agreement` "
             f"({', '.join(name for name, _ in runs)}); every number comes from their "
             "`summary.json`.", ""]
    if panel_rows:
        lines += ["## Human upper bound with the preselection prior as a rater", "",
                  "Items with at least two human raters; the prior counted as one more rater.",
                  "", markdown_table(["subset", "eligible items", "pairwise accuracy",
                                      "pairwise balanced acc.", "LOO accuracy",
                                      "LOO balanced acc.", "LOO n"], panel_rows), "",
                  "### The preselection prior against the human majority", "",
                  markdown_table(["subset", "items", "accuracy", "balanced accuracy"],
                                 prior_rows), ""]
    lines += ["## Humans only", "",
              markdown_table(["subset", "pairwise accuracy", "pairwise balanced acc.",
                              "LOO accuracy", "LOO balanced acc.", "LOO n"], human_rows), "",
              "## Quick stats", "",
              markdown_table(["subset", "annotators", "items (complete)", "annotations",
                              "majority-positive rate", "pairwise kappa (binary)",
                              "Fleiss kappa (binary)"], stats_rows), ""]
    return "\n".join(lines)


def write_combined(folders: list[str], out: str) -> str:
    """Write the combined report to ``out`` (a folder; ``report.md`` inside it)."""
    text = render_combined(read_summaries(folders))
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, REPORT_FILE)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return path
