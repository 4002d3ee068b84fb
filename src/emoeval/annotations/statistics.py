"""Agreement statistics of a :class:`~emoeval.annotations.shapes.RatingTable`, with CIs.

Statistics are computed per *view*: the scale as rated (``scale``) and, for binary and
binarised ordinal scales, the present/absent reading (``binary``). Every interval is a
percentile bootstrap over items that resamples whole groups (by default the audio file, so
the items of one file stay together; with one item per file this is resampling items). All
statistics share the same resamples (one seed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import agreement as agree
from ..metrics.classification import metrics_from_counts
from ..metrics.resampling import Resampling, resolve_ci_unit
from ..metrics.stats import group_codes

SCALE_VIEW = "scale"
BINARY_VIEW = "binary"


@dataclass(frozen=True)
class StatisticsOptions:
    n_resamples: int = 1000
    seed: int = 0
    confidence: float = 0.95
    min_shared_items: int = 2


@dataclass(frozen=True)
class View:
    """Counts and, for long input, rater pairs, in one reading of the scale."""

    name: str
    categories: tuple[str, ...]
    counts: np.ndarray
    level: str
    pairs: agree.RaterPairs | None = None


def build_views(table, pairs: agree.RaterPairs | None) -> dict[str, View]:
    """The scale view and, when the scale has a binary reading, the binary view."""
    scale = table.scale
    views = {SCALE_VIEW: View(SCALE_VIEW, scale.categories, table.counts.astype(np.float64),
                              scale.krippendorff_level, pairs)}
    if scale.kind == "binary":
        views[BINARY_VIEW] = views[SCALE_VIEW]
    elif scale.has_binary_view:
        mask = scale.present_mask.astype(np.int64)
        binary_pairs = None
        if pairs is not None:
            binary_pairs = agree.RaterPairs(pairs=pairs.pairs, item=pairs.item, pair=pairs.pair,
                                            first=mask[pairs.first], second=mask[pairs.second])
        absent, present = "absent", "present"
        views[BINARY_VIEW] = View(BINARY_VIEW, (absent, present),
                                  scale.binary_counts(table.counts).astype(np.float64),
                                  "nominal", binary_pairs)
    return views


def rater_pairs_of(table) -> agree.RaterPairs | None:
    """Rater pairs of a long table (None for vote counts, whose raters are anonymous)."""
    if table.ratings is None:
        return None
    rater_codes, _ = pd.factorize(table.ratings["rater"], sort=True)
    return agree.rater_pairs(table.ratings["item"].to_numpy(), rater_codes,
                             table.ratings["category"].to_numpy())


# --------------------------------------------------------------------------- estimates


def estimate(value: float, resampled: np.ndarray | None, options: StatisticsOptions,
             unit: str, reason: str | None = None, n_groups: int | None = None
             ) -> dict[str, Any]:
    """``{value, low, high, n_resamples, unit, n_groups, reason}``; undefined values are
    None."""
    value = None if value is None or not math.isfinite(value) else float(value)
    low = high = None
    if resampled is not None and value is not None:
        low_value, high_value = agree.percentile_interval(resampled, options.confidence)
        if math.isfinite(low_value):
            low, high = low_value, high_value
    if value is None and reason is None:
        reason = "undefined on these ratings (too few raters per item or one category only)"
    elif low is None and reason is None:
        reason = ("no resamples asked for" if options.n_resamples == 0
                  else "no finite bootstrap resample")
    return {"value": value, "low": low, "high": high, "n_resamples": options.n_resamples,
            "unit": unit, "n_groups": n_groups, "reason": reason}


def _flat(stack: np.ndarray) -> np.ndarray:
    return stack.reshape(stack.shape[0], -1)


def _scores(weights: np.ndarray, per_item: np.ndarray, n_categories: int) -> dict[str, np.ndarray]:
    """Accuracy and balanced accuracy of weighted per-item confusion counts."""
    summed = (weights @ per_item).reshape(len(weights), n_categories, n_categories + 1)
    scores = metrics_from_counts(summed)
    return {"accuracy": scores["accuracy"], "balanced_accuracy": scores["balanced_accuracy"]}


# --------------------------------------------------------------------------- one view


def view_statistics(view: View, group: np.ndarray, options: StatisticsOptions,
                    unit: str) -> dict[str, Any]:
    """Every statistic of one view, with bootstrap intervals over groups of items (``group``:
    per item, the index of its resampling group; ``unit`` names the groups)."""
    n_groups = int(group.max()) + 1 if len(group) else 0
    counts = view.counts
    n_items, n_categories = counts.shape
    raters = counts.sum(axis=1)
    pairable = (raters >= 2).astype(np.float64)
    rated = (raters >= 1).astype(np.float64)
    per_item_agreement = np.nan_to_num(agree.item_agreement(counts))
    per_item_share = np.nan_to_num(agree.majority_share(counts))
    pair_counts = _flat(agree.pair_confusion(counts))
    loo = agree.leave_one_out(counts)
    loo_counts = _flat(loo.confusion)
    pairs = view.pairs

    def simple(weights: np.ndarray) -> dict[str, np.ndarray]:
        values = {
            "fleiss_kappa": agree.fleiss_kappa_resampled(counts, weights),
            "krippendorff_alpha": agree.krippendorff_alpha_resampled(counts, weights,
                                                                     view.level),
            "mean_item_agreement": agree.ratio_or_nan(weights @ per_item_agreement,
                                                 weights @ pairable),
            "mean_majority_share": agree.ratio_or_nan(weights @ per_item_share, weights @ rated),
        }
        for prefix, per_item in (("human_pairwise", pair_counts), ("human_loo", loo_counts)):
            for name, array in _scores(weights, per_item, n_categories).items():
                values[f"{prefix}_{name}"] = array
        if pairs is not None and len(pairs.pairs):
            tables = agree.pair_tables_resampled(pairs, n_categories, n_items, weights)
            with np.errstate(all="ignore"):
                kappas = agree.cohen_kappa_from_tables(tables, options.min_shared_items)
                exact = agree.exact_agreement_from_tables(tables, options.min_shared_items)
            values["pairwise_cohen_kappa"] = _nanmean_rows(kappas)
            values["pairwise_exact_agreement"] = _nanmean_rows(exact)
        return values

    point = simple(np.ones((1, n_items)))
    point = {name: float(array[0]) for name, array in point.items()}
    # the published implementations give the point values; the vectorised forms (equal to
    # them, checked in the tests) give the resamples
    point["fleiss_kappa"] = agree.fleiss_kappa(counts)
    point["krippendorff_alpha"] = agree.krippendorff_alpha(counts, view.level)
    pair_details: dict[str, Any] = {}
    if pairs is not None:
        kappa_per_pair = agree.cohen_kappa_per_pair(pairs, n_categories,
                                                    options.min_shared_items)
        exact_per_pair = agree.exact_agreement_per_pair(pairs, options.min_shared_items)
        point["pairwise_cohen_kappa"] = _nanmean(kappa_per_pair)
        point["pairwise_exact_agreement"] = _nanmean(exact_per_pair)
        shared = pairs.shared_items
        pair_details = {
            "n_rater_pairs": int(len(pairs.pairs)),
            "n_rater_pairs_compared": int((shared >= max(options.min_shared_items, 1)).sum()),
            "n_rater_pairs_kappa_defined": int(np.isfinite(kappa_per_pair).sum()),
            "min_shared_items": options.min_shared_items,
        }

    resampled: dict[str, list[np.ndarray]] = {name: [] for name in point}
    if options.n_resamples > 0 and n_items > 0:
        width = 1 + (len(pairs.pairs) * n_categories ** 2 // max(n_items, 1) if pairs else 0)
        for weights in agree.resample_blocks(group, options.n_resamples, options.seed,
                                             width=width + n_categories ** 2):
            for name, array in simple(weights).items():
                resampled[name].append(array)
    result: dict[str, Any] = {"categories": list(view.categories)}
    for name, value in point.items():
        arrays = resampled.get(name)
        result[name] = estimate(value, np.concatenate(arrays) if arrays else None, options, unit,
                                n_groups=n_groups)
    result["krippendorff_alpha"]["level"] = view.level
    result["n_items"] = int(n_items)
    result["n_items_pairable"] = int(pairable.sum())
    result["n_ratings"] = int(raters.sum())
    result["n_rating_pairs"] = int(pair_counts.sum())
    result["human_loo_n_annotations"] = int(loo.confusion.sum())
    result["human_loo_n_tied"] = int(loo.tied.sum())
    result["human_loo_n_alone"] = int(loo.alone.sum())
    result.update(pair_details)
    return result


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN, NaN for rows without a finite value."""
    finite = np.isfinite(values)
    total = np.where(finite, values, 0.0).sum(axis=-1)
    return agree.ratio_or_nan(total, finite.sum(axis=-1))


# --------------------------------------------------------------------------- table level


ITEM_UNIT = "item"  # agreement's sample: one rated item


def item_resampling(table, ci_unit: str | None = None) -> Resampling:
    """What a bootstrap resample draws (``--ci-unit auto|sample|<column>``): per item the
    index of its group, the unit's name and the number of groups.

    ``auto``: the grouping the source knows (CREMA-D: the actor), else the group column
    (by default the audio file, so the items of one file stay together); ``sample``: items;
    a column of the items table: its values. Groups that hold one item each are items.
    """
    auto = table.auto_units or {table.group_column: table.group_column}
    groups, unit, n_groups = resolve_ci_unit(table.items, ci_unit, auto_units=auto)
    if groups is None or n_groups == table.n_items:
        return Resampling(np.arange(table.n_items), ITEM_UNIT, table.n_items)
    return Resampling(group_codes(groups, table.n_items), unit, n_groups)


def bootstrap_unit(table) -> str:
    """What a resample draws by default (``--ci-unit auto``)."""
    return item_resampling(table).unit


def table_statistics(table, options: StatisticsOptions,
                     resampling: Resampling | None = None) -> dict[str, dict[str, Any]]:
    """``{"scale": ..., "binary": ...}``: :func:`view_statistics` for each view."""
    views = build_views(table, rater_pairs_of(table))
    resampling = resampling or item_resampling(table)
    results: dict[str, dict[str, Any]] = {}
    for name, view in views.items():
        if name == BINARY_VIEW and view is views[SCALE_VIEW]:
            results[name] = results[SCALE_VIEW]
            continue
        results[name] = view_statistics(view, resampling.groups, options, resampling.unit)
    return results


def human_ceiling_keys(binary: dict[str, Any] | None) -> dict[str, Any]:
    """The seed's (emolia-bench's) human-ceiling keys, from the binary view."""
    def value(name: str) -> Any:
        if binary is None or name not in binary:
            return None
        return binary[name]["value"]

    return {
        "human_accuracy_binary": value("human_pairwise_accuracy"),
        "human_balanced_accuracy_binary": value("human_pairwise_balanced_accuracy"),
        "human_loo_accuracy_binary": value("human_loo_accuracy"),
        "human_loo_balanced_accuracy_binary": value("human_loo_balanced_accuracy"),
        "human_loo_n_annotations": None if binary is None else binary["human_loo_n_annotations"],
        "human_upper_bound_binary": value("pairwise_exact_agreement"),
    }


def intended_statistics(table, majority: np.ndarray, options: StatisticsOptions,
                        resampling: Resampling | None = None) -> dict[str, Any] | None:
    """How often the crowd's majority matches the intended (acted) label, per class.

    Items whose intended label is unknown are left out; a tie (no majority) counts as a
    miss and appears in the confusion matrix's ``other`` column. CIs: the cluster bootstrap
    of :func:`emoeval.metrics.bootstrap_ci` over the table's groups.
    """
    from ..metrics import bootstrap_ci, classification_summary
    from ..metrics.classification import OTHER_PREDICTION

    if table.intended is None:
        return None
    known = table.intended >= 0
    categories = list(table.scale.categories)
    truth = np.array(categories, dtype=object)[table.intended[known]]
    winners = majority[known]
    predicted = np.array([categories[w] if w >= 0 else OTHER_PREDICTION for w in winners],
                         dtype=object)
    if not known.any():
        return None
    summary = classification_summary(truth, predicted, categories)
    resampling = resampling or item_resampling(table)
    groups = resampling.groups[known]
    unit = resampling.unit
    n_groups = int(len(np.unique(groups)))
    if options.n_resamples > 0:
        intervals = bootstrap_ci(truth, predicted, categories, groups=groups,
                                 n_resamples=options.n_resamples, seed=options.seed,
                                 confidence=options.confidence, unit=unit)
    else:
        intervals = {name: {"low": None, "high": None, "n_resamples": 0, "unit": unit,
                            "reason": "no resamples asked for"}
                     for name in ("accuracy", "balanced_accuracy")}
    for interval in intervals.values():
        interval["unit"], interval["n_groups"] = unit, n_groups
    tied = winners < 0
    agree_without_ties = (winners[~tied] == table.intended[known][~tied]).mean() if (~tied).any() \
        else float("nan")
    return {
        "column": table.intended_column,
        "n_items": int(known.sum()),
        "n_ties": int(tied.sum()),
        "agreement": {**intervals["accuracy"], "value": summary["metrics"]["accuracy"]},
        "balanced_agreement": {**intervals["balanced_accuracy"],
                               "value": summary["metrics"]["balanced_accuracy"]},
        "agreement_without_ties": float(agree_without_ties),
        "per_class": {label: {"n_items": values["support"], "majority_agrees": values["recall"],
                              "majority_chosen": values["predicted"],
                              "precision": values["precision"]}
                      for label, values in summary["per_class"].items()},
        "confusion_matrix": summary["confusion_matrix"],
        "top_confusions": summary["top_confusions"],
    }


# --------------------------------------------------------------------------- raters


def rater_table(table, options: StatisticsOptions) -> pd.DataFrame | None:
    """Per rater (long input): ratings, category shares, leave-one-out accuracy against the
    majority of the other raters, and mean Cohen's kappa with the raters they share items
    with."""
    if table.ratings is None:
        return None
    ratings = table.ratings
    categories = list(table.scale.categories)
    item, category = ratings["item"].to_numpy(), ratings["category"].to_numpy()
    frame = pd.DataFrame({"rater": ratings["rater"].to_numpy()})
    for index, name in enumerate(categories):
        frame[f"share_{name}"] = (category == index).astype(np.float64)
    truth = agree.leave_one_out_per_rating(table.counts, item, category)
    scored = truth != agree.NO_MAJORITY
    frame["loo_scored"] = scored.astype(np.float64)
    frame["loo_correct"] = (scored & (truth == category)).astype(np.float64)
    columns = [f"share_{name}" for name in categories]
    if table.scale.has_binary_view and table.scale.kind != "binary":
        mask = table.scale.present_mask.astype(np.int64)
        binary_truth = agree.leave_one_out_per_rating(table.scale.binary_counts(table.counts),
                                                      item, mask[category])
        binary_scored = binary_truth != agree.NO_MAJORITY
        frame["share_present"] = mask[category].astype(np.float64)
        frame["loo_binary_scored"] = binary_scored.astype(np.float64)
        frame["loo_binary_correct"] = (binary_scored & (binary_truth == mask[category])
                                       ).astype(np.float64)
        columns.append("share_present")
    grouped = frame.groupby("rater", sort=True)
    result = grouped[columns].mean()
    result.insert(0, "n_ratings", grouped.size())
    result["loo_n_scored"] = grouped["loo_scored"].sum().astype(np.int64)
    result["loo_accuracy"] = agree.ratio_or_nan(grouped["loo_correct"].sum().to_numpy(),
                                           result["loo_n_scored"].to_numpy())
    if "loo_binary_scored" in frame:
        scored_binary = grouped["loo_binary_scored"].sum()
        result["loo_accuracy_binary"] = agree.ratio_or_nan(
            grouped["loo_binary_correct"].sum().to_numpy(), scored_binary.to_numpy())
    pairs = rater_pairs_of(table)
    raters = sorted(ratings["rater"].unique())
    kappa = agree.cohen_kappa_per_pair(pairs, len(categories), options.min_shared_items)
    mean_kappa, partners = np.full(len(raters), np.nan), np.zeros(len(raters), dtype=np.int64)
    for index in range(len(raters)):
        involved = (pairs.pairs[:, 0] == index) | (pairs.pairs[:, 1] == index)
        partners[index] = int(involved.sum())
        mean_kappa[index] = _nanmean(kappa[involved])
    result["n_partners"] = partners
    result["mean_cohen_kappa"] = mean_kappa
    return result.reset_index().rename(columns={"rater": table.rater_column or "rater"})
