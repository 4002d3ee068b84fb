"""``report.md`` for ``--task generative``, rendered from ``results.json`` alone.

The shared parts (headline, all metrics of the chosen policy, per class, top confusions,
slices, errors, run, plots) are the classification report's; this module adds the answer
sections: valid-answer rate, metrics under every policy in one table, the confusion matrix
of answers with an ``unusable`` column, and the most common unusable answers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..reports import REPORT_FILE, render_classification, render_markdown
from ..reports.markdown import ALL_METRICS, _code, _int_text, _table, pct
from ..results_io import write_text

UNUSABLE_STATUSES = ("ambiguous", "out_of_taxonomy", "invalid")
STATUS_WORDS = {
    "valid": "exactly one label of the set named",
    "ambiguous": "two or more different emotions named",
    "out_of_taxonomy": "an emotion outside the label set",
    "invalid": "empty, refused, or no emotion named",
    "error": "the request failed (no answer)",
}


def render(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write report.md and the plots into ``out_dir``; return the paths written."""
    written = render_classification(results, out_dir)
    plots = [os.path.basename(p) for p in written[1:]]
    core = render_markdown(results, plots=plots)
    text = generative_markdown(results, core, "confusion_matrix.png" in plots)
    report = os.path.join(out_dir, REPORT_FILE)
    write_text(report, text)
    return written


def split_sections(markdown: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(lines before the first ``## ``, [(heading, lines)]) of a markdown text."""
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return preamble, sections


def generative_markdown(r: Mapping[str, Any], core: str, plot: bool) -> str:
    """The core report with the answer sections woven in: after the headline, the answers
    and the policy table; the core confusion matrix replaced by the answer matrix; the
    unusable answers after the top confusions."""
    preamble, sections = split_sections(core)
    answers, policies = _answers(r), _policies(r)
    confusion, unusable = _answer_confusion(r, plot), _unusable(r)
    out: list[str] = list(preamble)
    placed = {"answers": False, "unusable": False}
    for heading, lines in sections:
        if heading == "Confusion matrix":
            out += confusion or lines
            continue
        out += lines
        if heading == "Headline":
            out += answers + policies
            placed["answers"] = True
        if heading == "Top confusions":
            out += unusable
            placed["unusable"] = True
    if not placed["answers"]:
        out = list(preamble) + answers + policies + out[len(preamble):]
    if not placed["unusable"]:
        out += unusable
    return "\n".join(out).rstrip() + "\n"


def _answers(r: Mapping[str, Any]) -> list[str]:
    rates = r.get("valid_answer_rate")
    if not isinstance(rates, Mapping):
        return []
    policy = str(r.get("policy") or "wrong")
    lines = ["## Answers", "",
             f"Valid answers: **{_int_text(rates.get('valid'))} of "
             f"{_int_text(rates.get('n_answers'))} ({pct(rates.get('rate'))})**. "
             f"Policy for the other answers: {_code(policy)} ({_policy_words(r)}). "
             f"Answer extraction: {_code(_extraction_name(r))}, mention rule "
             f"{_code(r.get('mention') or 'only')}.", ""]
    counts = r.get("status_counts") if isinstance(r.get("status_counts"), Mapping) else {}
    if counts:
        rows = [[f"`{s}`", _int_text(counts.get(s)), STATUS_WORDS.get(s, "")]
                for s in STATUS_WORDS if s in counts]
        lines += [_table(["Status", "Answers", "Meaning"], rows, ["l", "r", "l"]), ""]
    per_class = rates.get("per_class")
    if isinstance(per_class, Mapping) and per_class:
        rows = []
        for label, block in per_class.items():
            block = block if isinstance(block, Mapping) else {}
            rows.append([label, _int_text(block.get("n_answers")), _int_text(block.get("valid")),
                         *(_int_text(block.get(s)) for s in UNUSABLE_STATUSES),
                         _int_text(block.get("error")), pct(block.get("rate"))])
        lines += ["Valid-answer rate per true class (valid answers over answers received; a "
                  "failed request is no answer):", "",
                  _table(["True class", "Answers", "Valid", "Ambiguous", "Out of taxonomy",
                          "Invalid", "Errors", "Valid rate"], rows), ""]
    return lines


def _policy_words(r: Mapping[str, Any]) -> str:
    policy = str(r.get("policy") or "wrong")
    if policy == "wrong":
        return "a miss for the true class, a false positive for no class"
    if policy == "exclude":
        return f"left out of the metrics: {_int_text(r.get('n_excluded'))} answers excluded"
    return f"predicted as {policy.partition(':')[2]!r}"


def _extraction_name(r: Mapping[str, Any]) -> str:
    extraction = r.get("extraction")
    return str(extraction.get("pipeline")) if isinstance(extraction, Mapping) else "n/a"


def _policies(r: Mapping[str, Any]) -> list[str]:
    table = r.get("policies")
    if not isinstance(table, Mapping) or not table:
        return []
    chosen = str(r.get("policy") or "")
    rows = []
    for name, block in table.items():
        block = block if isinstance(block, Mapping) else {}
        metrics = block.get("metrics") if isinstance(block.get("metrics"), Mapping) else {}
        title = f"**{name}** (chosen)" if name == chosen else name
        rows.append([title, _int_text(block.get("n_scored")),
                     *(pct(metrics.get(key), 2) for key, _ in ALL_METRICS)])
    return ["## Metrics under every policy", "",
            "The same answers scored under each `--invalid-policy`: `wrong` counts an unusable "
            "answer as a miss for its true class and a false positive for no class, `exclude` "
            "leaves it out, `fallback:<label>` predicts that label. Failed requests are left "
            "out under every policy. The headline above uses the chosen policy.", "",
            _table(["Policy", "Scored", *(name for _, name in ALL_METRICS)], rows), ""]


def _answer_confusion(r: Mapping[str, Any], plot: bool) -> list[str]:
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
        cells = [f"**{_int_text(v)}**" if i == j else _int_text(v) for j, v in enumerate(row)]
        cells.append(_int_text(unusable[i]))
        if show_errors:
            cells.append(_int_text(errors[i]))
        rows.append([f"**{label}**", *cells])
    lines = ["## Confusion matrix", "",
             "Rows: true class. Columns: the label each valid answer named, then `unusable` "
             "(ambiguous, out-of-taxonomy and invalid answers, before any policy)"
             + (" and `error` (failed requests)" if show_errors else "") + ".", "",
             _table(header, rows), ""]
    if plot:
        policy = str(r.get("policy") or "wrong")
        where = {"wrong": "the (other) column holds the unusable answers",
                 "exclude": "unusable answers are left out"}.get(
            policy, f"unusable answers are counted as {policy.partition(':')[2]}")
        lines += ["![Confusion matrix under the chosen policy](confusion_matrix.png)", "",
                  f"Plot: confusion_matrix.png, under the chosen policy {_code(policy)} "
                  f"({where}).", ""]
    return lines


def _unusable(r: Mapping[str, Any]) -> list[str]:
    answers = r.get("unusable_answers")
    if not isinstance(answers, list) or not answers:
        return []
    rows = []
    for a in answers:
        if not isinstance(a, Mapping):
            continue
        true = a.get("true_labels") if isinstance(a.get("true_labels"), Mapping) else {}
        rows.append([_code(a.get("response") or "(empty)"), f"`{a.get('status')}`",
                     a.get("extracted") or "", _int_text(a.get("count")),
                     ", ".join(f"{k} {v}" for k, v in true.items())])
    lines = ["## Unusable answers", "",
             f"The most common answers that could not be used ({_int_text(r.get('n_unusable'))}"
             " in all; the same text up to case and spacing counts as one answer).", "",
             _table(["Answer", "Status", "Read as", "Count", "True classes"], rows,
                    ["l", "l", "l", "r", "l"]), ""]
    outside = r.get("out_of_taxonomy_values")
    if isinstance(outside, Mapping) and outside:
        lines += ["Emotions named outside the label set: "
                  + ", ".join(f"{_code(k)} {v}" for k, v in outside.items()) + ".", ""]
    lines += ["Every answer, its status and what was read from it: detailed_results.csv "
              "(columns `response`, `status`, `extracted`, `status_detail`).", ""]
    return lines
