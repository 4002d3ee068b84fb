"""The classification report (``report.md`` and two PNGs), composed from sections.

The sections here read the classification results (WA/UA headline, per-class table, confusion
matrix...); the generative report reuses them around its own answer sections. Every section is
optional: one with nothing to say is left out rather than printed as an empty table.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from functools import partial
from typing import Any

from .format import (
    ci_text,
    ci_unit_text,
    count_text,
    field,
    finite,
    markdown_table,
    pct,
    plural,
)
from .honesty import chance_lines, class_name, small_or
from .plots import plot_confusion_matrix, plot_per_class
from .sections import (
    OTHER,
    Section,
    coverage_section,
    efficiency_section,
    errors_section,
    label_mapping_section,
    policies_section,
    protocol_section,
    render_sections,
    run_section,
    samples_section,
    slices_section,
    title_section,
    warnings_section,
    write_report,
)

CONFUSION_PNG = "confusion_matrix.png"
PER_CLASS_PNG = "per_class_metrics.png"

HEADLINE = (
    ("accuracy", "Accuracy (WA)"),
    ("balanced_accuracy", "Balanced accuracy (UA)"),
    ("f1_macro", "Macro F1"),
)
ALL_METRICS = (
    ("accuracy", "Accuracy (WA)"),
    ("balanced_accuracy", "Balanced accuracy (UA)"),
    ("precision_macro", "Precision, macro"),
    ("recall_macro", "Recall, macro"),
    ("f1_macro", "F1, macro"),
    ("precision_weighted", "Precision, weighted"),
    ("recall_weighted", "Recall, weighted"),
    ("f1_weighted", "F1, weighted"),
)


def label_order(results: Mapping[str, Any]) -> list[str]:
    """The class order of the results: ``labels``, else the confusion matrix's, else the
    per-class keys."""
    labels = results.get("labels")
    if isinstance(labels, list) and labels:
        return [str(x) for x in labels]
    cm = field(results, "confusion_matrix")
    if isinstance(field(cm, "labels"), list):
        return [str(x) for x in cm["labels"]]
    per_class = results.get("per_class")
    return [str(x) for x in per_class] if isinstance(per_class, Mapping) else []


def has_other(cm: Mapping[str, Any] | None) -> bool:
    """Whether any prediction fell outside the label set (the "(other)" column)."""
    other = field(cm, "other")
    return isinstance(other, list) and any((finite(x) or 0) > 0 for x in other)


def metric_ci_rows(r: Mapping[str, Any], names: Iterable[tuple[str, str]]) -> list[list[str]]:
    """[name, value, 95% CI] for each metric of ``names`` present in ``r["metrics"]``."""
    metrics = r.get("metrics") if isinstance(r.get("metrics"), Mapping) else {}
    ci = r.get("ci") if isinstance(r.get("ci"), Mapping) else {}
    return [[name, pct(metrics.get(key)), ci_text(ci.get(key))]
            for key, name in names if key in metrics]


# --------------------------------------------------------------------------- sections


def headline_section(r: Mapping[str, Any]) -> list[str]:
    """WA, UA and macro F1 with their intervals, the interval's unit, or why there is none."""
    if not isinstance(r.get("metrics"), Mapping):
        return []
    rows = metric_ci_rows(r, HEADLINE)
    if not rows:
        return []
    ci = r.get("ci") if isinstance(r.get("ci"), Mapping) else {}
    lines = ["## Headline", "", markdown_table(["Metric", "Value", "95% CI"], rows), ""]
    units = {ci_unit_text(ci.get(key)) for key, _ in HEADLINE if ci.get(key)}
    units.discard("")
    for unit in sorted(units):
        lines.append(f"{unit}.")
    reasons = {str(field(ci.get(key), "reason")) for key, _ in HEADLINE
               if field(ci.get(key), "reason")}
    for reason in sorted(reasons):
        lines.append(f"No interval: {reason}.")
    if units or reasons:
        lines.append("")
    return lines


def how_to_read_section(r: Mapping[str, Any]) -> list[str]:
    """WA against UA, macro F1, the one-class baseline of these supports, what the CI means."""
    if not isinstance(r.get("metrics"), Mapping):
        return []
    lines = [
        "## How to read this",
        "",
        "- **WA** (weighted accuracy) is plain accuracy: the share of all samples predicted "
        "correctly. Large classes dominate it.",
        "- **UA** (unweighted average recall) is balanced accuracy: the mean of the per-class "
        "recalls, so every class counts equally however many samples it has.",
        "- Papers mix the two up (and some call UA \"accuracy\"): compare WA with WA and UA "
        "with UA.",
        "- **Macro F1** is the mean of the per-class F1 scores (F1 = harmonic mean of "
        "precision and recall).",
    ]
    per_class = r.get("per_class")
    if isinstance(per_class, Mapping):
        supports = [finite(field(v, "support")) or 0 for v in per_class.values()]
        present = [s for s in supports if s > 0]
        total = sum(present)
        if len(present) > 1 and total:
            lines.append(
                f"- A model that always predicts one class gets UA = 1/{len(present)} = "
                f"{pct(1 / len(present))} here, and WA equal to that class's share: up to "
                f"{pct(max(present) / total)} for the largest class.")
    ci = r.get("ci")
    if isinstance(ci, Mapping) and any(ci_text(v) != "n/a" for v in ci.values()):
        unit = str(field(ci.get("accuracy"), "unit") or "sample")
        lines.append(
            f"- The 95% CI shows how much a score would move on another draw of "
            f"{plural(unit)} like these (resampled with replacement). It says nothing about "
            "other corpora; two models whose intervals overlap widely are not clearly "
            "different.")
    return lines + [""]


def all_metrics_section(r: Mapping[str, Any]) -> list[str]:
    """Every averaged metric with its interval."""
    if not isinstance(r.get("metrics"), Mapping):
        return []
    rows = metric_ci_rows(r, ALL_METRICS)
    if not rows:
        return []
    return ["## All metrics", "",
            "Macro: unweighted mean over classes. Weighted: mean weighted by each class's "
            "support (number of true samples).", "",
            markdown_table(["Metric", "Value", "95% CI"], rows), ""]


def shared_metrics_section(r: Mapping[str, Any]) -> list[str]:
    """The metrics again without the classes the model cannot predict (when there are any)."""
    shared = r.get("metrics_shared_labels")
    unpredictable = field(r.get("label_mapping"), "unpredictable_dataset_labels") or []
    if not isinstance(shared, Mapping) or not unpredictable:
        return []
    metrics = r.get("metrics") if isinstance(r.get("metrics"), Mapping) else {}
    shared_labels = field(r.get("label_mapping"), "shared_labels") or []
    rows = [[name, pct(metrics.get(key)), pct(shared.get(key))]
            for key, name in ALL_METRICS if key in shared]
    lines = ["## Metrics on shared labels", "",
             f"The model cannot predict {len(unpredictable)} dataset "
             f"label{'s' if len(unpredictable) != 1 else ''}: "
             f"{', '.join(map(str, unpredictable))}. Their samples always count as misses in "
             "the metrics above. Here the samples of those classes are left out, so the "
             "scores cover only the labels both sides have"
             + (f" ({', '.join(map(str, shared_labels))})" if shared_labels else "") + ".", ""]
    if rows:
        lines += [markdown_table(["Metric", "All labels", "Shared labels only"], rows), ""]
    return lines


def per_class_section(r: Mapping[str, Any], plotted: bool = False) -> list[str]:
    """Precision, recall, F1, support and predicted count per class; the plot when written."""
    per_class = r.get("per_class")
    if not isinstance(per_class, Mapping) or not per_class:
        return []
    order = [label for label in label_order(r) if label in per_class]
    order += [label for label in per_class if label not in order]
    rows = []
    for label in order:
        v = per_class[label] if isinstance(per_class[label], Mapping) else {}
        rows.append([class_name(r, label), pct(v.get("precision")), pct(v.get("recall")),
                     pct(v.get("f1")),
                     count_text(v.get("support")), count_text(v.get("predicted"))])
    lines = ["## Per class", "",
             "Recall: share of the class's samples found. Precision: share of the class's "
             "predictions that were right. Support: true samples. Predicted: how often the "
             "model predicted the class.", "",
             markdown_table(["Class", "Precision", "Recall", "F1", "Support", "Predicted"], rows),
             ""]
    if plotted:
        lines += [f"![Per-class precision, recall and F1]({PER_CLASS_PNG})", ""]
    return lines


def confusion_section(r: Mapping[str, Any], plotted: bool = False) -> list[str]:
    """The confusion matrix as a table (diagonal bold, an ``(other)`` column for predictions
    outside the label set); the plot when written."""
    cm = r.get("confusion_matrix")
    counts = field(cm, "counts")
    if not isinstance(counts, list) or not counts:
        return []
    labels = [str(x) for x in (field(cm, "labels") or label_order(r))]
    if len(labels) != len(counts) or not all(isinstance(row, list) and len(row) == len(labels)
                                             for row in counts):
        return []
    other = has_other(cm) and len(cm["other"]) == len(labels)
    header = ["true \\ predicted", *labels] + ([OTHER] if other else [])
    rows = []
    for i, (label, row) in enumerate(zip(labels, counts)):
        cells = [f"**{count_text(v)}**" if i == j else count_text(v) for j, v in enumerate(row)]
        if other:
            cells.append(count_text(cm["other"][i]))
        rows.append([f"**{label}**", *cells])
    lines = ["## Confusion matrix", "",
             "Rows: true class. Columns: predicted class. The diagonal (bold) is correct."]
    if other:
        lines[-1] += (f" {OTHER}: predictions outside the dataset's labels (a model label with "
                      "no counterpart); they count as misses for the true class.")
    lines += ["", markdown_table(header, rows), ""]
    if plotted:
        lines += [f"![Confusion matrix: counts and row-normalised]({CONFUSION_PNG})", "",
                  f"Plot: [{CONFUSION_PNG}]({CONFUSION_PNG}) (counts, and each row divided by "
                  "its class's support, so the diagonal is the recall).", ""]
    return lines


def top_confusions_section(r: Mapping[str, Any]) -> list[str]:
    """The most frequent true -> predicted mistakes."""
    top = r.get("top_confusions")
    if not isinstance(top, list):
        return []
    items = []
    for c in top:
        if not isinstance(c, Mapping) or not finite(c.get("count")):
            continue
        share = finite(c.get("share_of_true"))
        share_text = f" ({share * 100:.0f}% of {c.get('true')})" if share is not None else ""
        items.append(f"- {c.get('true')} -> {c.get('predicted')}: "
                     f"{count_text(c.get('count'))}{share_text}")
    if not items:
        return []
    return ["## Top confusions", "", "True class -> predicted class: count (share of the true "
            "class's samples).", "", *items, ""]


def imbalance_section(r: Mapping[str, Any]) -> list[str]:
    """Class counts and shares, the imbalance ratio, scikit-learn's balanced weights."""
    imb = r.get("class_imbalance")
    classes = field(imb, "classes")
    if not isinstance(classes, list) or not classes:
        return []
    rows = []
    for c in classes:
        if not isinstance(c, Mapping):
            continue
        weight = finite(c.get("suggested_weight"))
        rows.append([c.get("label"), count_text(c.get("count")), pct(c.get("share")),
                     "n/a" if weight is None else f"{weight:.3f}"])
    lines = ["## Class imbalance", "",
             markdown_table(["Class", "Count", "Share", "Suggested weight"], rows), ""]
    ratio = finite(field(imb, "imbalance_ratio"))
    if ratio is not None:
        lines += [f"Imbalance ratio (largest / smallest class): {ratio:.2f}.", ""]
    lines += ["Suggested weights are n / (number of classes × class count), scikit-learn's "
              "\"balanced\" class weights, for training or a weighted loss; the metrics above "
              "are not weighted by them.", ""]
    return lines


def classification_slices_section(r: Mapping[str, Any]) -> list[str]:
    """WA, UA and macro F1 within each group of ``--slice-by``."""
    return slices_section(
        r, ["n", "Accuracy (WA)", "Balanced accuracy (UA)", "Macro F1"],
        lambda m: [count_text(m.get("n")), small_or(m, pct(m.get("accuracy"))),
                   small_or(m, pct(m.get("balanced_accuracy"))),
                   small_or(m, pct(m.get("f1_macro")))])


# --------------------------------------------------------------------------- the report


def linked_plots(results: Mapping[str, Any]) -> set[str]:
    """The plots whose data is present: those :func:`render_classification` writes."""
    linked = set()
    counts = field(results.get("confusion_matrix"), "counts")
    if isinstance(counts, list) and counts:
        linked.add(CONFUSION_PNG)
    if isinstance(results.get("per_class"), Mapping) and results["per_class"]:
        linked.add(PER_CLASS_PNG)
    return linked


def classification_sections(plots: Collection[str]) -> list[Section]:
    """The sections of the classification report, in order; ``plots``: the PNGs written."""
    return [
        title_section, warnings_section, headline_section, chance_lines, how_to_read_section,
        samples_section, coverage_section, partial(policies_section, metrics=HEADLINE),
        all_metrics_section, shared_metrics_section,
        partial(per_class_section, plotted=PER_CLASS_PNG in plots),
        partial(confusion_section, plotted=CONFUSION_PNG in plots),
        top_confusions_section, imbalance_section, classification_slices_section,
        label_mapping_section, protocol_section, errors_section, efficiency_section,
        run_section,
    ]


def render_markdown(results: Mapping[str, Any], *, plots: Iterable[str] | None = None) -> str:
    """The report as markdown text, from a results dict alone.

    ``plots``: the PNG file names to link (``confusion_matrix.png``, ``per_class_metrics.png``);
    by default those whose data is present, which are the ones
    :func:`render_classification` writes.
    """
    if not isinstance(results, Mapping):
        raise TypeError(f"results must be a dict, got {type(results).__name__}")
    linked = linked_plots(results) if plots is None else set(plots)
    return render_sections(results, classification_sections(linked))


def write_plots(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Draw the confusion matrix and per-class PNGs whose data is present; return the paths.

    A plot whose data is absent from ``results`` is not written, and a stale PNG from an
    earlier render is removed (so the report never links a picture of another run).
    """
    os.makedirs(out_dir, exist_ok=True)
    written: list[str] = []
    for name, draw in ((CONFUSION_PNG, plot_confusion_matrix), (PER_CLASS_PNG, plot_per_class)):
        path = os.path.join(out_dir, name)
        result = draw(results, path)
        if result is not None:
            written.append(result)
        elif os.path.isfile(path):
            os.remove(path)
    return written


def render_classification(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write ``report.md``, ``confusion_matrix.png`` and ``per_class_metrics.png`` into
    ``out_dir``; return the paths written (the report first)."""
    written = write_plots(results, out_dir)
    plots = [os.path.basename(p) for p in written]
    report = write_report(out_dir, render_markdown(results, plots=plots))
    return [report, *written]
