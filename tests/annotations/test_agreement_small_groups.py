"""Issue 19 item 5 for agreement: a subgroup with fewer than MIN_ITEMS multi-rater items is
marked small (its figures stay in the CSV) and the report prints ``n/a (n=1)`` instead of a
kappa such as -1.57 from one two-rater item."""

from __future__ import annotations

import pandas as pd
from annotation_builders import write_csv
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.small_samples import MIN_ITEMS


def test_a_subgroup_of_one_two_rater_item_is_small(tmp_path):
    rows = []
    for i in range(24):  # "studio": 24 items, three raters, mostly agreeing
        for rater, flip in (("r1", False), ("r2", i % 6 == 0), ("r3", i % 8 == 0)):
            present = (i % 2 == 0) != flip
            rows.append([f"f{i}", "studio", rater, "yes" if present else "no"])
    # "phone": a single item, two raters who disagree
    rows += [["p0", "phone", "r1", "yes"], ["p0", "phone", "r2", "no"]]
    path = write_csv(tmp_path / "ratings.csv", ["file", "condition", "user", "rating"], rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["agreement", str(path), "--item-cols", "file,condition",
                                      "--rater-col", "user", "--rating-col", "rating",
                                      "--scale", "binary", "--slice-by", "condition",
                                      "--n-resamples", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "per_condition_summary.csv", dtype={"condition": str},
                        keep_default_na=False).set_index("condition")
    # multi-rater items counted from the ratings themselves
    ratings = pd.DataFrame(rows, columns=["file", "condition", "user", "rating"])
    raters = ratings.groupby(["condition", "file"]).size()
    for condition in ("phone", "studio"):
        n_multi = int((raters[condition] >= 2).sum())
        assert table.loc[condition, "n_multi_rater_items"] == n_multi
        assert bool(table.loc[condition, "small"]) is (n_multi < MIN_ITEMS)
    assert bool(table.loc["phone", "small"]) and not bool(table.loc["studio", "small"])
    assert table.loc["phone", "fleiss_kappa"] != ""  # the value is kept in the CSV
    report = (out / "report.md").read_text()
    phone = next(line for line in report.splitlines() if line.startswith("| phone |"))
    assert "n/a (n=1)" in phone
    studio = next(line for line in report.splitlines() if line.startswith("| studio |"))
    assert "n/a (n=" not in studio
