"""Issue 17, failure 5: two processes on one ``--out`` both ran (388 records for 200 samples).

``predictions.lock`` (pid and host) refuses a second process with a message naming the
holder; a lock left by a process that is gone (same host) is taken over with a notice.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.store import LOCK_FILE, PREDICTIONS_FILE

SRC = str(Path(__file__).resolve().parents[2] / "src")
HOLDER = ("import sys\n"
          "from emoeval.store import StoreLock\n"
          "StoreLock(sys.argv[1]).acquire()\n"
          "print('locked', flush=True)\n"
          "sys.stdin.read()\n")


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,text,label\na,so happy,happy\nb,I cry,sad\nc,glad,happy\n")
    return path


def _evaluate(dataset, out):
    return CliRunner().invoke(app, ["evaluate", "--model", "python:toy_models:keyword_label",
                                    "--dataset", f"csv:{dataset}", "--out", str(out)])


def test_a_second_process_is_refused_naming_the_holder(tmp_path, dataset):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out / LOCK_FILE)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": SRC})
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = _evaluate(dataset, out)
        assert result.exit_code == 2
        assert f"process {holder.pid} on {socket.gethostname()}" in result.output
        assert "Traceback" not in result.output
        assert not (out / PREDICTIONS_FILE).exists()  # no work done twice
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert _evaluate(dataset, out).exit_code == 0  # released when the holder ends


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_notice(tmp_path, dataset):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_FILE).write_text(json.dumps({"pid": gone.pid, "host": socket.gethostname(),
                                             "started": "2026-01-01T00:00:00+00:00"}))
    result = _evaluate(dataset, out)
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert any(f"took over the lock of process {gone.pid}" in w for w in results["warnings"])
    assert "took over the lock" in result.output
    assert not (out / LOCK_FILE).exists()  # released at the end of the run


def test_a_lock_held_on_another_host_is_refused(tmp_path, dataset):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_FILE).write_text(json.dumps({"pid": 12345, "host": "elsewhere.example",
                                             "started": "2026-01-01T00:00:00+00:00"}))
    result = _evaluate(dataset, out)
    assert result.exit_code == 2 and "process 12345 on elsewhere.example" in result.output
