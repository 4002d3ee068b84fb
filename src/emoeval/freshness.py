"""Which rows need predicting: the one resume rule of the local runner and the Ray engine.

A row is predicted when the store has no record for it, when its input changed since its
record was made (the record's content digest differs from the input's: a fixed or replaced
clip, an edited text), when its record is of kind ``transport`` (a request that failed is no
answer), and, with ``--retry-errors``, when its record is ``unanswered`` (a model crash, a NaN
score, an abstention). ``input`` records stay: they are a property of the data, and a fixed
file has a new digest anyway.

Digests: the text itself, or the bytes of the audio file (sha256). Hashing every clip on
every rerun would read the whole corpus, so the digests of files are cached in the run's
folder (``.input-digests.json``) with their size and modification time: a file whose size
and mtime are unchanged is not read again. Digests never enter the dataset fingerprint (which
already hashes the texts: an edited text is another dataset; a changed audio file is not).
Records of a version-1 store carry no digest and are taken as fresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Iterable

from .datasets.base import Row
from .store import STORE_VERSION, TRANSPORT, UNANSWERED, PredictionStore, Record

DIGEST_CACHE_FILE = ".input-digests.json"
_CHUNK = 1 << 20


def text_digest(text: str | None) -> str:
    return "text:" + hashlib.sha256(str(text or "").encode("utf-8")).hexdigest()[:24]


def file_digest(path: str) -> str:
    """sha256 of a file's bytes; a missing or unreadable file has a digest saying so (a file
    that appears or becomes readable later then differs)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                h.update(chunk)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    return "file:" + h.hexdigest()[:24]


class DigestCache:
    """File digests by path, with the size and mtime they were computed for."""

    def __init__(self, folder: str | None):
        self.path = os.path.join(folder, DIGEST_CACHE_FILE) if folder else None
        self.entries: dict[str, list] = {}
        self.changed = False
        if self.path and os.path.isfile(self.path):
            try:
                with open(self.path, encoding="utf-8") as f:
                    loaded = json.load(f)
                self.entries = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self.entries = {}  # a damaged cache only costs re-hashing

    def digest(self, path: str) -> str:
        try:
            st = os.stat(path)
        except OSError:
            return file_digest(path)
        stamp = [st.st_size, st.st_mtime_ns]
        entry = self.entries.get(path)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamp:
            return str(entry[2])
        value = file_digest(path)
        self.entries[path] = [*stamp, value]
        self.changed = True
        return value

    def save(self) -> None:
        if not (self.path and self.changed):
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.entries, f)
        os.replace(tmp, self.path)


def input_digest(row: Row, modality: str | None, cache: DigestCache | None = None) -> str:
    """The digest of what the model is given for ``row``."""
    if modality == "audio" or (modality is None and row.audio is not None):
        if not row.audio:
            return "missing"
        return (cache or DigestCache(None)).digest(row.audio)
    return text_digest(row.text)


@dataclass
class ResumePlan:
    """The rows to predict, the digest of every row's input, and why rows are predicted again."""

    todo: list[Row]
    digests: dict[str, str] = field(default_factory=dict)
    n_from_store: int = 0
    #: rows with a record whose input has changed since
    n_refreshed: int = 0
    #: rows asked again for their record's kind (transport; unanswered with --retry-errors)
    n_retried: int = 0

    def stamp(self, records: Iterable[Record]) -> None:
        """Give each new record the digest of the input it was made from."""
        for record in records:
            record.digest = self.digests.get(record.id)

    def counts(self) -> dict[str, int]:
        return {"n_from_store": self.n_from_store, "n_refreshed": self.n_refreshed,
                "n_retried": self.n_retried}


def plan_resume(rows: list[Row], store: PredictionStore, modality: str | None, *,
                retry_errors: bool = False) -> ResumePlan:
    """The one resume rule (module docstring)."""
    cache = DigestCache(store.out_dir)
    plan = ResumePlan([])
    retry_kinds = {TRANSPORT, UNANSWERED} if retry_errors else {TRANSPORT}
    for row in rows:
        digest = plan.digests[row.id] = input_digest(row, modality, cache)
        record = store.records.get(row.id)
        if record is None:
            plan.todo.append(row)
        elif record.digest is not None and record.digest != digest:
            plan.todo.append(row)
            plan.n_refreshed += 1
        elif record.kind in retry_kinds:
            plan.todo.append(row)
            plan.n_retried += 1
        else:
            plan.n_from_store += 1
    cache.save()
    return plan


def resume_notices(counts: dict[str, int]) -> list[str]:
    """What a rerun predicted again and why, for the console and results.json."""
    notes = []
    if counts.get("n_refreshed"):
        notes.append(f"{counts['n_refreshed']} samples whose input changed since their stored "
                     "prediction were predicted again")
    if counts.get("n_retried"):
        notes.append(f"{counts['n_retried']} samples whose stored outcome was a failure were "
                     "asked again")
    return notes


def store_summary(store: PredictionStore, timing: dict[str, int | float]) -> dict:
    """The ``store`` block of results.json: what this run took from the store, predicted
    again and why, and the unreadable lines it moved aside; ``notices`` for the console."""
    counts = {k: int(timing.get(k, 0)) for k in ("n_from_store", "n_refreshed", "n_retried")}
    return {"store_version": STORE_VERSION, **counts,
            "n_rejected_lines": len(store.rejected_lines),
            "notices": list(store.notices) + resume_notices(counts)}
