"""Each user mistake through the CLI: a non-zero exit, one line, no traceback (contracts
section 7). A bug still shows its traceback."""

from __future__ import annotations

import errno
import json
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app

LABELS = ["joy", "anger", "fear"]


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def assert_one_line(result) -> str:
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def predictions(tmp_path):
    """A classification predictions file ``score`` accepts."""
    rng = np.random.default_rng(0)
    labels = ["happy", "sad"]
    table = pd.DataFrame({"id": [f"s{i}" for i in range(20)],
                          "label": [labels[i % 2] for i in range(20)],
                          "prediction": [labels[int(rng.random() < 0.5)] for _ in range(20)]})
    path = tmp_path / "predictions.csv"
    table.to_csv(path, index=False)
    return path


def test_out_that_is_a_file(tmp_path, predictions):
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    line = assert_one_line(run("score", str(predictions), "--out", str(blocker)))
    assert "is a file" in line
    line = assert_one_line(run("score", str(predictions), "--out", str(blocker / "below")))
    assert "no folder can be made" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_read_only_out(tmp_path, predictions):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        line = assert_one_line(run("score", str(predictions), "--out", str(locked / "run")))
        assert "not writable" in line
    finally:
        locked.chmod(0o755)


def test_unwritable_out_even_as_root(tmp_path, predictions, monkeypatch):
    # os.access stands for the kernel's answer on a read-only mount
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if str(path).startswith(
        str(tmp_path / "ro")) else real_access(path, mode, **kw))
    (tmp_path / "ro").mkdir()
    line = assert_one_line(run("score", str(predictions), "--out", str(tmp_path / "ro" / "x")))
    assert "not writable" in line


@pytest.mark.parametrize("code,fragment", [
    (errno.ENOSPC, "disk is full"),
    (errno.EROFS, "read-only"),
    (errno.EACCES, "permission denied"),
    (errno.ENOTDIR, "a file stands where a folder is needed"),
])
def test_os_errors_while_writing_are_one_line(tmp_path, predictions, monkeypatch, code,
                                              fragment):
    import emoeval.api

    def failing_write(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(tmp_path / "run" / "results.json"))

    monkeypatch.setattr(emoeval.api, "score_file", failing_write)
    line = assert_one_line(run("score", str(predictions), "--out", str(tmp_path / "run")))
    assert fragment in line and "results.json" in line


def test_a_bug_keeps_its_traceback(tmp_path, predictions, monkeypatch):
    import emoeval.api

    def buggy(*args, **kwargs):
        raise OSError(errno.EBADF, "Bad file descriptor")  # not the user's to fix

    monkeypatch.setattr(emoeval.api, "score_file", buggy)
    result = run("score", str(predictions), "--out", str(tmp_path / "run"))
    assert result.exit_code != 0 and isinstance(result.exception, OSError)


@pytest.mark.parametrize("args,fragment", [
    (["evaluate", "--model", "lexicon:nrc", "--dataset", "demo", "--batch-size", "0"],
     "--batch-size 0"),
    (["evaluate", "--model", "lexicon:nrc", "--dataset", "demo", "--limit", "-3"],
     "--limit -3"),
    (["evaluate", "--model", "llm:http://127.0.0.1:9/v1#m", "--dataset", "demo", "--timeout",
      "0"], "--timeout 0"),
    (["evaluate", "--model", "llm:http://127.0.0.1:9/v1#m", "--dataset", "demo", "--retries",
      "-1"], "--retries -1"),
    (["evaluate", "--model", "llm:http://127.0.0.1:9/v1#m", "--dataset", "demo",
      "--max-response-bytes", "0"], "--max-response-bytes 0"),
])
def test_non_positive_numbers_are_refused_before_any_work(tmp_path, args, fragment):
    line = assert_one_line(run(*args, "--out", str(tmp_path / "run")))
    assert fragment in line
    assert not (tmp_path / "run").exists()


def test_per_class_with_every_tuning_row_failed(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for split, n in (("dev", 10), ("test", 30)):
        for i in range(n):
            truth = [l for l in LABELS if rng.random() < 0.4] or ["joy"]
            row = {"id": f"{split}-{i}", "labels": json.dumps(truth), "split": split,
                   "error": "timeout after 3 s" if split == "dev" else ""}
            row.update({f"score_{l}": "" if split == "dev" else float(rng.random())
                        for l in LABELS})
            rows.append(row)
    path = tmp_path / "multilabel.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    line = assert_one_line(run("score", str(path), "--task", "multilabel", "--threshold",
                               "per-class", "--out", str(tmp_path / "run")))
    assert "every row of the tuning split 'dev'" in line
