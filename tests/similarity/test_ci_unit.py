"""``similarity --ci-unit auto|sample|<column>`` (issue 20, contracts section 4): the unit
and the number of groups beside every interval, in summary.json, the report and the
headline line."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()


def run(emolia, out, *extra):
    return runner.invoke(app, ["similarity", "--items", str(emolia["items"]), "--audio-dir",
                               str(emolia["audio"]), "--sham", "--out", str(out), *extra])


def test_intervals_name_their_unit_and_group_count(emolia, tmp_path):
    rows = pd.DataFrame(emolia["rows"])
    scored = rows[(rows["majority_present"] != "") &
                  (rows["file_name"] != "EN_B09999_S00001_W000000.mp3")]  # no audio
    results = {}
    for name, extra in (("auto", []), ("sample", ["--ci-unit", "sample"]),
                        ("task", ["--ci-unit", "task_type"])):
        result = run(emolia, tmp_path / name, *extra)
        assert result.exit_code == 0, result.output
        results[name] = (result, json.loads((tmp_path / name / "summary.json").read_text()))
    n = int(results["auto"][1]["overall"]["n"])
    assert n == len(scored)
    expected = {"auto": ("audio clip", scored["file_name"].nunique()),
                "sample": ("sample", n),
                "task": ("task_type", scored["task_type"].nunique())}
    for name, (unit, n_groups) in expected.items():
        result, summary = results[name]
        for metric in ("balanced_accuracy", "accuracy", "roc_auc"):
            interval = summary["overall"]["ci"][metric]
            assert (interval["unit"], interval["n_groups"]) == (unit, n_groups), name
        report = (tmp_path / name / "report.md").read_text()
        assert f"({n_groups:,} {unit}s)" in report
        assert f"({n_groups:,} {unit}s)" in " ".join(result.output.split())


def test_ci_unit_naming_no_column_is_one_line_before_any_scoring(emolia, tmp_path):
    result = run(emolia, tmp_path / "out", "--ci-unit", "speaker")
    assert result.exit_code == 2
    assert "--ci-unit 'speaker': no such column" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
