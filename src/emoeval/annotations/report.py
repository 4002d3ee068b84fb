"""``report.md`` for ``emoeval agreement``, rendered from ``summary.json`` and the slice tables
in the output folder (never from the ratings themselves)."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ..reports.format import finite, markdown_table, pct
from ..small_samples import MIN_ITEMS, small_text
from .report_peer import compatibility_section, panel_section

MAX_SLICE_ROWS = 30
MAX_RATER_ROWS = 40
STATISTIC_NAMES = (
    ("fleiss_kappa", "Fleiss' kappa (unequal raters per item)"),
    ("krippendorff_alpha", "Krippendorff's alpha"),
    ("mean_item_agreement", "Mean per-item agreement (share of agreeing rater pairs)"),
    ("mean_majority_share", "Mean share of raters choosing the majority"),
    ("pairwise_cohen_kappa", "Mean pairwise Cohen's kappa (rater pairs)"),
    ("pairwise_exact_agreement", "Mean pairwise exact agreement (rater pairs)"),
    ("human_pairwise_accuracy", "Human accuracy, rater vs rater (pooled pairs)"),
    ("human_pairwise_balanced_accuracy", "Human balanced accuracy, rater vs rater"),
    ("human_loo_accuracy", "Human accuracy vs majority of the others (leave one out)"),
    ("human_loo_balanced_accuracy", "Human balanced accuracy vs majority of the others"),
)
PERCENT_STATISTICS = {"mean_item_agreement", "mean_majority_share", "pairwise_exact_agreement",
                      "human_pairwise_accuracy", "human_pairwise_balanced_accuracy",
                      "human_loo_accuracy", "human_loo_balanced_accuracy"}




def _coefficient(value: Any) -> str:
    number = finite(value)
    return "n/a" if number is None else f"{number:.3f}"


def _entry(entry: dict[str, Any] | None, percent: bool) -> str:
    """A value with its interval: ``0.412 [0.398, 0.427]`` or ``61.2% [59.8, 62.5]``."""
    if not entry or finite(entry.get("value")) is None:
        return "n/a"
    low, high = finite(entry.get("low")), finite(entry.get("high"))
    if percent:
        band = f" [{100 * low:.1f}, {100 * high:.1f}]" if low is not None else ""
        return f"{pct(entry['value'])}{band}"
    band = f" [{low:.3f}, {high:.3f}]" if low is not None else ""
    return f"{entry['value']:.3f}{band}"


def _unit_words(summary: dict[str, Any]) -> str:
    """What a bootstrap resample draws, in words."""
    unit = summary["bootstrap"]["unit"]
    n_groups = summary["bootstrap"].get("n_groups")
    count = f"{n_groups:,} " if n_groups else ""
    return (f"{count}items" if unit == "item" else
            f"{count}`{unit}` groups (the items of one {unit} together)")


def _methods_paragraph(summary: dict[str, Any]) -> list[str]:
    scale = summary["scale"]
    per_item = summary["raters_per_item"]
    block = summary["agreement"]
    raters = (f" from {summary['n_raters']:,} raters" if summary.get("n_raters") else "")
    text = (f"{summary['n_ratings']:,} ratings of {summary['n_items']:,} items{raters} "
            f"({per_item['mean']:.2f} raters per item on average, {per_item['min']} to "
            f"{per_item['max']}) on {'an' if scale['kind'] == 'ordinal' else 'a'} "
            f"{scale['kind']} scale ({', '.join(scale['categories'])})")
    if scale.get("binarisation"):
        text += f", read as present/absent with {scale['binarisation']}"
    text += (f". Agreement was Fleiss' kappa = {_entry(block['fleiss_kappa'], False)} and "
             f"Krippendorff's alpha ({block['krippendorff_alpha']['level']}) = "
             f"{_entry(block['krippendorff_alpha'], False)}")
    if block.get("pairwise_cohen_kappa"):
        text += (f"; the mean Cohen's kappa over rater pairs was "
                 f"{_entry(block['pairwise_cohen_kappa'], False)}")
    binary = summary.get("agreement_binary")
    if binary is not None and binary is not block and summary["scale"]["kind"] != "binary":
        text += (f". On the binary reading, Fleiss' kappa = "
                 f"{_entry(binary['fleiss_kappa'], False)}")
    ceiling = binary or block
    reading = " (present/absent)" if binary is not None and \
        summary["scale"]["kind"] != "binary" else ""
    text += (f". A rater agreed{reading} with the majority of the other raters on "
             f"{_entry(ceiling['human_loo_accuracy'], True)} of "
             f"{ceiling['human_loo_n_annotations']:,} ratings (balanced accuracy "
             f"{_entry(ceiling['human_loo_balanced_accuracy'], True)})")
    intended = summary.get("intended")
    if intended:
        text += (f". The majority vote matched the intended label for "
                 f"{_entry(intended['agreement'], True)} of {intended['n_items']:,} items")
    text += (f". Brackets: 95% bootstrap intervals, {summary['bootstrap']['n_resamples']:,} "
             f"resamples of {_unit_words(summary)}.")
    return ["## Summary", "", text, ""]


def _data_section(summary: dict[str, Any]) -> list[str]:
    per_item = summary["raters_per_item"]
    invalid = summary["invalid_ratings"]
    rows = [["items", f"{summary['n_items']:,}"], ["ratings", f"{summary['n_ratings']:,}"]]
    if summary.get("n_raters"):
        rows.append(["raters", f"{summary['n_raters']:,}"])
        spread = summary["rater_coverage"]["ratings_per_rater"]
        rows.append(["ratings per rater", f"{spread['mean']:.1f} (min {spread['min']}, max "
                                          f"{spread['max']})"])
    rows.append(["raters per item", f"{per_item['mean']:.2f} (min {per_item['min']}, max "
                                    f"{per_item['max']})"])
    rows.append([f"items with fewer than {summary['expected_raters']} raters",
                 f"{summary['n_incomplete_items']:,} (incomplete_items.csv)"])
    rows.append(["bad input rows left out", f"{invalid['n']:,} (invalid_ratings.csv)"])
    lines = ["## Data", "", markdown_table(["", ""], rows, ["l", "r"]), "",
             "Raters per item:", "",
             markdown_table(["raters", "items"],
                            [[k, f"{v:,}"] for k, v in per_item["histogram"].items()]),
             ""]
    if invalid["by_reason"]:
        shown = list(invalid["by_reason"].items())[:15]
        lines += ["Bad input rows by reason:", "",
                  markdown_table(["reason", "rows"], [[k, f"{v:,}"] for k, v in shown],
                                 ["l", "r"]), ""]
    return lines


def _rater_info_section(summary: dict[str, Any]) -> list[str]:
    info = summary.get("rater_info")
    if not info:
        return []
    lines = ["## Annotators", ""]
    missing = info.get("(raters without an entry)", {}).get("n", 0)
    for column, values in info.items():
        if column == "(raters without an entry)":
            continue
        total = max(sum(values.values()), 1)
        lines += [markdown_table([column, "raters", "share"],
                         [[value, f"{n:,}", pct(n / total)] for value, n in values.items()]), ""]
    if missing:
        lines += [f"{missing:,} raters have no entry in the rater-info file.", ""]
    return lines


def _agreement_section(summary: dict[str, Any]) -> list[str]:
    block = summary["agreement"]
    binary = summary.get("agreement_binary")
    separate = binary is not None and summary["scale"]["kind"] != "binary"
    header = ["statistic", f"{summary['scale']['kind']} scale"] + (["binary reading"]
                                                                    if separate else [])
    rows = []
    for key, name in STATISTIC_NAMES:
        if key not in block:
            continue
        percent = key in PERCENT_STATISTICS
        label = name + (f" ({block[key]['level']})" if key == "krippendorff_alpha" else "")
        row = [label, _entry(block[key], percent)]
        if separate:
            row.append(_entry(binary.get(key), percent))
        rows.append(row)
    lines = ["## Agreement", "", markdown_table(header, rows), ""]
    if "n_rater_pairs" in block:
        lines += [f"Rater pairs: {block['n_rater_pairs']:,} share at least one item, "
                  f"{block['n_rater_pairs_compared']:,} share {block['min_shared_items']} or "
                  f"more (the pairs averaged); Cohen's kappa is defined for "
                  f"{block['n_rater_pairs_kappa_defined']:,} of them.", ""]
    return lines


def _ceiling_section(summary: dict[str, Any]) -> list[str]:
    keys = ("human_accuracy_binary", "human_balanced_accuracy_binary",
            "human_loo_accuracy_binary", "human_loo_balanced_accuracy_binary",
            "human_loo_n_annotations", "human_upper_bound_binary")
    if summary.get("agreement_binary") is None:
        return []
    rows = []
    for key in keys:
        value = summary.get(key)
        text = "n/a" if value is None else (f"{value:,}" if key == "human_loo_n_annotations"
                                            else pct(value))
        rows.append([f"`{key}`", text])
    return ["## Human ceiling (binary)", "",
            "What a model can hope for when scored against these majority labels: one human "
            "against the others.", "", markdown_table(["key", "value"], rows), ""]


def _buckets_section(summary: dict[str, Any]) -> list[str]:
    total = max(summary["n_items"], 1)
    rows = [[name, f"{count:,}", pct(count / total)] for name, count in summary["buckets"].items()]
    lines = ["## Benchmark buckets", "", markdown_table(["bucket", "items", "share"], rows), ""]
    majority = summary["majority_labels"]
    lines += ["Majority labels:", "",
              markdown_table(["majority label", "items", "share"],
                     [[name, f"{count:,}", pct(count / total)]
                      for name, count in majority.items()]),
              ""]
    return lines


def _intended_section(summary: dict[str, Any]) -> list[str]:
    intended = summary.get("intended")
    if not intended:
        return []
    lines = ["## Majority vote vs intended label", "",
             f"Intended label from `{intended['column']}`; {intended['n_items']:,} items, "
             f"{intended['n_ties']:,} without a majority (counted as misses). Majority = "
             f"intended on {_entry(intended['agreement'], True)} of the items (balanced over "
             f"classes: {_entry(intended['balanced_agreement'], True)}; "
             f"{pct(intended['agreement_without_ties'])} of the items with a majority).", ""]
    rows = [[label, f"{values['n_items']:,}", pct(values["majority_agrees"]),
             f"{values['majority_chosen']:,}", pct(values["precision"])]
            for label, values in intended["per_class"].items()]
    lines += [markdown_table(["intended", "items", "majority agrees", "majority chose it",
                      "precision"], rows), ""]
    matrix = intended["confusion_matrix"]
    header = ["intended \\ majority", *matrix["labels"], "(tie)"]
    body = []
    for label, counts, tie in zip(matrix["labels"], matrix["counts"], matrix["other"]):
        support = sum(counts) + tie
        cells = [f"{c:,} ({pct(c / support, 0)})" if support else "0" for c in counts]
        body.append([label, *cells, f"{tie:,}"])
    lines += ["Confusion matrix (rows: intended; columns: the crowd's majority; row shares "
              "in brackets):", "", markdown_table(header, body), ""]
    return lines


def small_row(row: Any) -> str | None:
    """``n/a (n=1)`` for a subgroup with fewer than MIN_ITEMS multi-rater items."""
    if "small" not in row or str(row["small"]).lower() not in ("true", "1"):
        return None
    return small_text(row.get("n_multi_rater_items", 0))


def small_note(frame: pd.DataFrame) -> list[str]:
    if "small" not in frame or not frame["small"].astype(str).str.lower().isin(
            ["true", "1"]).any():
        return []
    return [f"n/a (n=...): fewer than {MIN_ITEMS} items with two or more raters in that "
            "group; the values stay in the CSV (column `small`).", ""]


def _slice_section(summary: dict[str, Any], out: str) -> list[str]:
    lines: list[str] = []
    rater_column = (summary["input"].get("rater_column") or "rater")
    for column, file_name in summary.get("slices", {}).items():
        path = os.path.join(out, file_name)
        if not os.path.isfile(path) or column == rater_column and summary.get("n_raters"):
            continue
        frame = pd.read_csv(path, dtype={column: str}, keep_default_na=False)
        ceiling = next((c for c in frame.columns if c.startswith("human_loo_accuracy")), None)
        header = [column, "items", "raters/item", "Fleiss' kappa [95% CI]", "alpha",
                  "unanimous"]
        if ceiling:
            header.append("LOO accuracy")
        if "majority_matches_intended" in frame:
            header.append("majority = intended")
        rows = []
        for _, row in frame.head(MAX_SLICE_ROWS).iterrows():
            kappa = _entry({"value": finite(row["fleiss_kappa"]),
                            "low": finite(row["fleiss_kappa_low"]),
                            "high": finite(row["fleiss_kappa_high"])}, False)
            small = small_row(row)
            cells = [row[column], f"{int(row['n_items']):,}", _coefficient(row["mean_raters"]),
                     small or kappa, small or _coefficient(row["krippendorff_alpha"]),
                     pct(finite(row["share_unanimous"]))]
            if ceiling:
                cells.append(small or pct(finite(row[ceiling])))
            if "majority_matches_intended" in frame:
                cells.append(pct(finite(row["majority_matches_intended"])))
            rows.append(cells)
        more = (f" (first {MAX_SLICE_ROWS} of {len(frame)} rows)" if len(frame) > MAX_SLICE_ROWS
                else "")
        lines += [f"### By {column}", "", f"From `{file_name}`{more}.", "",
                  markdown_table(header, rows), ""] + small_note(frame)
    return (["## Slices", ""] + lines) if lines else []


def _rater_section(summary: dict[str, Any], out: str) -> list[str]:
    rater_column = summary["input"].get("rater_column") or "rater"
    file_name = summary.get("slices", {}).get(rater_column)
    if not summary.get("n_raters") or not file_name:
        return []
    frame = pd.read_csv(os.path.join(out, file_name), dtype={rater_column: str},
                        keep_default_na=False)
    binary = "loo_accuracy_binary" in frame
    header = [rater_column, "ratings", "LOO accuracy"] + (["LOO accuracy (binary)"]
                                                          if binary else [])
    header += ["mean Cohen's kappa", "partners"]
    rows = []
    for _, row in frame.head(MAX_RATER_ROWS).iterrows():
        cells = [row[rater_column], f"{int(row['n_ratings']):,}", pct(finite(row["loo_accuracy"]))]
        if binary:
            cells.append(pct(finite(row["loo_accuracy_binary"])))
        cells += [_coefficient(row["mean_cohen_kappa"]), f"{int(row['n_partners']):,}"]
        rows.append(cells)
    more = (f" (first {MAX_RATER_ROWS} of {len(frame)})" if len(frame) > MAX_RATER_ROWS else "")
    return ["## Raters", "", f"From `{file_name}`{more}. LOO accuracy: the rater's ratings "
            "against the majority of the other raters of the same item.", "",
            markdown_table(header, rows), ""]


def _definitions(summary: dict[str, Any]) -> list[str]:
    return [
        "## Definitions", "",
        "- **Fleiss' kappa** allows a different number of raters per item (Gwet 2014): "
        "observed agreement is the mean over items with two or more raters of the share of "
        "agreeing rater pairs; chance agreement is the sum of squared category prevalences, "
        "each prevalence being the mean over items of the share of the item's raters choosing "
        "it. With equal raters per item it is Fleiss (1971).",
        "- **Krippendorff's alpha** from the `krippendorff` package (nominal; ordinal for "
        "ordinal scales); items with one rating carry no pairable value.",
        "- **Majority label**: the category with strictly the most votes; a shared top count "
        "is a tie (empty `majority_label`, empty `majority_present_emoeval`; emolia-bench's "
        "`majority_present` reads a tie as absent).",
        "- **`all_agree_binary_emoeval`**: 1 when every rater of the item gave the same answer "
        "(present/absent, or the same category on nominal scales); trivially 1 for one rater, "
        "which `benchmark_bucket` tells apart (`single_rater_*`).",
        "- **Buckets**: `single_rater_*` one rater; `unanimous_*` two or more raters, all "
        "agreeing; `majority_*` a strict majority that is not unanimous; `tie` an even split. "
        "Binary and binarised ordinal scales bucket the present/absent reading; nominal scales "
        "use `unanimous`, `majority`, `single_rater`, `tie`.",
        "- **Human accuracy vs the others (leave one out)**: each rating is compared with the "
        "majority of the same item's other ratings; ratings whose others tie, and ratings of "
        "single-rater items, are left out (counted, not scored). Balanced accuracy averages "
        "the recall over the others' majority classes.",
        "- **Human accuracy, rater vs rater**: every ordered pair of two raters of one item, "
        "one taken as truth and the other as prediction, pooled over items.",
        "- **Mean pairwise exact agreement** (`human_upper_bound_binary`) and **mean pairwise "
        "Cohen's kappa**: per pair of raters over the items both rated, averaged over pairs "
        "sharing at least the minimum number of items (long input only: vote counts do not "
        "say which rater gave which vote).",
        f"- **Intervals**: percentile bootstrap over {_unit_words(summary)}, "
        f"{summary['bootstrap']['n_resamples']:,} resamples, seed "
        f"{summary['bootstrap']['seed']}; all statistics share the resamples.",
        f"- **Split**: groups (`{summary['split']['group_column']}`) ranked by a seeded hash, "
        f"the first {pct(summary['split']['dev_share'], 0)} to dev: "
        f"{summary['split']['items']['dev']:,} dev items, "
        f"{summary['split']['items']['test']:,} test items.",
        "",
    ]


def _warnings_section(summary: dict[str, Any]) -> list[str]:
    if not summary.get("warnings"):
        return []
    return ["## Warnings", "", *[f"- {w}" for w in summary["warnings"]], ""]


def _run_section(summary: dict[str, Any]) -> list[str]:
    run = summary.get("run") or {}
    versions = ", ".join(f"{k} {v}" for k, v in (run.get("versions") or {}).items())
    return ["## Run", "", f"- command: `{run.get('command', '')}`",
            f"- started {run.get('started', '')}; versions: {versions}", ""]


def render_report(summary: dict[str, Any], out: str) -> str:
    source = summary["input"]["source"]
    modality = summary["input"].get("modality")
    title = f"# Human agreement: {os.path.basename(str(source))}" + (
        f" ({modality})" if modality else "")
    lines = [title, "", f"Input: `{source}` ({summary['input']['shape']} shape).", ""]
    for section in (_methods_paragraph(summary), _warnings_section(summary),
                    _data_section(summary), _rater_info_section(summary),
                    _agreement_section(summary),
                    _ceiling_section(summary), _buckets_section(summary),
                    _intended_section(summary), _slice_section(summary, out),
                    _rater_section(summary, out), compatibility_section(summary),
                    panel_section(summary), _definitions(summary), _run_section(summary)):
        lines += section
    return "\n".join(lines).rstrip() + "\n"
