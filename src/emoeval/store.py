"""The prediction store: append-only JSON lines in ``--out``, flushed per batch.

One file, ``predictions.jsonl``, one record per finished sample:
``{"key": <model fingerprint>, "id": <sample id>, "scores": {label: score} | null,
"text": str | null, "error": str | null, "latency_ms": float | null}``; ``text`` is the raw
answer of a generative model. Scores are in the *model's* label space;
label mapping happens at scoring time, so the store holds exactly what the model said.

``store.json`` beside it names the model and dataset the store belongs to: a rerun with the
same ones resumes, a different model or dataset in the same ``--out`` is refused. A process
killed mid-write (even ``kill -9``) leaves at most one partial last line, which is cut off on
the next open: nothing finished is lost or redone.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

from .errors import EmoevalError
from .results import SCHEMA_VERSION
from .results_io import write_json

PREDICTIONS_FILE = "predictions.jsonl"
MANIFEST_FILE = "store.json"


@dataclass
class Record:
    id: str
    scores: dict[str, float] | None
    error: str | None
    latency_ms: float | None = None
    text: str | None = None


class PredictionStore:
    def __init__(self, out_dir: str, manifest: dict[str, Any]):
        """Open (or create) the store in ``out_dir`` for the model/dataset in ``manifest``.

        ``manifest`` must hold ``model_fingerprint`` and ``dataset_fingerprint``; a store made
        for other ones is refused with a message naming both.
        """
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        self.path = os.path.join(out_dir, PREDICTIONS_FILE)
        self.key = manifest["model_fingerprint"]
        self._check_manifest(manifest)
        self.records: dict[str, Record] = {}
        self._load()
        self._file = open(self.path, "a", encoding="utf-8")

    def _check_manifest(self, manifest: dict[str, Any]) -> None:
        path = os.path.join(self.out_dir, MANIFEST_FILE)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = json.load(f)
            for what in ("model", "dataset"):
                if old.get(f"{what}_fingerprint") != manifest.get(f"{what}_fingerprint"):
                    raise EmoevalError(
                        f"{self.out_dir} already holds predictions of {what} "
                        f"{old.get(what + '_spec')!r} (fingerprint "
                        f"{old.get(what + '_fingerprint')}), not {manifest.get(what + '_spec')!r} "
                        f"({manifest.get(what + '_fingerprint')}); use another --out")
            return
        write_json(path, {"schema_version": SCHEMA_VERSION, **manifest})

    def _load(self) -> None:
        """Read finished records; cut a partial last line left by a killed process."""
        if not os.path.exists(self.path):
            return
        good_bytes = 0
        with open(self.path, "rb") as f:
            for raw in f:
                if not raw.endswith(b"\n"):
                    break  # partial write: the process died mid-line
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError:
                    break
                good_bytes += len(raw)
                if obj.get("key") != self.key:
                    continue
                self.records[obj["id"]] = Record(obj["id"], obj.get("scores"), obj.get("error"),
                                                 obj.get("latency_ms"), obj.get("text"))
        if good_bytes < os.path.getsize(self.path):
            with open(self.path, "r+b") as f:
                f.truncate(good_bytes)

    def __contains__(self, sample_id: str) -> bool:
        return sample_id in self.records

    def add_batch(self, records: list[Record]) -> None:
        """Append and fsync: every complete line on disk is a finished sample."""
        lines = []
        for r in records:
            scores = None if r.scores is None else {
                k: (None if not math.isfinite(v) else float(v)) for k, v in r.scores.items()}
            lines.append(json.dumps({"key": self.key, "id": r.id, "scores": scores,
                                     "text": r.text, "error": r.error,
                                     "latency_ms": r.latency_ms},
                                    ensure_ascii=False))
            self.records[r.id] = r
        if lines:
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "PredictionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
