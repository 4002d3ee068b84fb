"""The dimensional report: ``report.md`` from ``results.json`` and one scatter plot per
dimension (``scatter_<dim>.png``, prediction against truth) drawn from the
``detailed_results.csv`` beside it, with the recorded range mapping applied. Nothing is
recomputed: the metrics come from ``results.json``; a plot whose table is absent is skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from ..reports.format import (
    ci_unit_text,
    decimal_text,
    decimal_with_interval,
    finite,
    markdown_table,
)
from ..reports.honesty import small_or
from ..reports.sections import (
    DETAILED_CSV,
    Section,
    coverage_section,
    errors_section,
    policies_section,
    protocol_section,
    render_sections,
    run_section,
    slices_section,
    title_section,
    warnings_section,
    write_report,
)

METRIC_NAMES = (("ccc", "CCC"), ("pearson", "Pearson r"), ("spearman", "Spearman rho"),
                ("mae", "MAE"), ("rmse", "RMSE"))


def scatter_file(dimension: str) -> str:
    """The scatter plot's file name for a dimension (characters a path cannot hold replaced)."""
    return "scatter_" + re.sub(r"[^A-Za-z0-9_.-]", "_", dimension) + ".png"


def plot_scatter(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """One PNG per dimension; [] when the detailed table is not there."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    table_path = os.path.join(out_dir, DETAILED_CSV)
    if not os.path.isfile(table_path):
        return []
    table = pd.read_csv(table_path, keep_default_na=False, na_values=[""])
    if "error" in table.columns:
        table = table[table["error"].isna() | (table["error"].astype(str) == "")]
    mapping = results.get("range_mapping") or None
    written = []
    for dim in results.get("labels") or []:
        true_col, pred_col = f"{dim}_true", f"{dim}_pred"
        if true_col not in table.columns or pred_col not in table.columns:
            continue
        y_true = pd.to_numeric(table[true_col], errors="coerce").to_numpy(dtype=float)
        y_pred = pd.to_numeric(table[pred_col], errors="coerce").to_numpy(dtype=float)
        if mapping:
            y_pred = mapping["offset"] + mapping["scale"] * y_pred
        keep = np.isfinite(y_true) & np.isfinite(y_pred)
        y_true, y_pred = y_true[keep], y_pred[keep]
        if len(y_true) == 0:
            continue
        figure, axes = plt.subplots(figsize=(4.5, 4.5), dpi=110)
        axes.scatter(y_true, y_pred, s=6, alpha=0.35, linewidths=0)
        low = float(min(y_true.min(), y_pred.min()))
        high = float(max(y_true.max(), y_pred.max()))
        axes.plot([low, high], [low, high], color="grey", linewidth=1, linestyle="--",
                  label="prediction = truth")
        ccc = finite(((results.get("metrics") or {}).get(dim) or {}).get("ccc"))
        axes.set_title(f"{dim}: CCC {'n/a' if ccc is None else f'{ccc:.3f}'} "
                       f"(n = {len(y_true):,})")
        axes.set_xlabel(f"truth ({true_col})")
        axes.set_ylabel(f"prediction ({pred_col}{', mapped' if mapping else ''})")
        axes.legend(loc="upper left", fontsize=8)
        figure.tight_layout()
        path = os.path.join(out_dir, scatter_file(dim))
        figure.savefig(path)
        plt.close(figure)
        written.append(path)
    return written


def headline_section(r: Mapping[str, Any]) -> list[str]:
    """CCC, Pearson, Spearman, MAE, RMSE per dimension, with intervals and their unit."""
    metrics, ci = r.get("metrics") or {}, r.get("ci") or {}
    dims = list(r.get("labels") or metrics)
    first = next((ci[d]["ccc"] for d in dims if isinstance(ci.get(d), Mapping)
                  and isinstance(ci[d].get("ccc"), Mapping)), None)
    rows = [[d, *[decimal_with_interval((metrics.get(d) or {}).get(k), (ci.get(d) or {}).get(k))
                  for k, _ in METRIC_NAMES]] for d in dims]
    return ["## Headline: concordance per dimension", "",
            f"{r.get('n_scored', 'n/a')} of {r.get('n_samples', 'n/a')} samples scored. "
            f"Brackets: {ci_unit_text(first) or '95% CI'}.", "",
            markdown_table(["Dimension", *[n for _, n in METRIC_NAMES]], rows), ""]


def how_to_read_section(r: Mapping[str, Any]) -> list[str]:
    """What each metric means, the range mapping applied, the model outputs used."""
    mapping = r.get("range_mapping")
    lines = ["## How to read this", "",
             "- **CCC** (concordance correlation coefficient, the headline): "
             "2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))^2), population moments. "
             "1 is perfect agreement; unlike Pearson it falls when predictions are offset or "
             "on another scale. 0 for a constant prediction.",
             "- **Pearson r** / **Spearman rho**: linear / rank correlation, blind to offset "
             "and scale.", "- **MAE** / **RMSE**: mean absolute / root mean squared error in "
             "target units (lower is better).", ""]
    if isinstance(mapping, Mapping):
        lines += [f"Predictions were mapped from {mapping.get('pred_range')} onto the target "
                  f"range {mapping.get('target_range')} before scoring: "
                  f"{mapping.get('formula')}.", ""]
    else:
        lines += ["Predictions were scored as given (no range mapping).", ""]
    outputs = (r.get("label_mapping") or {}).get("dimension_to_output")
    if outputs:
        lines += ["Model outputs used: " + ", ".join(f"{dim} <- `{output}`"
                                                    for dim, output in outputs.items())
                  + ".", ""]
    return lines


def dimensional_slices_section(r: Mapping[str, Any]) -> list[str]:
    """CCC and MAE per dimension within each group of samples (``--slice-by``)."""
    dims = list(r.get("labels") or [])
    return slices_section(
        r, ["n"] + [f"{d} {name}" for d in dims for name in ("CCC", "MAE")],
        lambda m: [m.get("n")] + [small_or(m, decimal_text((m.get(d) or {}).get(key)))
                                  for d in dims for key in ("ccc", "mae")])


#: unusable answers quoted in the report (results.json keeps up to 100, the table all)
ANSWERS_SHOWN = 10


def answers_section(r: Mapping[str, Any]) -> list[str]:
    """A text-answer model (llm:): how many answers were usable, what the others were and
    what they counted as."""
    answers = r.get("answers")
    if not answers:
        return []
    by_status = answers.get("by_status") or {}
    rate = answers.get("valid_answer_rate")
    treated = ("left out of every metric" if answers.get("policy") == "exclude"
               else "rated at the middle of the scale")
    lines = ["## Answers", "",
             f"Every answer was read by the pipeline `{answers.get('pipeline')}` and given one "
             f"status. Valid answers: {by_status.get('valid', 0)} of "
             f"{answers.get('n_answers', 0)} received"
             + (f" ({100 * rate:.1f}%)" if finite(rate) else "")
             + f"; unusable answers (policy `{answers.get('policy')}`) are {treated}; failed "
             "requests (`error`) are no answer and always left out. Leaving answers out "
             "flatters a model that refuses hard items: read the valid-answer rate beside "
             "the CCC.", "",
             markdown_table(["Status", "Answers"],
                            [[status, count] for status, count in by_status.items()]),
             ""]
    unusable = answers.get("unusable") or []
    if unusable:
        lines += [f"Unusable answers (first {min(len(unusable), ANSWERS_SHOWN)}; all of them "
                  f"in `{DETAILED_CSV}`):", "",
                  markdown_table(["Id", "Status", "Why", "Answer"],
                                 [[u.get("id"), u.get("status"), u.get("detail"),
                                   u.get("response")] for u in unusable[:ANSWERS_SHOWN]],
                                 align=["l", "l", "l", "l"]),
                  ""]
    return lines


def scatter_plots_section(r: Mapping[str, Any], plots: Sequence[str] = ()) -> list[str]:
    """``## Prediction against truth``: the scatter plots written (none: no section)."""
    if not plots:
        return []
    names = [os.path.basename(p) for p in plots]
    return ["## Prediction against truth", "", *[f"![{n}]({n})" for n in names], ""]


def dimensional_sections(plots: Sequence[str]) -> list[Section]:
    """The sections of the dimensional report, in order; ``plots``: the scatter PNGs written."""
    return [title_section, warnings_section, headline_section, how_to_read_section,
            partial(scatter_plots_section, plots=plots), dimensional_slices_section,
            answers_section, coverage_section, policies_section, protocol_section,
            errors_section, run_section]


def render(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write report.md and the scatter plots into ``out_dir``; return the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    plots = plot_scatter(results, out_dir)
    report = write_report(out_dir, render_sections(results, dimensional_sections(plots)))
    return [report, *plots]
