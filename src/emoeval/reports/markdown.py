"""``report.md``: a human-readable report rendered from a ``results.json`` dict.

The renderer only formats what the metrics returned: it never recomputes a metric, never reads
predictions and never runs a model. Every block is optional: a section with nothing to say
(no slices, no errors, no label mapping for ``emoeval score``...) is left out rather than
printed as an empty table, and keys it does not know are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..small_samples import MIN_ITEMS
from .honesty import chance_lines, class_name, model_title, small_or

CONFUSION_PNG = "confusion_matrix.png"
PER_CLASS_PNG = "per_class_metrics.png"
DETAILED_CSV = "detailed_results.csv"
OTHER = "(other)"
MAX_ERROR_SAMPLES = 20

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
HOW_WORDS = {
    "exact": "same name",
    "alias": "alias of the same emotion",
    "label-map": "your --label-map",
    "unmapped": "no counterpart",
}


# --------------------------------------------------------------------------- formatting


def finite(value: Any) -> float | None:
    """A finite float, or None for None/NaN/inf/non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def pct(value: Any, digits: int = 1) -> str:
    """0.645 -> "64.5%"; missing -> "n/a"."""
    number = finite(value)
    return "n/a" if number is None else f"{number * 100:.{digits}f}%"


def ci_text(interval: Mapping[str, Any] | None) -> str:
    """{"low": 0.612, "high": 0.678} -> "[61.2, 67.8]"; no interval -> "n/a"."""
    if not isinstance(interval, Mapping):
        return "n/a"
    low, high = finite(interval.get("low")), finite(interval.get("high"))
    if low is None or high is None:
        return "n/a"
    return f"[{low * 100:.1f}, {high * 100:.1f}]"


def metric_with_ci(value: Any, interval: Mapping[str, Any] | None) -> str:
    """0.645 with its CI -> "64.5% [61.2, 67.8]"; without an interval just "64.5%"."""
    band = ci_text(interval)
    return pct(value) if band == "n/a" else f"{pct(value)} {band}"


def _int_text(value: Any) -> str:
    number = finite(value)
    return "n/a" if number is None else f"{int(round(number)):,}"


def _cell(value: Any) -> str:
    """Text safe inside a markdown table cell (pipes escaped, no line breaks)."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(value: Any) -> str:
    """Inline code span that survives backticks in the value."""
    text = str(value).replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _table(header: list[str], rows: Iterable[list[Any]], align: list[str] | None = None) -> str:
    align = align or ["l"] + ["r"] * (len(header) - 1)
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word
    return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"


def ci_unit_text(interval: Mapping[str, Any] | None) -> str:
    """'95% CI over speakers (cluster bootstrap, 1,000 resamples)'."""
    if not isinstance(interval, Mapping):
        return ""
    unit = str(interval.get("unit") or "sample")
    n = finite(interval.get("n_resamples"))
    method = "bootstrap" if unit == "sample" else "cluster bootstrap"
    resamples = f", {int(n):,} resamples" if n is not None else ""
    return f"95% CI over {_plural(unit)} ({method}{resamples})"


def _duration(seconds: Any) -> str:
    s = finite(seconds)
    if s is None:
        return "n/a"
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(int(round(s)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _params(n: Any) -> str:
    number = finite(n)
    if number is None:
        return "n/a"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if number >= scale:
            return f"{number / scale:.1f}{suffix} ({int(number):,})"
    return f"{int(number):,}"


def _get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


def _label_order(results: Mapping[str, Any]) -> list[str]:
    labels = results.get("labels")
    if isinstance(labels, list) and labels:
        return [str(x) for x in labels]
    cm = _get(results, "confusion_matrix")
    if isinstance(_get(cm, "labels"), list):
        return [str(x) for x in cm["labels"]]
    per_class = results.get("per_class")
    return [str(x) for x in per_class] if isinstance(per_class, Mapping) else []


# --------------------------------------------------------------------------- sections


def _title(r: Mapping[str, Any]) -> list[str]:
    model = model_title(r) or "unknown model"
    dataset = _get(r.get("dataset"), "spec") or "unknown dataset"
    lines = [f"# Emotion recognition report: {model} on {dataset}", ""]
    facts = [f"Model: {_code(model)}"]
    if _get(r.get("model"), "name") and _get(r.get("model"), "spec") != model:
        facts[0] += f" (spec {_code(r['model']['spec'])})"
    ds = r.get("dataset") if isinstance(r.get("dataset"), Mapping) else {}
    ds_fact = f"Dataset: {_code(dataset)}"
    extras = []
    if ds.get("split"):
        extras.append(f"split {_code(ds['split'])}")
    if ds.get("limit") is not None:
        extras.append(f"limited to {_int_text(ds['limit'])} samples (stratified, seed "
                      f"{ds.get('seed', 'n/a')})")
    if extras:
        ds_fact += ", " + ", ".join(extras)
    facts.append(ds_fact)
    if r.get("task"):
        facts.append(f"Task: {r['task']}")
    lines += [f"- {f}" for f in facts] + [""]
    return lines


def _headline(r: Mapping[str, Any]) -> list[str]:
    metrics = r.get("metrics")
    if not isinstance(metrics, Mapping):
        return []
    ci = r.get("ci") if isinstance(r.get("ci"), Mapping) else {}
    rows = [[name, pct(metrics.get(key)), ci_text(ci.get(key))]
            for key, name in HEADLINE if key in metrics]
    if not rows:
        return []
    lines = ["## Headline", "", _table(["Metric", "Value", "95% CI"], rows), ""]
    units = {ci_unit_text(ci.get(key)) for key, _ in HEADLINE if ci.get(key)}
    units.discard("")
    for unit in sorted(units):
        lines.append(f"{unit}.")
    reasons = {str(_get(ci.get(key), "reason")) for key, _ in HEADLINE
               if _get(ci.get(key), "reason")}
    for reason in sorted(reasons):
        lines.append(f"No interval: {reason}.")
    if units or reasons:
        lines.append("")
    return lines + chance_lines(r)


def _how_to_read(r: Mapping[str, Any]) -> list[str]:
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
        supports = [finite(_get(v, "support")) or 0 for v in per_class.values()]
        present = [s for s in supports if s > 0]
        total = sum(present)
        if len(present) > 1 and total:
            lines.append(
                f"- A model that always predicts one class gets UA = 1/{len(present)} = "
                f"{pct(1 / len(present))} here, and WA equal to that class's share: up to "
                f"{pct(max(present) / total)} for the largest class.")
    ci = r.get("ci")
    if isinstance(ci, Mapping) and any(ci_text(v) != "n/a" for v in ci.values()):
        unit = str(_get(ci.get("accuracy"), "unit") or "sample")
        lines.append(
            f"- The 95% CI shows how much a score would move on another draw of "
            f"{_plural(unit)} like these (resampled with replacement). It says nothing about "
            "other corpora; two models whose intervals overlap widely are not clearly "
            "different.")
    return lines + [""]


def _samples(r: Mapping[str, Any]) -> list[str]:
    keys = ("n_samples", "n_scored", "n_errors")
    if all(r.get(k) is None for k in keys):
        return []
    lines = ["## Samples", "",
             f"- Samples: {_int_text(r.get('n_samples'))}",
             f"- Scored: {_int_text(r.get('n_scored'))}"]
    n_errors = finite(r.get("n_errors"))
    errors = f"- Errors: {_int_text(r.get('n_errors'))}"
    if n_errors:
        errors += " (left out of every metric; see [Errors](#errors))"
    lines.append(errors)
    return lines + [""]


def _all_metrics(r: Mapping[str, Any]) -> list[str]:
    metrics = r.get("metrics")
    if not isinstance(metrics, Mapping):
        return []
    ci = r.get("ci") if isinstance(r.get("ci"), Mapping) else {}
    rows = [[name, pct(metrics.get(key)), ci_text(ci.get(key))]
            for key, name in ALL_METRICS if key in metrics]
    if not rows:
        return []
    return ["## All metrics", "",
            "Macro: unweighted mean over classes. Weighted: mean weighted by each class's "
            "support (number of true samples).", "",
            _table(["Metric", "Value", "95% CI"], rows), ""]


def _shared_metrics(r: Mapping[str, Any]) -> list[str]:
    shared = r.get("metrics_shared_labels")
    unpredictable = _get(r.get("label_mapping"), "unpredictable_dataset_labels") or []
    if not isinstance(shared, Mapping) or not unpredictable:
        return []
    metrics = r.get("metrics") if isinstance(r.get("metrics"), Mapping) else {}
    shared_labels = _get(r.get("label_mapping"), "shared_labels") or []
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
        lines += [_table(["Metric", "All labels", "Shared labels only"], rows), ""]
    return lines


def _per_class(r: Mapping[str, Any], plots: bool) -> list[str]:
    per_class = r.get("per_class")
    if not isinstance(per_class, Mapping) or not per_class:
        return []
    order = [label for label in _label_order(r) if label in per_class]
    order += [label for label in per_class if label not in order]
    rows = []
    for label in order:
        v = per_class[label] if isinstance(per_class[label], Mapping) else {}
        rows.append([class_name(r, label), pct(v.get("precision")), pct(v.get("recall")),
                     pct(v.get("f1")),
                     _int_text(v.get("support")), _int_text(v.get("predicted"))])
    lines = ["## Per class", "",
             "Recall: share of the class's samples found. Precision: share of the class's "
             "predictions that were right. Support: true samples. Predicted: how often the "
             "model predicted the class.", "",
             _table(["Class", "Precision", "Recall", "F1", "Support", "Predicted"], rows), ""]
    if plots:
        lines += [f"![Per-class precision, recall and F1]({PER_CLASS_PNG})", ""]
    return lines


def has_other(cm: Mapping[str, Any] | None) -> bool:
    """Whether any prediction fell outside the label set (the "(other)" column)."""
    other = _get(cm, "other")
    return isinstance(other, list) and any((finite(x) or 0) > 0 for x in other)


def _confusion(r: Mapping[str, Any], plots: bool) -> list[str]:
    cm = r.get("confusion_matrix")
    counts = _get(cm, "counts")
    if not isinstance(counts, list) or not counts:
        return []
    labels = [str(x) for x in (_get(cm, "labels") or _label_order(r))]
    if len(labels) != len(counts) or not all(isinstance(row, list) and len(row) == len(labels)
                                             for row in counts):
        return []
    other = has_other(cm) and len(cm["other"]) == len(labels)
    header = ["true \\ predicted", *labels] + ([OTHER] if other else [])
    rows = []
    for i, (label, row) in enumerate(zip(labels, counts)):
        cells = [f"**{_int_text(v)}**" if i == j else _int_text(v) for j, v in enumerate(row)]
        if other:
            cells.append(_int_text(cm["other"][i]))
        rows.append([f"**{label}**", *cells])
    lines = ["## Confusion matrix", "",
             "Rows: true class. Columns: predicted class. The diagonal (bold) is correct."]
    if other:
        lines[-1] += (f" {OTHER}: predictions outside the dataset's labels (a model label with "
                      "no counterpart); they count as misses for the true class.")
    lines += ["", _table(header, rows, ["l"] + ["r"] * (len(header) - 1)), ""]
    if plots:
        lines += [f"![Confusion matrix: counts and row-normalised]({CONFUSION_PNG})", "",
                  f"Plot: [{CONFUSION_PNG}]({CONFUSION_PNG}) (counts, and each row divided by "
                  "its class's support, so the diagonal is the recall).", ""]
    return lines


def _top_confusions(r: Mapping[str, Any]) -> list[str]:
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
                     f"{_int_text(c.get('count'))}{share_text}")
    if not items:
        return []
    return ["## Top confusions", "", "True class -> predicted class: count (share of the true "
            "class's samples).", "", *items, ""]


def _imbalance(r: Mapping[str, Any]) -> list[str]:
    imb = r.get("class_imbalance")
    classes = _get(imb, "classes")
    if not isinstance(classes, list) or not classes:
        return []
    rows = []
    for c in classes:
        if not isinstance(c, Mapping):
            continue
        weight = finite(c.get("suggested_weight"))
        rows.append([c.get("label"), _int_text(c.get("count")), pct(c.get("share")),
                     "n/a" if weight is None else f"{weight:.3f}"])
    lines = ["## Class imbalance", "",
             _table(["Class", "Count", "Share", "Suggested weight"], rows), ""]
    ratio = finite(_get(imb, "imbalance_ratio"))
    if ratio is not None:
        lines += [f"Imbalance ratio (largest / smallest class): {ratio:.2f}.", ""]
    lines += ["Suggested weights are n / (number of classes × class count), scikit-learn's "
              "\"balanced\" class weights, for training or a weighted loss; the metrics above "
              "are not weighted by them.", ""]
    return lines


def _slices(r: Mapping[str, Any]) -> list[str]:
    slices = r.get("slices")
    if not isinstance(slices, Mapping):
        return []
    lines: list[str] = []
    for column, values in slices.items():
        if not isinstance(values, Mapping) or not values:
            continue
        rows = [[value, _int_text(_get(m, "n")), small_or(m, pct(_get(m, "accuracy"))),
                 small_or(m, pct(_get(m, "balanced_accuracy"))),
                 small_or(m, pct(_get(m, "f1_macro")))]
                for value, m in values.items()]
        lines += [f"### By {column}", "",
                  _table([str(column), "n", "Accuracy (WA)", "Balanced accuracy (UA)",
                          "Macro F1"], rows), ""]
    if not lines:
        return []
    return ["## Slices", "", "The same metrics within each group of samples (no confidence "
            "intervals: small groups give noisy numbers; a group of fewer than "
            f"{MIN_ITEMS} samples shows n/a).", "", *lines]


def _label_mapping(r: Mapping[str, Any]) -> list[str]:
    lm = r.get("label_mapping")
    if not isinstance(lm, Mapping):
        return []
    to_dataset = lm.get("model_to_dataset") if isinstance(lm.get("model_to_dataset"),
                                                          Mapping) else {}
    how = lm.get("how") if isinstance(lm.get("how"), Mapping) else {}
    unmapped = list(lm.get("unmapped_model_labels") or [])
    unpredictable = list(lm.get("unpredictable_dataset_labels") or [])
    policy = lm.get("unmapped_policy")
    lines = ["## Label mapping", ""]
    if to_dataset:
        rows = []
        for model_label, target in to_dataset.items():
            kind = how.get(model_label) or ("unmapped" if target is None else "")
            words = HOW_WORDS.get(kind, "")
            rows.append([model_label, "—" if target is None else target,
                         f"{kind} ({words})" if words else kind])
        lines += ["How each model label was mapped onto a dataset label:", "",
                  _table(["Model label", "Dataset label", "How"], rows, ["l", "l", "l"]), ""]
    if unmapped:
        text = (f"Model labels with no dataset counterpart: {', '.join(map(str, unmapped))}. "
                f"Policy: {_code(policy or 'n/a')}")
        if policy == "restrict":
            text += (": the prediction is the best of the mapped labels, the scores of these "
                     "labels are ignored.")
        elif policy == "wrong":
            text += (f": when one of them is the model's top label, the prediction counts as "
                     f"wrong for the true class (column {OTHER} in the confusion matrix).")
        else:
            text += "."
        lines += [text, ""]
    if unpredictable:
        lines += [f"Dataset labels the model cannot predict: "
                  f"{', '.join(map(str, unpredictable))}. Every sample of these classes is a "
                  "miss; see [Metrics on shared labels](#metrics-on-shared-labels).", ""]
    if len(lines) == 2:
        return []
    return lines


def _errors(r: Mapping[str, Any]) -> list[str]:
    errors = r.get("errors")
    by_kind = _get(errors, "by_kind")
    samples = _get(errors, "samples")
    by_kind = by_kind if isinstance(by_kind, Mapping) else {}
    samples = samples if isinstance(samples, list) else []
    if not by_kind and not samples and not finite(r.get("n_errors")):
        return []
    n_errors = finite(r.get("n_errors"))
    n_errors = int(n_errors) if n_errors is not None else len(samples)
    lines = ["## Errors", "",
             f"{n_errors:,} sample{'s' if n_errors != 1 else ''} could not be scored and "
             "{} left out of every metric.".format("is" if n_errors == 1 else "are"), ""]
    if by_kind:
        rows = sorted(by_kind.items(), key=lambda kv: -(finite(kv[1]) or 0))
        lines += [_table(["Kind", "Count"], [[k, _int_text(v)] for k, v in rows]), ""]
    shown = samples[:MAX_ERROR_SAMPLES]
    for s in shown:
        if isinstance(s, Mapping):
            lines.append(f"- {_code(s.get('id'))}: {str(s.get('error', '')).strip()}")
    rest = max(len(samples), n_errors) - len(shown)
    if rest > 0:
        lines.append(f"- ... and {rest:,} more")
    if shown or rest > 0:
        lines.append("")
    lines += [f"Every sample and its error: {DETAILED_CSV} (column `error`).", ""]
    return lines


def _efficiency(r: Mapping[str, Any]) -> list[str]:
    eff = r.get("efficiency")
    if not isinstance(eff, Mapping):
        return []
    rows = []
    if finite(eff.get("n_parameters")) is not None:
        rows.append(["Parameters", _params(eff["n_parameters"])])
    if finite(eff.get("size_bytes")) is not None:
        rows.append(["Size", f"{finite(eff['size_bytes']) / 1e6:,.1f} MB"])
    if finite(eff.get("samples_per_s")) is not None:
        rows.append(["Throughput", f"{finite(eff['samples_per_s']):,.1f} samples/s"])
    for key, name in (("latency_ms_p50", "Latency p50"), ("latency_ms_p95", "Latency p95")):
        if finite(eff.get(key)) is not None:
            rows.append([name, f"{finite(eff[key]):,.1f} ms"])
    if finite(eff.get("training_s")) is not None:  # trained probes
        rows.append(["Training time", _duration(eff["training_s"])])
    if not rows:
        return []
    lines = ["## Efficiency", "", _table(["Measure", "Value"], rows), ""]
    if eff.get("note"):
        lines += [f"*{str(eff['note']).strip()}*", ""]
    return lines


def _run(r: Mapping[str, Any]) -> list[str]:
    run = r.get("run") if isinstance(r.get("run"), Mapping) else {}
    lines: list[str] = []
    if run.get("command"):
        lines += ["Command:", "", "```", str(run["command"]).replace("```", "'''"), "```", ""]
    facts = []
    if run.get("started"):
        facts.append(f"Started: {run['started']}")
    if finite(run.get("duration_s")) is not None:
        facts.append(f"Duration: {_duration(run['duration_s'])}")
    versions = run.get("versions")
    if isinstance(versions, Mapping) and versions:
        facts.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v))
    model_fp = _get(r.get("model"), "fingerprint")
    dataset_fp = _get(r.get("dataset"), "fingerprint")
    if model_fp:
        facts.append(f"Model fingerprint: {_code(model_fp)}")
    if dataset_fp:
        facts.append(f"Dataset fingerprint: {_code(dataset_fp)}")
    if r.get("schema_version"):
        facts.append(f"results.json schema: {r['schema_version']}")
    lines += [f"- {f}" for f in facts]
    if not lines:
        return []
    return ["## Run", "", *lines, ""]


def _warnings(r: Mapping[str, Any]) -> list[str]:
    """What a reader must see before trusting the numbers (collapsed model, skipped files)."""
    items = [w for w in r.get("warnings") or [] if w]
    if not items:
        return []
    return ["## Warnings", "", *[f"- {w}" for w in items], ""]


# --------------------------------------------------------------------------- entry point


def render_markdown(results: Mapping[str, Any], *, plots: Iterable[str] | None = None) -> str:
    """The report as markdown text, from a results dict alone.

    ``plots``: the PNG file names to link (``confusion_matrix.png``, ``per_class_metrics.png``);
    by default those whose data is present, which are the ones
    :func:`emoeval.reports.render_all` writes.
    """
    if not isinstance(results, Mapping):
        raise TypeError(f"results must be a dict, got {type(results).__name__}")
    r = results
    if plots is None:
        linked = set()
        counts = _get(r.get("confusion_matrix"), "counts")
        if isinstance(counts, list) and counts:
            linked.add(CONFUSION_PNG)
        if isinstance(r.get("per_class"), Mapping) and r["per_class"]:
            linked.add(PER_CLASS_PNG)
    else:
        linked = set(plots)
    sections = [
        _title(r), _warnings(r), _headline(r), _how_to_read(r), _samples(r), _all_metrics(r),
        _shared_metrics(r), _per_class(r, PER_CLASS_PNG in linked),
        _confusion(r, CONFUSION_PNG in linked), _top_confusions(r), _imbalance(r), _slices(r),
        _label_mapping(r), _errors(r), _efficiency(r), _run(r),
    ]
    text = "\n".join(line for section in sections for line in section)
    return text.rstrip() + "\n"
