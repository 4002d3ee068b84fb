"""Report sections on small results dicts: each says what the results hold, and a block the
results lack renders nothing (never an empty table or a dangling heading)."""

from __future__ import annotations

import re
from functools import partial

import pytest

from emoeval.generative.report import generative_markdown
from emoeval.reports.classification import (
    CONFUSION_PNG,
    PER_CLASS_PNG,
    classification_sections,
    classification_slices_section,
    confusion_section,
    headline_section,
    per_class_section,
    shared_metrics_section,
    top_confusions_section,
)
from emoeval.reports.sections import (
    MAX_ERROR_SAMPLES,
    efficiency_section,
    errors_section,
    label_mapping_section,
    render_sections,
    run_section,
    samples_section,
    slices_section,
    title_section,
    warnings_section,
    write_report,
)

SHARED_SECTIONS = [title_section, warnings_section, samples_section, slices_section,
                   label_mapping_section, errors_section, efficiency_section, run_section]
CLASSIFICATION_ONLY = [headline_section, per_class_section, confusion_section,
                       top_confusions_section, shared_metrics_section,
                       classification_slices_section]


def headings(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, re.M)


@pytest.mark.parametrize("section", [s for s in SHARED_SECTIONS + CLASSIFICATION_ONLY
                                     if s is not title_section])
def test_missing_block_renders_nothing(section):
    if section is slices_section:
        section = partial(slices_section, header=["n"], cells=lambda m: [m.get("n")])
    assert section({}) == []
    assert section({"warnings": [], "errors": None, "efficiency": {}, "run": {},
                    "slices": {}, "label_mapping": None, "per_class": {},
                    "confusion_matrix": None, "top_confusions": []}) == []


def test_sections_end_with_a_blank_line():
    results = {"warnings": ["collapsed"], "n_samples": 3, "n_scored": 3, "n_errors": 0,
               "run": {"command": "emoeval evaluate"}, "efficiency": {"samples_per_s": 2.0}}
    for section in SHARED_SECTIONS[:3] + [efficiency_section, run_section]:
        lines = section(results)
        assert lines and lines[-1] == "", section.__name__


def test_render_sections_joins_in_order_with_one_final_newline():
    text = render_sections({"a": 1}, [lambda r: ["# T", ""], lambda r: [],
                                      lambda r: ["## S", "", f"a = {r['a']}", "", ""]])
    assert text == "# T\n\n## S\n\na = 1\n"
    with pytest.raises(TypeError):
        render_sections(["not", "a", "dict"], [])


def test_write_report(tmp_path):
    path = write_report(str(tmp_path / "new"), "# R\n")
    assert path.endswith("report.md")
    assert open(path, encoding="utf-8").read() == "# R\n"
    other = write_report(str(tmp_path / "new"), "{}\n", "thresholds.json")
    assert other.endswith("thresholds.json")
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["report.md",
                                                                     "thresholds.json"]


def test_title_facts():
    lines = title_section({"model": {"spec": "hf:org/m"},
                           "dataset": {"spec": "preset:x", "split": "test", "limit": 1200,
                                       "seed": 3},
                           "task": "classification"})
    assert lines[0] == "# Emotion recognition report: hf:org/m on preset:x"
    assert "- Dataset: `preset:x`, split `test`, limited to 1,200 samples (stratified, " \
           "seed 3)" in lines
    assert "- Task: classification" in lines
    assert title_section({}, heading="Multi-label report")[0] == \
        "# Multi-label report: unknown model on unknown dataset"


def test_samples_link_errors_only_when_there_are_some():
    assert "- Errors: 0" in samples_section({"n_samples": 5, "n_scored": 5, "n_errors": 0})
    lines = samples_section({"n_samples": 5, "n_scored": 3, "n_errors": 2})
    assert "- Errors: 2 (left out of every metric; see [Errors](#errors))" in lines


def test_errors_by_kind_and_the_first_samples():
    n = MAX_ERROR_SAMPLES + 5
    results = {"n_errors": n,
               "errors": {"by_kind": {"timeout": 3, "audio": n - 3},
                          "samples": [{"id": f"u{i}", "error": f"e{i} "} for i in range(n)]}}
    lines = errors_section(results)
    assert lines[2] == f"{n} samples could not be scored and are left out of every metric."
    table = "\n".join(lines)
    assert table.index("| audio |") < table.index("| timeout |")  # largest kind first
    assert "- `u0`: e0" in lines
    assert f"- `u{MAX_ERROR_SAMPLES}`: e{MAX_ERROR_SAMPLES}" not in lines
    assert "- ... and 5 more" in lines
    one = errors_section({"n_errors": 1, "errors": {"samples": [{"id": "x", "error": "bad"}]}})
    assert one[2] == "1 sample could not be scored and is left out of every metric."


def test_efficiency_rows_present_only():
    lines = efficiency_section({"efficiency": {"n_parameters": 1500, "latency_ms_p95": 38.25,
                                               "note": "model time only"}})
    text = "\n".join(lines)
    assert "| Parameters | 1.5k (1,500) |" in text
    assert "| Latency p95 | 38.2 ms |" in text  # 38.25 is exact in binary: rounds half-even
    assert "Throughput" not in text and "Latency p50" not in text
    assert lines[-2] == "*model time only*"


def test_run_block_fences_the_command_and_names_fingerprints():
    lines = run_section({"run": {"command": "emoeval x --note '```'", "duration_s": 83.4},
                         "model": {"fingerprint": "abc"}, "schema_version": 2})
    assert lines[:2] == ["## Run", ""]
    assert lines[4:7] == ["```", "emoeval x --note '''''", "```"]
    assert "- Duration: 1 min 23 s" in lines
    assert "- Model fingerprint: `abc`" in lines
    assert "- results.json schema: 2" in lines


def test_slices_one_table_per_column():
    results = {"slices": {"gender": {"female": {"n": 1200, "acc": 0.5},
                                     "male": {"n": 3, "acc": None}},
                          "empty": {}}}
    lines = slices_section(results, ["n", "Acc"], lambda m: [m.get("n"), m.get("acc")])
    text = "\n".join(lines)
    assert headings(text) == ["Slices"]
    assert "### By gender" in lines and "### By empty" not in text
    assert "| gender | n | Acc |" in text
    assert "| female | 1200 | 0.5 |" in text


def test_label_mapping_unpredictable_and_policy():
    lines = label_mapping_section({"label_mapping": {
        "model_to_dataset": {"anger": "angry", "calm": None},
        "how": {"anger": "alias"}, "unmapped_model_labels": ["calm"],
        "unmapped_policy": "wrong", "unpredictable_dataset_labels": ["sad"]}})
    text = "\n".join(lines)
    assert "| anger | angry | alias (alias of the same emotion) |" in text
    assert "| calm | — | unmapped (no counterpart) |" in text
    assert "Policy: `wrong`: when one of them is the model's top label" in text
    assert "Dataset labels the model cannot predict: sad." in text
    assert label_mapping_section({"label_mapping": {"model_to_dataset": {}}}) == []


# --------------------------------------------------------------------------- classification


def test_headline_ci_with_its_unit_and_reason():
    interval = {"low": 0.6, "high": 0.7, "unit": "speaker", "n_resamples": 1000}
    lines = headline_section({"metrics": {"accuracy": 0.65, "f1_macro": 0.5},
                              "ci": {"accuracy": interval,
                                     "f1_macro": {"reason": "only 3 speakers"}}})
    text = "\n".join(lines)
    assert "| Accuracy (WA) | 65.0% | [60.0, 70.0] |" in text
    assert "| Macro F1 | 50.0% | n/a |" in text
    assert "Balanced accuracy" not in text  # absent metric, no row
    assert "95% CI over speakers (cluster bootstrap, 1,000 resamples)." in lines
    assert "No interval: only 3 speakers." in lines
    assert headline_section({"metrics": {"other": 1.0}}) == []


def test_per_class_links_its_plot_only_when_written():
    results = {"labels": ["b", "a"], "per_class": {"a": {"precision": 0.5, "support": 2},
                                                   "b": {"recall": 1.0, "support": 1}}}
    lines = per_class_section(results)
    text = "\n".join(lines)
    assert text.index("| b |") < text.index("| a |")  # the label order of the results
    assert PER_CLASS_PNG not in text
    assert f"![Per-class precision, recall and F1]({PER_CLASS_PNG})" in \
        per_class_section(results, plotted=True)


def test_confusion_other_column_only_with_outside_predictions():
    cm = {"labels": ["a", "b"], "counts": [[3, 1], [0, 2]], "other": [0, 0]}
    text = "\n".join(confusion_section({"confusion_matrix": cm}))
    assert "| **a** | **3** | 1 |" in text
    assert "(other)" not in text
    cm["other"] = [1, 0]
    text = "\n".join(confusion_section({"confusion_matrix": cm}, plotted=True))
    assert "| true \\ predicted | a | b | (other) |" in text
    assert "| **a** | **3** | 1 | 1 |" in text
    assert f"({CONFUSION_PNG})" in text
    ragged = {"labels": ["a", "b"], "counts": [[1, 2], [3]]}
    assert confusion_section({"confusion_matrix": ragged}) == []


def test_top_confusions_with_share():
    lines = top_confusions_section({"top_confusions": [
        {"true": "sad", "predicted": "neutral", "count": 7, "share_of_true": 0.35},
        {"true": "x", "predicted": "y", "count": 0}]})
    assert "- sad -> neutral: 7 (35% of sad)" in lines
    assert not any(line.startswith("- x") for line in lines)


def test_shared_metrics_only_with_unpredictable_labels():
    results = {"metrics": {"accuracy": 0.5}, "metrics_shared_labels": {"accuracy": 0.6}}
    assert shared_metrics_section(results) == []
    results["label_mapping"] = {"unpredictable_dataset_labels": ["sad"],
                                "shared_labels": ["happy"]}
    text = "\n".join(shared_metrics_section(results))
    assert "The model cannot predict 1 dataset label: sad." in text
    assert "| Accuracy (WA) | 50.0% | 60.0% |" in text


def test_classification_sections_follow_the_plots_written():
    results = {"per_class": {"a": {"support": 1}},
               "confusion_matrix": {"labels": ["a"], "counts": [[1]]}}
    without = render_sections(results, classification_sections(set()))
    with_plots = render_sections(results, classification_sections({CONFUSION_PNG,
                                                                   PER_CLASS_PNG}))
    assert ".png" not in without
    assert CONFUSION_PNG in with_plots and PER_CLASS_PNG in with_plots


# --------------------------------------------------------------------------- composition


def generative_results(**extra) -> dict:
    results = {
        "task": "generative", "policy": "wrong", "warnings": ["few answers"],
        "valid_answer_rate": {"valid": 3, "n_answers": 4, "rate": 0.75},
        "status_counts": {"valid": 3, "invalid": 1},
        "unusable_answers": [{"response": "no idea", "status": "invalid", "count": 1,
                              "true_labels": {"sad": 1}}],
        "n_unusable": 1,
        "run": {"command": "emoeval evaluate --task generative"},
    }
    return {**results, **extra}


def test_generative_answers_follow_the_headline_or_its_place():
    with_metrics = generative_markdown(generative_results(metrics={"accuracy": 0.75}), set())
    assert headings(with_metrics)[:3] == ["Warnings", "Headline", "Answers"]
    # no headline: the answers still come after the warnings, never before them
    without = generative_markdown(generative_results(), set())
    assert headings(without)[:2] == ["Warnings", "Answers"]


def test_generative_unusable_answers_before_the_run_block():
    text = generative_markdown(generative_results(), set())
    assert headings(text)[-2:] == ["Unusable answers", "Run"]
    assert text.count("## Unusable answers") == 1


def test_generative_answer_matrix_replaces_the_confusion_matrix():
    cm = {"labels": ["a", "b"], "counts": [[1, 0], [0, 1]]}
    answer_cm = {**cm, "unusable": [1, 0]}
    text = generative_markdown(generative_results(confusion_matrix=cm,
                                                  answer_confusion_matrix=answer_cm),
                               {CONFUSION_PNG})
    assert headings(text).count("Confusion matrix") == 1
    assert "| true \\ answer | a | b | unusable |" in text
    assert "under the chosen policy `wrong`" in text
    # without an answer matrix the classification matrix stands, and with no matrix at all
    # the answer matrix is still shown
    assert "| true \\ predicted |" in generative_markdown(
        generative_results(confusion_matrix=cm), set())
    assert "| true \\ answer |" in generative_markdown(
        generative_results(answer_confusion_matrix=answer_cm), set())


def test_samples_section_does_not_call_unanswered_samples_left_out():
    """Under --unanswered wrong the abstentions are scored as misses: the Samples section
    must not say that every error was left out of the metrics."""
    from emoeval.reports.sections import samples_section

    results = {"n_samples": 10, "n_scored": 9, "n_errors": 3,
               "coverage": {"n_answered": 7, "n_unanswered": 2, "n_input_errors": 1,
                            "n_transport_errors": 0, "answered_share": 0.7},
               "protocol": {"unanswered_policy": "wrong"}}
    text = "\n".join(samples_section(results))
    assert "2 unanswered, handled by --unanswered wrong" in text
    assert "1 input or transport errors left out of every metric" in text
    plain = "\n".join(samples_section({"n_samples": 4, "n_scored": 3, "n_errors": 1}))
    assert "Errors: 1 (left out of every metric" in plain
