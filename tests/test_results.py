"""The results core: schema version 2 everywhere, core keys checked when written, one
reader rule for old files, and one errors/counts/slices helper for every scorer."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from emoeval.api import load_results, score_file, write_results
from emoeval.errors import EmoevalError
from emoeval.results import REQUIRED_KEYS, SCHEMA_VERSION, check_results, schema_version
from emoeval.scoring import check_slice_columns, errors_block, require_scored


def scored_classification(tmp_path: Path) -> dict:
    table = pd.DataFrame({"id": ["a", "b", "c", "d"], "label": ["joy", "sad", "joy", "sad"],
                          "prediction": ["joy", "sad", "sad", ""],
                          "error": ["", "", "", "timeout after 30 s: no answer"]})
    table.to_csv(tmp_path / "p.csv", index=False)
    return score_file(str(tmp_path / "p.csv"), str(tmp_path / "out"), n_resamples=20)


def test_results_carry_schema_2_and_the_new_keys(tmp_path):
    results = scored_classification(tmp_path)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert SCHEMA_VERSION == 2 and saved["schema_version"] == 2
    assert set(REQUIRED_KEYS) <= set(saved)
    # issue 19 fills coverage, policies and protocol: the timeout is a transport error
    assert saved["coverage"] == {"n_answered": 3, "n_unanswered": 0, "n_input_errors": 0,
                                 "n_transport_errors": 1, "answered_share": 0.75}
    assert set(saved["policies"]) == {"wrong", "exclude"}
    assert saved["protocol"]["unanswered_policy"] == "wrong"
    # issue 17 adds each error's outcome kind (contracts-v2 section 1)
    assert results["errors"] == {"by_kind": {"timeout after 30 s": 1},
                                 "samples": [{"id": "d", "error": "timeout after 30 s: no answer",
                                              "kind": "transport"}]}


def test_every_json_of_a_run_carries_the_integer_version(tmp_path):
    table = pd.DataFrame({"id": ["a", "b", "c"], "labels": ['["joy"]', '["sad"]', '["joy"]'],
                          "score_joy": [0.9, 0.2, 0.7], "score_sad": [0.1, 0.8, 0.4]})
    table.to_csv(tmp_path / "ml.csv", index=False)
    score_file(str(tmp_path / "ml.csv"), str(tmp_path / "out"), task="multilabel",
               n_resamples=20)
    written = sorted((tmp_path / "out").glob("*.json"))
    assert [p.name for p in written] == ["results.json", "thresholds.json"]
    for path in written:
        assert json.loads(path.read_text())["schema_version"] == 2, path.name


def test_a_missing_core_key_is_a_bug_and_nothing_is_written(tmp_path):
    results = scored_classification(tmp_path)
    del results["coverage"]
    with pytest.raises(ValueError, match="coverage"):
        write_results(str(tmp_path / "again"), results, pd.DataFrame({"id": ["a"]}))
    assert not (tmp_path / "again").exists()
    with pytest.raises(ValueError, match="schema_version"):
        check_results({**scored_classification(tmp_path), "schema_version": "1.0"})


@pytest.mark.parametrize("version, expected", [("1.0", 1), (1, 1), (2, 2), (None, 1)])
def test_readers_accept_old_and_new_versions(tmp_path, version, expected):
    data = {} if version is None else {"schema_version": version}
    assert schema_version(data, "x.json") == expected


@pytest.mark.parametrize("version", [3, "2.0", True, "2"])
def test_readers_refuse_other_versions(tmp_path, version):
    with pytest.raises(EmoevalError, match="schema_version"):
        schema_version({"schema_version": version}, "x.json")
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": version}))
    with pytest.raises(EmoevalError, match="results.json"):
        load_results(str(tmp_path))


def test_load_results_reads_a_version_1_file(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": "1.0", "task": "x"}))
    assert load_results(str(tmp_path))["task"] == "x"


def test_errors_counts_and_slices_helpers():
    errors = pd.DataFrame({"id": ["a", "b", "c"],
                           "error": ["unreadable audio file: bad header",
                                     "unreadable audio file: short", "no prediction"]})
    # issue 17 adds each error's outcome kind (contracts-v2 section 1)
    assert errors_block(errors) == {
        "by_kind": {"unreadable audio file": 2, "no prediction": 1},
        "samples": [{"id": "a", "error": "unreadable audio file: bad header", "kind": "input"},
                    {"id": "b", "error": "unreadable audio file: short", "kind": "input"},
                    {"id": "c", "error": "no prediction", "kind": "unanswered"}]}
    with pytest.raises(EmoevalError, match="no sample could be scored: every reported row"):
        require_scored(0, "every reported row")
    require_scored(1)
    table = pd.DataFrame({"id": ["a"], "label": ["x"], "gender": ["f"]})
    check_slice_columns(table, ["gender"])
    # issue 19 (checks before work) names the slice candidates, the label column among them
    with pytest.raises(EmoevalError,
                       match=r"--slice-by 'age': no such column \(slice candidates: label, gender\)"):
        check_slice_columns(table, ["age"], hidden=("id", "label"))
