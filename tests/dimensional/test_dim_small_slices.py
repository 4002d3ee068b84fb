"""Issue 19 item 5 for dimensional scores: a slice of fewer than MIN_ITEMS samples keeps
its CCC in results.json with ``n`` and ``small: true``; the report prints ``n/a (n=4)``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.small_samples import MIN_ITEMS


def ccc(x: np.ndarray, y: np.ndarray) -> float:
    """Lin's concordance correlation (population moments), written out as a reference."""
    covariance = ((x - x.mean()) * (y - y.mean())).mean()
    return 2 * covariance / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)


def test_a_small_dimensional_slice_is_marked(tmp_path):
    rng = np.random.default_rng(3)
    truth = rng.uniform(1, 5, 30)
    frame = pd.DataFrame({"id": [f"s{i}" for i in range(30)], "V_true": truth,
                          "V_pred": truth + rng.normal(0, 0.5, 30),
                          "room": ["booth"] * 4 + ["hall"] * 26})
    frame.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["score", str(tmp_path / "p.csv"), "--task",
                                      "dimensional", "--out", str(out), "--slice-by", "room"])
    assert result.exit_code == 0, result.output
    slices = json.loads((out / "results.json").read_text())["slices"]["room"]
    booth = frame[frame["room"] == "booth"]
    assert slices["booth"]["n"] == 4 < MIN_ITEMS and slices["booth"]["small"] is True
    assert slices["booth"]["V"]["ccc"] == pytest.approx(
        ccc(booth["V_true"].to_numpy(), booth["V_pred"].to_numpy()))
    assert "small" not in slices["hall"]
    report = (out / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| booth |"))
    assert row.count("n/a (n=4)") == 2  # CCC and MAE
