"""Verification verdicts cached next to the export (``verdicts.json`` in its folder), so a
rerun of ``evaluate --runtime onnx|onnx-int8|torch-bf16`` on the same data skips verifying
(and, for ONNX, loading PyTorch).

A verdict is keyed by everything that decides it:

- the ONNX file's content: sha256 of the graph file and of every external-weights file; for
  ``torch-bf16``, which runs the PyTorch model itself, the model's fingerprint (weights and
  preprocessing) and the device type, whose bf16 kernels differ;
- the precision and the tolerance policy (``FP32_TOLERANCE``, ``INT8_MIN_AGREEMENT``);
- the inputs verified: their sample ids and a sha256 of their decoded content (audio samples
  at the model's rate, or the text);
- the versions of torch, transformers and onnxruntime, which compute both sides.

Only a passed verdict is reused; a failed one is kept for the record and verified again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from importlib import metadata
from typing import Any

import numpy as np

from ..results_io import write_json
from .export import model_files
from .verify import FP32_TOLERANCE, INT8_MIN_AGREEMENT, MIN_COSINE, MIN_MEAN_COSINE

VERDICTS_FILE = "verdicts.json"
#: bump when the key or the verification changes meaning, so old verdicts are ignored
VERDICT_FORMAT = 2  # 2: a stratified 64 inputs; embeddings by cosine
#: verdicts kept per export (one per dataset and precision, typically); oldest dropped
MAX_VERDICTS = 64
CHUNK_BYTES = 1 << 24


def content_digest(path: str) -> str:
    """sha256 of the model at ``path``: the graph file and each external-weights file, by
    name and content (a full read: about 0.5 s for a 380 MB wav2vec2-base export)."""
    digest = hashlib.sha256()
    for file in model_files(path):
        digest.update(os.path.basename(file).encode() + b"\x00")
        with open(file, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                digest.update(chunk)
    return digest.hexdigest()


def inputs_digest(ids: list[str], inputs: list[Any]) -> str:
    """sha256 of the verified inputs: each sample id with its decoded audio (dtype, shape,
    samples) or its text."""
    digest = hashlib.sha256()
    for sample_id, item in zip(ids, inputs, strict=True):
        digest.update(f"{sample_id}\x00".encode())
        if isinstance(item, str):
            digest.update(b"text\x00" + item.encode())
        else:
            array = np.ascontiguousarray(item)
            digest.update(f"{array.dtype.str}{array.shape}\x00".encode() + array.tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in ("torch", "transformers", "onnxruntime"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def verdict_key(path: str, precision: str, inputs_key: str, content: str | None = None,
                device: str | None = None) -> dict[str, Any]:
    """Everything a verdict on ``path`` depends on (see the module docstring). ``content``
    identifies a model that is no file (a PyTorch model's fingerprint) instead of the file's
    digest; ``device`` is keyed when given."""
    key = {"format": VERDICT_FORMAT, "file": os.path.basename(path),
           "content_sha256": content or content_digest(path), "precision": precision,
           "fp32_tolerance": FP32_TOLERANCE, "int8_min_agreement": INT8_MIN_AGREEMENT,
           "min_cosine": [MIN_MEAN_COSINE, MIN_COSINE], "inputs_sha256": inputs_key, "versions": library_versions()}
    if device is not None:
        key["device"] = device
    return key


def key_name(key: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]


def read_verdicts(folder: str) -> dict[str, dict[str, Any]]:
    path = os.path.join(folder, VERDICTS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            verdicts = json.load(f).get("verdicts", {})
    except (OSError, ValueError, AttributeError):  # absent, cut short or not an object
        return {}
    return verdicts if isinstance(verdicts, dict) else {}


def cached_pass(folder: str, key: dict[str, Any]) -> bool:
    """Whether ``folder`` holds a passed verdict under exactly this key."""
    verdict = read_verdicts(folder).get(key_name(key))
    return bool(isinstance(verdict, dict) and verdict.get("key") == key
                and verdict.get("verification", {}).get("passed") is True)


def passed_for_file(folder: str, key: dict[str, Any]) -> bool:
    """Whether ``folder`` holds a passed verdict for the same file, precision, policy and
    library versions as ``key``, on any inputs: what a model loaded without a run's samples
    (an adapter built directly, a probe at evaluation) relies on."""
    ignored = ("inputs_sha256",)
    wanted = {k: v for k, v in key.items() if k not in ignored}
    for verdict in read_verdicts(folder).values():
        if not isinstance(verdict, dict) or not isinstance(verdict.get("key"), dict):
            continue
        stored = {k: v for k, v in verdict["key"].items() if k not in ignored}
        if stored == wanted and verdict.get("verification", {}).get("passed") is True:
            return True
    return False


def record_verdict(folder: str, key: dict[str, Any], verification: dict[str, Any]) -> None:
    """Add one verdict (passed or failed) to ``verdicts.json``, atomically. A cache: a
    folder that cannot be written only costs a verification next time."""
    verdicts = read_verdicts(folder)
    verdicts.pop(key_name(key), None)  # re-inserted last: the newest
    verdicts[key_name(key)] = {
        "key": key, "verification": verification,
        "checked_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    kept = dict(list(verdicts.items())[-MAX_VERDICTS:])
    path = os.path.join(folder, VERDICTS_FILE)
    try:
        write_json(path, {"format": VERDICT_FORMAT, "verdicts": kept}, indent=1)
    except OSError:  # a cache: an unwritable folder only costs a verification next time
        pass
