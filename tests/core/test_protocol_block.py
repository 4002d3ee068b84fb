"""The protocol block and training-manifest overlap (issue 19 item 2; contracts-v2 s. 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def text_csv(path: Path) -> Path:
    rows = [{"id": f"r{i}", "text": text, "label": label, "speaker": f"s{i % 3}"}
            for i, (text, label) in enumerate([("so happy", "happy"), ("I cry", "sad"),
                                               ("angry and furious", "angry"),
                                               ("glad", "happy"), ("so sad", "sad"),
                                               ("furious", "angry")])]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def evaluate(tmp_path: Path, out: Path, *extra):
    return invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                  f"csv:{text_csv(tmp_path / 'text.csv')}", "--out", out, *extra)


def test_protocol_states_policy_resampling_merges_and_counts(tmp_path):
    out = tmp_path / "run"
    result = evaluate(tmp_path, out, "--merge", "angry=sad", "--unanswered", "exclude")
    assert result.exit_code == 0, result.output
    protocol = json.loads((out / "results.json").read_text())["protocol"]
    assert protocol["unanswered_policy"] == "exclude"
    assert protocol["resampling_unit"] == "speaker" and protocol["n_groups"] == 3
    assert protocol["label_merges"] == {"angry": "sad"}
    assert protocol["sample_counts"]["n_evaluated"] == 6
    assert protocol["training_overlap"] is None  # no manifest known
    report = (out / "report.md").read_text()
    assert "## Protocol" in report and "Unanswered policy: `exclude`" in report
    assert "Resampling unit: speaker (3 groups)" in report


def test_train_manifest_overlap_is_recorded_and_speakers_warned_at_the_top(tmp_path):
    manifest = tmp_path / "train.csv"
    pd.DataFrame({"id": ["t1", "t2", "r0"], "speaker": ["s1", "s9", "s9"]}).to_csv(
        manifest, index=False)
    out = tmp_path / "run"
    result = evaluate(tmp_path, out, "--train-manifest", manifest)
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    overlap = res["protocol"]["training_overlap"]
    assert overlap["n_overlapping_speakers"] == 1 and overlap["overlapping_speakers"] == ["s1"]
    assert overlap["n_overlapping_ids"] == 1 and overlap["overlapping_ids"] == ["r0"]
    assert "speaker-independent" in res["warnings"][0]
    report = (out / "report.md").read_text()
    headings = re.findall(r"^## (.+)$", report, re.M)
    assert headings[0] == "Warnings"  # the first thing a reader sees after the title
    first_warning = report.split("## Warnings", 1)[1].strip().splitlines()[0]
    assert "speaker-independent" in first_warning


def test_a_jsonl_manifest_with_ids_only(tmp_path):
    manifest = tmp_path / "train.jsonl"
    manifest.write_text('{"id": "r1"}\n{"id": "zz"}\n')
    out = tmp_path / "run"
    assert evaluate(tmp_path, out, "--train-manifest", manifest).exit_code == 0
    overlap = json.loads((out / "results.json").read_text())["protocol"]["training_overlap"]
    assert overlap["n_overlapping_ids"] == 1 and overlap["speakers_known"] is False


def test_a_manifest_without_id_or_speaker_fails_in_one_line_before_any_model_runs(tmp_path):
    manifest = tmp_path / "train.csv"
    pd.DataFrame({"file": ["a.wav"], "label": ["happy"]}).to_csv(manifest, index=False)
    out = tmp_path / "run"
    result = evaluate(tmp_path, out, "--train-manifest", manifest)
    assert result.exit_code == 2 and "Traceback" not in result.output
    message = " ".join(result.output.split())
    assert "needs an 'id' or 'speaker' column" in message
    assert not (out / "predictions.jsonl").exists()
    result = evaluate(tmp_path, out, "--train-manifest", tmp_path / "absent.csv")
    assert result.exit_code == 2 and "no such file" in result.output


def test_a_probe_manifest_counts_as_a_training_manifest():
    from emoeval.datasets.base import Row
    from emoeval.protocol import adapter_manifest, overlap_warnings, training_overlap

    class ProbeLike:  # what emoeval.adapters.probe gives from trained_on.json
        def trained_on(self):
            return {("r1", "digest-1"), ("t9", "digest-9")}

    rows = [Row(id="r1", label="happy", text="x"), Row(id="r2", label="sad", text="y")]
    overlap = training_overlap(adapter_manifest(ProbeLike()), rows)
    assert overlap["source"] == "trained_on.json" and overlap["n_overlapping_ids"] == 1
    assert overlap["n_manifest_ids"] == 2 and overlap["n_overlapping_speakers"] == 0
    assert overlap_warnings(overlap) and adapter_manifest(object()) is None
