"""``emoeval agreement``: read ratings, compute agreement and the human ceiling, write the
benchmark labels, slice tables, ``summary.json`` and ``report.md`` into ``--out``.

The run is a pure function of the input file and the options (seeded), so rerunning it
rewrites the same files; every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from ..metrics import agreement as agree
from ..results import SCHEMA_VERSION
from . import outputs
from .shapes import RatingTable, is_cremad_spec, read_counts, read_cremad_votes, read_long
from .statistics import (
    BINARY_VIEW,
    SCALE_VIEW,
    StatisticsOptions,
    human_ceiling_keys,
    intended_statistics,
    item_resampling,
    rater_table,
    table_statistics,
)

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"
LABELS_FILE = "benchmark_labels.csv"
DISTRIBUTIONS_FILE = "rater_distributions.csv"
INCOMPLETE_FILE = "incomplete_items.csv"
INVALID_FILE = "invalid_ratings.csv"
ANONYMOUS_PREFIX = "user_"


@dataclass
class AgreementOptions:
    """Everything ``emoeval agreement`` takes, with the CLI's defaults."""

    item_cols: list[str] = field(default_factory=list)
    rater_col: str = "user"
    rating_col: str = "rating"
    scale: str | None = None
    present_from: str | None = None
    expected_raters: int | None = None
    count_cols: list[str] = field(default_factory=list)
    intended_col: str | None = None
    modality: str | None = None
    group_col: str | None = None
    #: what intervals resample: auto | sample | <column> (metrics.resampling)
    ci_unit: str = "auto"
    slice_by: list[str] | None = None
    dev_share: float = 0.5
    seed: int = 0
    n_resamples: int = 1000
    confidence: float = 0.95
    min_shared_items: int = 2
    rater_info: str | None = None
    command: str = ""


def load_table(source: str, options: AgreementOptions) -> RatingTable:
    """Pick the input shape: the CREMA-D shortcut, vote counts (``--count-cols``) or long."""
    if is_cremad_spec(source):
        return read_cremad_votes(source.split(":", 1)[1], options.modality, options.group_col)
    if options.modality:
        raise EmoevalError("--modality belongs to the crema-d-votes:<file> shortcut")
    if options.count_cols:
        return read_counts(source, item_columns=options.item_cols,
                           count_columns=options.count_cols, scale_spec=options.scale,
                           present_from=options.present_from,
                           intended_column=options.intended_col, group_column=options.group_col)
    return read_long(source, item_columns=options.item_cols, rater_column=options.rater_col,
                     rating_column=options.rating_col, scale_spec=options.scale or "nominal",
                     present_from=options.present_from, intended_column=options.intended_col,
                     group_column=options.group_col)


def _check_options(options: AgreementOptions) -> None:
    if options.expected_raters is not None and options.expected_raters < 1:
        raise EmoevalError(f"--expected-raters {options.expected_raters}: give a whole number "
                           ">= 1")
    if not 0.0 <= options.dev_share <= 1.0:
        raise EmoevalError(f"--dev-share {options.dev_share}: give a share between 0 and 1")
    if options.n_resamples < 0:
        raise EmoevalError(f"--n-resamples {options.n_resamples}: give 0 (no intervals) or more")
    if options.min_shared_items < 1:
        raise EmoevalError(f"--min-shared-items {options.min_shared_items}: give 1 or more")


def _histogram(values: np.ndarray) -> dict[str, int]:
    numbers, counts = np.unique(values, return_counts=True)
    return {str(int(n)): int(c) for n, c in zip(numbers, counts)}


def _distribution(values: np.ndarray) -> dict[str, Any]:
    if values.size == 0:
        return {"mean": None, "min": None, "max": None, "histogram": {}}
    return {"mean": float(values.mean()), "min": int(values.min()), "max": int(values.max()),
            "histogram": _histogram(values)}


def _rater_coverage(table: RatingTable, statistics: dict[str, Any]) -> dict[str, Any] | None:
    if table.ratings is None:
        return None
    per_rater = table.ratings.groupby("rater").size().to_numpy()
    scale_block = statistics[SCALE_VIEW]
    return {
        "n_raters": int(len(per_rater)),
        "ratings_per_rater": _distribution(per_rater),
        "n_rater_pairs": scale_block.get("n_rater_pairs"),
        "n_rater_pairs_compared": scale_block.get("n_rater_pairs_compared"),
        "anonymised": bool(table.ratings["rater"].astype(str)
                           .str.fullmatch(rf"{ANONYMOUS_PREFIX}\d+").all()),
    }


MAX_INFO_VALUES = 20  # a rater-info column with more distinct values is free text: not shown


def rater_info_summary(path: str, table: RatingTable) -> dict[str, dict[str, int]]:
    """Per column of a rater table (e.g. users.csv: age band, gender, native language), how
    many of the raters who rated something have each value. Columns with more than
    ``MAX_INFO_VALUES`` distinct values (free text, e-mail addresses) are left out."""
    from .shapes import read_table, require_columns

    if table.ratings is None:
        raise EmoevalError("--rater-info needs long ratings (one row per rating with a rater "
                           "column); vote counts have no rater ids")
    column = table.rater_column or "user"
    info = read_table(path, "rater-info file")
    require_columns(info, [column], path, "--rater-col (the same column as in the ratings)")
    info = info.drop_duplicates(column, keep="first")
    raters = set(table.ratings["rater"])
    info = info[info[column].isin(raters)]
    summary: dict[str, dict[str, int]] = {}
    for name in info.columns:
        if name == column:
            continue
        values = info[name].replace("", "(not given)")
        if values.nunique() <= MAX_INFO_VALUES:
            summary[str(name)] = {str(k): int(v) for k, v in values.value_counts().items()}
    summary["(raters without an entry)"] = {"n": len(raters - set(info[column]))}
    return summary


def _invalid_summary(table: RatingTable) -> dict[str, Any]:
    reasons = table.invalid["reason"].astype(str) if len(table.invalid) \
        else pd.Series([], dtype=str)
    return {"n": int(len(table.invalid)),
            "by_reason": {str(k): int(v) for k, v in reasons.value_counts().items()}}


def run_agreement(source: str, out: str, options: AgreementOptions | None = None
                  ) -> dict[str, Any]:
    """Read ``source``, compute every statistic the shape supports, write all files to ``out``.

    Returns the ``summary.json`` dict.
    """
    from ..results_io import run_block, strict_json, write_csv, write_json, write_text
    from .report import render_report

    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    options = options or AgreementOptions()
    _check_options(options)
    table = load_table(source, options)
    # before any work: a --ci-unit naming no column of the items is a one-line error
    resampling = item_resampling(table, options.ci_unit)
    stats_options = StatisticsOptions(n_resamples=options.n_resamples, seed=options.seed,
                                      confidence=options.confidence,
                                      min_shared_items=options.min_shared_items)
    os.makedirs(out, exist_ok=True)

    split = outputs.split_by_group(table.group_names, options.dev_share, options.seed)
    labels = outputs.benchmark_labels(table, split)
    statistics = table_statistics(table, stats_options, resampling)
    majority = agree.majority_index(table.counts)
    intended = intended_statistics(table, majority, stats_options, resampling)
    raters = rater_table(table, stats_options)
    n_raters = table.n_raters_per_item
    expected = options.expected_raters or 2
    incomplete = outputs.incomplete_items(table, expected)

    slice_columns = options.slice_by if options.slice_by is not None \
        else outputs.default_slice_columns(table)
    unknown = [c for c in slice_columns if c not in table.items.columns]
    if unknown:
        raise EmoevalError(f"--slice-by {', '.join(unknown)}: not an item or metadata column "
                           f"({', '.join(map(str, table.items.columns))})")

    written: list[str] = []

    def save(frame: pd.DataFrame, name: str) -> None:
        write_csv(os.path.join(out, name), frame)
        written.append(name)

    save(labels, LABELS_FILE)
    save(outputs.rater_distributions(table), DISTRIBUTIONS_FILE)
    save(incomplete, INCOMPLETE_FILE)
    save(table.invalid, INVALID_FILE)
    slice_files: dict[str, str] = {}
    all_items = (outputs.overall_row(table, labels, stats_options, resampling)
                 if slice_columns else None)
    for column in slice_columns:
        name = f"per_{outputs.safe_file_part(column)}_summary.csv"
        save(outputs.slice_summary(table, column, labels, stats_options, all_items,
                                   resampling), name)
        slice_files[column] = name
    if raters is not None:
        name = f"per_{outputs.safe_file_part(table.rater_column or 'rater')}_summary.csv"
        save(raters, name)
        slice_files[table.rater_column or "rater"] = name

    binary = statistics.get(BINARY_VIEW)
    coverage = _rater_coverage(table, statistics)
    warnings = list(table.warnings)
    if coverage and not coverage["anonymised"]:
        warnings.append("rater ids are not anonymised (user_0, user_1, ...): run emoeval "
                        "anonymize first if these outputs leave your machine")
    if len(table.invalid):
        warnings.append(f"{len(table.invalid)} input rows were bad and left out; see "
                        f"{INVALID_FILE}")
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "task": "agreement",
        "input": {"source": table.source, "shape": table.shape,
                  "item_columns": table.item_columns, "rater_column": table.rater_column,
                  "rating_column": table.rating_column, "count_columns": table.count_columns,
                  "intended_column": table.intended_column, "modality": table.modality,
                  "group_column": table.group_column},
        "scale": table.scale.to_dict(),
        "n_items": table.n_items,
        "n_ratings": int(n_raters.sum()),
        "n_raters": coverage["n_raters"] if coverage else None,
        "raters_per_item": _distribution(n_raters),
        "expected_raters": expected,
        "expected_raters_source": "--expected-raters" if options.expected_raters else
        "default: 2, the fewest raters that can agree",
        "n_incomplete_items": int(len(incomplete)),
        "invalid_ratings": _invalid_summary(table),
        "rater_coverage": coverage,
        "rater_info": (rater_info_summary(options.rater_info, table) if options.rater_info
                       else None),
        "agreement": statistics[SCALE_VIEW],
        "agreement_binary": binary,
        "buckets": {str(k): int(v) for k, v in
                    labels["benchmark_bucket"].value_counts().sort_index().items()},
        "majority_labels": {**{c: int((labels["majority_label"] == c).sum())
                               for c in table.scale.categories},
                            "(tie)": int((labels["majority_label"] == "").sum())},
        "majority_present": ({"1": int((labels["majority_present"] == "1").sum()),
                              "0": int((labels["majority_present"] == "0").sum()),
                              "tie": int((labels["majority_present"] == "").sum())}
                             if table.scale.has_binary_view else None),
        "intended": intended,
        "split": {"dev_share": options.dev_share, "seed": options.seed,
                  "group_column": table.group_column, "n_groups": len(table.group_names),
                  "items": {name: int((labels["split"] == name).sum())
                            for name in outputs.SPLITS}},
        "bootstrap": {"n_resamples": options.n_resamples, "seed": options.seed,
                      "confidence": options.confidence, "ci_unit": options.ci_unit,
                      "unit": resampling.unit, "n_groups": resampling.n_groups},
        **human_ceiling_keys(binary),
        "slices": slice_files,
        "warnings": warnings,
        "files": [],
    }
    run = run_block(options.command, started, t0)
    run["versions"].update(_package_versions(("krippendorff", "pandas")))
    summary["run"] = run

    report = render_report(summary, out)
    write_text(os.path.join(out, REPORT_FILE), report)
    written.append(REPORT_FILE)
    summary["files"] = sorted([*written, SUMMARY_FILE])
    write_json(os.path.join(out, SUMMARY_FILE), summary)
    return strict_json(summary)


def _package_versions(names: tuple[str, ...]) -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def headline(summary: dict[str, Any]) -> str:
    """One line for the terminal."""
    block = summary["agreement"]
    parts = [f"{summary['n_items']:,} items, {summary['n_ratings']:,} ratings",
             f"Fleiss' kappa {_number(block['fleiss_kappa'])}",
             f"Krippendorff's alpha ({block['krippendorff_alpha']['level']}) "
             f"{_number(block['krippendorff_alpha'])}"]
    if summary.get("human_upper_bound_binary") is not None:
        parts.append(f"human upper bound (binary) {summary['human_upper_bound_binary']:.3f}")
    if summary.get("intended"):
        parts.append(f"majority = intended {_number(summary['intended']['agreement'])}")
    return "; ".join(parts)


def _number(entry: dict[str, Any]) -> str:
    value = entry.get("value")
    if value is None:
        return "n/a"
    band = f" [{entry['low']:.3f}, {entry['high']:.3f}]" if entry.get("low") is not None else ""
    return f"{value:.3f}{band}"
