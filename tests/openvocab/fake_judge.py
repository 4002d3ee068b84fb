"""A loopback fake judge: an OpenAI-compatible chat-completions server on 127.0.0.1 that
groups the words of the prompt with a fixed synonym table, counts its requests, and answers
prose (no groups) when the words include ``garbled``. Bounded: daemon thread, stopped on
exit, short timeouts on the client side."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SYNONYMS = [["happy", "joyful", "glad"], ["angry", "furious"], ["worried", "anxious"]]
SERVER_MODEL = "fake-judge-2025-01"


def grouping(words: list[str]) -> list[list[str]]:
    groups, left = [], list(words)
    for family in SYNONYMS:
        members = [w for w in left if w.lower() in family]
        if members:
            groups.append(members)
            left = [w for w in left if w not in members]
    return groups + [[w] for w in left]


def taxonomy_class(words: list[str]) -> str:
    """The class of the first word's family (``"Happy."`` with noise, to be read), else
    ``neutral``."""
    for family in SYNONYMS:
        if words[0].lower() in family:
            return f'"{family[0].capitalize()}."'
    return "neutral"


class FakeJudge:
    def __init__(self) -> None:
        self.requests: list[dict] = []

    def handler(self):
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                judge.requests.append(body)
                prompt = body["messages"][0]["content"]
                words = json.loads(re.search(r"^\[.*\]$", prompt, re.M).group(0))
                if "garbled" in words:
                    content = "I would rather not group these."
                elif "Classes:" in prompt:  # the --to-taxonomy prompt: one class
                    content = taxonomy_class(words)
                else:
                    content = json.dumps(grouping(words))
                reply = json.dumps({"model": SERVER_MODEL, "choices": [
                    {"message": {"role": "assistant", "content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        return Handler


@contextlib.contextmanager
def serve_judge() -> Iterator[tuple[str, FakeJudge]]:
    judge = FakeJudge()
    server = ThreadingHTTPServer(("127.0.0.1", 0), judge.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", judge
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
