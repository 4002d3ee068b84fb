"""The shared endpoint client against a real loopback server with scripted failures."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from loopback import serve

from emoeval.errors import EmoevalError
from emoeval.http import ClientOptions, EndpointClient, retry_after_seconds


@pytest.fixture(scope="module")
def flaky_server():
    app = FastAPI()
    attempts: dict[str, int] = {}

    @app.post("/echo")
    async def echo(request: Request):
        body = await request.json()
        key = body["key"]
        attempts[key] = attempts.get(key, 0) + 1
        n = attempts[key]
        if key == "rate-limited" and n == 1:
            return JSONResponse({"error": "slow down"}, status_code=429,
                                headers={"Retry-After": "7"})
        if key == "flaky" and n < 3:
            return JSONResponse({"error": "oops"}, status_code=500)
        if key == "always-500":
            return JSONResponse({"error": "down"}, status_code=500)
        if key == "bad-request":
            return JSONResponse({"error": "no"}, status_code=400)
        if key == "not-json":
            return PlainTextResponse("hello")
        if key == "slow":
            import asyncio

            await asyncio.sleep(1.0)
        return {"key": key, "auth": request.headers.get("authorization"), "n": n}

    with serve(app) as url:
        yield url + "/echo", attempts


def client(**kw):
    waits: list[float] = []
    options = ClientOptions(**{"backoff": 0.5, "timeout": 5, **kw})
    return EndpointClient(options, sleep=waits.append), waits


def test_retry_after_is_honoured_without_sleeping(flaky_server):
    url, _ = flaky_server
    c, waits = client()
    reply = c.post_json(url, {"key": "rate-limited"})
    assert reply.ok and reply.json["n"] == 2 and reply.attempts == 2
    assert waits == [7.0]


def test_5xx_is_retried_with_exponential_backoff(flaky_server):
    url, _ = flaky_server
    c, waits = client()
    reply = c.post_json(url, {"key": "flaky"})
    assert reply.ok and reply.attempts == 3 and waits == [0.5, 1.0]
    c, waits = client(retries=2)
    reply = c.post_json(url, {"key": "always-500"})
    assert not reply.ok and reply.status == 500 and reply.attempts == 3
    assert reply.error.startswith("HTTP 500")


def test_client_errors_and_non_json_are_not_retried(flaky_server):
    url, attempts = flaky_server
    c, waits = client()
    reply = c.post_json(url, {"key": "bad-request"})
    assert not reply.ok and reply.status == 400 and reply.attempts == 1 and waits == []
    reply = c.post_json(url, {"key": "not-json"})
    assert not reply.ok and reply.error == "response is not valid JSON"


def test_timeout_is_recorded_not_raised(flaky_server):
    url, _ = flaky_server
    c, waits = client(timeout=0.2, retries=1)
    reply = c.post_json(url, {"key": "slow"})
    assert not reply.ok and reply.error.startswith("timeout") and reply.attempts == 2


def test_concurrent_requests_keep_input_order_and_send_the_key(flaky_server, monkeypatch):
    url, _ = flaky_server
    monkeypatch.setenv("TEST_API_KEY", "s3cret")
    c, _ = client(concurrency=4, api_key_env="TEST_API_KEY")
    bodies = [{"key": f"k{i}"} for i in range(12)]
    t0 = time.perf_counter()
    replies = c.post_many(url, bodies)
    assert [r.json["key"] for r in replies] == [b["key"] for b in bodies]
    assert all(r.json["auth"] == "Bearer s3cret" for r in replies)
    assert time.perf_counter() - t0 < 10


def test_missing_api_key_variable_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(EmoevalError, match="NOPE_KEY"):
        EndpointClient(ClientOptions(api_key_env="NOPE_KEY"))


def test_retry_after_parsing():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("garbage") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
