"""Issue 17, failure 3: ``score`` corrupted labels from JSONL and Parquet.

Integer labels came back as ``0.0`` when the column also held a null, and a null became the
class ``nan``. CSV, TSV, JSONL and Parquet now give the same ids, labels and predictions as
written; missing is an empty or blank cell (CSV/TSV) or a null or NaN (JSONL/Parquet).
"""

from __future__ import annotations

import csv
import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from emoeval.api import read_predictions_file
from emoeval.cli import app
from emoeval.errors import EmoevalError
from emoeval.scoring import score_classification
from emoeval.tables import is_missing

COLUMNS = ("id", "label", "prediction")


def write_table(path, rows, fmt, blank=""):
    """``rows``: dicts of id, label, prediction with None for a missing cell."""
    if fmt in ("csv", "tsv"):
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="\t" if fmt == "tsv" else ",")
            writer.writerow(COLUMNS)
            writer.writerows([blank if r[c] is None else r[c] for c in COLUMNS] for r in rows)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.table({c: [r[c] for r in rows] for c in COLUMNS}), path)
    return path


ISSUE_ROWS = [{"id": 1, "label": 0, "prediction": 0}, {"id": 2, "label": 1, "prediction": 1},
              {"id": 3, "label": 0, "prediction": None}]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_integer_labels_stay_integers_and_a_null_is_no_class(tmp_path, fmt):
    path = write_table(tmp_path / f"p.{fmt}", ISSUE_ROWS, fmt)
    result = CliRunner().invoke(app, ["score", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["labels"] == ["0", "1"]
    # the missing prediction is unanswered: a scored miss under the default --unanswered
    # wrong (issue 19), still listed among the errors
    assert results["n_scored"] == 3 and results["n_errors"] == 1
    assert results["coverage"]["n_unanswered"] == 1
    assert results["errors"]["samples"] == [{"id": "3", "error": "no prediction",
                                             "kind": "unanswered"}]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_missing_label_is_an_error_naming_the_rows(tmp_path, fmt):
    rows = ISSUE_ROWS + [{"id": 4, "label": None, "prediction": 1},
                         {"id": 5, "label": None, "prediction": 0}]
    path = write_table(tmp_path / f"p.{fmt}", rows, fmt)
    result = CliRunner().invoke(app, ["score", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no label in 2 rows (4, 5)" in result.output and "Traceback" not in result.output


def test_nan_null_none_strings_stay_labels_and_blank_cells_are_missing(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,label,prediction\na,NaN,NaN\nb,null,None\nc,None,None\nd,NaN,  \n")
    table = read_predictions_file(str(path))
    assert list(table["label"]) == ["NaN", "null", "None", "NaN"]
    assert list(table["prediction"]) == ["NaN", "None", "None", ""]
    part, _ = score_classification(table, n_resamples=10)
    assert part["labels"] == ["NaN", "None", "null"]
    # d (a blank prediction) is unanswered: scored as a miss under the default wrong
    assert part["n_scored"] == 4 and part["errors"]["samples"][0]["id"] == "d"
    assert part["coverage"]["n_unanswered"] == 1


def test_the_missing_rule():
    for missing in (None, float("nan"), "", "   ", "\t"):
        assert is_missing(missing), repr(missing)
    for present in (0, 0.0, "0", "NaN", "null", "None", False):
        assert not is_missing(present), repr(present)


LABELS = {"int": [0, 1, 2], "str": ["anger", "joy", "NaN", "null", "None", "0"]}


@st.composite
def tables(draw):
    kind = draw(st.sampled_from(sorted(LABELS)))
    n = draw(st.integers(2, 25))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    rows = []
    for i in ids:
        label = draw(st.sampled_from(LABELS[kind]))
        prediction = draw(st.one_of(st.none(), st.sampled_from(LABELS[kind])))
        rows.append({"id": i, "label": label, "prediction": prediction})
    if all(r["prediction"] is None for r in rows):
        rows[0]["prediction"] = rows[0]["label"]
    return rows, draw(st.sampled_from(["", " ", "  \t"])), draw(st.booleans())


def _summary(part):
    keep = ("labels", "n_samples", "n_scored", "n_errors", "metrics", "per_class",
            "confusion_matrix", "ci", "errors")
    return json.dumps({k: part[k] for k in keep}, sort_keys=True)


@settings(derandomize=True, max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_one_table_in_four_formats_scores_the_same(tmp_path_factory, table):
    rows, blank, nan_for_null = table
    folder = tmp_path_factory.mktemp("formats")
    summaries = {}
    for fmt in ("csv", "tsv", "jsonl", "parquet"):
        written = rows
        if fmt == "jsonl" and nan_for_null:  # a float NaN is missing too
            written = [{**r, "prediction": math.nan if r["prediction"] is None
                        else r["prediction"]} for r in rows]
        path = write_table(folder / f"p.{fmt}", written, fmt, blank=blank)
        loaded = read_predictions_file(str(path))
        assert list(loaded["id"]) == [str(r["id"]) for r in rows]
        assert list(loaded["label"]) == [str(r["label"]) for r in rows]  # 0 stays "0"
        part, _ = score_classification(loaded, n_resamples=20, seed=1)
        summaries[fmt] = _summary(part)
    assert len(set(summaries.values())) == 1, summaries


def test_an_unreadable_jsonl_line_is_one_line_of_error(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": 1, "label": 0, "prediction": 0}\n{"id": 2, "label"\n')
    with pytest.raises(EmoevalError, match="line 2: not valid JSON"):
        read_predictions_file(str(path))
