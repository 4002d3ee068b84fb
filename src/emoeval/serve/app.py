"""The FastAPI app behind ``emoeval serve``.

``POST /v1/similarity``
    Body ``{"text", "audio_filename", "audio_base64"}``, or ``"audio_stem"`` /
    ``"audio_filename"`` alone when the server was given ``--data-dir`` (emolia-bench's
    ``--no-audio-send``). ``queried_emotion`` may stand in for ``text`` (the seed's sham
    server accepts it); the prompt is then built with the default template.
    Answer ``{<response key>: value, "stem": ...}`` (plus ``"emotion"`` for classifiers).
    Errors are JSON ``{"error": "..."}``: 400 invalid JSON or base64, or JSON nested deeper
    than 64 levels, 401 a missing or wrong bearer token, 403 a file name that leaves the
    data folder (checked in every mode, the sham included), 404 no such clip, 413 a body
    over the size limit, 415 a body that is not ``application/json``, 422 a text over
    ``max_text_chars``, naming no emotion the model knows, missing fields or undecodable
    audio, 500 the model failed on this pair. An error echoes at most 200 characters of
    any input.
``POST /v1/reindex``
    Rescan ``--data-dir`` (it is indexed once at start; a miss does not rescan).
``GET /health``
    ``{"status": "ok", "model", "response_key", ...}`` with batching counters.

Security: with a ``token`` every route needs ``Authorization: Bearer <token>``. Decoding,
validation and file look-ups run in worker threads, so a large or slow request never holds
the event loop (``/health`` answers meanwhile).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import os
import tempfile
from pathlib import PurePosixPath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..audio import load_audio
from ..datasets.files import echo, is_audio
from ..errors import SampleError
from ..similarity.pair_scoring import PairRequest, PairScorer
from ..similarity.prompts import DEFAULT_TEMPLATE, build_prompt
from .batching import BatchQueue
from .paths import ClipNotFound, DataDir, PathRefused

DEFAULT_MAX_REQUEST_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_TEXT_CHARS = 2000
MAX_JSON_DEPTH = 64
#: the longest error message: an error quotes at most 200 characters of input (see echo)
MAX_ERROR_CHARS = 600
ROUTE = "/v1/similarity"
REINDEX_ROUTE = "/v1/reindex"


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


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_body(body: bytes) -> dict:
    """The request's JSON object (400 otherwise); run in a worker thread."""
    try:
        payload = json.loads(body)
    except RecursionError:  # nested beyond what the parser follows
        raise RequestError(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH} "
                                "levels") from None
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, "the body is not valid JSON") from None
    if json_depth_exceeds(payload, MAX_JSON_DEPTH):
        raise RequestError(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(payload, dict):
        raise RequestError(400, "the body must be a JSON object")
    return payload


def is_json_content_type(value: str) -> bool:
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/")
                                                 and media_type.endswith("+json"))


def create_app(scorer: PairScorer, data_dir: str | None = None,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, max_batch: int = 16,
               batch_window_ms: float = 5.0, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
               token: str | None = None):
    """The app for one scorer (see :func:`emoeval.similarity.pair_scoring.load_pair_scorer`).

    ``token``: every route then needs ``Authorization: Bearer <token>``. The data folder is
    indexed here, once; ``app.state.data_dir`` is the :class:`DataDir` (``reindex()``)."""
    folder = DataDir(data_dir) if data_dir else None
    queue = BatchQueue(scorer, max_batch=max_batch, window_s=batch_window_ms / 1000.0)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        await queue.close()

    app = FastAPI(title="emoeval similarity server", lifespan=lifespan)
    app.state.data_dir = folder

    def fail(status: int, message: str) -> JSONResponse:
        if len(message) > MAX_ERROR_CHARS:  # a safety net: messages quote input via echo
            message = message[:MAX_ERROR_CHARS] + "..."
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request, exc: RequestValidationError):
        # FastAPI's own handler echoes the whole input back; name the fields only
        fields = sorted({".".join(str(p) for p in error.get("loc", ())) for error
                         in exc.errors()})
        return fail(422, f"invalid request: {echo(', '.join(fields))}")

    @app.exception_handler(HTTPException)
    async def http_error(_request, exc: HTTPException):
        return fail(exc.status_code, str(exc.detail))

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return fail(401, "missing or wrong token: send Authorization: Bearer <token>")
        if request.method == "POST" and not is_json_content_type(
                request.headers.get("content-type", "")):
            return fail(415, "send the body as JSON (Content-Type: application/json)")
        return await call_next(request)

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

    def checked_text(payload: dict) -> str:
        text = optional_string(payload, "text")
        queried = optional_string(payload, "queried_emotion")
        for name, value in (("text", text), ("queried_emotion", queried)):
            if value is not None and len(value) > max_text_chars:
                raise RequestError(422, f"{name} is {len(value)} characters, over the limit "
                                        f"of {max_text_chars}")
        if text is None and queried:
            text = build_prompt(DEFAULT_TEMPLATE, queried)
        if text is None or not text.strip():
            raise RequestError(422, "text must be a non-empty string")
        problem = scorer.text_error(text)
        if problem:
            raise RequestError(422, problem)
        return text

    def prepare(body: bytes) -> tuple[str, str | None, str | None, bytes | None, Any]:
        """Everything but decoding the audio, in a worker thread: the JSON, the text, the
        file names (checked in every mode), the base64 and the clip's path."""
        payload = parse_body(body)
        text = checked_text(payload)
        file_name = optional_string(payload, "audio_filename")
        stem_field = optional_string(payload, "audio_stem")
        try:
            for name in (file_name, stem_field):
                if name is not None:
                    DataDir.check_name(name)
            if stem_field is not None and "/" in stem_field.replace("\\", "/"):
                raise PathRefused(f"audio_stem must be a bare name: {echo(stem_field)}")
        except PathRefused as exc:
            raise RequestError(403, str(exc)) from None
        stem = stem_field or (PurePosixPath(file_name.replace("\\", "/")).stem
                              if file_name else None)
        if not stem and not scorer.needs_audio:
            raise RequestError(422, "send audio_filename or audio_stem")
        encoded = optional_string(payload, "audio_base64")
        raw = path = None
        if encoded is not None:
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise RequestError(400, "audio_base64 is not valid base64") from None
            if not raw:
                raise RequestError(400, "audio_base64 is empty")
        elif folder is not None and (file_name or stem_field):
            try:
                path = folder.resolve(file_name, stem_field)
            except PathRefused as exc:
                raise RequestError(403, str(exc)) from None
            except ClipNotFound as exc:
                if scorer.needs_audio:
                    raise RequestError(404, str(exc)) from None
        elif scorer.needs_audio:
            if folder is None:
                raise RequestError(422, "send audio_base64: this server has no --data-dir "
                                        "to read clips by name")
            raise RequestError(404, "send audio_base64, audio_filename or audio_stem")
        return text, file_name, stem, raw, path

    def decode(file_name: str | None, raw: bytes | None, path: Any):
        try:
            if raw is not None:
                return decode_audio_bytes(raw, file_name, scorer.sampling_rate)
            return load_audio(str(path), scorer.sampling_rate)
        except SampleError as exc:
            raise RequestError(422, f"undecodable audio: {exc}") from None

    async def handle(request: Request) -> dict[str, Any]:
        body = await read_body(request)
        text, file_name, stem, raw, path = await run_in_threadpool(prepare, body)
        audio = None
        if scorer.needs_audio:
            audio = await run_in_threadpool(decode, file_name, raw, path)
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

    @app.post(REINDEX_ROUTE)
    async def reindex():
        if folder is None:
            return fail(404, "this server has no --data-dir to index")
        clips = await run_in_threadpool(folder.reindex)
        return {"clips": clips, "symlink_loops": len(folder.loops)}

    @app.get("/health")
    async def health():
        return {"status": "ok", **scorer.describe(), "needs_audio": scorer.needs_audio,
                "data_dir": str(folder.root) if folder else None,
                "max_request_bytes": max_request_bytes, "max_text_chars": max_text_chars,
                "auth": token is not None, **queue.stats()}

    return app
