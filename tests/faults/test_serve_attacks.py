"""``emoeval serve`` under attack: a huge text while /health must answer, long inputs that
errors must not echo, a clip added after start (no rescan on a miss; /v1/reindex and SIGHUP
rescan), a token, non-JSON bodies, deep JSON, escaping file names with the sham, a symlink
loop in the data folder, and the CLI refusing an open host without a token. Every request
loop is bounded in count and time."""

from __future__ import annotations

import concurrent.futures as futures
import json
import os
import signal
import time

import httpx
import pytest
from builders import write_wav
from fastapi.testclient import TestClient
from loopback import serve
from typer.testing import CliRunner

from emoeval.cli import app as cli_app
from emoeval.serve import create_app
from emoeval.similarity.pair_scoring import PairResult, PairScorer, load_pair_scorer

SAD = "Speech audio in which the speaker expresses or conveys Sadness."
ROUTE = "/v1/similarity"


class ConstantScorer(PairScorer):
    """Needs audio, scores every pair 0.5: the server's checks without a model."""

    response_key = "similarity"
    needs_audio = True
    sampling_rate = 16000
    spec = "constant"

    def _score(self, requests):
        return [PairResult(0.5) for _ in requests]


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    write_wav(folder / "Sad" / "clip_a.wav", seconds=0.3)
    outside = write_wav(tmp_path / "secret" / "outside.wav", seconds=0.3)
    os.symlink(outside, folder / "link.wav")
    os.symlink(folder, folder / "Sad" / "loop")  # a loop: Sad/loop -> data
    return folder


def test_a_huge_text_never_stalls_health(tmp_path):
    app = create_app(load_pair_scorer(None, sham=True))
    huge = json.dumps({"text": "x" * 15_000_000, "audio_stem": "a"}).encode()
    with serve(app) as url:
        with futures.ThreadPoolExecutor(1) as pool:
            posted = pool.submit(httpx.post, url + ROUTE, content=huge, timeout=60,
                                 headers={"content-type": "application/json"})
            slowest = 0.0
            for _ in range(20):  # bounded: 20 health checks while the big body is handled
                t0 = time.monotonic()
                assert httpx.get(url + "/health", timeout=10).status_code == 200
                slowest = max(slowest, time.monotonic() - t0)
            reply = posted.result(timeout=60)
    # the server shares this process (and its GIL) with the client: a generous bound, far
    # below the seconds a parse on the event loop took
    assert slowest < 2.0, f"/health took {slowest:.2f} s while a big request was parsed"
    assert reply.status_code == 422
    assert "over the limit of 2000" in reply.json()["error"]
    assert len(reply.content) < 400  # the 15 MB text is not echoed


def test_errors_echo_at_most_200_characters_of_input():
    client = TestClient(create_app(load_pair_scorer(None, sham=True), max_text_chars=5000))
    long_name = "/" + "a" * 5000 + ".wav"
    replies = [
        client.post(ROUTE, json={"text": SAD, "audio_filename": long_name}),
        client.post(ROUTE, json={"text": SAD, "audio_stem": "b" * 4000 + "/x"}),
        client.post(ROUTE, json={"text": "z" * 4000, "audio_stem": "a"}),  # sham scores it
    ]
    assert [r.status_code for r in replies[:2]] == [403, 403]
    for reply in replies:
        assert len(reply.content) < 400, reply.text[:100]
    classifier_like = TestClient(create_app(ConstantScorer(), max_text_chars=10))
    reply = classifier_like.post(ROUTE, json={"text": "q" * 11, "audio_stem": "a"})
    assert reply.status_code == 422 and "q" * 11 not in reply.text
    assert classifier_like.get(ROUTE).status_code == 405  # framework errors are JSON too
    assert "error" in classifier_like.get(ROUTE).json()


def test_the_folder_is_indexed_once_and_reindexed_on_request(data):
    app = create_app(ConstantScorer(), data_dir=str(data))
    client = TestClient(app)
    assert client.post(ROUTE, json={"text": SAD, "audio_stem": "clip_a"}).status_code == 200
    write_wav(data / "Sad" / "clip_new.wav", seconds=0.3)
    # a miss answers 404 without rescanning the folder
    assert client.post(ROUTE, json={"text": SAD, "audio_stem": "clip_new"}).status_code == 404
    reindexed = client.post("/v1/reindex", headers={"content-type": "application/json"})
    assert reindexed.status_code == 200 and reindexed.json()["clips"] == 2
    assert reindexed.json()["symlink_loops"] == 1
    assert client.post(ROUTE, json={"text": SAD, "audio_stem": "clip_new"}).status_code == 200


def test_sighup_rescans(data):
    from emoeval.commands.serve import reindex_on_hangup

    app = create_app(ConstantScorer(), data_dir=str(data))
    folder = app.state.data_dir
    previous = signal.getsignal(signal.SIGHUP)
    try:
        reindex_on_hangup(folder)
        write_wav(data / "late.wav", seconds=0.3)
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "late" not in folder._index and time.monotonic() < deadline:
            time.sleep(0.05)
        assert folder.by_stem("late").name == "late.wav"
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_token_is_required_when_set():
    client = TestClient(create_app(load_pair_scorer(None, sham=True), token="s3cret-token"))
    body = {"text": SAD, "audio_stem": "a"}
    assert client.post(ROUTE, json=body).status_code == 401
    assert client.post(ROUTE, json=body,
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/health").status_code == 401
    ok = client.post(ROUTE, json=body, headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and "similarity" in ok.json()
    assert "s3cret" not in client.post(ROUTE, json=body).text


@pytest.mark.parametrize("headers,content", [
    ({"content-type": "text/plain"}, b'{"text": "sad", "audio_stem": "a"}'),
    ({"content-type": "application/x-www-form-urlencoded"}, b"text=sad&audio_stem=a"),
    ({"content-type": "multipart/form-data; boundary=x"}, b"--x--"),
    ({}, b'{"text": "sad", "audio_stem": "a"}'),
])
def test_only_json_bodies_are_accepted(headers, content):
    client = TestClient(create_app(load_pair_scorer(None, sham=True)))
    reply = client.post(ROUTE, content=content, headers=headers)
    assert reply.status_code == 415, reply.text


def test_deep_json_is_a_400_not_a_500():
    client = TestClient(create_app(load_pair_scorer(None, sham=True)))
    headers = {"content-type": "application/json"}
    for depth in (100_000, 65):
        body = ('{"text": "sad", "audio_stem": "a", "x": ' + "[" * depth + "]" * depth + "}")
        reply = client.post(ROUTE, content=body.encode(), headers=headers)
        assert reply.status_code == 400 and "deeper than 64" in reply.json()["error"]
    shallow = '{"text": "sad", "audio_stem": "a", "x": ' + "[" * 10 + "]" * 10 + "}"
    assert client.post(ROUTE, content=shallow.encode(), headers=headers).status_code == 200


@pytest.mark.parametrize("body", [
    {"audio_filename": "../secret/outside.wav"},
    {"audio_filename": "/etc/passwd"},
    {"audio_filename": "C:\\Windows\\win.ini"},
    {"audio_stem": "../secret/outside"},
    {"audio_filename": "link.wav"},  # inside the folder, but it leads outside
])
def test_the_sham_checks_file_names_too(data, body):
    client = TestClient(create_app(load_pair_scorer(None, sham=True), data_dir=str(data)))
    reply = client.post(ROUTE, json={"text": SAD, **body})
    assert reply.status_code == 403, reply.text
    # without a data folder the names are still checked
    bare = TestClient(create_app(load_pair_scorer(None, sham=True)))
    if body != {"audio_filename": "link.wav"}:
        assert bare.post(ROUTE, json={"text": SAD, **body}).status_code == 403


def test_cli_refuses_an_open_host_without_a_token(monkeypatch):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))
    monkeypatch.delenv("EMOEVAL_TOKEN", raising=False)
    runner = CliRunner()
    refused = runner.invoke(cli_app, ["serve", "--sham", "--host", "0.0.0.0"])
    assert refused.exit_code != 0 and "--token" in refused.output
    assert "Traceback" not in refused.output and len(refused.output.strip().splitlines()) == 1
    assert started == []
    assert runner.invoke(cli_app, ["serve", "--sham", "--host", "0.0.0.0", "--insecure"]
                         ).exit_code == 0
    assert runner.invoke(cli_app, ["serve", "--sham", "--host", "0.0.0.0"],
                         env={"EMOEVAL_TOKEN": "t0ken"}).exit_code == 0
    assert runner.invoke(cli_app, ["serve", "--sham"]).exit_code == 0  # loopback: no token
    assert [kw["host"] for kw in started] == ["0.0.0.0", "0.0.0.0", "127.0.0.1"]
