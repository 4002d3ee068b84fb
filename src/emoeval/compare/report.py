"""The comparison's files, all rendered from the ``compare.json`` dict alone.

``leaderboard.csv``, ``compare.json``, ``compare.md``, ``compare.html`` (self-contained: CSS
inline, plots embedded as base64 PNG, no external asset) and the PNGs. Markdown and HTML are
two renderings of one list of blocks, so they always say the same thing.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..reports.format import markdown_table
from ..results_io import write_csv, write_json, write_text
from .metrics import finite, short_name
from .plots import DIFFERENCES_PNG, PER_CLASS_PNG, plot_differences, plot_per_class_f1
from .verdicts import p_text

LEADERBOARD_CSV = "leaderboard.csv"
COMPARE_JSON = "compare.json"
COMPARE_MD = "compare.md"
COMPARE_HTML = "compare.html"
CLASSIFICATION_SHOWN = ("accuracy", "balanced_accuracy", "f1_macro")
#: metrics the leaderboard shows beside the rank metric, per task (others: the first few)
SHOWN_BY_TASK = {
    "classification": CLASSIFICATION_SHOWN, "generative": CLASSIFICATION_SHOWN,
    "multilabel": ("f1_macro", "f1_micro", "roc_auc_micro", "roc_auc_macro"),
}
INTEGER_COLUMNS = ("rank", "n_samples", "n_scored", "n_errors", "n_parameters", "size_bytes")
OTHER_TASK_SHOWN = 4  # metrics shown beside the rank metric for other tasks


def write_reports(comparison: Mapping[str, Any], out: str) -> list[str]:
    """Write every file into ``out``; return their paths."""
    os.makedirs(out, exist_ok=True)
    written = []
    leaderboard = pd.DataFrame.from_records(comparison["leaderboard"])
    for column in INTEGER_COLUMNS:  # counts stay integers next to missing values
        if column in leaderboard.columns:
            leaderboard[column] = pd.to_numeric(leaderboard[column]).round().astype("Int64")
    path = os.path.join(out, LEADERBOARD_CSV)
    written.append(write_csv(path, leaderboard))
    images = {}
    for name, draw in ((PER_CLASS_PNG, plot_per_class_f1), (DIFFERENCES_PNG, plot_differences)):
        image_path = os.path.join(out, name)
        if draw(comparison, image_path):
            images[name] = image_path
            written.append(image_path)
        elif os.path.isfile(image_path):
            os.remove(image_path)  # stale from an earlier comparison
    blocks = report_blocks(comparison, images)
    for name, text in ((COMPARE_MD, markdown(blocks)),
                       (COMPARE_HTML, html_page(blocks, comparison, images))):
        written.append(write_text(os.path.join(out, name), text))
    json_path = os.path.join(out, COMPARE_JSON)
    files = [os.path.basename(p) for p in written] + [COMPARE_JSON]
    write_json(json_path, {**comparison, "files": files})
    return [*written, json_path]



# --------------------------------------------------------------------------- formatting


def value_text(value: Any, in_points: bool) -> str:
    number = finite(value)
    if number is None:
        return "n/a"
    return f"{100 * number:.1f}%" if in_points else f"{number:.3f}"


def with_interval(value: Any, low: Any, high: Any, in_points: bool) -> str:
    low, high = finite(low), finite(high)
    band = ""
    if low is not None and high is not None:
        band = (f" [{100 * low:.1f}, {100 * high:.1f}]" if in_points
                else f" [{low:.3f}, {high:.3f}]")
    return value_text(value, in_points) + band


def difference_text(d: Mapping[str, Any], in_points: bool) -> str:
    if in_points:
        return (f"{100 * d['difference']:+.1f} [{100 * d['low']:+.1f}, "
                f"{100 * d['high']:+.1f}]")
    return f"{d['difference']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"


def short_count(value: Any) -> str:
    """22713216 -> "22.7M" (the exact count is in leaderboard.csv)."""
    number = finite(value)
    if number is None:
        return "n/a"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if number >= scale:
            return f"{number / scale:.1f}{suffix}"
    return f"{int(number):,}"


def number_text(value: Any, digits: int = 1) -> str:
    number = finite(value)
    return "n/a" if number is None else f"{number:,.{digits}f}"


def shown_metrics(comparison: Mapping[str, Any]) -> list[str]:
    rank = comparison["rank_by"]
    key = f"mean_{rank['metric']}" if rank.get("mean_over") else rank["metric"]
    row = comparison["leaderboard"][0]
    if comparison["task"] in SHOWN_BY_TASK:
        others = [m for m in SHOWN_BY_TASK[comparison["task"]] if m != key and m in row]
    else:
        others = [c for c in row if c != key and f"{c}_low" in row and not c.endswith(
            ("_low", "_high"))][:OTHER_TASK_SHOWN]
    return [key, *others]


# --------------------------------------------------------------------------- blocks


def report_blocks(comparison: Mapping[str, Any], images: Mapping[str, str]) -> list[tuple]:
    rank = comparison["rank_by"]
    in_points = bool(rank.get("in_points"))
    datasets = comparison["datasets"]
    several = len(datasets) > 1
    blocks: list[tuple] = [("h1", f"Model comparison ranked by {rank['name']}")]
    units = sorted({row.get("ci_unit") for row in comparison["leaderboard"]
                    if row.get("ci_unit")})
    blocks.append(("p", f"{len(comparison['runs'])} runs ({comparison['task']}) on "
                        f"{len(datasets)} dataset{'s' if several else ''}: "
                        + ", ".join(d["name"] for d in datasets) + ". 95% CIs are each run's "
                        "bootstrap" + (f" over {' and '.join(u + 's' for u in units)}"
                                       if units else "") + ", on the samples its leaderboard "
                        "row names; each verdict stands on the samples both runs scored."))
    verdicts = [p["verdict"] if not several else f"{p['dataset']}: {p['verdict']}"
                for p in comparison["pairs"]]
    blocks.append(("h2", "Verdicts"))
    blocks.append(("list", verdicts) if verdicts else
                  ("p", "No pair of runs shares a dataset, so no paired test was run."))
    blocks += _leaderboard_blocks(comparison, several)
    if comparison.get("grid"):
        blocks += _grid_blocks(comparison["grid"], in_points, rank["name"])
    blocks += _pair_blocks(comparison, images, several)
    if PER_CLASS_PNG in images:
        blocks += [("h2", "Per-class F1"), ("image", PER_CLASS_PNG, "per-class F1 heatmap")]
    blocks += _overlap_blocks(comparison)
    warnings = list(comparison.get("warnings") or [])
    for run in comparison["runs"]:
        warnings += [f"{run['name']}: {w}" for w in run.get("warnings") or []]
    if warnings:
        blocks += [("h2", "Warnings"), ("list", warnings)]
    blocks += [("h2", "Method"),
               ("list", [f"{name.replace('_', ' ')}: {text}"
                         for name, text in comparison["method"].items()])]
    return blocks


def _leaderboard_blocks(comparison: Mapping[str, Any], several: bool) -> list[tuple]:
    in_points = bool(comparison["rank_by"].get("in_points"))
    metrics = shown_metrics(comparison)
    header = ["rank", "run", "model"] + (["dataset"] if several else [])
    header += [_metric_title(m, comparison) for m in metrics]
    header += ["on", "scored / errors", "parameters", "size MB", "samples/s", "latency p50 ms"]
    rows = []
    for row in comparison["leaderboard"]:
        cells = [row["rank"], row["run"], row["model"]] + ([row["dataset"]] if several else [])
        cells += [with_interval(row.get(m), row.get(f"{m}_low"), row.get(f"{m}_high"),
                                in_points) for m in metrics]
        size = finite(row.get("size_bytes"))
        cells += [row.get("on") or "", f"{row.get('n_scored')} / {row.get('n_errors')}",
                  short_count(row.get("n_parameters")),
                  "n/a" if size is None else f"{size / 1e6:,.1f}",
                  number_text(row.get("samples_per_s")),
                  number_text(row.get("latency_ms_p50"), 2)]
        rows.append(cells)
    note = ("Each metric with its run's 95% CI in brackets, on the samples the 'on' column "
            "names (shared: those every run of the dataset scored); sorted by "
            f"{comparison['rank_by']['name']} within each dataset. Efficiency from each run's "
            "results.json (n/a for `emoeval score` runs).")
    return [("h2", "Leaderboard"), ("table", header, rows, "leaderboard", 4 if several else 3),
            ("p", note)]


def _metric_title(key: str, comparison: Mapping[str, Any]) -> str:
    if key.startswith("mean_") and comparison["rank_by"].get("mean_over"):
        return comparison["rank_by"]["name"]
    return short_name(key)


def _grid_blocks(grid: Mapping[str, Any], in_points: bool, name: str) -> list[tuple]:
    rows = []
    for model in grid["models"]:
        cells = [model]
        for dataset in grid["datasets"]:
            cell = grid["cells"].get(model, {}).get(dataset)
            cells.append(with_interval(cell["value"], cell["low"], cell["high"], in_points)
                         if cell else "-")
        rows.append(cells)
    return [("h2", f"Model x dataset: {name}"),
            ("table", ["model", *grid["datasets"]], rows, "grid"),
            ("p", "Each cell is one run with its own 95% CI; runs on different datasets are "
                  "not tested against each other.")]


def _pair_blocks(comparison: Mapping[str, Any], images: Mapping[str, str],
                 several: bool) -> list[tuple]:
    rank = comparison["rank_by"]
    in_points = bool(rank.get("in_points"))
    tested = [p for p in comparison["pairs"] if p["tested"]]
    if not tested:
        return []
    if comparison["task"] == "dimensional":
        return _dimensional_pair_blocks(comparison, tested, images, several)
    unit = " (points)" if in_points else ""
    header = (["dataset"] if several else []) + [
        "pair (b - a)", "shared samples", "resampled", f"{rank['name']} b - a [95% CI]{unit}",
        "p", "Holm p", f"smallest detectable{unit}", "McNemar a only / b only", "McNemar Holm p"]
    rows = []
    for pair in tested:
        d = pair["differences"][rank["metric"]]
        resampled = _resampled_text(pair)
        mcnemar = pair["mcnemar"] or {}
        detectable = 100 * d["detectable"] if in_points else d["detectable"]
        rows.append(([pair["dataset"]] if several else []) + [
            f"{pair['b']} - {pair['a']}", pair["n_shared"], resampled,
            difference_text(d, in_points), p_text(d["p_value"]).lstrip("= "),
            p_text(d["p_holm"]).lstrip("= "), f"{detectable:.1f}" if in_points
            else f"{detectable:.3f}",
            f"{mcnemar['a_only']} / {mcnemar['b_only']}" if mcnemar else "n/a",
            _p_or_na(mcnemar.get("p_holm"))])
    no_mcnemar = tested[0].get("mcnemar_reason") if tested[0]["mcnemar"] is None else None
    note = ("On the samples both runs scored, resampling the same samples (or speakers) for "
            "both. McNemar counts samples only one of the two gets right"
            + (f"; not run here: {no_mcnemar}." if no_mcnemar else "."))
    blocks: list[tuple] = [("h2", "Paired tests"),
                           ("table", header, rows, "pairs", 2 if several else 1),
                           ("p", note)]
    if DIFFERENCES_PNG in images:
        blocks.append(("image", DIFFERENCES_PNG, "paired differences with 95% CIs"))
    return blocks


def _resampled_text(pair: Mapping[str, Any]) -> str:
    if pair["unit"] != "speaker":
        return "samples"
    return "speakers" + (f" ({pair['n_clusters']})" if pair.get("n_clusters") else "")


def _dimensional_pair_blocks(comparison: Mapping[str, Any], tested: list[Mapping[str, Any]],
                             images: Mapping[str, str], several: bool) -> list[tuple]:
    """One row per dimension and one for the mean over the dimensions, per pair: the rank
    metric's difference with its p and Holm p, and MAE (CCC when ranking by MAE) beside it."""
    rank = comparison["rank_by"]
    primary = rank["metric"].rpartition(".")[2]
    secondary = "mae" if primary != "mae" else "ccc"
    header = (["dataset"] if several else []) + [
        "pair (b - a)", "dimension", "shared samples", "resampled",
        f"{short_name(primary)} b - a [95% CI]", "p", "Holm p", "smallest detectable",
        f"{short_name(secondary)} b - a [95% CI]", f"{short_name(secondary)} Holm p"]
    rows = []
    for pair in tested:
        dimensions = list(pair.get("dimensions") or [])
        for dimension in [*dimensions, None]:
            prefix = "" if dimension is None else f"{dimension}."
            d = pair["differences"][prefix + primary]
            other = pair["differences"].get(prefix + secondary)
            rows.append(([pair["dataset"]] if several else []) + [
                f"{pair['b']} - {pair['a']}",
                f"mean of {', '.join(dimensions)}" if dimension is None else dimension,
                pair["n_shared"], _resampled_text(pair), _difference_or_na(d),
                _p_or_na(d.get("p_value")), _p_or_na(d.get("p_holm")),
                number_text(d.get("detectable"), 3), _difference_or_na(other),
                _p_or_na((other or {}).get("p_holm"))])
    blocks: list[tuple] = [
        ("h2", "Paired tests"), ("table", header, rows, "pairs", 3 if several else 2),
        ("p", "On the samples both runs scored, resampling the same samples (or speakers) "
              "for both; b - a per dimension and for the mean over the dimensions, Holm p "
              "across pairs per dimension and metric. compare.json holds CCC, Pearson, MAE "
              "and RMSE. No McNemar: continuous targets have no right or wrong per sample.")]
    if DIFFERENCES_PNG in images:
        blocks.append(("image", DIFFERENCES_PNG, "paired differences with 95% CIs"))
    return blocks


def _difference_or_na(d: Mapping[str, Any] | None) -> str:
    if not d or any(finite(d.get(k)) is None for k in ("difference", "low", "high")):
        return "n/a"
    return difference_text(d, in_points=False)


def _p_or_na(p: Any) -> str:
    number = finite(p)
    return "n/a" if number is None else p_text(number).lstrip("= ")


def _overlap_blocks(comparison: Mapping[str, Any]) -> list[tuple]:
    blocks: list[tuple] = [("h2", "Sample overlap")]
    for dataset in comparison["datasets"]:
        overlap = dataset["overlap"]
        problems = any(info.get("problem") for info in overlap["runs"].values())
        rows = [[name] + ([info.get("problem") or ""] if problems else [])
                + [info.get("n_samples"), info.get("n_scored")]
                for name, info in overlap["runs"].items()]
        header = ["run"] + (["problem"] if problems else []) + ["samples", "scored"]
        blocks.append(("h3", dataset["name"]))
        blocks.append(("table", header, rows, None, 2 if problems else 1))
        if dataset["paired"]:
            blocks.append(("p", f"{overlap['n_in_all_runs']:,} of {overlap['n_union']:,} "
                                f"sample ids are in every run; {overlap['n_scored_by_all_runs']:,}"
                                " were scored by every run."))
    return blocks


# --------------------------------------------------------------------------- renderers


def markdown(blocks: list[tuple]) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + block[1], ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "list":
            lines += [f"- {item}" for item in block[1]] + [""]
        elif kind == "table":
            header, rows = block[1], block[2]
            text_columns = block[4] if len(block) > 4 else 1
            align = ["l"] * text_columns + ["r"] * (len(header) - text_columns)
            lines += [markdown_table(header, rows, align), ""]
        elif kind == "image":
            lines += [f"![{block[2]}]({block[1]})", ""]
    return "\n".join(lines)


STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em;
     border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #d0d0d0; padding: .3em .6em; text-align: right; }
th { background: #f3f3f3; } td { white-space: nowrap; }
th.text, td.text { text-align: left; white-space: normal; }
tr:nth-child(even) td { background: #fafafa; }
li { margin: .25em 0; } img { max-width: 100%; border: 1px solid #eee; }
.note { color: #555; font-size: .9em; } .scroll { overflow-x: auto; }
"""


def html_page(blocks: list[tuple], comparison: Mapping[str, Any],
              images: Mapping[str, str]) -> str:
    body: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{html.escape(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p class=\"note\">{html.escape(block[1])}</p>")
        elif kind == "list":
            body.append("<ul>" + "".join(f"<li>{html.escape(str(item))}</li>"
                                         for item in block[1]) + "</ul>")
        elif kind == "table":
            table_id = f" id=\"{block[3]}\"" if block[3] else ""
            text_columns = block[4] if len(block) > 4 else 1

            def cell(tag: str, index: int, value: Any) -> str:
                kind = " class=\"text\"" if index < text_columns else ""
                return f"<{tag}{kind}>{html.escape(str(value))}</{tag}>"

            head = "".join(cell("th", i, h) for i, h in enumerate(block[1]))
            rows = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row))
                           + "</tr>" for row in block[2])
            body.append(f"<div class=\"scroll\"><table{table_id}><thead><tr>{head}</tr>"
                        f"</thead><tbody>{rows}</tbody></table></div>")
        elif kind == "image":
            with open(images[block[1]], "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            body.append(f"<p><img alt=\"{html.escape(block[2])}\" "
                        f"src=\"data:image/png;base64,{data}\"></p>")
    title = html.escape(f"emoeval comparison: {comparison['rank_by']['name']}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
