"""Issue 19 item 5 (contracts-v2 section 5): slices with fewer than MIN_ITEMS samples keep
their figures in results.json with ``n`` and ``small: true``; the report prints
``n/a (n=3)``."""

from __future__ import annotations

import json

import pandas as pd
from sklearn.metrics import accuracy_score
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.small_samples import MIN_ITEMS


def test_a_slice_under_min_items_is_marked_small_and_printed_na(tmp_path):
    assert MIN_ITEMS == 10  # the contract's constant
    truth = ["happy", "sad", "angry"] * 9  # 27 rows
    predicted = [t if i % 4 else "sad" for i, t in enumerate(truth)]
    # channel "phone" holds 3 rows, "mail" 24
    channel = ["phone"] * 3 + ["mail"] * 24
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": [f"s{i}" for i in range(27)], "label": truth, "prediction": predicted,
                  "channel": channel}).to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["score", str(path), "--out", str(out),
                                      "--slice-by", "channel"])
    assert result.exit_code == 0, result.output
    slices = json.loads((out / "results.json").read_text())["slices"]["channel"]
    phone, mail = slices["phone"], slices["mail"]
    assert phone["n"] == 3 and phone["small"] is True
    # the value stays, computed as sklearn does
    assert phone["accuracy"] == accuracy_score(truth[:3], predicted[:3])
    assert mail["n"] == 24 and "small" not in mail
    assert mail["accuracy"] == accuracy_score(truth[3:], predicted[3:])
    report = (out / "report.md").read_text()
    phone_row = next(line for line in report.splitlines() if line.startswith("| phone |"))
    assert phone_row.count("n/a (n=3)") == 3
    mail_row = next(line for line in report.splitlines() if line.startswith("| mail |"))
    assert "n/a" not in mail_row
