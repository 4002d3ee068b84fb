"""The human ceiling on a table small enough to compute by hand."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.dimensional.ceiling import human_ceiling
from emoeval.errors import EmoevalError

# item a: ratings 1, 3; item b: 2, 2, 5; item c: one rating (no pair, left out)
RATINGS = pd.DataFrame({"id": ["a", "a", "b", "b", "b", "c"],
                        "V": [1, 3, 2, 2, 5, 4]})


def test_dim_ceiling_by_hand():
    # pairs (rating, mean of the others): (1,3) (3,1) (2,3.5) (2,3.5) (5,2)
    # both means 2.6; population cov -3.8/5, var 9.2/5 and 4.7/5 -> CCC -7.6/13.9
    result = human_ceiling(RATINGS)["dimensions"]["V"]
    assert result["n_pairs"] == 5 and result["n_items"] == 2
    assert result["mae"] == pytest.approx(10 / 5)
    assert result["ccc"] == pytest.approx(2 * (-3.8 / 5) / (9.2 / 5 + 4.7 / 5))


def test_dim_ceiling_restricted_to_ids():
    result = human_ceiling(RATINGS, ids=["a"])["dimensions"]["V"]
    assert result["n_pairs"] == 2 and result["mae"] == pytest.approx(2.0)
    with pytest.raises(EmoevalError):
        human_ceiling(RATINGS, ids=["zzz"])


def test_dim_ceiling_cli(tmp_path):
    ratings = tmp_path / "ratings.csv"
    RATINGS.to_csv(ratings, index=False)
    result = CliRunner().invoke(app, ["human-ceiling", str(ratings), "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "out" / "human_ceiling.json").read_text())
    assert saved["dimensions"]["V"]["mae"] == pytest.approx(2.0)
    assert "| V |" in (tmp_path / "out" / "human_ceiling.md").read_text()


def test_dim_ceiling_bad_input(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"id": ["a", "a"], "V": ["1", "x"]}).to_csv(bad, index=False)
    runner = CliRunner()
    result = runner.invoke(app, ["human-ceiling", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "non-numeric" in result.output
    result = runner.invoke(app, ["human-ceiling", str(tmp_path / "missing.csv"), "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == 2 and "no such ratings file" in result.output
