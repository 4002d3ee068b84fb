"""Report sections every task shares, and the composition of a report from sections.

A section is a function from the results dict to Markdown lines: a heading, its body and a
trailing blank line, or ``[]`` when the results have nothing to say there (no errors, no
slices, no label mapping for ``emoeval score``...), so a report never prints an empty table.
Sections never recompute a metric; keys they do not know are ignored.

A task report is a list of sections handed to :func:`render_sections`; adding content to a
report is one section function plus one line in that list. A section that needs more than the
results (whether a plot was written) takes it as a keyword, bound with ``functools.partial``.
Task-specific sections live beside their task (``reports/classification.py`` for the
classification family, ``multilabel/report.py``...); the ones here read keys that every task
writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from ..results_io import write_text

from .format import (
    code_span,
    count_text,
    duration_text,
    fenced_block,
    field,
    finite,
    markdown_table,
    megabytes_text,
    parameters_text,
)

from ..small_samples import MIN_ITEMS
from .honesty import model_title

REPORT_FILE = "report.md"
DETAILED_CSV = "detailed_results.csv"
OTHER = "(other)"
MAX_ERROR_SAMPLES = 20
HOW_WORDS = {
    "exact": "same name",
    "alias": "alias of the same emotion",
    "label-map": "your --label-map",
    "unmapped": "no counterpart",
}

#: a report section: results dict -> Markdown lines ([] when it has nothing to say)
Section = Callable[[Mapping[str, Any]], list[str]]


# --------------------------------------------------------------------------- composition


def render_sections(results: Mapping[str, Any], sections: Iterable[Section]) -> str:
    """The report text: each section's lines in order, one trailing newline."""
    if not isinstance(results, Mapping):
        raise TypeError(f"results must be a dict, got {type(results).__name__}")
    text = "\n".join(line for section in sections for line in section(results))
    return text.rstrip() + "\n"


def write_report(out_dir: str, text: str, name: str = REPORT_FILE) -> str:
    """Write ``text`` to ``out_dir/name`` atomically (a reader never sees half a report);
    return the path."""
    os.makedirs(out_dir, exist_ok=True)
    return write_text(os.path.join(out_dir, name), text)


# --------------------------------------------------------------------------- sections


def title_section(r: Mapping[str, Any], heading: str = "Emotion recognition report") -> list[str]:
    """``# <heading>: model on dataset`` and the facts of the run: model, dataset (split,
    stratified limit), task."""
    model = model_title(r) or "unknown model"
    dataset = field(r.get("dataset"), "spec") or "unknown dataset"
    lines = [f"# {heading}: {model} on {dataset}", ""]
    facts = [f"Model: {code_span(model)}"]
    if field(r.get("model"), "name") and field(r.get("model"), "spec") != model:
        facts[0] += f" (spec {code_span(r['model']['spec'])})"
    ds = r.get("dataset") if isinstance(r.get("dataset"), Mapping) else {}
    ds_fact = f"Dataset: {code_span(dataset)}"
    extras = []
    if ds.get("split"):
        extras.append(f"split {code_span(ds['split'])}")
    if ds.get("limit") is not None:
        extras.append(f"limited to {count_text(ds['limit'])} samples (stratified, seed "
                      f"{ds.get('seed', 'n/a')})")
    if extras:
        ds_fact += ", " + ", ".join(extras)
    facts.append(ds_fact)
    if r.get("task"):
        facts.append(f"Task: {r['task']}")
    lines += [f"- {f}" for f in facts] + [""]
    return lines


def warnings_section(r: Mapping[str, Any]) -> list[str]:
    """What a reader must see before trusting the numbers (collapsed model, skipped files)."""
    items = [w for w in r.get("warnings") or [] if w]
    if not items:
        return []
    return ["## Warnings", "", *[f"- {w}" for w in items], ""]


def samples_section(r: Mapping[str, Any]) -> list[str]:
    """Samples, scored, errors (linked to the errors section when there are any)."""
    keys = ("n_samples", "n_scored", "n_errors")
    if all(r.get(k) is None for k in keys):
        return []
    lines = ["## Samples", "",
             f"- Samples: {count_text(r.get('n_samples'))}",
             f"- Scored: {count_text(r.get('n_scored'))}"]
    errors = f"- Errors: {count_text(r.get('n_errors'))}"
    coverage = r.get("coverage") if isinstance(r.get("coverage"), Mapping) else None
    unanswered = finite((coverage or {}).get("n_unanswered")) or 0
    if finite(r.get("n_errors")) and unanswered:
        # unanswered samples are scored by the policy: only the rest is left out
        policy = field(r.get("protocol"), "unanswered_policy") or "the chosen policy"
        left_out = count_text((finite(coverage.get("n_input_errors")) or 0)
                              + (finite(coverage.get("n_transport_errors")) or 0))
        errors += (f" ({count_text(unanswered)} unanswered, handled by --unanswered "
                   f"{policy}; {left_out} input or transport errors left out of every "
                   "metric; see [Errors](#errors))")
    elif finite(r.get("n_errors")):
        errors += " (left out of every metric; see [Errors](#errors))"
    lines.append(errors)
    return lines + [""]


def slices_section(r: Mapping[str, Any], header: Sequence[str],
                   cells: Callable[[Mapping[str, Any]], list[Any]]) -> list[str]:
    """``## Slices``: one table per ``--slice-by`` column. ``header``: the column titles after
    the group value; ``cells(metrics)``: one group's cells under them."""
    slices = r.get("slices")
    if not isinstance(slices, Mapping):
        return []
    lines: list[str] = []
    for column, values in slices.items():
        if not isinstance(values, Mapping) or not values:
            continue
        rows = [[value, *cells(m if isinstance(m, Mapping) else {})]
                for value, m in values.items()]
        lines += [f"### By {column}", "", markdown_table([str(column), *header], rows), ""]
    if not lines:
        return []
    return ["## Slices", "", "The same metrics within each group of samples (no confidence "
            "intervals: small groups give noisy numbers; a group of fewer than "
            f"{MIN_ITEMS} samples shows n/a).", "", *lines]


def label_mapping_section(r: Mapping[str, Any]) -> list[str]:
    """How each model label met a dataset label, the unmapped policy, the dataset labels the
    model cannot predict."""
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
                  markdown_table(["Model label", "Dataset label", "How"], rows,
                                 ["l", "l", "l"]), ""]
    if unmapped:
        text = (f"Model labels with no dataset counterpart: {', '.join(map(str, unmapped))}. "
                f"Policy: {code_span(policy or 'n/a')}")
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


def errors_section(r: Mapping[str, Any]) -> list[str]:
    """How many samples could not be scored, by kind, the first few ids with their error."""
    errors = r.get("errors")
    by_kind = field(errors, "by_kind")
    samples = field(errors, "samples")
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
        lines += [markdown_table(["Kind", "Count"], [[k, count_text(v)] for k, v in rows]), ""]
    shown = samples[:MAX_ERROR_SAMPLES]
    for s in shown:
        if isinstance(s, Mapping):
            lines.append(f"- {code_span(s.get('id'))}: {str(s.get('error', '')).strip()}")
    rest = max(len(samples), n_errors) - len(shown)
    if rest > 0:
        lines.append(f"- ... and {rest:,} more")
    if shown or rest > 0:
        lines.append("")
    lines += [f"Every sample and its error: {DETAILED_CSV} (column `error`).", ""]
    return lines


def efficiency_section(r: Mapping[str, Any]) -> list[str]:
    """Parameters, size, throughput, latency percentiles, training time (trained probes)."""
    eff = r.get("efficiency")
    if not isinstance(eff, Mapping):
        return []
    rows = []
    if finite(eff.get("n_parameters")) is not None:
        rows.append(["Parameters", parameters_text(eff["n_parameters"])])
    if finite(eff.get("size_bytes")) is not None:
        rows.append(["Size", megabytes_text(eff["size_bytes"])])
    if finite(eff.get("samples_per_s")) is not None:
        rows.append(["Throughput", f"{finite(eff['samples_per_s']):,.1f} samples/s"])
    for key, name in (("latency_ms_p50", "Latency p50"), ("latency_ms_p95", "Latency p95")):
        if finite(eff.get(key)) is not None:
            rows.append([name, f"{finite(eff[key]):,.1f} ms"])
    if finite(eff.get("training_s")) is not None:  # trained probes
        rows.append(["Training time", duration_text(eff["training_s"])])
    if not rows:
        return []
    lines = ["## Efficiency", "", markdown_table(["Measure", "Value"], rows), ""]
    if eff.get("note"):
        lines += [f"*{str(eff['note']).strip()}*", ""]
    return lines


def run_section(r: Mapping[str, Any]) -> list[str]:
    """The command, start, duration, versions, fingerprints and schema: enough to rerun."""
    run = r.get("run") if isinstance(r.get("run"), Mapping) else {}
    lines: list[str] = []
    if run.get("command"):
        lines += ["Command:", "", *fenced_block(run["command"]), ""]
    facts = []
    if run.get("started"):
        facts.append(f"Started: {run['started']}")
    if finite(run.get("duration_s")) is not None:
        facts.append(f"Duration: {duration_text(run['duration_s'])}")
    versions = run.get("versions")
    if isinstance(versions, Mapping) and versions:
        facts.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v))
    model_fp = field(r.get("model"), "fingerprint")
    dataset_fp = field(r.get("dataset"), "fingerprint")
    if model_fp:
        facts.append(f"Model fingerprint: {code_span(model_fp)}")
    if dataset_fp:
        facts.append(f"Dataset fingerprint: {code_span(dataset_fp)}")
    if r.get("schema_version"):
        facts.append(f"results.json schema: {r['schema_version']}")
    lines += [f"- {f}" for f in facts]
    if not lines:
        return []
    return ["## Run", "", *lines, ""]


def coverage_section(r: Mapping[str, Any]) -> list[str]:
    """Which samples the model answered, by outcome kind (contracts-v2 sections 1 and 3)."""
    coverage = r.get("coverage")
    if not isinstance(coverage, Mapping):
        return []
    share = finite(coverage.get("answered_share"))
    answered = count_text(coverage.get("n_answered"))
    if share is not None:
        answered += f" ({share * 100:.1f}%)"
    rows = [["Answered", answered],
            ["Unanswered (scored by the unanswered policy)",
             count_text(coverage.get("n_unanswered"))],
            ["Input errors (left out of every metric)", count_text(coverage.get("n_input_errors"))],
            ["Transport errors (left out; asked again on the next run)",
             count_text(coverage.get("n_transport_errors"))]]
    return ["## Coverage", "", markdown_table(["Samples", "n"], rows), ""]


def chosen_policy(r: Mapping[str, Any]) -> str:
    """The unanswered policy the headline was computed under ('' when not recorded)."""
    protocol = r.get("protocol") if isinstance(r.get("protocol"), Mapping) else {}
    return str(protocol.get("unanswered_policy") or r.get("policy") or "")


def policies_section(r: Mapping[str, Any], metrics: Sequence[tuple[str, str]] = (),
                     digits: int = 1) -> list[str]:
    """The headline metrics under every unanswered policy of the task, the chosen one
    marked. ``metrics``: (key, title) columns; by default every key the entries carry."""
    table = r.get("policies")
    if not isinstance(table, Mapping) or not table:
        return []
    entries = {name: (block if isinstance(block, Mapping) else {}) for name, block in table.items()}
    if not metrics:
        keys = next((list(b["metrics"]) for b in entries.values()
                     if isinstance(b.get("metrics"), Mapping)), [])
        metrics = [(key, key) for key in keys]
    chosen = chosen_policy(r)
    rows = []
    for name, block in entries.items():
        values = block.get("metrics") if isinstance(block.get("metrics"), Mapping) else {}
        title = f"**{name}** (chosen)" if name == chosen else name
        rows.append([title, count_text(block.get("n_scored")),
                     *(_figure(values.get(key), digits) for key, _ in metrics)])
    return ["## Metrics under every policy", "",
            "The same predictions scored under each `--unanswered` policy: `wrong` counts an "
            "unanswered sample as a miss for its true class (and a false positive for no "
            "class), `exclude` leaves it out, `fallback:<label>` predicts that label, "
            "`midpoint` rates it the middle of the scale. Input and transport errors are left "
            "out under every policy. The headline uses the chosen policy.", "",
            markdown_table(["Policy", "Scored", *(title for _, title in metrics)], rows), ""]


def _figure(value: Any, digits: int) -> str:
    from .format import pct

    number = finite(value)
    if number is None:
        return "n/a"
    return pct(number, digits) if 0 <= number <= 1 else f"{number:.3f}"


def protocol_section(r: Mapping[str, Any]) -> list[str]:
    """How the headline was computed (contracts-v2 section 3): policy, resampling unit,
    label merges and maps, threshold source, sample counts, training-manifest overlap."""
    protocol = r.get("protocol")
    if not isinstance(protocol, Mapping) or not protocol:
        return []
    facts = []
    if protocol.get("unanswered_policy"):
        facts.append(f"Unanswered policy: {code_span(protocol['unanswered_policy'])}")
    if protocol.get("resampling_unit"):
        groups = protocol.get("n_groups")
        facts.append(f"Resampling unit: {protocol['resampling_unit']}"
                     + (f" ({count_text(groups)} groups)" if groups is not None else ""))
    merges = protocol.get("label_merges") or {}
    if merges:
        facts.append("Label merges: " + ", ".join(f"{k} -> {v}" for k, v in merges.items()))
    if protocol.get("label_map"):
        facts.append("Label map: " + ", ".join(f"{k} -> {v}" for k, v in
                                               protocol["label_map"].items()))
    if protocol.get("threshold_source"):
        tuning = protocol.get("tuning_split")
        size = protocol.get("tuning_size")
        facts.append(f"Threshold: {protocol['threshold_source']}"
                     + (f", tuned on {code_span(tuning)}" if tuning else "")
                     + (f" ({count_text(size)} samples)" if size is not None else ""))
    counts = protocol.get("sample_counts") or {}
    if counts:
        facts.append("Samples: " + ", ".join(f"{k.removeprefix('n_').replace('_', ' ')} "
                                              f"{count_text(v)}" for k, v in counts.items()))
    overlap = protocol.get("training_overlap")
    if isinstance(overlap, Mapping):
        facts.append(f"Training manifest ({overlap.get('source')}): "
                     f"{count_text(overlap.get('n_overlapping_ids'))} evaluated ids and "
                     f"{count_text(overlap.get('n_overlapping_speakers'))} speakers also in "
                     "training" + ("" if overlap.get("speakers_known") else
                                   " (the manifest names no speakers)"))
    return ["## Protocol", "", *[f"- {f}" for f in facts], ""] if facts else []
