"""One HTTP client for every remote model: the ``llm:`` adapter and the similarity benchmark.

Both take the same flags, with the same meaning:
``--concurrency`` (requests in flight), ``--timeout`` (seconds per request, from connecting
to the last byte of the answer), ``--max-response-bytes`` (a longer answer is a failure,
default 10 MB), ``--retries`` (extra attempts after the first) and ``--api-key-env NAME`` (an
environment variable holding a bearer token; the key itself never goes on the command line or
into any output).

``--timeout`` is a hard deadline for the whole attempt: the response is streamed, the
deadline and the size checked at every chunk, and the attempt runs in a worker thread the
caller stops waiting for at the deadline (so a server that trickles its headers one byte a
second cannot hold the caller either; the abandoned worker ends at its next read timeout).

Retried: connection errors, timeouts, oversize answers, 429 and 5xx. A ``Retry-After`` header (seconds or an
HTTP date) sets the wait, capped by ``max_retry_after``; otherwise exponential backoff from
``backoff`` seconds. Tests pass ``backoff=0`` and a ``sleep`` that records instead of waiting.
Failures never raise: each request ends in a :class:`Reply` with ``ok`` and ``error``.
"""

from __future__ import annotations

import concurrent.futures as futures
import email.utils
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import EmoevalError

RETRY_STATUS = {408, 429, 500, 502, 503, 504}
DEFAULT_MAX_RESPONSE_BYTES = 10_000_000


class DeadlineExceeded(Exception):
    """The attempt passed ``--timeout`` (connect to last byte)."""


class ResponseTooLarge(Exception):
    """The answer is longer than ``--max-response-bytes``."""


@dataclass
class Fetched:
    """One complete HTTP answer, read within the limits."""

    status: int
    headers: Any
    content: bytes
    encoding: str | None

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")


@dataclass
class ClientOptions:
    """The shared flags (see the module docstring)."""

    concurrency: int = 4
    timeout: float = 60.0
    retries: int = 3
    api_key_env: str | None = None
    backoff: float = 1.0
    max_retry_after: float = 60.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise EmoevalError(f"--api-key-env {self.api_key_env}: that environment variable "
                               "is not set")
        return key


@dataclass
class Reply:
    """The outcome of one request after all its attempts."""

    ok: bool
    status: int | None = None
    json: Any = None
    text: str = ""
    error: str | None = None
    attempts: int = 0
    latency_ms: float | None = None
    waits: list[float] = field(default_factory=list)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class EndpointClient:
    def __init__(self, options: ClientOptions | None = None,
                 sleep: Callable[[float], None] = time.sleep, transport: Any = None):
        import httpx

        self.options = options or ClientOptions()
        if self.options.concurrency < 1 or self.options.retries < 0 or self.options.timeout <= 0:
            raise EmoevalError("--concurrency must be >= 1, --retries >= 0, --timeout > 0")
        if self.options.max_response_bytes < 1:
            raise EmoevalError(f"--max-response-bytes {self.options.max_response_bytes}: give "
                               "a positive number of bytes")
        headers = {"Content-Type": "application/json"}
        key = self.options.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._sleep = sleep
        self._client = httpx.Client(timeout=self.options.timeout, headers=headers,
                                    transport=transport,
                                    limits=httpx.Limits(max_connections=self.options.concurrency))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "EndpointClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fetch(self, url: str, body: dict[str, Any], deadline: float) -> Fetched:
        """POST and read the whole answer, checking the deadline and the size per chunk."""
        cap = self.options.max_response_bytes
        with self._client.stream("POST", url, json=body) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise ResponseTooLarge(f"{declared} bytes announced")
            content = bytearray()
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > cap:
                    raise ResponseTooLarge(f"more than {cap} bytes")
                if time.monotonic() > deadline:
                    raise DeadlineExceeded()
            return Fetched(response.status_code, response.headers, bytes(content),
                           response.encoding)

    def _attempt(self, url: str, body: dict[str, Any]) -> Fetched:
        """One attempt under a hard deadline (see the module docstring)."""
        deadline = time.monotonic() + self.options.timeout
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["fetched"] = self._fetch(url, body, deadline)
            except BaseException as exc:  # handed to the caller below
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name="emoeval-http", daemon=True).start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise DeadlineExceeded()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["fetched"]

    def post_json(self, url: str, body: dict[str, Any]) -> Reply:
        """POST with retries; never raises for network or HTTP errors."""
        import httpx

        reply = Reply(ok=False)
        t0 = time.perf_counter()
        for attempt in range(self.options.retries + 1):
            reply.attempts = attempt + 1
            wait: float | None = None
            try:
                response = self._attempt(url, body)
            except (httpx.TimeoutException, DeadlineExceeded):
                # the whole request, connect to last byte
                reply.status, reply.error = None, f"timeout after {self.options.timeout:g} s"
            except ResponseTooLarge as exc:
                reply.status, reply.error = None, (
                    f"response too large: {exc}, over --max-response-bytes "
                    f"{self.options.max_response_bytes}")
            except httpx.HTTPError as exc:
                reply.status, reply.error = None, f"connection error: {exc}"
            else:
                reply.status, reply.text = response.status, response.text
                if 200 <= response.status < 300:
                    try:
                        reply.json = json.loads(response.content)
                    except ValueError:
                        reply.error = "response is not valid JSON"
                        break  # the server answered; asking again gives the same
                    reply.ok, reply.error = True, None
                    break
                reply.error = f"HTTP {response.status}: {reply.text[:200]}"
                if response.status not in RETRY_STATUS:
                    break
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt == self.options.retries:
                break
            if wait is None:
                wait = self.options.backoff * (2 ** attempt)
            wait = min(wait, self.options.max_retry_after)
            reply.waits.append(wait)
            if wait > 0:
                self._sleep(wait)
        reply.latency_ms = 1000 * (time.perf_counter() - t0)
        return reply

    def post_many(self, url: str, bodies: list[dict[str, Any]],
                  on_done: Callable[[int, Reply], None] | None = None) -> list[Reply]:
        """POST every body with ``concurrency`` in flight; replies in input order."""
        replies: list[Reply | None] = [None] * len(bodies)
        with futures.ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            pending = {pool.submit(self.post_json, url, b): i for i, b in enumerate(bodies)}
            for done in futures.as_completed(pending):
                i = pending[done]
                replies[i] = done.result()
                if on_done:
                    on_done(i, replies[i])
        return [r for r in replies if r is not None]
