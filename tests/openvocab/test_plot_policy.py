"""Issue 19 item 7: the open-vocabulary plot states the unanswered policy, so a reader
knows whether empty answers counted as misses."""

from __future__ import annotations

import json

import matplotlib.axes
import pytest
from ov_fixtures import write_npy_zip, write_openset_csv
from typer.testing import CliRunner

from emoeval.cli import app

TRUTH = {f"s{i}": "['happy', 'relaxed']" if i % 2 else "['sad']" for i in range(6)}
PREDICTED = {f"s{i}": "['happy']" if i % 3 else "[]" for i in range(6)}  # two empty answers
GROUPS = {f"s{i}": "[['happy'], ['relaxed'], ['sad']]" for i in range(6)}


@pytest.mark.parametrize("policy", ["wrong", "exclude"])
def test_the_hit_rate_plot_states_the_policy(tmp_path, monkeypatch, policy):
    titles: list[str] = []
    real = matplotlib.axes.Axes.set_title

    def capture(self, label, *args, **kwargs):
        titles.append(str(label))
        return real(self, label, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_title", capture)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "score", "--task", "open-vocabulary",
        "--truth", str(write_openset_csv(tmp_path / "truth.csv", TRUTH)),
        "--predictions", str(write_openset_csv(tmp_path / "pred.csv", PREDICTED)),
        "--synonyms", str(write_npy_zip(tmp_path / "openset-synonym.zip", GROUPS)),
        "--invalid-policy", policy, "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["protocol"]["unanswered_policy"] == policy
    assert (out / "word_hit_rates.png").is_file()
    assert any(f"unanswered: {policy}" in t for t in titles), titles
