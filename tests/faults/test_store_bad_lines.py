"""Issue 17, failure 1: one bad line in predictions.jsonl cost every record after it.

The store now keeps every valid record whatever lines surround it, moves the others to
predictions.rejected.jsonl with their line numbers, and the run says how many.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.store import (MANIFEST_FILE, PREDICTIONS_FILE, REJECTED_FILE, STORE_VERSION,
                           PredictionStore, Record)

MANIFEST = {"model_spec": "m", "model_fingerprint": "abc", "dataset_spec": "d",
            "dataset_fingerprint": "xyz"}


def _line(i: int) -> str:
    return json.dumps({"key": "abc", "id": f"s{i}", "kind": "ok", "scores": {"happy": 1.0},
                       "text": None, "error": None, "latency_ms": 1.0, "digest": None})


def test_a_blank_line_costs_no_record(tmp_path):
    lines = [_line(i) for i in range(200)]
    lines.insert(100, "")  # an editor's stray empty line between record 100 and 101
    (tmp_path / PREDICTIONS_FILE).write_text("\n".join(lines) + "\n")
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        assert set(store.records) == {f"s{i}" for i in range(200)}
        assert store.rejected_lines == [101]
        assert any("1 unreadable line" in n for n in store.notices)
    rejected = [json.loads(x) for x in (tmp_path / REJECTED_FILE).read_text().splitlines()]
    assert [r["line"] for r in rejected] == [101] and rejected[0]["text"] == ""


def test_a_torn_line_in_the_middle_costs_no_other_record(tmp_path):
    lines = [_line(i) for i in range(200)]
    lines[49] = lines[49][:30]  # line 50 torn, the rest intact
    (tmp_path / PREDICTIONS_FILE).write_text("\n".join(lines) + "\n")
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        assert len(store.records) == 199 and "s49" not in store.records
    rejected = [json.loads(x) for x in (tmp_path / REJECTED_FILE).read_text().splitlines()]
    assert rejected[0]["line"] == 50 and rejected[0]["text"] == lines[49][:30]
    # the store file now holds the 199 records once each; reopening rejects nothing more
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        assert len(store.records) == 199 and store.rejected_lines == []


def test_a_torn_last_line_is_still_cut(tmp_path):
    (tmp_path / PREDICTIONS_FILE).write_text(_line(0) + "\n" + _line(1)[:25])
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        assert set(store.records) == {"s0"} and store.rejected_lines == []
    assert (tmp_path / PREDICTIONS_FILE).read_text() == _line(0) + "\n"
    assert not (tmp_path / REJECTED_FILE).exists()


def test_version_1_lines_are_read_with_their_kind_inferred(tmp_path):
    old = [{"key": "abc", "id": "a", "scores": {"happy": 1.0}, "error": None},
           {"key": "abc", "id": "b", "scores": None, "error": "missing audio file: x.wav"},
           {"key": "abc", "id": "c", "scores": None,
            "error": "HTTP 503: busy [4 attempts]"},
           {"key": "abc", "id": "d", "scores": None, "error": "model error: RuntimeError: x"},
           {"key": "abc", "id": "e", "scores": {"happy": 0.0},
            "error": "abstained: the model gave no score to any label"}]
    (tmp_path / PREDICTIONS_FILE).write_text("".join(json.dumps(o) + "\n" for o in old))
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(MANIFEST))
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        kinds = {i: r.kind for i, r in store.records.items()}
        store.add_batch([Record("f", {"sad": 1.0}, None, kind="ok", digest="text:1")])
    assert kinds == {"a": "ok", "b": "input", "c": "transport", "d": "unanswered",
                     "e": "unanswered"}
    assert json.loads((tmp_path / MANIFEST_FILE).read_text())["store_version"] == STORE_VERSION
    last = json.loads((tmp_path / PREDICTIONS_FILE).read_text().splitlines()[-1])
    assert last["kind"] == "ok" and last["digest"] == "text:1"


def test_a_rerun_after_a_hand_edit_asks_nothing_again_and_says_so(tmp_path, monkeypatch):
    data = tmp_path / "d.csv"
    data.write_text("id,text,label\n" + "".join(
        f"t{i},{'so happy' if i % 2 else 'I cry'} {i},{'happy' if i % 2 else 'sad'}\n"
        for i in range(30)))
    log = tmp_path / "calls.log"
    monkeypatch.setenv("TOY_LOG", str(log))
    monkeypatch.setenv("TOY_SLEEP", "0")
    out = tmp_path / "run"
    args = ["evaluate", "--model", "python:toy_models:slow_logged", "--dataset", f"csv:{data}",
            "--out", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert len(log.read_text().splitlines()) == 30
    lines = (out / PREDICTIONS_FILE).read_text().splitlines()
    lines[3:3] = ["", "not json {", ""]  # what a hand edit can leave
    (out / PREDICTIONS_FILE).write_text("\n".join(lines) + "\n")
    log.write_text("")
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert log.read_text() == ""  # every finished sample came from the store
    results = json.loads((out / "results.json").read_text())
    assert results["n_samples"] == 30 and results["store"]["n_rejected_lines"] == 3
    assert any("3 unreadable lines" in w and REJECTED_FILE in w for w in results["warnings"])
    assert "3 unreadable lines" in second.output


# random bad lines anywhere and a kill at a random byte of the last write
BAD_LINES = st.sampled_from(["", "   ", "{", "not json", "[1, 2]", '{"id": 3}', "null",
                             '{"key": "abc", "id": "x", "scores": 5}', "\x00\x01"])


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 25), bad=st.lists(st.tuples(st.integers(0, 30), BAD_LINES),
                                          max_size=8),
       kill=st.floats(0.0, 1.0))
def test_every_valid_record_survives_bad_lines_and_a_kill(tmp_path_factory, n, bad, kill):
    folder = tmp_path_factory.mktemp("store")
    lines = [_line(i) for i in range(n)]
    for position, text in sorted(bad, reverse=True):
        lines.insert(min(position, len(lines)), text)
    body = "\n".join(lines) + "\n"
    last = _line(n) + "\n"  # the write a kill -9 interrupts
    cut = int(kill * len(last))
    (folder / PREDICTIONS_FILE).write_text(body + last[:cut])
    with PredictionStore(str(folder), MANIFEST) as store:
        expected = {f"s{i}" for i in range(n)} | ({f"s{n}"} if cut >= len(last) - 1 else set())
        assert set(store.records) == expected
        missing = [f"s{i}" for i in range(n + 1) if f"s{i}" not in store.records]
        store.add_batch([Record(i, {"sad": 1.0}, None) for i in missing])  # the resumed run
    with PredictionStore(str(folder), MANIFEST) as store:
        assert set(store.records) == {f"s{i}" for i in range(n + 1)}
        assert store.rejected_lines == []
    ids = [json.loads(x)["id"] for x in (folder / PREDICTIONS_FILE).read_text().splitlines()]
    assert sorted(ids) == sorted(f"s{i}" for i in range(n + 1))  # none duplicated
