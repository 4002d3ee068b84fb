"""Put emolia-bench's columns, tables and keys into ``emoeval agreement``'s outputs.

``benchmark_labels.csv`` carries their columns under their names with their values (their
``benchmark.py`` reads it unchanged) and emoeval's readings beside them as
``majority_present_emoeval``, ``all_agree_binary_emoeval``, ``benchmark_bucket_emoeval``;
``summary.json`` gets their keys (and ours as ``<key>_emoeval`` where the definitions
differ); their per-slice tables and ``flags.csv`` are written too when the layout is theirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import EmoevalError
from . import panel as pn
from . import peer
from .layouts import PRESELECTION_RATER, Layout

RENAMED = ("majority_present", "all_agree_binary", "benchmark_bucket")
EMOEVAL = "_emoeval"
FLAGS_FILE = "flags.csv"


@dataclass
class PeerResult:
    labels: pd.DataFrame
    incomplete: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    agreement: dict[str, Any]
    flags: pd.DataFrame | None = None
    extra_raters: list[dict[str, Any]] = field(default_factory=list)


def applies(table) -> bool:
    """Their rules need rater ids and a present/absent reading."""
    return table.ratings is not None and table.scale.has_binary_view


def default_flags_path(source: str, layout: Layout | None) -> str | None:
    """Their layout keeps ``flags.csv`` beside ``annotations.csv``."""
    if layout is None or not layout.flags:
        return None
    candidate = os.path.join(os.path.dirname(os.path.abspath(source)), FLAGS_FILE)
    return candidate if os.path.isfile(candidate) else None


def read_flags(path: str, item_columns: list[str]) -> pd.DataFrame:
    from .shapes import read_table, require_columns

    flags = read_table(path, "flags file")
    require_columns(flags, list(item_columns), path, "--flags (a file with the item columns)")
    return flags


def flag_keys(flags: pd.DataFrame | None, item_columns: list[str]) -> set[tuple[str, ...]]:
    if flags is None or flags.empty:
        return set()
    return set(map(tuple, flags[list(item_columns)].astype(str).to_numpy().tolist()))


def merged_labels(table, ours: pd.DataFrame, layout: Layout | None,
                  flagged: set[tuple[str, ...]] | None) -> pd.DataFrame:
    """Item columns, their columns, then ours (renamed ``*_emoeval`` where they clash)."""
    theirs = peer.peer_label_columns(table, layout)
    ours = ours.rename(columns={name: name + EMOEVAL for name in RENAMED})
    items = ours[table.item_columns]
    rest = ours.drop(columns=table.item_columns)
    frame = pd.concat([items, theirs, rest], axis=1)
    if flagged is not None:
        keys = map(tuple, frame[table.item_columns].astype(str).to_numpy().tolist())
        frame["flagged"] = [key in flagged for key in keys]
    return frame


def peer_outputs(table, ours: pd.DataFrame, layout: Layout | None, *, expected: int,
                 flags: pd.DataFrame | None, extra_files: list[str],
                 preselection_prior: bool, rater_column: str, rating_column: str,
                 annotators: list[str] | None) -> PeerResult:
    flagged = flag_keys(flags, table.item_columns) if flags is not None else None
    if flagged is None and layout is not None and layout.flags:
        flagged = set()
    labels = merged_labels(table, ours, layout, flagged)
    panel = peer.build_panel(table)
    agreement = peer.agreement_block(table, panel, expected)
    summary: dict[str, Any] = {
        "rows_raw": table.n_rows_raw,
        "rows_deduplicated": table.n_rows_raw - table.n_replaced,
        "ratings_replaced": table.n_replaced,
    }
    majority = labels["majority_present"].to_numpy()
    extra_blocks = []
    for path in extra_files:
        name, extra = pn.read_extra_rater(path, table, rater_column, rating_column)
        block = pn.extra_rater_block(panel.binary, extra, name)
        block["confirm_rate"] = pn.confirm_rate(majority, extra)
        block["source"] = path
        extra_blocks.append(block)
    tables: dict[str, pd.DataFrame] = {}
    incomplete = None
    if layout is not None:
        prior = pn.prior_rater(table, layout) if layout.prior_column in table.items else None
        if prior is not None:
            block = pn.extra_rater_block(panel.binary, prior, PRESELECTION_RATER)
            block["confirm_rate"] = float(labels[layout.matches_column].mean())
            summary["augmented_agreement"] = pn.preselection_keys(block)
            if preselection_prior:
                block["source"] = f"preselection prior ({layout.prior_column} == " \
                                  f"{layout.prior_positive} -> {layout.prior_rating_present})"
                extra_blocks.insert(0, block)
        incomplete = peer.incomplete_items(table, expected, labels)
        summary.update(_layout_keys(table, labels, layout, expected, incomplete, flags,
                                    annotators))
        order = peer.sort_rows(labels, layout)
        tables = peer.slice_tables(order, layout)
        for spec in layout.slices:
            if spec.summary_key and spec.file_name in tables:
                summary[spec.summary_key] = tables[spec.file_name].to_dict(orient="records")
        for key, file_name, end, n in layout.head_tail:
            if file_name in tables:
                part = tables[file_name].head(n) if end == "head" else tables[file_name].tail(n)
                summary[key] = part.to_dict(orient="records")
        labels = order
    elif preselection_prior:
        raise EmoevalError("--preselection-prior needs emolia-bench's item columns (or "
                           "--preset emolia-emo|emolia-dim): the prior is read from "
                           "task_type or polarity")
    return PeerResult(labels=labels, incomplete=incomplete, tables=tables, summary=summary,
                      agreement=agreement, flags=flags, extra_raters=extra_blocks)


def _layout_keys(table, labels: pd.DataFrame, layout: Layout, expected: int,
                 incomplete: pd.DataFrame, flags: pd.DataFrame | None,
                 annotators: list[str] | None) -> dict[str, Any]:
    n = table.n_raters_per_item
    coverage = pd.Series(n).value_counts().sort_index()
    keys: dict[str, Any] = {
        "subset": layout.name,
        "rating_scale": list(table.scale.categories),
        "items_total": int(table.n_items),
        "items_complete": int((n == expected).sum()),
        "items_incomplete": int(len(incomplete)),
        "rater_coverage_emolia": {str(int(k)): int(v) for k, v in coverage.items()},
        "annotators": annotators if annotators is not None
        else sorted(map(str, table.ratings["rater"].unique())),
        layout.present_rate_key: float(labels["majority_present"].mean()),
    }
    if layout.matches_column in labels:
        keys[layout.confirm_rate_key] = float(labels[layout.matches_column].mean())
    if layout.flags:
        keys["items_flagged"] = int(labels["flagged"].sum()) if "flagged" in labels else 0
        keys["flags"] = flags.to_dict(orient="records") if flags is not None else []
    return keys


def summary_keys(result: PeerResult, summary: dict[str, Any]) -> None:
    """Their keys into ``summary`` (in place): aliases at the top level with ours beside as
    ``*_emoeval``, their agreement keys inside ``agreement`` where the name is free."""
    for alias, source in peer.ALIASES:
        if alias in summary:
            summary[alias + EMOEVAL] = summary[alias]
        summary[alias] = result.agreement[source]
    block = summary.get("agreement") or {}
    for key, value in result.agreement.items():
        block.setdefault(key, value)
    summary["agreement_emolia"] = result.agreement
    coverage = result.summary.pop("rater_coverage_emolia", None)
    if coverage is not None and isinstance(summary.get("rater_coverage"), dict):
        summary["rater_coverage"].update(coverage)  # their {n_raters: items} beside ours
    summary.update(result.summary)
    summary["extra_raters"] = result.extra_raters

