"""report.md: numbers come from the results dict, sections appear only with something to say."""

from __future__ import annotations

import math
import re

import pytest

from emoeval.reports import render_markdown
from emoeval.reports.markdown import ci_text, pct


def section(markdown: str, title: str) -> str:
    """The text of one ``## title`` section (up to the next ``## ``), '' when absent."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    return match.group(1) if match else ""


def headings(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, re.M)


def as_pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def as_ci(interval: dict) -> str:
    return f"[{interval['low'] * 100:.1f}, {interval['high'] * 100:.1f}]"


def test_title_names_model_and_dataset(full_results):
    first = render_markdown(full_results).splitlines()[0]
    assert first.startswith("# ")
    assert full_results["model"]["spec"] in first
    assert full_results["dataset"]["spec"] in first


def test_headline_numbers_and_ci_unit_come_from_results(full_results):
    headline = section(render_markdown(full_results), "Headline")
    metrics, ci = full_results["metrics"], full_results["ci"]
    for key, name in [("accuracy", "Accuracy (WA)"), ("balanced_accuracy",
                                                     "Balanced accuracy (UA)"),
                      ("f1_macro", "Macro F1")]:
        row = f"| {name} | {as_pct(metrics[key])} | {as_ci(ci[key])} |"
        assert row in headline, row
    assert ci["accuracy"]["unit"] == "speaker"  # the table has a speaker column
    assert "95% CI over speakers (cluster bootstrap, 200 resamples)" in headline


def test_ci_unit_for_sample_bootstrap(make_table, make_results):
    table = make_table().drop(columns=["speaker"])
    results = make_results(table)
    assert results["ci"]["accuracy"]["unit"] == "sample"
    headline = section(render_markdown(results), "Headline")
    assert "95% CI over samples (bootstrap, 200 resamples)" in headline


def test_ci_unit_text_default_resamples():
    from emoeval.reports.markdown import ci_unit_text

    assert ci_unit_text({"unit": "speaker", "n_resamples": 1000}) == \
        "95% CI over speakers (cluster bootstrap, 1,000 resamples)"


def test_how_to_read_defines_wa_and_ua(full_results):
    text = section(render_markdown(full_results), "How to read this")
    assert "**WA** (weighted accuracy) is plain accuracy" in text
    assert "share of all samples predicted correctly" in text
    assert "**UA** (unweighted average recall) is balanced accuracy" in text
    assert "mean of the per-class recalls" in text
    assert "every class counts equally" in text
    assert "Papers mix the two up" in text


def test_sections_in_order(full_results):
    # issue 19 adds coverage, the policies side by side and the protocol
    assert headings(render_markdown(full_results)) == [
        "Headline", "How to read this", "Samples", "Coverage", "Metrics under every policy",
        "All metrics", "Metrics on shared labels",
        "Per class", "Confusion matrix", "Top confusions", "Class imbalance", "Slices",
        "Label mapping", "Protocol", "Errors", "Efficiency", "Run",
    ]


def test_samples_and_all_metrics(full_results):
    md = render_markdown(full_results)
    samples = section(md, "Samples")
    assert f"- Samples: {full_results['n_samples']:,}" in samples
    assert f"- Scored: {full_results['n_scored']:,}" in samples
    assert f"- Errors: {full_results['n_errors']:,}" in samples
    table = section(md, "All metrics")
    for key, value in full_results["metrics"].items():
        assert f"| {as_pct(value)} | {as_ci(full_results['ci'][key])} |" in table, key


def test_shared_labels_section_names_unpredictable_labels(full_results):
    text = section(render_markdown(full_results), "Metrics on shared labels")
    assert full_results["label_mapping"]["unpredictable_dataset_labels"] == ["sad"]
    assert "cannot predict 1 dataset label: sad" in text
    shared = full_results["metrics_shared_labels"]
    assert f"| Accuracy (WA) | {as_pct(full_results['metrics']['accuracy'])} | " \
           f"{as_pct(shared['accuracy'])} |" in text


def test_per_class_rows(full_results):
    text = section(render_markdown(full_results), "Per class")
    cannot = set(full_results["label_mapping"]["unpredictable_dataset_labels"])
    for label, v in full_results["per_class"].items():
        # issue 19: a label the model cannot predict is marked as such, not a plain zero
        name = f"{label} (cannot predict)" if label in cannot else label
        row = (f"| {name} | {as_pct(v['precision'])} | {as_pct(v['recall'])} | "
               f"{as_pct(v['f1'])} | {v['support']:,} | {v['predicted']:,} |")
        assert row in text, row
    assert "(per_class_metrics.png)" in text


def test_confusion_matrix_table_with_other_column(full_results):
    cm = full_results["confusion_matrix"]
    assert any(cm["other"])
    text = section(render_markdown(full_results), "Confusion matrix")
    header = next(line for line in text.splitlines() if line.startswith("| true"))
    assert header == "| true \\ predicted | angry | happy | neutral | sad | (other) |"
    for i, label in enumerate(cm["labels"]):
        cells = [f"**{v}**" if i == j else str(v) for j, v in enumerate(cm["counts"][i])]
        assert f"| **{label}** | {' | '.join(cells)} | {cm['other'][i]} |" in text
    assert "(confusion_matrix.png)" in text


def test_no_other_column_when_unused(score_results):
    assert not any(score_results["confusion_matrix"]["other"])
    md = render_markdown(score_results)
    text = section(md, "Confusion matrix")
    assert "| true \\ predicted | angry | happy | neutral | sad |" in text
    assert "(other)" not in md


def test_top_confusions(full_results):
    text = section(render_markdown(full_results), "Top confusions")
    for c in full_results["top_confusions"]:
        line = (f"- {c['true']} -> {c['predicted']}: {c['count']} "
                f"({c['share_of_true'] * 100:.0f}% of {c['true']})")
        assert line in text
    assert any(c["predicted"] == "(other)" for c in full_results["top_confusions"])


def test_class_imbalance(full_results):
    text = section(render_markdown(full_results), "Class imbalance")
    imbalance = full_results["class_imbalance"]
    for c in imbalance["classes"]:
        assert (f"| {c['label']} | {c['count']:,} | {as_pct(c['share'])} | "
                f"{c['suggested_weight']:.3f} |") in text
    assert f"Imbalance ratio (largest / smallest class): {imbalance['imbalance_ratio']:.2f}" \
        in text


def test_slices_one_table_per_column(full_results):
    text = section(render_markdown(full_results), "Slices")
    assert "### By gender" in text
    for value, m in full_results["slices"]["gender"].items():
        assert (f"| {value} | {m['n']:,} | {as_pct(m['accuracy'])} | "
                f"{as_pct(m['balanced_accuracy'])} | {as_pct(m['f1_macro'])} |") in text


def test_label_mapping(full_results):
    text = section(render_markdown(full_results), "Label mapping")
    assert "| anger | angry | alias" in text
    assert "| joy | happy | alias" in text
    assert "| neutral | neutral | exact" in text
    assert "| calm | — | unmapped" in text
    assert "Model labels with no dataset counterpart: calm. Policy: `wrong`" in text
    assert "Dataset labels the model cannot predict: sad." in text


def test_errors_list_first_20_then_count(full_results):
    errors = full_results["errors"]
    assert full_results["n_errors"] == 25 == len(errors["samples"])
    text = section(render_markdown(full_results), "Errors")
    for kind, count in errors["by_kind"].items():
        assert f"| {kind} | {count} |" in text
    for s in errors["samples"][:20]:
        assert f"- `{s['id']}`: {s['error']}" in text
    for s in errors["samples"][20:]:
        assert s["id"] not in text
    assert "- ... and 5 more" in text
    assert "detailed_results.csv" in text


def test_efficiency_and_run(full_results):
    md = render_markdown(full_results)
    eff = section(md, "Efficiency")
    assert "| Parameters | 94.6M (94,568,711) |" in eff
    assert "| Size | 378.3 MB |" in eff
    assert "| Throughput | 41.2 samples/s |" in eff
    assert "| Latency p50 | 21.5 ms |" in eff
    assert "| Latency p95 | 38.2 ms |" in eff or "| Latency p95 | 38.3 ms |" in eff
    assert full_results["efficiency"]["note"] in eff
    run = section(md, "Run")
    assert full_results["run"]["command"] in run
    assert "Duration: 1 min 23 s" in run
    assert "emoeval 0.1.0, python 3.11.9, numpy 2.0.0" in run


def test_sections_without_data_are_omitted(score_results):
    assert score_results["slices"] == {}
    assert score_results["errors"] == {"by_kind": {}, "samples": []}
    md = render_markdown(score_results)
    present = headings(md)
    for absent in ("Slices", "Label mapping", "Efficiency", "Errors",
                   "Metrics on shared labels"):
        assert absent not in present, absent
    assert "- Errors: 0" in section(md, "Samples")
    for kept in ("Headline", "Per class", "Confusion matrix", "Class imbalance", "Run"):
        assert kept in present


def test_shared_labels_omitted_when_model_predicts_every_label(make_table, make_results):
    from emoeval.labels import build_mapping

    mapping = build_mapping(["angry", "happy", "neutral", "sad"], ["angry", "happy",
                                                                   "neutral", "sad"])
    md = render_markdown(make_results(make_table(), mapping=mapping))
    assert "Metrics on shared labels" not in md
    assert "| angry | angry | exact" in section(md, "Label mapping")


def test_missing_interval_says_why(make_table, make_results):
    table = make_table()
    table["speaker"] = "spk0"  # one speaker: score_table falls back to a sample bootstrap
    results = make_results(table)
    reason = "only one speaker: a cluster bootstrap needs at least two"
    for interval in results["ci"].values():
        interval.update(low=None, high=None, reason=reason)
    headline = section(render_markdown(results), "Headline")
    assert f"| Accuracy (WA) | {as_pct(results['metrics']['accuracy'])} | n/a |" in headline
    assert f"No interval: {reason}." in headline


def test_minimal_and_odd_results_do_not_crash():
    assert render_markdown({}).startswith("# ")
    md = render_markdown({"metrics": {"accuracy": float("nan"), "balanced_accuracy": None},
                          "ci": None, "per_class": None, "confusion_matrix": None,
                          "slices": None, "errors": None, "label_mapping": None,
                          "efficiency": {"note": "x"}, "run": None, "future_key": [1]})
    assert "| Accuracy (WA) | n/a | n/a |" in md
    assert "## Efficiency" not in md  # a note without numbers says nothing
    with pytest.raises(TypeError):
        render_markdown([])  # type: ignore[arg-type]


def test_formatters():
    assert pct(0.645) == "64.5%"
    assert pct(None) == "n/a" and pct(math.nan) == "n/a"
    assert ci_text({"low": 0.612, "high": 0.678}) == "[61.2, 67.8]"
    assert ci_text({"low": None, "high": None, "reason": "no samples"}) == "n/a"


def test_pipes_in_labels_do_not_break_tables(make_results, make_table):
    results = make_results(make_table())
    results["per_class"] = {"a|b": results["per_class"]["angry"]}
    text = section(render_markdown(results), "Per class")
    assert "| a\\|b |" in text
