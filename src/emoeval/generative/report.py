"""``report.md`` for ``--task generative``, rendered from ``results.json`` alone.

The shared sections (headline, all metrics of the chosen policy, per class, top confusions,
slices, errors, run, plots) are the classification report's; this module adds the answer
sections: valid-answer rate, metrics under every policy in one table, the confusion matrix
of answers with an ``unusable`` column, and the most common unusable answers, and lists
them all in order in :func:`generative_sections`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from functools import partial
from typing import Any

from ..reports.classification import (
    ALL_METRICS,
    CONFUSION_PNG,
    PER_CLASS_PNG,
    all_metrics_section,
    classification_slices_section,
    confusion_section,
    headline_section,
    how_to_read_section,
    imbalance_section,
    per_class_section,
    shared_metrics_section,
    top_confusions_section,
    write_plots,
)
from ..reports.format import code_span, count_text, markdown_table, pct
from ..reports.honesty import chance_lines
from ..reports.sections import (
    Section,
    coverage_section,
    policies_section,
    protocol_section,
    efficiency_section,
    errors_section,
    label_mapping_section,
    render_sections,
    run_section,
    samples_section,
    title_section,
    warnings_section,
    write_report,
)

UNUSABLE_STATUSES = ("ambiguous", "out_of_taxonomy", "invalid")
STATUS_WORDS = {
    "valid": "exactly one label of the set named",
    "ambiguous": "two or more different emotions named",
    "out_of_taxonomy": "an emotion outside the label set",
    "invalid": "empty, refused, or no emotion named",
    "error": "the request failed (no answer)",
}


def generative_sections(plots: Collection[str]) -> list[Section]:
    """The classification report's sections with the answer sections in place: the answers
    and the policy table after the headline, the answer matrix instead of the classification
    confusion matrix (that one when the results have no answer matrix), the unusable answers
    after the top confusions."""
    return [
        title_section, warnings_section, headline_section, chance_lines, answers_section,
        partial(policies_section, metrics=ALL_METRICS, digits=2),
        how_to_read_section, samples_section, coverage_section, all_metrics_section,
        shared_metrics_section,
        partial(per_class_section, plotted=PER_CLASS_PNG in plots),
        partial(confusion_of_answers_section, plotted=CONFUSION_PNG in plots),
        top_confusions_section, unusable_section, imbalance_section,
        classification_slices_section, label_mapping_section, protocol_section, errors_section,
        efficiency_section, run_section,
    ]


def confusion_of_answers_section(r: Mapping[str, Any], plotted: bool = False) -> list[str]:
    """The answer matrix (with its ``unusable`` column), or the classification confusion
    matrix when the results hold no answer matrix."""
    return answer_confusion_section(r, plotted) or confusion_section(r, plotted)


def generative_markdown(results: Mapping[str, Any], plots: Collection[str]) -> str:
    """The generative report as Markdown; ``plots``: the PNG file names written beside it."""
    return render_sections(results, generative_sections(plots))


def render(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write report.md and the plots into ``out_dir``; return the paths written."""
    written = write_plots(results, out_dir)
    plots = {os.path.basename(p) for p in written}
    report = write_report(out_dir, generative_markdown(results, plots))
    return [report, *written]


def answers_section(r: Mapping[str, Any]) -> list[str]:
    """The valid-answer rate, the policy for the other answers, answers per status and the
    valid rate per true class."""
    rates = r.get("valid_answer_rate")
    if not isinstance(rates, Mapping):
        return []
    policy = str(r.get("policy") or "wrong")
    lines = ["## Answers", "",
             f"Valid answers: **{count_text(rates.get('valid'))} of "
             f"{count_text(rates.get('n_answers'))} ({pct(rates.get('rate'))})**. "
             f"Policy for the other answers: {code_span(policy)} ({_policy_words(r)}). "
             f"Answer extraction: {code_span(_extraction_name(r))}, mention rule "
             f"{code_span(r.get('mention') or 'only')}.", ""]
    counts = r.get("status_counts") if isinstance(r.get("status_counts"), Mapping) else {}
    if counts:
        rows = [[f"`{s}`", count_text(counts.get(s)), STATUS_WORDS.get(s, "")]
                for s in STATUS_WORDS if s in counts]
        lines += [markdown_table(["Status", "Answers", "Meaning"], rows, ["l", "r", "l"]), ""]
    per_class = rates.get("per_class")
    if isinstance(per_class, Mapping) and per_class:
        rows = []
        for label, block in per_class.items():
            block = block if isinstance(block, Mapping) else {}
            rows.append([label, count_text(block.get("n_answers")), count_text(block.get("valid")),
                         *(count_text(block.get(s)) for s in UNUSABLE_STATUSES),
                         count_text(block.get("error")), pct(block.get("rate"))])
        lines += ["Valid-answer rate per true class (valid answers over answers received; a "
                  "failed request is no answer):", "",
                  markdown_table(["True class", "Answers", "Valid", "Ambiguous", "Out of taxonomy",
                          "Invalid", "Errors", "Valid rate"], rows), ""]
    return lines


def _policy_words(r: Mapping[str, Any]) -> str:
    policy = str(r.get("policy") or "wrong")
    if policy == "wrong":
        return "a miss for the true class, a false positive for no class"
    if policy == "exclude":
        return f"left out of the metrics: {count_text(r.get('n_excluded'))} answers excluded"
    return f"predicted as {policy.partition(':')[2]!r}"


def _extraction_name(r: Mapping[str, Any]) -> str:
    extraction = r.get("extraction")
    return str(extraction.get("pipeline")) if isinstance(extraction, Mapping) else "n/a"


def answer_confusion_section(r: Mapping[str, Any], plotted: bool = False) -> list[str]:
    """True class against the label each valid answer named, with ``unusable`` (and
    ``error``) columns counted before any policy; the plot (under the policy) when written."""
    cm = r.get("answer_confusion_matrix")
    if not isinstance(cm, Mapping) or not isinstance(cm.get("counts"), list):
        return []
    labels = [str(x) for x in cm.get("labels") or []]
    counts = cm["counts"]
    unusable = cm.get("unusable") or [0] * len(labels)
    errors = cm.get("error") or [0] * len(labels)
    if len(counts) != len(labels):
        return []
    show_errors = any(errors)
    header = ["true \\ answer", *labels, "unusable"] + (["error"] if show_errors else [])
    rows = []
    for i, (label, row) in enumerate(zip(labels, counts)):
        cells = [f"**{count_text(v)}**" if i == j else count_text(v) for j, v in enumerate(row)]
        cells.append(count_text(unusable[i]))
        if show_errors:
            cells.append(count_text(errors[i]))
        rows.append([f"**{label}**", *cells])
    lines = ["## Confusion matrix", "",
             "Rows: true class. Columns: the label each valid answer named, then `unusable` "
             "(ambiguous, out-of-taxonomy and invalid answers, before any policy)"
             + (" and `error` (failed requests)" if show_errors else "") + ".", "",
             markdown_table(header, rows), ""]
    if plotted:
        policy = str(r.get("policy") or "wrong")
        where = {"wrong": "the (other) column holds the unusable answers",
                 "exclude": "unusable answers are left out"}.get(
            policy, f"unusable answers are counted as {policy.partition(':')[2]}")
        lines += ["![Confusion matrix under the chosen policy](confusion_matrix.png)", "",
                  f"Plot: confusion_matrix.png, under the chosen policy {code_span(policy)} "
                  f"({where}).", ""]
    return lines


def unusable_section(r: Mapping[str, Any]) -> list[str]:
    """The most common answers that could not be used, what they were read as, and the
    emotions named outside the label set."""
    answers = r.get("unusable_answers")
    if not isinstance(answers, list) or not answers:
        return []
    rows = []
    for a in answers:
        if not isinstance(a, Mapping):
            continue
        true = a.get("true_labels") if isinstance(a.get("true_labels"), Mapping) else {}
        rows.append([code_span(a.get("response") or "(empty)"), f"`{a.get('status')}`",
                     a.get("extracted") or "", count_text(a.get("count")),
                     ", ".join(f"{k} {v}" for k, v in true.items())])
    lines = ["## Unusable answers", "",
             f"The most common answers that could not be used ({count_text(r.get('n_unusable'))}"
             " in all; the same text up to case and spacing counts as one answer).", "",
             markdown_table(["Answer", "Status", "Read as", "Count", "True classes"], rows,
                    ["l", "l", "l", "r", "l"]), ""]
    outside = r.get("out_of_taxonomy_values")
    if isinstance(outside, Mapping) and outside:
        lines += ["Emotions named outside the label set: "
                  + ", ".join(f"{code_span(k)} {v}" for k, v in outside.items()) + ".", ""]
    lines += ["Every answer, its status and what was read from it: detailed_results.csv "
              "(columns `response`, `status`, `extracted`, `status_detail`).", ""]
    return lines
