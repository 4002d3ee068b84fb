"""The multi-label report, rendered from ``results.json`` alone: ``report.md``,
``per_class_metrics.png`` (the core's per-class plot) and ``thresholds.json`` (the thresholds
in force, per label, and the tuned ones when a tuning split was there).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from typing import Any

from ..reports.classification import PER_CLASS_PNG
from ..reports.format import (
    ci_unit_text,
    code_span,
    decimal_text,
    duration_text,
    finite,
    interval_text,
    markdown_table,
)
from ..reports.honesty import class_name, small_class_lines, small_or
from ..reports.plots import plot_per_class
from ..reports.sections import (
    Section,
    coverage_section,
    efficiency_section,
    errors_section,
    policies_section,
    protocol_section,
    label_mapping_section,
    render_sections,
    run_section,
    title_section,
    warnings_section,
    write_report,
)
from ..results import SCHEMA_VERSION
from ..results_io import write_json

THRESHOLDS_FILE = "thresholds.json"

HEADLINE = (("roc_auc_micro", "ROC-AUC, micro"), ("roc_auc_macro", "ROC-AUC, macro"),
            ("f1_macro", "F1, macro"))
ALL_METRICS = (
    ("roc_auc_micro", "ROC-AUC, micro"), ("roc_auc_macro", "ROC-AUC, macro"),
    ("average_precision_micro", "Average precision, micro"),
    ("average_precision_macro", "Average precision, macro"),
    ("precision_micro", "Precision, micro"), ("recall_micro", "Recall, micro"),
    ("f1_micro", "F1, micro"), ("precision_macro", "Precision, macro"),
    ("recall_macro", "Recall, macro"), ("f1_macro", "F1, macro"),
    ("precision_samples", "Precision, samples"), ("recall_samples", "Recall, samples"),
    ("f1_samples", "F1, samples"), ("subset_accuracy", "Subset accuracy (exact match)"),
    ("hamming_loss", "Hamming loss (lower is better)"),
)
STRATEGY_COLUMNS = (("f1_micro", "micro F1"), ("f1_macro", "macro F1"),
                    ("f1_samples", "samples F1"), ("precision_micro", "micro P"),
                    ("recall_micro", "micro R"), ("precision_macro", "macro P"),
                    ("recall_macro", "macro R"), ("subset_accuracy", "subset acc."),
                    ("hamming_loss", "Hamming"))


def headline_section(r: Mapping[str, Any]) -> list[str]:
    """ROC-AUC micro/macro and macro F1 with intervals, the decision rule, the rows scored."""
    m, ci = r.get("metrics") or {}, r.get("ci") or {}
    threshold = r.get("threshold") or {}
    rows = [[name, decimal_text(m.get(key)), interval_text(ci.get(key))] for key, name in HEADLINE]
    unit = next((ci_unit_text(ci[k]) for k, _ in HEADLINE if isinstance(ci.get(k), Mapping)),
                "95% CI")
    splits = ", ".join(r.get("reported_splits") or []) or "all rows"
    return ["## Headline", "",
            f"Decisions: {threshold.get('description') or threshold.get('strategy')}. "
            f"Reported on: {splits}; {r.get('n_scored', 'n/a')} of {r.get('n_samples', 'n/a')} "
            "samples scored.", "",
            markdown_table(["Metric", "Value", unit], rows), "",
            "*Macro F1 depends on the thresholds; AUC does not. Intervals hold the thresholds "
            "fixed.*", ""]


def strategies_section(r: Mapping[str, Any]) -> list[str]:
    """Every threshold strategy's F1, precision, recall side by side, the chosen one marked."""
    strategies = r.get("strategies")
    if not isinstance(strategies, Mapping) or not strategies:
        return []
    chosen = (r.get("threshold") or {}).get("strategy")
    rows = []
    for name, m in strategies.items():
        label = f"**{name}** (chosen)" if name == chosen else name
        rows.append([label, *[decimal_text(m.get(k)) for k, _ in STRATEGY_COLUMNS],
                     m.get("n_never_predicted", "n/a"), m.get("predicted_positives", "n/a")])
    positives = (r.get("positives") or {}).get("actual")
    lines = ["## Threshold strategies, side by side", "",
             markdown_table(["Strategy", *[n for _, n in STRATEGY_COLUMNS],
                             "labels never predicted", "predicted positives"], rows), "",
             f"Actual positives: {positives if positives is not None else 'n/a'}. "
             "`0.5`: one threshold for every label; `per-class`: each label's threshold "
             "maximises its F1 on the tuning split; `top-k:k`: the k best labels of each "
             "sample.", ""]
    if "per-class" not in strategies:
        lines += ["*No per-class row: no tuning split was available (predictions of a "
                  "validation split, marked in a `split` column, or --tune-split).*", ""]
    return lines


def all_metrics_section(r: Mapping[str, Any]) -> list[str]:
    """Every metric of the chosen strategy, and on the labels the model can predict."""
    m = r.get("metrics") or {}
    rows = [[name, decimal_text(m.get(key))] for key, name in ALL_METRICS if key in m]
    lines = ["## All metrics (chosen strategy)", "", markdown_table(["Metric", "Value"], rows), ""]
    shared = r.get("metrics_shared_labels")
    if isinstance(shared, Mapping):
        rows = [[name, decimal_text(shared.get(key))]
                for key, name in ALL_METRICS if key in shared]
        lines += ["On the labels the model can predict:", "",
                  markdown_table(["Metric", "Value"], rows), ""]
    return lines


def positives_section(r: Mapping[str, Any]) -> list[str]:
    """Predicted against actual positive labels, in total and per sample."""
    p = r.get("positives")
    if not isinstance(p, Mapping):
        return []
    rows = [["Actual positives", p.get("actual")], ["Predicted positives", p.get("predicted")],
            ["Predicted / actual", decimal_text(p.get("predicted_over_actual"), 2)],
            ["Labels per sample, actual", decimal_text(p.get("actual_per_sample"), 2)],
            ["Labels per sample, predicted", decimal_text(p.get("predicted_per_sample"), 2)],
            ["Samples with no predicted label", p.get("samples_without_prediction")]]
    return ["## Predicted against actual positives", "",
            markdown_table(["Count", "Value"], rows), ""]


def per_label_section(r: Mapping[str, Any], plotted: bool = False) -> list[str]:
    """Threshold, P/R/F1, AUC, AP, support per label; best, worst, never predicted."""
    per_class = r.get("per_class")
    if not isinstance(per_class, Mapping) or not per_class:
        return []
    order = sorted(per_class, key=lambda l: -(finite(per_class[l].get("support")) or 0))
    rows = []
    for label in order:
        c = per_class[label]
        rows.append([class_name(r, label), decimal_text(c.get("threshold")),
                     decimal_text(c.get("precision")),
                     decimal_text(c.get("recall")), decimal_text(c.get("f1")),
                     decimal_text(c.get("roc_auc")), decimal_text(c.get("average_precision")),
                     c.get("support"), c.get("predicted")])
    lines = ["## Per label", "",
             markdown_table(["Label", "Threshold", "Precision", "Recall", "F1", "ROC-AUC", "AP",
                     "Support", "Predicted"], rows), ""]
    if plotted:
        lines += [f"![Per-label precision, recall and F1]({PER_CLASS_PNG})", ""]

    def names(key: str) -> str:
        values = r.get(key) or []
        return ", ".join(f"{l} ({decimal_text(per_class.get(l, {}).get('f1'))})"
                         for l in values) or "none"

    lines += [f"- Best five by F1: {names('best_labels')}",
              f"- Worst five by F1: {names('worst_labels')}",
              f"- Never predicted: {', '.join(r.get('never_predicted') or []) or 'none'}"]
    without = r.get("labels_without_positives") or []
    lines.append("- No positive in the evaluated rows (left out of macro AUC and AP): "
                 + (", ".join(without) or "none"))
    return lines + [""]


def thresholds_section(r: Mapping[str, Any]) -> list[str]:
    """The strategy, tuning split, target precision and per-label notes."""
    t = r.get("threshold")
    if not isinstance(t, Mapping):
        return []
    lines = ["## Thresholds", "", f"- Strategy: {code_span(t.get('strategy'))}"]
    if t.get("tune_split"):
        lines.append(f"- Tuning split: {code_span(t['tune_split'])} ({t.get('n_tune', 0)} samples "
                     "scored; never part of the reported figures)")
    if t.get("target_precision") is not None:
        lines.append(f"- Target precision: {t['target_precision']}")
    for label, note in (t.get("notes") or {}).items():
        lines.append(f"- {label}: {note}")
    lines += small_class_lines(t)
    lines += [f"- Saved in {code_span(THRESHOLDS_FILE)}", ""]
    return lines


def slices_by_column_section(r: Mapping[str, Any]) -> list[str]:
    """Micro/macro F1 and subset accuracy per group of each ``--slice-by`` column."""
    slices = r.get("slices")
    if not isinstance(slices, Mapping) or not slices:
        return []
    lines = []
    for column, values in slices.items():
        rows = [[v, m.get("n"), small_or(m, decimal_text(m.get("f1_micro"))),
                 small_or(m, decimal_text(m.get("f1_macro"))),
                 small_or(m, decimal_text(m.get("subset_accuracy")))] for v, m in values.items()]
        lines += [f"## By {column}", "",
                  markdown_table([column, "n", "micro F1", "macro F1", "subset acc."], rows), ""]
    return lines


def training_section(r: Mapping[str, Any]) -> list[str]:
    """The probe's training time, when the model is a trained probe."""
    eff = r.get("efficiency")
    if not isinstance(eff, Mapping) or finite(eff.get("training_s")) is None:
        return []
    return [f"Training time: {duration_text(eff['training_s'])} (head fitting and embedding, "
            "from the probe's record).", ""]


def multilabel_sections(plotted: bool) -> list[Section]:
    """The sections of the multi-label report, in order; ``plotted``: whether the per-label
    plot was written."""
    return [
        partial(title_section, heading="Multi-label report"), warnings_section,
        headline_section, coverage_section,
        partial(policies_section, metrics=(("f1_macro", "Macro F1"), ("f1_micro", "Micro F1"),
                                           ("subset_accuracy", "Subset accuracy"))),
        strategies_section,
        all_metrics_section, positives_section,
        partial(per_label_section, plotted=plotted), thresholds_section,
        slices_by_column_section, label_mapping_section, protocol_section, errors_section,
        efficiency_section,
        training_section, run_section,
    ]


def render_markdown(r: Mapping[str, Any], plotted: bool) -> str:
    """The multi-label report as Markdown text."""
    return render_sections(r, multilabel_sections(plotted))


def thresholds_record(r: Mapping[str, Any]) -> dict[str, Any]:
    t = r.get("threshold") or {}
    return {"schema_version": SCHEMA_VERSION,
            "strategy": t.get("strategy"), "tune_split": t.get("tune_split"),
            "target_precision": t.get("target_precision"),
            "thresholds": t.get("thresholds"), "tuned_thresholds": t.get("tuned_thresholds"),
            "notes": t.get("notes") or {}}


def render(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write ``report.md``, ``per_class_metrics.png`` and ``thresholds.json``; return paths."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    plot_path = plot_per_class(results, os.path.join(out_dir, PER_CLASS_PNG))
    if plot_path:
        written.append(plot_path)
    report = write_report(out_dir, render_markdown(results, plotted=plot_path is not None))
    thresholds = write_json(os.path.join(out_dir, THRESHOLDS_FILE), thresholds_record(results))
    return [report, thresholds, *written]
