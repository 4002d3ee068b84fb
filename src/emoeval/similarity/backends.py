"""Score benchmark items into the prediction store: the sham, an HTTP endpoint, or a local model.

Every item ends as one store record: ``scores`` ``{response key: value}`` (``similarity``,
``score`` or ``logit``, as the server answered) or ``error``. Nothing here raises for one
item: a missing clip, an error status, a timeout, a malformed or non-finite response is that
item's error. Items already in the store without an error are never scored again; items that
failed are tried again on a rerun (network failures are often transient).
"""

from __future__ import annotations

import base64
import concurrent.futures as futures
import math
import time
from typing import Any, Callable

from ..audio import load_audio
from ..datasets.files import is_audio
from ..errors import SampleError
from ..http import ClientOptions, EndpointClient, Reply
from ..store import INPUT, TRANSPORT, PredictionStore, Record
from .items import Item
from .pair_scoring import PairRequest, PairScorer
from .sham import sham_similarity

RESPONSE_KEYS = ("similarity", "score", "logit")
AUDIO_MISSING = "audio_missing"  # emolia-bench's marker
STORE_FLUSH_ITEMS = 32
STORE_FLUSH_SECONDS = 1.0

Progress = Callable[[int], None] | None


def items_to_score(items: list[Item], store: PredictionStore) -> list[Item]:
    """Items with no record yet, or whose record is an error (tried again)."""
    return [i for i in items if i.id not in store or store.records[i.id].error is not None]


def response_value(body: Any) -> tuple[dict[str, float] | None, str | None]:
    """``({key: value}, None)`` from a response body, or ``(None, error)``."""
    if not isinstance(body, dict):
        return None, f"malformed response: expected a JSON object, got {type(body).__name__}"
    for key in RESPONSE_KEYS:
        if key in body:
            value = body[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None, f"malformed response: {key} is {value!r}, not a number"
            if not math.isfinite(float(value)):
                return None, f"non-finite response: {key} is {value!r}"
            return {key: float(value)}, None
    return None, ("malformed response: missing similarity/score/logit keys (keys: "
                  f"{', '.join(map(str, body)) or 'none'})")


def error_kind(error: str) -> str:
    """A short category for counting errors in the summary."""
    for prefix, kind in (("audio_missing", "audio_missing"), ("timeout", "timeout"),
                         ("response too large", "too_large"),
                         ("connection error", "connection"), ("HTTP ", "http_status"),
                         ("response is not valid JSON", "malformed_response"),
                         ("malformed response", "malformed_response"),
                         ("non-finite", "non_finite"), ("NaN", "non_finite"),
                         ("model error", "model_error"), ("the text", "prompt"),
                         ("no audio file", "audio_unusable"), ("missing audio", "audio_unusable"),
                         ("unreadable audio", "audio_unusable"), ("empty audio", "audio_unusable"),
                         ("audio file", "audio_unusable"), ("cannot read", "audio_unusable")):
        if error.startswith(prefix):
            return kind
    if " cannot predict " in error:
        return "prompt"
    return "other"


class StoreWriter:
    """Buffer records and append them to the store every few items or every second."""

    def __init__(self, store: PredictionStore, on_progress: Progress):
        self.store, self.on_progress = store, on_progress
        self.buffer: list[Record] = []
        self.last_flush = time.monotonic()

    def add(self, record: Record) -> None:
        self.buffer.append(record)
        if (len(self.buffer) >= STORE_FLUSH_ITEMS
                or time.monotonic() - self.last_flush >= STORE_FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.store.add_batch(self.buffer)
            if self.on_progress:
                self.on_progress(len(self.buffer))
            self.buffer = []
        self.last_flush = time.monotonic()


def missing_audio(item: Item, audio_dir: str | None) -> bool:
    return bool(audio_dir) and item.audio_path is None


def score_sham(items: list[Item], store: PredictionStore, audio_dir: str | None,
               on_progress: Progress = None) -> None:
    """emolia-bench's sham; like the seed tool, an item whose clip is not found (when an
    audio folder is given) is ``audio_missing``."""
    writer = StoreWriter(store, on_progress)
    for item in items_to_score(items, store):
        if missing_audio(item, audio_dir):
            writer.add(Record(item.id, None, AUDIO_MISSING, kind=INPUT))
        else:
            writer.add(Record(item.id, {"similarity": sham_similarity(item.stem, item.prompt)},
                              None))
    writer.flush()


def request_body(item: Item, send_audio: bool) -> dict[str, Any]:
    """The contract's body: text, audio_filename and audio_base64 (or audio_stem)."""
    path = item.audio_path
    name = (path or item.file_name).replace("\\", "/").rsplit("/", 1)[-1]
    body: dict[str, Any] = {"text": item.prompt, "audio_filename": name}
    if send_audio and path and is_audio(path):
        with open(path, "rb") as f:
            body["audio_base64"] = base64.standard_b64encode(f.read()).decode("ascii")
    else:
        body["audio_stem"] = item.stem
    return body


def reply_record(item: Item, reply: Reply) -> Record:
    if not reply.ok:
        return Record(item.id, None, reply.error or "request failed", reply.latency_ms,
                      kind=TRANSPORT)
    scores, error = response_value(reply.json)
    return Record(item.id, scores, error, reply.latency_ms)


def score_endpoint(items: list[Item], store: PredictionStore, url: str,
                   options: ClientOptions, *, audio_dir: str | None, send_audio: bool,
                   on_progress: Progress = None, transport: Any = None) -> None:
    """POST every item to ``url`` with ``options.concurrency`` in flight, in chunks (so
    only a chunk's audio is held in memory)."""
    writer = StoreWriter(store, on_progress)
    todo = items_to_score(items, store)
    chunk_size = max(16, 8 * options.concurrency)
    with EndpointClient(options, transport=transport) as client:
        for start in range(0, len(todo), chunk_size):
            chunk, bodies = [], []
            for item in todo[start:start + chunk_size]:
                if missing_audio(item, audio_dir):
                    writer.add(Record(item.id, None, AUDIO_MISSING, kind=INPUT))
                    continue
                try:
                    bodies.append(request_body(item, send_audio))
                except OSError as exc:
                    writer.add(Record(item.id, None, f"cannot read audio file: {exc}",
                                      kind=INPUT))
                    continue
                chunk.append(item)

            def record(index: int, reply: Reply, sent: list[Item] = chunk) -> None:
                writer.add(reply_record(sent[index], reply))

            client.post_many(url, bodies, on_done=record)
    writer.flush()


def decode_or_error(path: str, sampling_rate: int | None):
    try:
        return load_audio(path, sampling_rate)
    except SampleError as exc:
        return exc


def score_model(items: list[Item], store: PredictionStore, scorer: PairScorer,
                batch_size: int = 8, on_progress: Progress = None, workers: int = 4) -> None:
    """Score with a local model: each clip decoded once (in worker threads, one batch ahead
    of the model) and scored with all its prompts; ``batch_size`` clips per call."""
    writer = StoreWriter(store, on_progress)
    by_clip: dict[str, list[Item]] = {}
    for item in items_to_score(items, store):
        if item.audio_path is None:
            writer.add(Record(item.id, None, AUDIO_MISSING, kind=INPUT))
        elif not is_audio(item.audio_path):
            writer.add(Record(item.id, None, f"no audio file, only {item.audio_path}",
                              kind=INPUT))
        else:
            by_clip.setdefault(item.audio_path, []).append(item)
    paths = list(by_clip)
    batches = [paths[i:i + max(1, batch_size)] for i in range(0, len(paths), max(1, batch_size))]
    with futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        def submit(batch: list[str]) -> list:
            return [pool.submit(decode_or_error, path, scorer.sampling_rate) for path in batch]

        pending = submit(batches[0]) if batches else []
        for index, batch in enumerate(batches):
            decoded = [f.result() for f in pending]
            pending = submit(batches[index + 1]) if index + 1 < len(batches) else []
            requests: list[PairRequest] = []
            owners: list[Item] = []
            for path, audio in zip(batch, decoded):
                if isinstance(audio, SampleError):
                    for item in by_clip[path]:
                        writer.add(Record(item.id, None, str(audio), kind=INPUT))
                    continue
                for item in by_clip[path]:
                    requests.append(PairRequest(item.prompt, item.stem, audio))
                    owners.append(item)
            t0 = time.perf_counter()
            results = scorer.score(requests)
            latency = 1000.0 * (time.perf_counter() - t0) / max(1, len(requests))
            for item, result in zip(owners, results):
                scores = None if result.error else {scorer.response_key: float(result.value)}
                writer.add(Record(item.id, scores, result.error, latency))
    writer.flush()
