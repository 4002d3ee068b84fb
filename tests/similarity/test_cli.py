"""The ``similarity``, ``similarity-items`` and ``serve`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest
from loopback import free_port
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()


@pytest.mark.parametrize("extra,message", [
    (["--sham", "--endpoint", "http://127.0.0.1:9/v1/similarity"], "exactly one of"),
    ([], "exactly one of"),
    (["--endpoint", "http://127.0.0.1:9/v1/similarity"], "--audio-dir"),
    (["--endpoint", "127.0.0.1:9"], "full http"),
    (["--sham", "--threshold", "top-k:2"], "--threshold"),
    (["--sham", "--limit", "0"], "--limit"),
    (["--sham", "--prompt-template", "no placeholder"], "{label}"),
    (["--sham", "--human-summary", "missing.json"], "--human-summary"),
])
def test_similarity_input_errors_are_one_line(emolia, tmp_path, extra, message):
    result = runner.invoke(app, ["similarity", "--items", str(emolia["items"]),
                                 "--out", str(tmp_path / "out"), *extra])
    assert result.exit_code == 2 and message in result.output


def test_similarity_sham_command_and_items_command(emolia, tmp_path):
    out = tmp_path / "sham"
    result = runner.invoke(app, ["similarity", "--items", str(emolia["items"]), "--audio-dir",
                                 str(emolia["audio"]), "--sham", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert f"on {int(summary['overall']['n'])} items" in " ".join(result.output.split())
    corpus = emolia["audio"]
    items = tmp_path / "items.csv"
    built = runner.invoke(app, ["similarity-items", "--dataset", f"audiofolder:{corpus}",
                                "--out", str(items)])
    assert built.exit_code == 0, built.output
    # 12 clips, each with its own emotion and the 3 others
    assert "48 items (12 positive)" in " ".join(built.output.split())
    bad = runner.invoke(app, ["similarity-items", "--dataset", "nosuch:x", "--out",
                              str(items)])
    assert bad.exit_code == 2


@pytest.mark.parametrize("args,message", [
    ([], "exactly one of"),
    (["--sham", "--model", "hf:x"], "exactly one of"),
    (["--sham", "--data-dir", "/no/such/folder"], "--data-dir"),
    (["--sham", "--port", "0"], "--port"),
])
def test_serve_input_errors(args, message):
    result = runner.invoke(app, ["serve", *args])
    assert result.exit_code == 2 and message in result.output


def test_serve_command_answers_the_contract(tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "emoeval.cli", "serve", "--sham",
                                "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.time() > deadline or process.poll() is not None:
                    raise AssertionError(process.stdout.read().decode()) from None
                time.sleep(0.2)
        assert health.json()["model"] == "sham"
        reply = httpx.post(f"http://127.0.0.1:{port}/v1/similarity",
                           json={"text": "x", "audio_filename": "a.mp3"}).json()
        from emoeval.similarity import sham_similarity

        assert reply["similarity"] == sham_similarity("a", "x")
    finally:
        process.terminate()
        process.wait(timeout=10)
