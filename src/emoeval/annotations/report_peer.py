"""``report.md`` sections for emolia-bench's numbers: their keys beside ours, with one
sentence per difference, and the panel with a non-human rater (a model, or the preselection
prior) placed among the human raters."""

from __future__ import annotations

from typing import Any

from ..reports.format import finite, markdown_table

#: (their key, what differs, in one sentence)
DIFFERENCES = (
    ("human_upper_bound_binary",
     "theirs averages, over rater pairs of the complete (three-rater) items, agreement on "
     "every item, so an item one of the pair did not rate counts as a disagreement; ours "
     "averages over the items each pair actually shares."),
    ("human_accuracy_binary",
     "theirs averages exact agreement per rater pair; ours pools every pair of ratings of "
     "one item before dividing, so pairs sharing many items weigh more."),
    ("human_balanced_accuracy_binary",
     "theirs averages balanced accuracy over rater-pair directions; ours pools all pairs "
     "into one confusion matrix first."),
    ("human_loo_accuracy_binary",
     "theirs scores only items with three or more raters; ours also scores two-rater items "
     "(the other rating is the majority)."),
    ("human_loo_balanced_accuracy_binary",
     "as for the leave-one-out accuracy: theirs needs three raters per item, ours two."),
)
LABEL_DIFFERENCES = (
    "- `majority_present`: a tie is read as absent (their rule, so their `benchmark.py` "
    "scores every item); `majority_present_emoeval` leaves a tie empty and "
    "`benchmark_bucket_emoeval` calls it `tie`, so ties are not scored as absent.",
    "- `all_agree_binary`: theirs is False for a single rater; ours "
    "(`all_agree_binary_emoeval`) is 1, and the bucket tells single raters apart.",
    "- `majority_rating`: on a tie the lowest level rated on the item (theirs); "
    "`majority_label` leaves a tie empty (ours).",
)
PANEL_ROWS = (("pairwise_accuracy", "pairwise accuracy"),
              ("pairwise_balanced_accuracy", "pairwise balanced accuracy"),
              ("pairwise_kappa_mean", "mean pairwise Cohen's kappa"),
              ("loo_accuracy", "leave-one-out accuracy"),
              ("loo_balanced_accuracy", "leave-one-out balanced accuracy"),
              ("loo_n_annotations", "leave-one-out ratings scored"),
              ("fleiss_kappa", "Fleiss' kappa (items every panel member rated)"),
              ("n_full_coverage_items", "items every panel member rated"))


def _number(value: Any) -> str:
    number = finite(value)
    if number is None:
        return "n/a"
    return f"{number:.0f}" if float(number).is_integer() and abs(number) > 1 else \
        f"{number:.3f}"


def compatibility_section(summary: dict[str, Any]) -> list[str]:
    if "agreement_emolia" not in summary:
        return []
    layout = summary.get("subset") or "no emolia-bench layout recognised"
    rows = [[f"`{key}`", _number(summary.get(key)), _number(summary.get(key + "_emoeval")),
             sentence] for key, sentence in DIFFERENCES]
    lines = ["## emolia-bench's numbers", "",
             f"Layout: {layout}. `benchmark_labels.csv`, `summary.json` and the `per_*` tables "
             "carry emolia-bench's columns and keys with their values (its `benchmark.py` "
             "reads them as they are); where emoeval's definition differs, ours stands "
             "beside with an `_emoeval` suffix.", "",
             markdown_table(["key", "theirs", "ours (`_emoeval`)", "difference"], rows,
                    ["l", "r", "r", "l"]), "", *LABEL_DIFFERENCES, ""]
    replaced = summary.get("ratings_replaced") or 0
    lines += [f"Ratings: {summary.get('rows_raw', 0):,} rows read, {replaced:,} replaced by a "
              "later rating of the same item by the same rater (latest `created_at` wins).", ""]
    if "items_flagged" in summary:
        lines += [f"Flagged items: {summary['items_flagged']:,} (`flagged` column; "
                  "`--exclude-flagged` leaves them out).", ""]
    return lines


def panel_section(summary: dict[str, Any]) -> list[str]:
    blocks = summary.get("extra_raters") or []
    if not blocks:
        return []
    lines = ["## A non-human rater among the humans", "",
             "This is how a model is placed among human raters: on the items at least "
             "two humans rated, the panel's numbers without and with it, its agreement with "
             "the human majority, and its confirm rate (share of its items where the human "
             "majority says what it said).", ""]
    for block in blocks:
        rows = [[name, _number(block["humans_only"][key]), _number(block["with_rater"][key])]
                for key, name in PANEL_ROWS]
        majority = block["vs_human_majority"]
        lines += [f"### `{block['rater']}`", "",
                  f"{block.get('source', '')}; {block['n_eligible_items']:,} items with "
                  f">= {block['min_humans']} humans.", "",
                  markdown_table(["", "humans only", f"with {block['rater']}"], rows,
                         ["l", "r", "r"]), "",
                  f"Against the human majority (ties left out): accuracy "
                  f"{_number(majority['accuracy'])}, balanced accuracy "
                  f"{_number(majority['balanced_accuracy'])} on {majority['n_items']:,} "
                  f"items; confirm rate {_number(block.get('confirm_rate'))}.", ""]
    return lines
