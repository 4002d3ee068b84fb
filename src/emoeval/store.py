"""The prediction store: append-only JSON lines in ``--out``, flushed per batch.

One file, ``predictions.jsonl``, one record per finished sample:
``{"key": <model fingerprint>, "id": <sample id>, "kind": ok|input|transport|unanswered,
"scores": {label: score} | null, "text": str | null, "error": str | null,
"latency_ms": float | null, "digest": str | null}``; ``text`` is the raw answer of a
generative model, ``digest`` the content digest of the input the record was made from
(:mod:`emoeval.freshness` decides with it whether the record is still fresh). Scores are in
the *model's* label space; label mapping happens at scoring time, so the store holds exactly
what the model said. ``kind`` is the outcome (contracts-v2 section 1); version-1 lines have
none and get it from their error message (:func:`infer_kind`).

``store.json`` beside it names the model and dataset the store belongs to (and
``store_version``): a rerun with the same ones resumes, a different model or dataset in the
same ``--out`` is refused.

What goes wrong on disk loses no valid record:

- a process killed mid-write (even ``kill -9``) leaves at most one partial last line, which
  is cut off on the next open;
- any other line that is not a record (a blank line, a hand edit gone wrong, a torn line in
  the middle) is moved to ``predictions.rejected.jsonl`` with its line number, and the
  records around it are kept; :attr:`PredictionStore.notices` says how many;
- a second process on the same ``--out`` is refused by ``predictions.lock`` (pid and host of
  the holder); a lock left by a dead process on this host is taken over, with a notice.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import socket
from dataclasses import dataclass, field
from typing import Any

from .errors import EmoevalError
from .results import SCHEMA_VERSION
from .results_io import write_bytes, write_json

PREDICTIONS_FILE = "predictions.jsonl"
REJECTED_FILE = "predictions.rejected.jsonl"
MANIFEST_FILE = "store.json"
LOCK_FILE = "predictions.lock"
STORE_VERSION = 2

#: outcome kinds (contracts-v2 section 1)
OK, INPUT, TRANSPORT, UNANSWERED = "ok", "input", "transport", "unanswered"
KINDS = (OK, INPUT, TRANSPORT, UNANSWERED)

# error messages of version-1 stores, by the kind they stand for (the runner's, audio.py's
# and http.py's wording); anything else with an error is a model that gave nothing usable
_INPUT_ERRORS = re.compile(r"^(missing audio file|empty audio file|unreadable audio file|"
                           r"audio file has no samples|audio file contains NaN|"
                           r"row has no (audio|text)|empty text)")
_TRANSPORT_ERRORS = re.compile(r"(^(timeout after|connection error|HTTP \d+|response is not "
                               r"valid JSON|malformed response))|\[\d+ attempts?\]$")


def infer_kind(error: str | None) -> str:
    """The outcome kind of a record that has none (version 1), from its error message."""
    if not error:
        return OK
    if _INPUT_ERRORS.search(error):
        return INPUT
    if _TRANSPORT_ERRORS.search(error):
        return TRANSPORT
    return UNANSWERED


@dataclass
class Record:
    id: str
    scores: dict[str, float] | None
    error: str | None
    latency_ms: float | None = None
    text: str | None = None
    #: ok | input | transport | unanswered; inferred from ``error`` when not given
    kind: str = ""
    #: content digest of the input (freshness); None in version-1 records
    digest: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            self.kind = infer_kind(self.error)


class StoreBusyError(EmoevalError):
    """Another live process holds the store's lock."""


@dataclass
class StoreLock:
    """``predictions.lock``: pid, host and start time of the process that writes the store."""

    path: str
    notices: list[str] = field(default_factory=list)

    def acquire(self) -> None:
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        for _ in range(5):
            if self._create(me):
                return
            holder = self._holder()
            if holder is None:
                continue  # released (or being taken over) between our two looks
            if holder.get("pid") == me["pid"] and holder.get("host") == me["host"]:
                self._write(me)  # this very process (a store it did not close)
                return
            if holder.get("host") == me["host"] and not _alive(holder.get("pid")):
                stale = f"{self.path}.stale.{os.getpid()}"
                try:
                    os.replace(self.path, stale)  # one taker wins the rename
                except FileNotFoundError:
                    continue
                os.remove(stale)
                self.notices.append(
                    f"took over the lock of process {holder.get('pid')} on {holder.get('host')}"
                    f" (started {holder.get('started', '?')}), which is no longer running")
                continue
            raise StoreBusyError(
                f"{os.path.dirname(self.path)} is in use by process {holder.get('pid')} on "
                f"{holder.get('host')} (since {holder.get('started', '?')}); wait for it to "
                f"finish or use another --out (if that process is gone, delete {self.path})")
        raise EmoevalError(f"cannot take the lock {self.path}; delete it if no other emoeval "
                           "runs on this --out")

    def _create(self, me: dict[str, Any]) -> bool:
        """Create the lock with its content in one step (link of a written file)."""
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(me, f)
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            os.remove(tmp)

    def _write(self, me: dict[str, Any]) -> None:
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(me, f)

    def _holder(self) -> dict[str, Any] | None:
        try:
            with open(self.path, encoding="utf-8") as f:
                holder = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            holder = {}
        return holder if isinstance(holder, dict) else {}

    def release(self) -> None:
        holder = self._holder()
        if holder and holder.get("pid") == os.getpid():
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def record_from_line(obj: Any) -> Record | None:
    """A stored line as a Record, or None when it is not one."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) \
            or not isinstance(obj.get("key"), str):
        return None
    scores = obj.get("scores")
    if scores is not None and not isinstance(scores, dict):
        return None
    return Record(obj["id"], scores, obj.get("error"), obj.get("latency_ms"), obj.get("text"),
                  obj.get("kind") or "", obj.get("digest"))


class PredictionStore:
    def __init__(self, out_dir: str, manifest: dict[str, Any],
                 earlier_fingerprints: dict[str, list[str]] | None = None):
        """Open (or create) the store in ``out_dir`` for the model/dataset in ``manifest``.

        ``manifest`` must hold ``model_fingerprint`` and ``dataset_fingerprint``; a store made
        for other ones is refused with a message naming both. ``earlier_fingerprints``
        (``{"dataset": [...]}``) are what earlier versions recorded for the same data: such a
        store is taken over and its manifest updated.
        """
        self._earlier = earlier_fingerprints or {}
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        self.path = os.path.join(out_dir, PREDICTIONS_FILE)
        self.key = manifest["model_fingerprint"]
        self.records: dict[str, Record] = {}
        #: line numbers moved to predictions.rejected.jsonl by this open
        self.rejected_lines: list[int] = []
        self._lock = StoreLock(os.path.join(out_dir, LOCK_FILE))
        self._lock.acquire()
        #: what this open did that a person should hear of (results warnings, console)
        self.notices: list[str] = self._lock.notices
        try:
            self._check_manifest(manifest)
            self._load()
            self._file = open(self.path, "a", encoding="utf-8")
        except BaseException:
            self._lock.release()
            raise

    def _check_manifest(self, manifest: dict[str, Any]) -> None:
        path = os.path.join(self.out_dir, MANIFEST_FILE)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = json.load(f)
            if int(old.get("store_version", 1)) > STORE_VERSION:
                raise EmoevalError(f"{self.out_dir} holds a store of version "
                                   f"{old['store_version']}, newer than this emoeval reads "
                                   f"({STORE_VERSION}); upgrade emoeval or use another --out")
            updated = False
            for what in ("model", "dataset"):
                key = f"{what}_fingerprint"
                if old.get(key) in self._earlier.get(what, []):
                    old = {**old, key: manifest.get(key)}  # same data, recorded the old way
                    updated = True
                if old.get(key) != manifest.get(key):
                    raise EmoevalError(
                        f"{self.out_dir} already holds predictions of {what} "
                        f"{old.get(what + '_spec')!r} (fingerprint "
                        f"{old.get(what + '_fingerprint')}), not {manifest.get(what + '_spec')!r} "
                        f"({manifest.get(what + '_fingerprint')}); use another --out")
            if old.get("store_version") == STORE_VERSION and not updated:
                return
            manifest = {**old, "store_version": STORE_VERSION}  # version-1 lines stay readable
        else:
            manifest = {**manifest, "store_version": STORE_VERSION}
        write_json(path, {**manifest, "schema_version": SCHEMA_VERSION})

    def _load(self) -> None:
        """Read every record; move lines that are none aside; cut a partial last line."""
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        torn = lines.pop()  # b"" when the file ends with a newline
        kept: list[bytes] = []
        rejected: list[dict[str, Any]] = []
        for number, raw in enumerate(lines, 1):
            record, reason = self._parse(raw)
            if reason is None:
                kept.append(raw)
                if record is not None:
                    self.records[record.id] = record
            else:
                rejected.append({"line": number, "reason": reason,
                                 "text": raw.decode("utf-8", errors="backslashreplace")})
        torn_kept = False
        if torn:
            record, reason = self._parse(torn)
            if reason is None:  # killed between the record and its newline: keep it
                kept.append(torn)
                torn_kept = True
                if record is not None:
                    self.records[record.id] = record
        if rejected:
            self._reject(rejected)
            self._rewrite(kept)
        elif torn_kept:
            with open(self.path, "ab") as f:
                f.write(b"\n")
        elif torn:  # the partial line of a killed writer
            with open(self.path, "r+b") as f:
                f.truncate(len(data) - len(torn))

    def _parse(self, raw: bytes) -> tuple[Record | None, str | None]:
        """(record of this model or None, reason the line is no record or None)."""
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return None, ("blank line" if not raw.strip() else
                          f"not JSON ({getattr(exc, 'msg', None) or exc})")
        record = record_from_line(obj)
        if record is None:
            return None, "not a prediction record (needs key, id, scores or null)"
        return (record if obj["key"] == self.key else None), None

    def _reject(self, rejected: list[dict[str, Any]]) -> None:
        """Append the bad lines to predictions.rejected.jsonl (synced before the store is
        rewritten without them, so a crash in between loses nothing)."""
        moved = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with open(os.path.join(self.out_dir, REJECTED_FILE), "a", encoding="utf-8") as f:
            for item in rejected:
                f.write(json.dumps({**item, "moved": moved}, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.rejected_lines = [item["line"] for item in rejected]
        shown = ", ".join(map(str, self.rejected_lines[:10]))
        more = ", ..." if len(self.rejected_lines) > 10 else ""
        self.notices.append(
            f"{len(rejected)} unreadable line{'s' if len(rejected) != 1 else ''} in "
            f"{PREDICTIONS_FILE} (line {shown}{more}) moved to {REJECTED_FILE}; every "
            "valid record was kept")

    def _rewrite(self, kept: list[bytes]) -> None:
        write_bytes(self.path, b"".join(line + b"\n" for line in kept))

    def __contains__(self, sample_id: str) -> bool:
        return sample_id in self.records

    def add_batch(self, records: list[Record]) -> None:
        """Append and fsync: every complete line on disk is a finished sample."""
        lines = []
        for r in records:
            scores = None if r.scores is None else {
                k: (None if not math.isfinite(v) else float(v)) for k, v in r.scores.items()}
            lines.append(json.dumps({"key": self.key, "id": r.id, "kind": r.kind,
                                     "scores": scores, "text": r.text, "error": r.error,
                                     "latency_ms": r.latency_ms, "digest": r.digest},
                                    ensure_ascii=False))
            self.records[r.id] = r
        if lines:
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
            self._lock.release()

    def __enter__(self) -> "PredictionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
