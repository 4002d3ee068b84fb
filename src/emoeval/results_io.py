"""Every file the tool reads or writes for a run, and the one atomic way of writing them.

A writer never leaves half a file behind: it writes a temporary file in the same folder,
flushes it to disk and renames it over the target (``os.replace`` is atomic on one file
system), so a reader or a crashed run sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import sys
import time
import uuid
from typing import Any, Iterator

import numpy as np
import pandas as pd

from . import __version__
from .errors import EmoevalError
from .results import check_results, schema_version

RESULTS_FILE = "results.json"
DETAILED_FILE = "detailed_results.csv"
REPORT_FILE = "report.md"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """A temporary path beside ``path`` to write to; on success it replaces ``path``.

    The temporary name keeps the target's extension (``np.savez`` appends ``.npz`` to any
    other name) and is unique per process and call, so concurrent writers never share it.
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    tmp = os.path.join(folder, f".{stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{ext}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path: str | os.PathLike, text: str) -> str:
    """Write ``text`` (UTF-8) atomically; return the path."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    return os.fspath(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> str:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
    return os.fspath(path)


def write_json(path: str | os.PathLike, obj: Any, *, indent: int = 2,
               default: Any = None) -> str:
    """Strict JSON (NaN and inf as null, numpy scalars as plain numbers), atomically.

    ``default`` converts what JSON has no type for (e.g. ``str``); without it such a value
    is a bug and raises.
    """
    text = json.dumps(strict_json(obj), indent=indent, ensure_ascii=False, allow_nan=False,
                      default=default)
    return write_text(path, text + "\n")


def write_csv(path: str | os.PathLike, table: pd.DataFrame) -> str:
    """A table as CSV (no index), atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return os.fspath(path)


def strict_json(value: Any) -> Any:
    """Plain JSON types, with NaN/inf (undefined metrics) as null so any parser reads it."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [strict_json(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def write_results(out: str, results: dict[str, Any], table: pd.DataFrame) -> None:
    """``detailed_results.csv`` and ``results.json`` into ``out``; results that lack a core
    key are a bug and raise before anything is written."""
    check_results(results)
    os.makedirs(out, exist_ok=True)
    write_csv(os.path.join(out, DETAILED_FILE), table)
    write_json(os.path.join(out, RESULTS_FILE), results)


def load_results(out: str) -> dict[str, Any]:
    path = os.path.join(out, RESULTS_FILE)
    if not os.path.isfile(path):
        raise EmoevalError(f"{out} holds no {RESULTS_FILE}: run `emoeval evaluate` or "
                           "`emoeval score` into it first")
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    schema_version(results, path)  # 1.0 and 2 are read alike; another version is refused
    return results


def read_predictions_file(path: str) -> pd.DataFrame:
    """CSV, TSV, JSONL or Parquet into a table (ids, labels and predictions as written, as
    text; a missing cell as ""): :func:`emoeval.tables.read_frame`."""
    from .tables import read_frame

    if not os.path.isfile(path):
        raise EmoevalError(f"predictions file {path!r} not found")
    return read_frame(path, text_columns=("id", "label", "prediction"))


def run_block(command: str, started: dt.datetime, t0: float) -> dict[str, Any]:
    """How a file was made: the command line, library versions, start time and duration."""
    versions = {"emoeval": __version__, "python": platform.python_version()}
    for name in ("numpy", "sklearn", "torch", "transformers", "onnxruntime",
                 "sentence_transformers"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "")
    return {"command": command or " ".join(sys.argv), "versions": versions,
            "started": started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - t0, 3)}
