"""The open-vocabulary report, from ``results.json`` alone (and the detailed table beside it).

``report.md``: headline with intervals, coverage and both unanswered policies, how the sets
were read (formats, parser disagreements), where the synonyms came from (the judge's model,
prompt version, cache), per-word hit rates and the most frequent misses, the closed-taxonomy
view when asked, slices, errors, run. ``word_hit_rates.png``: how often the most frequent
truth words are found. With a judge, its raw answers are also written as MER2024's
per-sample ``openset-synonym/<id>.npy`` files, so MER's own script can read them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from ..reports.format import (ci_unit_text, code_span, decimal_text, finite, interval_text,
                              markdown_table)
from ..reports.honesty import policy_note
from ..reports.sections import (DETAILED_CSV, REPORT_FILE, errors_section, run_section,
                                title_section, warnings_section)

HIT_RATES_PNG = "word_hit_rates.png"
MAPPING_CSV = "word_to_class.csv"
NPY_DIR = "openset-synonym"
WORDS_PLOTTED = 25
WORDS_LISTED = 15
METRIC_NAMES = (("accuracy", "Accuracy (set precision)"), ("recall", "Recall"),
                ("accuracy_recall_mean", "Mean of accuracy and recall (headline)"),
                ("f1", "F1 per sample, mean"))


def _headline(r: Mapping[str, Any]) -> list[str]:
    metrics, ci = r.get("metrics") or {}, r.get("ci") or {}
    protocol = r.get("protocol") or {}
    rows = [[name, decimal_text(metrics.get(key)), repr(finite(metrics.get(key))),
             interval_text(ci.get(key))] for key, name in METRIC_NAMES]
    first = next((v for v in ci.values() if isinstance(v, Mapping)), None)
    unit = ci_unit_text(first) if first and first.get("low") is not None else ""
    groups = protocol.get("n_groups")
    lines = ["## Headline", "",
             f"{r.get('n_scored')} of {r.get('n_samples')} samples scored, parser "
             f"`{protocol.get('parser')}`, unanswered policy `{protocol.get('unanswered_policy')}`."
             f" Brackets: {unit or 'no interval'}"
             + (f" ({groups} {protocol.get('ci_unit')}s)"
                if groups and protocol.get("ci_unit") != "sample" else "") + ".", "",
             markdown_table(["Metric", "Value", "Exact", "95% CI"], rows), ""]
    if r.get("small"):
        lines += [f"Fewer than 10 samples scored (n={r.get('n_scored')}): read these figures "
                  "as anecdotes.", ""]
    reasons = {str(v.get("reason")) for v in ci.values()
               if isinstance(v, Mapping) and v.get("reason")}
    lines += [f"No interval: {reason}." for reason in sorted(reasons)]
    return lines + ([""] if reasons else [])


def _definitions() -> list[str]:
    return ["## How to read this", "",
            "Both sets are lower-cased and every word of a synonym group is replaced by the "
            "group's first word. Per sample, **accuracy** = |truth & predicted| / |predicted| "
            "(0 for an empty prediction), **recall** = |truth & predicted| / |truth|, **F1** "
            "their harmonic mean. The headline is the mean of accuracy and recall over the "
            "scored samples, MER2024's figure.", ""]


def _coverage(r: Mapping[str, Any]) -> list[str]:
    cov, policies = r.get("coverage") or {}, r.get("policies") or {}
    share = finite(cov.get("answered_share"))
    lines = ["## Coverage and the unanswered policy", "",
             markdown_table(["Outcome", "Samples"],
                    [["answered", cov.get("n_answered")],
                     ["unanswered (empty or unreadable answer)", cov.get("n_unanswered")],
                     ["input error (empty or unreadable truth set), left out",
                      cov.get("n_input_errors")],
                     ["transport (no synonym answer / failed request), left out",
                      cov.get("n_transport_errors")]]), "",
             f"Answered share: {'n/a' if share is None else f'{100 * share:.1f}%'}.", ""]
    if policies:
        rows = [[name, p.get("n_scored"), *[decimal_text(p.get(k)) for k, _ in METRIC_NAMES]]
                for name, p in policies.items()]
        lines += ["`wrong` scores an unanswered sample as the empty set (0 accuracy, 0 "
                  "recall); `exclude` leaves it out.", "",
                  markdown_table(["Policy", "Scored", "Accuracy", "Recall", "Mean", "F1"], rows), ""]
    reasons = (r.get("unanswered") or {}).get("by_reason") or {}
    if reasons:
        lines += ["Unanswered, by reason: " + ", ".join(f"{k} ({v})" for k, v in
                                                          reasons.items()) + ".", ""]
    return lines


def _reading(r: Mapping[str, Any]) -> list[str]:
    parsing, source = r.get("parsing") or {}, r.get("synonyms") or {}
    formats = parsing.get("formats") or {}
    lines = ["## How the answers were read", ""]
    for column, counts in formats.items():
        text = ", ".join(f"{fmt} {n}" for fmt, n in counts.items()) or "none"
        lines.append(f"- `{column}` cells detected as: {text}.")
    n_diff = parsing.get("n_parser_disagreements")
    if n_diff is not None:
        first = parsing.get("parser_disagreement_ids") or []
        lines.append(f"- The robust parser and MER2024's parser read the sets of {n_diff} "
                     "samples differently" + (f" (first: {code_span(first[0])})" if first else "")
                     + ".")
    kind = source.get("kind")
    if kind == "judge":
        servers = ", ".join(source.get("server_models") or []) or "not reported"
        lines.append(f"- Synonyms: judge {code_span(source.get('model'))} (server reports "
                     f"{servers}), prompt `{source.get('prompt_version')}` (sha256 "
                     f"{source.get('prompt_sha256_12')}); {source.get('n_cached')} answers "
                     f"from the cache {code_span(source.get('cache_dir'))}, "
                     f"{source.get('n_requests')} requests sent, {source.get('n_failed')} "
                     f"failed. Raw answers: `{NPY_DIR}/<id>.npy` (MER2024's layout).")
    elif kind == "per-sample":
        lines.append(f"- Synonyms: per-sample judge answers from {code_span(source.get('spec'))} "
                     f"({source.get('n_answers')} files).")
    elif kind == "global":
        lines.append(f"- Synonyms: {source.get('n_groups')} groups from "
                     f"{code_span(source.get('spec'))}, the same for every sample.")
    else:
        lines.append("- Synonyms: none; words only lower-cased.")
    return lines + [""]


def _words(r: Mapping[str, Any], plotted: bool) -> list[str]:
    words = r.get("per_word") or {}
    if not words.get("words"):
        return []
    lines = ["## Words", "",
             f"{words.get('n_truth_words')} distinct truth words. Hit rate: the share of the "
             "samples holding a truth word whose prediction holds it (after synonym mapping).",
             ""]
    if plotted:
        lines += [f"![{HIT_RATES_PNG}]({HIT_RATES_PNG})", ""]
    lines += [markdown_table(["Truth word", "Samples", "Found", "Hit rate"],
                     [[w["word"], w["n"], w["found"], f"{100 * w['hit_rate']:.0f}%"]
                      for w in words["words"][:WORDS_LISTED]]), ""]
    if words.get("misses"):
        lines += ["Most frequent misses:", "",
                  markdown_table(["Truth word", "Missed", "Of"],
                         [[m["word"], m["missed"], m["n"]]
                          for m in words["misses"][:WORDS_LISTED]]), ""]
    if words.get("extras"):
        lines += ["Predicted words most often outside the truth set: "
                  + ", ".join(f"{e['word']} ({e['n']})" for e in words["extras"][:10]) + ".",
                  ""]
    return lines


def _taxonomy(r: Mapping[str, Any]) -> list[str]:
    tax = r.get("taxonomy")
    if not isinstance(tax, Mapping):
        return []
    metrics = tax.get("single_label", {}).get("metrics") or {}
    no_class = tax.get("single_label", {}).get("n_no_class", 0)
    multi = tax.get("multi_label", {}).get("metrics") or {}
    lines = ["## As a classifier (--to-taxonomy)", "",
             f"Classes: {', '.join(tax.get('classes') or [])}. Each word mapped through "
             f"{tax.get('via')}; single-label: the most frequent mapped class "
             f"({tax.get('single_label', {}).get('n_ties', 0)} ties broken by class order, "
             f"listed in the detailed table; {no_class} predictions map to no class and count as "
             f"wrong); multi-label: the mapped set. {tax.get('n_truth_unmapped', 0)} scored "
             "samples whose truth maps to no class are left out.", "",
             markdown_table(["View", "Samples", "Metric", "Value"],
                    [["single-label", tax.get("single_label", {}).get("n_scored"),
                      "accuracy", decimal_text(metrics.get("accuracy"))],
                     ["single-label", "", "macro F1", decimal_text(metrics.get("f1_macro"))],
                     ["multi-label", tax.get("multi_label", {}).get("n_scored"),
                      "micro F1", decimal_text(multi.get("f1_micro"))],
                     ["multi-label", "", "exact match",
                      decimal_text(multi.get("subset_accuracy"))]]),
             ""]
    lines += _judge_agreement(tax)
    unmapped = [w for w, c in (tax.get("mapping") or {}).items() if c is None]
    lines += [f"{len(tax.get('mapping') or {})} predicted words, each with its class and how "
              f"it was mapped in `{MAPPING_CSV}`; {len(unmapped)} map to no class"
              + (f" (e.g. {', '.join(unmapped[:8])})" if unmapped else "") + ".", ""]
    return lines


def _judge_agreement(tax: Mapping[str, Any]) -> list[str]:
    judge = tax.get("judge")
    if not isinstance(judge, Mapping):
        return []
    agree = judge.get("agreement") or {}
    by_judge = (tax.get("single_label_judge") or {}).get("metrics") or {}
    kappa = agree.get("cohen_kappa")
    lines = ["### Rule-based classes against the judge's", "",
             f"The judge {code_span(judge.get('model'))} (prompt `{judge.get('prompt_version')}`) "
             f"also named one class per sample: accuracy {decimal_text(by_judge.get('accuracy'))}, "
             f"macro F1 {decimal_text(by_judge.get('f1_macro'))} ({judge.get('n_no_class', 0)} "
             "answers named no class). Agreement with the rule-based class on "
             f"{agree.get('n', 0)} samples: Cohen's kappa "
             + (f"n/a (n={agree.get('n')})" if agree.get("small") or kappa is None
                else decimal_text(kappa))
             + f", {agree.get('n_differ', 0)} read differently.", ""]
    if agree.get("differ"):
        lines += [markdown_table(["Id", "Predicted words", "Rule", "Judge"],
                         [[d["id"], ", ".join(d["words"]), d["rule"], d["judge"]]
                          for d in agree["differ"][:10]], align=["l", "l", "l", "l"]), ""]
    return lines


def _slices(r: Mapping[str, Any]) -> list[str]:
    lines = []
    for column, values in (r.get("slices") or {}).items():
        rows = [[value, m.get("n"), *[f"n/a (n={m.get('n')})" if m.get("small")
                                      else decimal_text(m.get(key))
                                      for key in ("accuracy", "recall", "accuracy_recall_mean")]]
                for value, m in values.items()]
        lines += [f"### By {column}", "",
                  markdown_table([column, "n", "Accuracy", "Recall", "Mean"], rows), ""]
    return ["## Slices", "", *lines] if lines else []


def plot_hit_rates(results: Mapping[str, Any], path: str) -> str | None:
    words = ((results.get("per_word") or {}).get("words") or [])[:WORDS_PLOTTED]
    if not words:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 0.28 * len(words) + 1.2), dpi=110)
    names = [f"{w['word']} (n={w['n']})" for w in words][::-1]
    rates = [100 * w["hit_rate"] for w in words][::-1]
    axes.barh(names, rates, color="#4c72b0")
    axes.set_xlim(0, 100)
    axes.set_xlabel("truth word found in the prediction (%)")
    headline = finite((results.get("metrics") or {}).get("accuracy_recall_mean"))
    policy = policy_note(results)  # unanswered samples: scored as empty sets, or left out
    axes.set_title(f"Most frequent truth words (headline "
                   f"{'n/a' if headline is None else f'{headline:.3f}'}"
                   f"{f'; {policy}' if policy else ''})", fontsize=10)
    axes.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def write_judge_npy(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """The judge's raw answers as MER2024's ``openset-synonym/<id>.npy`` (0-d unicode)."""
    if (results.get("synonyms") or {}).get("kind") != "judge":
        return []
    import numpy as np
    import pandas as pd

    table_path = os.path.join(out_dir, DETAILED_CSV)
    if not os.path.isfile(table_path):
        return []
    table = pd.read_csv(table_path, dtype=str, keep_default_na=False)
    folder = os.path.join(out_dir, NPY_DIR)
    os.makedirs(folder, exist_ok=True)
    for sample_id, text in zip(table["id"], table.get("synonyms", [])):
        if text:
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", sample_id)
            np.save(os.path.join(folder, name + ".npy"), np.array(text))
    return [folder]


def write_mapping(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """``word_to_class.csv``: each predicted word, its taxonomy class and how it was mapped."""
    tax = results.get("taxonomy")
    if not isinstance(tax, Mapping) or not tax.get("mapping"):
        return []
    import csv

    path = os.path.join(out_dir, MAPPING_CSV)
    how = tax.get("mapping_how") or {}
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["word", "class", "how"])
        for word, cls in tax["mapping"].items():
            writer.writerow([word, cls or "", how.get(word, "")])
    return [path]


def render(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write report.md, the plot and (judge runs) the .npy answers; return the paths."""
    os.makedirs(out_dir, exist_ok=True)
    plot_path = os.path.join(out_dir, HIT_RATES_PNG)
    plotted = plot_hit_rates(results, plot_path)
    if plotted is None and os.path.isfile(plot_path):
        os.remove(plot_path)
    lines = (title_section(results) + warnings_section(results) + _headline(results) + _definitions()
             + _coverage(results) + _reading(results) + _words(results, plotted is not None)
             + _taxonomy(results) + _slices(results) + errors_section(results) + run_section(results))
    report = os.path.join(out_dir, REPORT_FILE)
    tmp = report + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    os.replace(tmp, report)
    return [report, *([plotted] if plotted else []), *write_mapping(results, out_dir),
            *write_judge_npy(results, out_dir)]
