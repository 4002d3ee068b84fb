"""The tables written by ``emoeval agreement``, laid out as emolia-bench's tools read them.

``benchmark_labels.csv`` (one row per item): the item columns, ``n_raters``,
``votes_<rating>`` per rating value, ``majority_label``, ``majority_present``,
``all_agree_binary``, ``benchmark_bucket``, ``split``, then any metadata columns
(e.g. ``intended_label``). Also ``rater_distributions.csv``, ``incomplete_items.csv`` and
``per_<column>_summary.csv``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import agreement as agree
from ..metrics.classification import UNKNOWN_SLICE
from ..metrics.resampling import Resampling
from .statistics import ITEM_UNIT, StatisticsOptions, View, item_resampling, view_statistics

SPLITS = ("dev", "test")


def split_by_group(group_names: list[str], dev_share: float, seed: int) -> np.ndarray:
    """``dev``/``test`` per group: groups ranked by a seeded hash of their name, the first
    ``round(dev_share * G)`` go to dev.

    Ranking by hash (not by position) keeps a group's split when other groups are added or
    removed, except for the few near the boundary.
    """
    if not 0.0 <= dev_share <= 1.0:
        raise ValueError(f"dev_share must be between 0 and 1, got {dev_share}")
    keys = [hashlib.sha256(f"{seed}:{name}".encode()).hexdigest() for name in group_names]
    order = np.argsort(np.array(keys, dtype=object), kind="stable")
    n_dev = int(round(dev_share * len(group_names)))
    split = np.full(len(group_names), SPLITS[1], dtype=object)
    split[order[:n_dev]] = SPLITS[0]
    return split


def _binary_columns(table) -> dict[str, np.ndarray]:
    """``majority_present``, ``all_agree_binary``, ``benchmark_bucket`` per item."""
    n_raters = table.n_raters_per_item
    if table.scale.has_binary_view:
        binary = table.scale.binary_counts(table.counts)
        present = binary[:, 1]
        absent = binary[:, 0]
        majority_present = np.where(present > absent, "1",
                                    np.where(present < absent, "0", "")).astype(object)
        all_agree = ((present == 0) | (absent == 0)) & (n_raters > 0)
        buckets = agree.binary_buckets(present, n_raters)
    else:
        majority_present = np.full(table.n_items, "", dtype=object)
        all_agree = (table.counts.max(axis=1) == n_raters) & (n_raters > 0)
        buckets = agree.nominal_buckets(table.counts)
    return {"majority_present": majority_present,
            "all_agree_binary": all_agree.astype(np.int64),
            "benchmark_bucket": buckets}


def benchmark_labels(table, split: np.ndarray) -> pd.DataFrame:
    """One row per item in the documented column order."""
    categories = list(table.scale.categories)
    majority = agree.majority_index(table.counts)
    frame = table.items[table.item_columns].copy().reset_index(drop=True)
    frame["n_raters"] = table.n_raters_per_item
    for index, category in enumerate(categories):
        frame[f"votes_{category}"] = table.counts[:, index].astype(np.int64)
    frame["majority_label"] = [categories[w] if w >= 0 else "" for w in majority]
    for name, values in _binary_columns(table).items():
        frame[name] = values
    frame["split"] = split[table.group]
    for column in table.metadata_columns:
        frame[column] = table.items[column].to_numpy()
    if table.intended is not None:
        frame["majority_matches_intended"] = np.where(
            table.intended < 0, "", np.where(majority == table.intended, "1", "0"))
    return frame


def rater_distributions(table) -> pd.DataFrame:
    """Per item, the share of raters per category (soft labels), plus ``share_present``."""
    frame = table.items[table.item_columns].copy().reset_index(drop=True)
    n_raters = table.n_raters_per_item
    frame["n_raters"] = n_raters
    shares = table.counts / np.maximum(n_raters, 1)[:, None]
    for index, category in enumerate(table.scale.categories):
        frame[f"share_{category}"] = np.round(shares[:, index], 6)
    if table.scale.has_binary_view and table.scale.kind != "binary":
        frame["share_present"] = np.round(
            table.scale.binary_counts(table.counts)[:, 1] / np.maximum(n_raters, 1), 6)
    return frame


def incomplete_items(table, expected_raters: int) -> pd.DataFrame:
    """Items with fewer raters than expected."""
    frame = table.items[table.item_columns].copy().reset_index(drop=True)
    n_raters = table.n_raters_per_item
    frame["n_raters"] = n_raters
    frame["expected_raters"] = expected_raters
    frame["missing_raters"] = expected_raters - n_raters
    return frame[n_raters < expected_raters].reset_index(drop=True)


# --------------------------------------------------------------------------- slices


def default_slice_columns(table) -> list[str]:
    """Item and metadata columns worth a per-slice table: not the group (file) column and
    not a column that is unique per item."""
    columns = []
    for column in [*table.item_columns, *table.metadata_columns]:
        if column == table.group_column or column in columns:
            continue
        distinct = table.items[column].nunique(dropna=False)
        if 1 < distinct < table.n_items or (distinct == 1 and table.n_items > 1):
            columns.append(column)
    return columns


def _slice_row(table, mask: np.ndarray, options: StatisticsOptions, labels: pd.DataFrame,
               resampling: Resampling | None = None) -> dict[str, Any]:
    counts = table.counts[mask].astype(np.float64)
    resampling = resampling or item_resampling(table)
    _, group = np.unique(resampling.groups[mask], return_inverse=True)
    unit = resampling.unit
    if len(group) and group.max() < 1:  # one actor's slice: its items vary, not actors
        group, unit = np.arange(len(group)), ITEM_UNIT
    scale = table.scale
    scale_view = View("scale", scale.categories, counts, scale.krippendorff_level)
    stats = view_statistics(scale_view, group, options, unit)
    row: dict[str, Any] = {
        "n_items": int(mask.sum()),
        "n_ratings": int(counts.sum()),
        "mean_raters": float(counts.sum(axis=1).mean()) if mask.any() else float("nan"),
        "ci_unit": unit,
        "ci_n_groups": int(group.max()) + 1 if len(group) else 0,
    }
    for name in ("fleiss_kappa", "krippendorff_alpha"):
        row[name] = stats[name]["value"]
        row[f"{name}_low"] = stats[name]["low"]
        row[f"{name}_high"] = stats[name]["high"]
    row["mean_item_agreement"] = stats["mean_item_agreement"]["value"]
    ceiling = stats
    if scale.has_binary_view and scale.kind != "binary":
        binary_view = View("binary", ("absent", "present"), scale.binary_counts(counts),
                           "nominal")
        ceiling = view_statistics(binary_view, group, options, unit)
        row["fleiss_kappa_binary"] = ceiling["fleiss_kappa"]["value"]
    suffix = "_binary" if scale.has_binary_view else ""
    row[f"human_loo_accuracy{suffix}"] = ceiling["human_loo_accuracy"]["value"]
    row[f"human_loo_balanced_accuracy{suffix}"] = ceiling["human_loo_balanced_accuracy"]["value"]
    buckets = labels.loc[mask, "benchmark_bucket"].astype(str)
    kinds = buckets.str.replace(r"_(present|absent)$", "", regex=True)
    for kind in ("unanimous", "majority", "single_rater", "tie"):
        row[f"share_{kind}"] = float((kinds == kind).mean()) if mask.any() else float("nan")
    if scale.has_binary_view:
        present = labels.loc[mask, "majority_present"]
        row["share_majority_present"] = float((present == "1").mean()) if mask.any() else None
    if "majority_matches_intended" in labels:
        matches = labels.loc[mask, "majority_matches_intended"]
        known = matches != ""
        row["majority_matches_intended"] = float((matches[known] == "1").mean()) \
            if known.any() else None
    return row


def overall_row(table, labels: pd.DataFrame, options: StatisticsOptions,
                resampling: Resampling | None = None) -> dict[str, Any]:
    """The ``(all)`` row shared by every slice table (computed once)."""
    return _slice_row(table, np.ones(table.n_items, dtype=bool), options, labels, resampling)


def slice_summary(table, column: str, labels: pd.DataFrame, options: StatisticsOptions,
                  all_items: dict[str, Any] | None = None,
                  resampling: Resampling | None = None) -> pd.DataFrame:
    """``per_<column>_summary.csv``: one row for all items, then one per value of ``column``."""
    values = table.items[column].astype(str).replace("", UNKNOWN_SLICE).to_numpy()
    if all_items is None:
        all_items = overall_row(table, labels, options, resampling)
    rows = [{column: "(all)", **all_items}]
    for value in sorted(set(values), key=lambda v: (v == UNKNOWN_SLICE, v)):
        rows.append({column: value, **_slice_row(table, values == value, options, labels,
                                                 resampling)})
    return pd.DataFrame(rows)


def safe_file_part(name: str) -> str:
    """A column name made safe for a file name (per_<column>_summary.csv)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(name))
    return cleaned.strip("_") or "column"

