"""A non-human rater placed among the human raters: a model's answers (``--extra-rater``)
or the preselection prior (``--preselection-prior``, emolia-bench's "humans + Gemini
preselection" panel).

On the items at least ``min_humans`` humans rated, the panel's rater-vs-rater numbers,
leave-one-out numbers and Fleiss' kappa (items every panel member rated) are computed with
and without the extra rater, beside the extra rater's agreement with the human majority and
its confirm rate (how often the human majority says what it said).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from . import peer_stats as ps
from .layouts import PRESELECTION_RATER, Layout

MIN_HUMANS = 2


def _panel_numbers(binary: np.ndarray) -> dict[str, float]:
    pairwise = ps.pairwise_human(binary)
    counts = ps.vote_counts(binary, 2)
    loo = ps.leave_one_out_peer(counts)
    full = (binary != ps.MISSING).all(axis=1)
    return {"pairwise_accuracy": pairwise["pairwise_accuracy"],
            "pairwise_balanced_accuracy": pairwise["pairwise_balanced_accuracy"],
            "pairwise_kappa_mean": ps.pairwise_kappa(binary, [str(i) for i in
                                                              range(binary.shape[1])], 2)["mean"],
            "loo_accuracy": loo["loo_accuracy"],
            "loo_balanced_accuracy": loo["loo_balanced_accuracy"],
            "loo_n_annotations": loo["loo_n_annotations"],
            "fleiss_kappa": ps.fleiss_equal_raters(counts[full]) if full.any() else float("nan"),
            "n_full_coverage_items": int(full.sum())}


def extra_rater_block(human_binary: np.ndarray, extra: np.ndarray, name: str,
                      min_humans: int = MIN_HUMANS) -> dict[str, Any]:
    """``human_binary``: items x humans (1/0, ``MISSING``); ``extra``: per item the extra
    rater's 1/0 or ``MISSING``."""
    n_humans = (human_binary != ps.MISSING).sum(axis=1)
    eligible = (n_humans >= min_humans) & (extra != ps.MISSING)
    humans = human_binary[eligible]
    humans = humans[:, (humans != ps.MISSING).any(axis=0)]
    with_extra = np.concatenate([humans, extra[eligible][:, None]], axis=1)
    yes = (humans == 1).sum(axis=1)
    no = (humans == 0).sum(axis=1)
    decided = yes != no
    truth = (yes > no).astype(np.int64)[decided]
    said = extra[eligible][decided]
    rated = extra != ps.MISSING
    return {
        "rater": name,
        "min_humans": min_humans,
        "n_rated_items": int(rated.sum()),
        "n_eligible_items": int(eligible.sum()),
        "humans_only": _panel_numbers(humans),
        "with_rater": _panel_numbers(with_extra),
        "vs_human_majority": {
            "accuracy": float((truth == said).mean()) if len(truth) else float("nan"),
            "balanced_accuracy": ps.balanced_accuracy(truth, said),
            "n_items": int(len(truth))},
    }


def preselection_keys(block: dict[str, Any]) -> dict[str, Any]:
    """The block under emolia-bench's ``augmented_agreement`` key names."""
    with_rater = block["with_rater"]
    majority = block["vs_human_majority"]
    return {
        "preselection_min_humans": block["min_humans"],
        "preselection_n_eligible_items": block["n_eligible_items"],
        "preselection_pairwise_accuracy": with_rater["pairwise_accuracy"],
        "preselection_pairwise_balanced_accuracy": with_rater["pairwise_balanced_accuracy"],
        "preselection_loo_accuracy": with_rater["loo_accuracy"],
        "preselection_loo_balanced_accuracy": with_rater["loo_balanced_accuracy"],
        "preselection_loo_n_annotations": with_rater["loo_n_annotations"],
        "preselection_fleiss_kappa": with_rater["fleiss_kappa"],
        "preselection_n_full_coverage_items": with_rater["n_full_coverage_items"],
        "gemini_vs_human_consensus_accuracy": majority["accuracy"],
        "gemini_vs_human_consensus_balanced_accuracy": majority["balanced_accuracy"],
        "gemini_vs_human_consensus_n_items": float(majority["n_items"]),
    }


def prior_rater(table, layout: Layout) -> np.ndarray:
    """The preselection prior as a rater's 1/0 per item: present where the item was sampled
    as likely present, absent on every other item (their synthetic rater votes on all)."""
    if layout.prior_column not in table.items:
        raise EmoevalError(f"--preselection-prior needs the item column "
                           f"{layout.prior_column!r}")
    values = table.items[layout.prior_column].to_numpy()
    return (values == layout.prior_positive).astype(np.int64)


def read_extra_rater(path: str, table, rater_column: str, rating_column: str
                     ) -> tuple[str, np.ndarray]:
    """An extra rater's file (the ratings' shape: item columns, rater, rating) -> its name and
    its 1/0 per item of ``table``. One rater per file; items the humans never rated and
    ratings off the scale are errors, so nothing is silently dropped."""
    from .scales import match_values
    from .shapes import read_table, require_columns

    frame = read_table(path, "--extra-rater file")
    require_columns(frame, [*table.item_columns, rater_column, rating_column], path,
                    "--rater-col and --rating-col (the same as the ratings')")
    names = sorted(set(frame[rater_column]) - {""})
    if len(names) != 1:
        raise EmoevalError(f"--extra-rater {path}: one rater per file, found "
                           f"{len(names)} ({', '.join(names[:5])})")
    codes = match_values(frame[rating_column].to_numpy(), table.scale)
    if (codes < 0).any():
        bad = frame.loc[codes < 0, rating_column].iloc[0]
        raise EmoevalError(f"--extra-rater {path}: rating {bad!r} is not on the scale "
                           f"({', '.join(table.scale.categories)})")
    index = pd.MultiIndex.from_frame(table.items[table.item_columns])
    where = index.get_indexer(pd.MultiIndex.from_frame(frame[table.item_columns]))
    if (where < 0).any():
        row = frame.loc[where < 0, table.item_columns].iloc[0].tolist()
        raise EmoevalError(f"--extra-rater {path}: item {row} has no human rating "
                           f"({int((where < 0).sum())} such rows)")
    extra = np.full(table.n_items, ps.MISSING, dtype=np.int64)
    extra[where] = table.scale.present_mask.astype(np.int64)[codes]
    return names[0], extra


def confirm_rate(majority_present: np.ndarray, extra: np.ndarray) -> float:
    """Share of the items the extra rater rated on which the humans' majority (their tie
    rule) says what it said."""
    rated = extra != ps.MISSING
    return float((majority_present[rated] == extra[rated]).mean()) if rated.any() \
        else float("nan")


__all__ = ["PRESELECTION_RATER", "confirm_rate", "extra_rater_block", "preselection_keys",
           "prior_rater", "read_extra_rater"]
