"""emolia-bench's columns, tables and ``summary.json`` keys, computed from a long
:class:`~emoeval.annotations.shapes.RatingTable`.

Their rules (``analysis.py``): the majority vote takes the lowest rated code on a tie (a
binary tie is *absent*, a three-way ordinal split the lowest level); ``all_agree_binary`` is
False for single-rater items; buckets are ``unanimous_*``, ``majority_*``,
``single_rater_*`` with no ``tie`` bucket. emoeval's readings stand beside them as
``<name>_emoeval`` (a tie stays a tie; see :mod:`.outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import peer_stats as ps
from .layouts import Layout

TIMING_COLUMNS = (("reaction_time_ms", ("mean", "median")), ("sample_time_ms", ("mean",)))


@dataclass(frozen=True)
class Panel:
    """The ratings as a matrix: items x raters (sorted names), codes on the scale and on
    the binary reading (1 present)."""

    raters: list[str]
    scale: np.ndarray
    binary: np.ndarray


def build_panel(table) -> Panel:
    codes, raters = pd.factorize(table.ratings["rater"].astype(str), sort=True)
    item = table.ratings["item"].to_numpy()
    category = table.ratings["category"].to_numpy()
    present = binary_codes(table.scale, category)
    shape = (table.n_items, len(raters))
    return Panel([str(r) for r in raters],
                 ps.rating_matrix(item, codes, category, *shape),
                 ps.rating_matrix(item, codes, present, *shape))


def binary_codes(scale, category: np.ndarray) -> np.ndarray:
    """1 where a category reads as present, else 0."""
    return scale.present_mask.astype(np.int64)[np.asarray(category, dtype=np.int64)]


def bucket_sides(scale) -> tuple[str, str]:
    """Bucket suffixes: a binary scale's own answers (yes/no), else present/absent."""
    if scale.kind == "binary":
        return scale.categories[1], scale.categories[0]
    return "present", "absent"


def peer_label_columns(table, layout: Layout | None) -> pd.DataFrame:
    """Their ``benchmark_labels.csv`` columns, one row per item in ``table.items`` order."""
    scale = table.scale
    ratings = table.ratings
    frame = pd.DataFrame(index=range(table.n_items))
    raters = ratings.groupby("item")["rater"].agg(lambda v: "|".join(sorted(map(str, v))))
    frame["usernames"] = raters.reindex(frame.index).fillna("").to_numpy()
    extra = table.extra if table.extra is not None else pd.DataFrame(index=ratings.index)
    for column in (layout.joined_columns if layout else ()):
        if column in extra:
            joined = extra[column].groupby(ratings["item"].to_numpy()).agg(
                lambda v: "|".join(sorted(set(map(str, v)))))
            frame[column] = joined.reindex(frame.index).fillna("").to_numpy()
    for column, statistics in TIMING_COLUMNS:
        if column in extra:
            numbers = pd.to_numeric(extra[column], errors="coerce")
            grouped = numbers.groupby(ratings["item"].to_numpy())
            for statistic in statistics:
                frame[f"{column}_{statistic}"] = getattr(grouped, statistic)().reindex(
                    frame.index).to_numpy()
    counts = table.counts
    n_raters = counts.sum(axis=1)
    multi = n_raters >= 2
    ordinal = scale.kind != "binary" and len(scale.categories) > 2
    if ordinal:
        winner, top, tie = ps.peer_majority(counts)
        frame["majority_rating_int"] = winner
        frame["majority_rating_votes"] = top
        frame["majority_rating_tie"] = tie
    binary = scale.binary_counts(counts)
    present, present_votes, present_tie = ps.peer_majority(binary)
    frame["majority_present"] = present
    frame["majority_present_votes"] = present_votes
    frame["majority_present_tie"] = present_tie
    for index in reversed(range(len(scale.categories))):
        frame[f"{scale.categories[index]}_votes"] = counts[:, index].astype(np.int64)
    if ordinal:
        frame["majority_rating"] = np.array(scale.categories, dtype=object)[winner]
    frame["all_agree_binary"] = multi & (present_votes == n_raters)
    if ordinal:
        frame["all_agree_ordinal"] = multi & (top == n_raters)
    if layout is not None and layout.prior_column in table.items:
        prior = prior_codes(table.items[layout.prior_column].to_numpy(), layout)
        if layout.intended_column:
            frame[layout.intended_column] = np.where(prior < 0, 0, prior)
        frame[layout.matches_column] = (prior >= 0) & (present == prior)
    yes, no = bucket_sides(scale)
    agree = frame["all_agree_binary"].to_numpy()
    frame["benchmark_bucket"] = np.select(
        [(present == 1) & agree, (present == 1) & multi, (present == 0) & agree,
         (present == 0) & multi, present == 1, present == 0],
        [f"unanimous_{yes}", f"majority_{yes}", f"unanimous_{no}", f"majority_{no}",
         f"single_rater_{yes}", f"single_rater_{no}"], default="mixed")
    return frame


def prior_codes(values: np.ndarray, layout: Layout) -> np.ndarray:
    """The preselection prior per item: 1 likely present, 0 likely absent, -1 neither."""
    values = np.asarray(values, dtype=object)
    positive = values == layout.prior_positive
    if layout.prior_negative is None:
        return positive.astype(np.int64)
    return np.where(positive, 1, np.where(values == layout.prior_negative, 0, -1))


def sort_rows(labels: pd.DataFrame, layout: Layout | None) -> pd.DataFrame:
    if layout is None:
        return labels
    return labels.sort_values(list(layout.sort_columns), kind="stable", ignore_index=True)


def slice_tables(labels: pd.DataFrame, layout: Layout) -> dict[str, pd.DataFrame]:
    """Their ``per_*_summary.csv`` tables from the label rows."""
    tables = {}
    for spec in layout.slices:
        if spec.column not in labels:
            continue
        numeric = labels.apply(lambda c: c.astype(np.int64) if c.dtype == bool else c)
        grouped = numeric.groupby(spec.column, sort=True)
        parts = {}
        for output, source, how in spec.aggregates:
            if source not in labels:
                continue
            parts[output] = grouped.size() if how == "size" else grouped[source].agg(how)
        frame = pd.DataFrame(parts).reset_index()
        for column, ascending in reversed(spec.sort):
            frame = frame.sort_values(column, ascending=ascending, kind="stable")
        tables[spec.file_name] = frame.reset_index(drop=True)
    return tables


def incomplete_items(table, expected: int, labels_order: pd.DataFrame) -> pd.DataFrame:
    """Their ``incomplete_items.csv`` columns (``ratings_observed``, ``usernames``) for items
    whose number of raters is not ``expected`` (fewer *or more*, as they count)."""
    frame = table.items[table.item_columns].copy().reset_index(drop=True)
    frame["ratings_observed"] = table.n_raters_per_item
    frame["usernames"] = labels_order["usernames"].to_numpy()
    n = table.n_raters_per_item
    frame["expected_raters"] = expected
    frame["missing_raters"] = np.maximum(expected - n, 0)
    frame = frame[n != expected]
    return frame.sort_values(["ratings_observed", *table.item_columns], kind="stable",
                             ignore_index=True)


def agreement_block(table, panel: Panel, expected: int = 3) -> dict[str, Any]:
    """Their ``agreement`` keys: on complete items (exactly ``expected`` raters) exact,
    pairwise and Fleiss; on all items the rater-vs-rater and leave-one-out numbers
    (binary)."""
    n = table.n_raters_per_item
    complete = n == expected
    scale = table.scale
    ordinal = scale.kind != "binary" and len(scale.categories) > 2
    used = (panel.scale[complete] != ps.MISSING).any(axis=0)
    raters = [r for r, keep in zip(panel.raters, used) if keep]
    binary_complete = panel.binary[complete][:, used]
    pairwise = ps.pairwise_human(panel.binary)
    loo = ps.leave_one_out_peer(scale.binary_counts(table.counts))
    block: dict[str, Any] = {}
    if ordinal:
        scale_complete = panel.scale[complete][:, used]
        block["exact_3way_ordinal"] = ps.exact_all_agree(scale_complete)
    block["exact_3way_binary"] = ps.exact_all_agree(binary_complete)
    block["pairwise_exact_binary"] = ps.pairwise_exact_peer(binary_complete)
    if ordinal:
        block["pairwise_exact_ordinal"] = ps.pairwise_exact_peer(scale_complete)
        block["pairwise_ordinal_kappa"] = ps.pairwise_kappa(scale_complete, raters,
                                                            len(scale.categories))
    block["pairwise_binary_kappa"] = ps.pairwise_kappa(binary_complete, raters, 2)
    if ordinal:
        block["fleiss_ordinal_kappa"] = ps.fleiss_equal_raters(table.counts[complete])
    block["fleiss_binary_kappa"] = ps.fleiss_equal_raters(
        scale.binary_counts(table.counts)[complete])
    block.update({
        "human_pairwise_accuracy": pairwise["pairwise_accuracy"],
        "human_pairwise_balanced_accuracy": pairwise["pairwise_balanced_accuracy"],
        "human_loo_accuracy": loo["loo_accuracy"],
        "human_loo_balanced_accuracy": loo["loo_balanced_accuracy"],
        "human_loo_n_annotations": loo["loo_n_annotations"],
        # ours beside: an item one rater of a pair did not rate is no disagreement
        "pairwise_exact_binary_emoeval": ps.pairwise_exact_shared(binary_complete),
    })
    return block


ALIASES = (("human_upper_bound_binary", "pairwise_exact_binary"),
           ("human_accuracy_binary", "human_pairwise_accuracy"),
           ("human_balanced_accuracy_binary", "human_pairwise_balanced_accuracy"),
           ("human_loo_accuracy_binary", "human_loo_accuracy"),
           ("human_loo_balanced_accuracy_binary", "human_loo_balanced_accuracy"),
           ("human_loo_n_annotations", "human_loo_n_annotations"))
