"""The FastAPI app behind ``emoeval serve``.

``POST /v1/similarity``
    Body ``{"text", "audio_filename", "audio_base64"}``, or ``"audio_stem"`` /
    ``"audio_filename"`` alone when the server was given ``--data-dir`` (emolia-bench's
    ``--no-audio-send``). ``queried_emotion`` may stand in for ``text`` (the seed's sham
    server accepts it); the prompt is then built with the default template.
    Answer ``{<response key>: value, "stem": ...}`` (plus ``"emotion"`` for classifiers).
    Errors are JSON ``{"error": "..."}``: 400 invalid JSON or base64, 403 a file name that
    leaves the data folder, 404 no such clip, 413 a body over the size limit, 422 a text
    naming no emotion the model knows, missing fields or undecodable audio, 500 the model
    failed on this pair.
``GET /health``
    ``{"status": "ok", "model", "response_key", ...}`` with batching counters.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
from pathlib import PurePosixPath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..audio import load_audio
from ..datasets.files import is_audio
from ..errors import SampleError
from ..similarity.pair_scoring import PairRequest, PairScorer
from ..similarity.prompts import DEFAULT_TEMPLATE, build_prompt
from .batching import BatchQueue
from .paths import ClipNotFound, DataDir, PathRefused

DEFAULT_MAX_REQUEST_BYTES = 20 * 1024 * 1024
ROUTE = "/v1/similarity"


class RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def decode_audio_bytes(raw: bytes, file_name: str | None, sampling_rate: int | None):
    """Decode uploaded bytes with emoeval's audio loader (via a temporary file)."""
    suffix = PurePosixPath(file_name or "").suffix if file_name and is_audio(file_name) else ""
    handle, path = tempfile.mkstemp(suffix=suffix, prefix="emoeval-upload-")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(raw)
        return load_audio(path, sampling_rate)
    finally:
        os.unlink(path)


def optional_string(payload: dict, key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(422, f"{key} must be a string")
    return value


def create_app(scorer: PairScorer, data_dir: str | None = None,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, max_batch: int = 16,
               batch_window_ms: float = 5.0):
    """The app for one scorer (see :func:`emoeval.similarity.pair_scoring.load_pair_scorer`)."""
    folder = DataDir(data_dir) if data_dir else None
    queue = BatchQueue(scorer, max_batch=max_batch, window_s=batch_window_ms / 1000.0)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        await queue.close()

    app = FastAPI(title="emoeval similarity server", lifespan=lifespan)

    def fail(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_request_bytes:
            raise RequestError(413, f"request body of {declared} bytes is over the limit of "
                                    f"{max_request_bytes} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_request_bytes:
                raise RequestError(413, f"request body is over the limit of "
                                        f"{max_request_bytes} bytes")
        return bytes(body)

    async def audio_for(payload: dict, file_name: str | None, stem_field: str | None,
                        audio_path: str | None = None):
        encoded = optional_string(payload, "audio_base64")
        if encoded is not None:
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise RequestError(400, "audio_base64 is not valid base64") from None
            if not raw:
                raise RequestError(400, "audio_base64 is empty")
            if not scorer.needs_audio:
                return None
            try:
                return await run_in_threadpool(decode_audio_bytes, raw, file_name,
                                               scorer.sampling_rate)
            except SampleError as exc:
                raise RequestError(422, f"undecodable audio: {exc}") from None
        if not scorer.needs_audio:
            return None
        if folder is None:
            raise RequestError(422, "send audio_base64: this server has no --data-dir to read "
                                    "clips by name")
        try:
            path = folder.resolve(file_name, stem_field, audio_path)
        except PathRefused as exc:
            raise RequestError(403, str(exc)) from None
        except ClipNotFound as exc:
            raise RequestError(404, str(exc)) from None
        try:
            return await run_in_threadpool(load_audio, str(path), scorer.sampling_rate)
        except SampleError as exc:
            raise RequestError(422, f"undecodable audio: {exc}") from None

    async def handle(request: Request) -> dict[str, Any]:
        try:
            payload = json.loads(await read_body(request))
        except (ValueError, UnicodeDecodeError):
            raise RequestError(400, "the body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise RequestError(400, "the body must be a JSON object")
        text = optional_string(payload, "text")
        queried = optional_string(payload, "queried_emotion")
        if text is None and queried:
            text = build_prompt(DEFAULT_TEMPLATE, queried)
        if text is None or not text.strip():
            raise RequestError(422, "text must be a non-empty string")
        problem = scorer.text_error(text)
        if problem:
            raise RequestError(422, problem)
        file_name = optional_string(payload, "audio_filename")
        stem_field = optional_string(payload, "audio_stem")
        # the sham hashes the stem of audio_filename, as emolia-bench's sham server does
        stem = (PurePosixPath(file_name.replace("\\", "/")).stem if file_name
                else stem_field)
        if not stem and not scorer.needs_audio:
            raise RequestError(422, "send audio_filename or audio_stem")
        audio = await audio_for(payload, file_name, stem_field,
                                optional_string(payload, "audio_path"))
        result = await queue.submit(PairRequest(text, stem or "", audio))
        if result.error:
            raise RequestError(500, result.error)
        answer: dict[str, Any] = {scorer.response_key: result.value, "stem": stem}
        if result.emotion:
            answer["emotion"] = result.emotion
        return answer

    @app.post(ROUTE)
    async def similarity(request: Request):
        try:
            return JSONResponse(await handle(request))
        except RequestError as exc:
            return fail(exc.status, str(exc))

    @app.get("/health")
    async def health():
        return {"status": "ok", **scorer.describe(), "needs_audio": scorer.needs_audio,
                "data_dir": str(folder.root) if folder else None,
                "max_request_bytes": max_request_bytes, **queue.stats()}

    return app
