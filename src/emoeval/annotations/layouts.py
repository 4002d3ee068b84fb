"""Known annotation layouts: emolia-bench's two subsets, described as data.

A layout is recognised by its item columns (in any order) or named with ``--preset``; it
fixes the defaults a user of that tool expects (rater column ``username``, the scale, three
expected raters), how its rows are sorted, its preselection prior (the rule by which items
were sampled, used as an extra rater) and its per-slice tables. Nothing here branches on a
layout's name: code reads these fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EmoevalError


@dataclass(frozen=True)
class SliceTable:
    """One of the layout's ``per_<name>_summary.csv`` tables: grouped by ``column``, with
    ``(output column, label column, 'mean'|'first')`` aggregates, sorted by ``sort``
    (``(column, ascending)`` pairs; empty: by the group value)."""

    file_name: str
    column: str
    aggregates: tuple[tuple[str, str, str], ...]
    sort: tuple[tuple[str, bool], ...] = ()
    summary_key: str | None = None  # summary.json key holding its records


@dataclass(frozen=True)
class Layout:
    name: str
    item_columns: tuple[str, ...]
    sort_columns: tuple[str, ...]
    scale: str
    rater_column: str = "username"
    rating_column: str = "rating"
    expected_raters: int = 3
    #: the preselection prior: items whose ``prior_column`` equals ``prior_positive`` were
    #: sampled as likely present; ``prior_negative`` (when set) names the likely-absent value
    #: (other values match nothing)
    prior_column: str = ""
    prior_positive: str = ""
    prior_negative: str | None = None
    prior_rating_present: str = ""
    prior_rating_absent: str = ""
    #: benchmark_labels.csv: the prior as a 0/1 column (name or ""), and whether the
    #: majority matches it
    intended_column: str = ""
    matches_column: str = ""
    joined_columns: tuple[str, ...] = ()  # per item, "|".join(sorted(set(values)))
    present_rate_key: str = ""
    confirm_rate_key: str = ""
    slices: tuple[SliceTable, ...] = ()
    #: summary.json keys holding the first/last rows of a slice table
    head_tail: tuple[tuple[str, str, str, int], ...] = ()  # (key, file_name, head|tail, n)
    flags: bool = False
    extra: dict = field(default_factory=dict)


PRESELECTION_RATER = "gemini3flash_preselect"  # emolia-bench's name for the prior as a rater

EMO_SLICES = (
    SliceTable("per_task_type_summary.csv", "task_type",
               (("items", "file_name", "size"), ("intended_present", "intended_present",
                                                 "first"),
                ("majority_present_rate", "majority_present", "mean"),
                ("preselection_confirm_rate", "matches_intended_label", "mean"),
                ("unanimous_binary_rate", "all_agree_binary", "mean"),
                ("unanimous_ordinal_rate", "all_agree_ordinal", "mean")),
               (("items", False),), "task_types"),
    SliceTable("per_emotion_summary.csv", "queried_emotion",
               (("items", "file_name", "size"),
                ("majority_present_rate", "majority_present", "mean"),
                ("unanimous_binary_rate", "all_agree_binary", "mean"),
                ("unanimous_ordinal_rate", "all_agree_ordinal", "mean")),
               (("majority_present_rate", True), ("items", False))),
)
DIM_SLICES = (
    SliceTable("per_dimension_summary.csv", "dimension",
               (("items", "file_name", "size"),
                ("majority_yes_rate", "majority_present", "mean"),
                ("unanimous_rate", "all_agree_binary", "mean"),
                ("polarity_match_rate", "matches_intended_polarity", "mean")),
               (("items", False),), "dimensions"),
    SliceTable("per_polarity_summary.csv", "polarity",
               (("items", "file_name", "size"),
                ("majority_yes_rate", "majority_present", "mean"),
                ("unanimous_rate", "all_agree_binary", "mean")), (), "polarities"),
)

LAYOUTS = {
    "emolia-emo": Layout(
        name="emolia-emo", item_columns=("file_name", "queried_emotion", "task_type"),
        sort_columns=("task_type", "queried_emotion", "file_name"),
        scale="ordinal:not_present<weakly_present<strongly_present",
        prior_column="task_type", prior_positive="affirmative",
        prior_rating_present="strongly_present", prior_rating_absent="not_present",
        intended_column="intended_present", matches_column="matches_intended_label",
        joined_columns=("source_emotion",), present_rate_key="majority_present_rate",
        confirm_rate_key="preselection_confirm_rate", slices=EMO_SLICES,
        head_tail=(("easiest_emotions", "per_emotion_summary.csv", "tail", 5),
                   ("hardest_emotions", "per_emotion_summary.csv", "head", 5))),
    "emolia-dim": Layout(
        name="emolia-dim", item_columns=("file_name", "dimension", "level", "polarity"),
        sort_columns=("dimension", "level", "polarity", "file_name"), scale="binary",
        prior_column="polarity", prior_positive="positive", prior_negative="negative",
        prior_rating_present="yes", prior_rating_absent="no",
        matches_column="matches_intended_polarity", present_rate_key="majority_yes_rate",
        confirm_rate_key="polarity_match_rate", slices=DIM_SLICES, flags=True),
}


def layout_named(name: str) -> Layout:
    if name not in LAYOUTS:
        raise EmoevalError(f"--preset {name!r}: known presets are {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def detect_layout(item_columns: list[str]) -> Layout | None:
    """The layout whose item columns are exactly these (any order), if any."""
    for layout in LAYOUTS.values():
        if set(layout.item_columns) == set(item_columns):
            return layout
    return None
