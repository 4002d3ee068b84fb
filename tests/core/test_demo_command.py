"""`emoeval demo`: both shipped models on the shipped text set, offline."""

import json

from typer.testing import CliRunner

from emoeval.cli import app


def test_demo_writes_both_reports_and_a_side_by_side_table(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "lexicon:nrc" in result.output and "zeroshot:m" in result.output
    for name in ("lexicon_nrc", "zeroshot_minilm"):
        res = json.loads((tmp_path / name / "results.json").read_text())
        assert res["n_samples"] == 350 and res["n_errors"] == 0
        assert res["dataset"]["spec"] == "demo:en"
        chance = 1 / len(res["labels"])
        assert res["metrics"]["balanced_accuracy"] > chance
        assert set(res["slices"]["source_style"]) == {"chat", "diary", "message", "news",
                                                      "review"}
        assert (tmp_path / name / "report.md").exists()
