"""The shared HTTP client against a hostile loopback server: a body or headers trickled a
byte at a time, a huge body (announced or streamed), a hang, a connection reset. Each is a
recorded failure within ``--timeout`` (connect to last byte), retried like any transport
error; ``llm:`` through the CLI records it per sample."""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.http import ClientOptions, EndpointClient

STOP = threading.Event()
OK_BODY = json.dumps({"choices": [{"message": {"content": "happy"}}], "score": 0.5}).encode()


def _send_slowly(sock: socket.socket, data: bytes, pause: float) -> None:
    for i in range(len(data)):
        if STOP.is_set():
            return
        sock.sendall(data[i:i + 1])
        time.sleep(pause)


class Hostile(socketserver.BaseRequestHandler):
    """Reads one request; the request body names the behaviour (``"mode"``). One request per
    connection, announced with ``Connection: close``: without it a client may reuse a
    connection this server has closed and see a disconnect instead of the behaviour."""

    def handle(self) -> None:
        sock = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length")), 0)
        while len(body) < length:
            body += sock.recv(65536)
        text = body.decode("utf-8", "replace")
        self.server.log.append(text)
        mode = next((m for m in ("trickle-body", "trickle-headers", "huge-announced",
                                 "huge-streamed", "hang", "reset") if m in text), "ok")
        try:
            self.respond(sock, mode)
        except OSError:  # the client gave up: that is the point
            pass

    def respond(self, sock: socket.socket, mode: str) -> None:
        if mode == "ok":
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(OK_BODY) + OK_BODY)
        elif mode == "trickle-body":
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(OK_BODY))
            _send_slowly(sock, OK_BODY, 0.1)
        elif mode == "trickle-headers":
            _send_slowly(sock, b"HTTP/1.1 200 OK\r\nConnection: close\r\n" + b"X-Slow: a\r\n" * 100, 0.1)
        elif mode == "huge-announced":
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 300000000\r\n\r\n{")
            STOP.wait(5)
        elif mode == "huge-streamed":
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            piece = b" " * 65536
            for _ in range(2000):  # up to 128 MB, far over the cap
                if STOP.is_set():
                    return
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        elif mode == "hang":
            STOP.wait(5)
        elif mode == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()


@pytest.fixture(scope="module")
def hostile():
    STOP.clear()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    server.log = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.log
    STOP.set()
    server.shutdown()
    server.server_close()


def client(**kw) -> EndpointClient:
    return EndpointClient(ClientOptions(**{"timeout": 1.0, "retries": 0, "backoff": 0,
                                           "max_response_bytes": 1_000_000, **kw}))


@pytest.mark.parametrize("mode", ["trickle-body", "trickle-headers", "hang"])
def test_the_timeout_bounds_the_whole_request(hostile, mode):
    url, _ = hostile
    t0 = time.monotonic()
    reply = client().post_json(url + "/x", {"mode": mode})
    elapsed = time.monotonic() - t0
    assert not reply.ok and reply.error.startswith("timeout"), reply.error
    assert elapsed < 1.8, f"{mode} held the caller {elapsed:.1f} s under --timeout 1"


@pytest.mark.parametrize("mode", ["huge-announced", "huge-streamed"])
def test_an_oversize_answer_is_a_failure_not_a_memory_spike(hostile, mode):
    url, _ = hostile
    t0 = time.monotonic()
    reply = client(timeout=20).post_json(url + "/x", {"mode": mode})
    assert not reply.ok and reply.error.startswith("response too large"), reply.error
    assert "--max-response-bytes 1000000" in reply.error
    assert time.monotonic() - t0 < 10


def test_a_reset_is_a_connection_error(hostile):
    url, _ = hostile
    reply = client().post_json(url + "/x", {"mode": "reset"})
    assert not reply.ok and reply.error.startswith("connection error"), reply.error


def test_failures_are_retried_like_other_transport_errors(hostile):
    url, log = hostile
    before = len(log)
    t0 = time.monotonic()
    reply = client(timeout=0.5, retries=2).post_json(url + "/x", {"mode": "hang"})
    assert reply.attempts == 3 and reply.error.startswith("timeout")
    assert len(log) - before == 3
    assert time.monotonic() - t0 < 3 * 0.5 + 1.5
    big = client(retries=1).post_json(url + "/x", {"mode": "huge-announced"})
    assert big.attempts == 2 and not big.ok
    assert client().post_json(url + "/x", {"mode": "ok"}).ok


def test_llm_evaluate_records_the_slow_answer_per_sample(hostile, tmp_path):
    url, _ = hostile
    data = tmp_path / "texts.csv"
    pd.DataFrame([{"id": "a", "text": "I won the cup", "label": "happy"},
                  {"id": "b", "text": "slow one trickle-body", "label": "happy"},
                  {"id": "c", "text": "big one huge-streamed", "label": "happy"},
                  {"id": "d", "text": "another win", "label": "sad"}]).to_csv(data, index=False)
    t0 = time.monotonic()
    result = CliRunner().invoke(app, [
        "evaluate", "--model", f"llm:{url}/v1#m", "--dataset", f"csv:{data}", "--out",
        str(tmp_path / "run"), "--timeout", "1", "--retries", "0", "--max-response-bytes",
        "100000", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - t0 < 30
    detailed = pd.read_csv(tmp_path / "run" / "detailed_results.csv", keep_default_na=False)
    errors = dict(zip(detailed["id"], detailed["error"]))
    assert errors["b"].startswith("timeout") and errors["c"].startswith("response too large")
    assert errors["a"] == "" and errors["d"] == ""
