"""Benchmark items: a CSV in emolia-bench's layout, read, filtered and matched to audio.

Columns: ``file_name``, ``queried_emotion`` (or a ``text`` column holding the prompt) and
``majority_present`` are required; ``task_type``, ``polarity``, ``benchmark_bucket``,
``n_raters``, ``flagged``, ``split``, ``id`` and anything else are optional and carried into
``predictions.csv``. The agreement command's ``benchmark_labels.csv`` is valid as is.

A **tie** (no human majority) is an empty or ``tie`` ``majority_present``, a
``majority_label`` of ``tie``, a true ``majority_present_tie`` or a ``benchmark_bucket``
starting with ``tie``: tie items are scored but left out of every metric.

A ``file_name`` that is absolute or holds ``..`` is refused (it would read, and with
``--endpoint`` send, a file outside ``--audio-dir``); symlink loops under the folder are
skipped. Audio is found under ``--audio-dir``: first at ``file_name`` as a relative path,
else by file stem anywhere below (emolia-bench keeps clips in per-emotion folders), else, as the seed
tool does, a ``<stem>.json`` metadata sidecar (enough for the sham and for servers that read
their own files, never for a local model).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import EmoevalError
from ..datasets.files import confined_name, is_audio, list_audio
from .prompts import build_prompt

REQUIRED = ("file_name", "majority_present")
#: columns that, with file_name and the prompt, identify an item when there is no id column
KEY_COLUMNS = ("task_type", "polarity", "dimension", "level")
TRUE_WORDS = {"1", "1.0", "true", "t", "yes", "y", "present"}
FALSE_WORDS = {"0", "0.0", "false", "f", "no", "n", "absent"}
TIE_WORDS = {"", "tie", "nan", "none", "null"}
UNANIMOUS_PREFIX = "unanimous_"
TIE = "tie"


@dataclass
class Item:
    """One (audio clip, prompt) pair with its human majority."""

    id: str
    file_name: str
    stem: str
    prompt: str
    #: 1 present, 0 absent, None for a tie
    majority_present: int | None
    split: str | None
    #: the item's own columns as read from the CSV (strings)
    columns: dict[str, Any] = field(default_factory=dict)
    #: resolved audio file (or metadata sidecar); None when not found
    audio_path: str | None = None

    @property
    def label(self) -> str:
        """Stratum for ``--limit`` (``emoeval.selection.stratified_limit`` reads ``.label``)."""
        return TIE if self.majority_present is None else str(self.majority_present)

    @property
    def is_tie(self) -> bool:
        return self.majority_present is None

    @property
    def bucket(self) -> str:
        return str(self.columns.get("benchmark_bucket", ""))


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in TRUE_WORDS


def parse_majority(row: dict[str, Any], line: int, path: str) -> int | None:
    """1, 0 or None (tie) for one CSV row."""
    raw = str(row.get("majority_present", "")).strip().lower()
    if (str(row.get("majority_label", "")).strip().lower() == TIE
            or truthy(row.get("majority_present_tie", ""))
            or str(row.get("benchmark_bucket", "")).strip().lower().startswith(TIE)):
        return None
    if raw in TRUE_WORDS:
        return 1
    if raw in FALSE_WORDS:
        return 0
    if raw in TIE_WORDS:
        return None
    raise EmoevalError(f"{path} line {line}: majority_present is {raw!r}; use 1/0 (or empty / "
                       "'tie' for an item without a majority)")


def file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def read_item_table(path: str) -> pd.DataFrame:
    if not os.path.isfile(path):
        raise EmoevalError(f"--items {path}: file not found (an items CSV, e.g. the agreement "
                           "command's benchmark_labels.csv or `emoeval similarity-items`)")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise EmoevalError(f"--items {path}: not a readable CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if "queried_emotion" not in table.columns and "text" not in table.columns:
        missing.append("queried_emotion (or text)")
    if missing:
        raise EmoevalError(f"--items {path} lacks column(s) {', '.join(missing)} "
                           f"(has: {', '.join(table.columns)})")
    if table.empty:
        raise EmoevalError(f"--items {path} has no rows")
    return table


def item_id(row: dict[str, Any], columns: list[str]) -> str:
    if "id" in columns and str(row["id"]).strip():
        return str(row["id"]).strip()
    parts = [str(row["file_name"]),
             str(row.get("queried_emotion") or row.get("text", ""))]
    parts += [str(row[c]) for c in KEY_COLUMNS if c in columns]
    return "|".join(parts)


def read_items(path: str, template: str) -> list[Item]:
    """Every row of the items CSV as an :class:`Item` (ids checked unique)."""
    table = read_item_table(path)
    columns = list(table.columns)
    items: list[Item] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(table.to_dict(orient="records")):
        line = index + 2  # header is line 1
        file_name = str(row["file_name"]).strip()
        if not file_name:
            raise EmoevalError(f"{path} line {line}: empty file_name")
        try:
            confined_name(file_name)
        except ValueError as exc:  # it would read (and send) a file outside --audio-dir
            raise EmoevalError(f"{path} line {line}: file_name {exc}; give a path relative "
                               "to --audio-dir") from None
        text = str(row.get("text", "")).strip()
        queried = str(row.get("queried_emotion", "")).strip()
        if not text and not queried:
            raise EmoevalError(f"{path} line {line}: neither queried_emotion nor text is set")
        identifier = item_id(row, columns)
        if identifier in seen:
            raise EmoevalError(f"{path}: lines {seen[identifier]} and {line} are the same item "
                               f"({identifier}); add an id column or remove the duplicate")
        seen[identifier] = line
        items.append(Item(
            id=identifier, file_name=file_name, stem=Path(file_name).stem,
            prompt=text or build_prompt(template, queried),
            majority_present=parse_majority(row, line, path),
            split=(str(row["split"]).strip() or None) if "split" in columns else None,
            columns=row))
    return items


def filter_items(items: list[Item], *, min_raters: int | None = None,
                 exclude_flagged: bool = False, unanimous_only: bool = False,
                 columns: list[str]) -> list[Item]:
    """``--min-raters``, ``--exclude-flagged``, ``--unanimous-only``, in that order."""
    def need(column: str, flag: str) -> None:
        if column not in columns:
            raise EmoevalError(f"{flag} needs a {column} column in the items; it has "
                               f"{', '.join(columns)}")

    if min_raters is not None:
        need("n_raters", "--min-raters")

        def raters(item: Item) -> float:
            try:
                return float(item.columns["n_raters"])
            except ValueError:
                return 0.0
        items = [i for i in items if raters(i) >= min_raters]
    if exclude_flagged:
        need("flagged", "--exclude-flagged")
        items = [i for i in items if not truthy(i.columns["flagged"])]
    if unanimous_only:
        need("benchmark_bucket", "--unanimous-only")
        items = [i for i in items if i.bucket.startswith(UNANIMOUS_PREFIX)]
    return items


class AudioIndex:
    """Audio files under a folder, by relative path and by stem (first in sorted order)."""

    def __init__(self, root: str):
        path = Path(root).expanduser()
        if not path.is_dir():
            raise EmoevalError(f"--audio-dir {root}: not a directory")
        self.root = path.resolve()
        self.by_stem: dict[str, str] = {}
        for file in list_audio(self.root):
            self.by_stem.setdefault(file.stem, str(file))
        self._sidecars: dict[str, str] | None = None

    def sidecars(self) -> dict[str, str]:
        if self._sidecars is None:  # read only when some audio is missing
            self._sidecars = {}
            for file in sorted(self.root.rglob("*.json"), key=str):
                self._sidecars.setdefault(file.stem, str(file))
        return self._sidecars

    def resolve(self, file_name: str) -> str | None:
        """The clip for ``file_name`` (relative to the root, checked by read_items)."""
        direct = self.root.joinpath(*confined_name(file_name).parts)
        if direct.is_file() and is_audio(direct):
            return str(direct)
        stem = Path(file_name).stem
        return self.by_stem.get(stem) or self.sidecars().get(stem)


def attach_audio(items: list[Item], audio_dir: str | None) -> None:
    """Set each item's ``audio_path`` (left None without an audio folder)."""
    if not audio_dir:
        return
    index = AudioIndex(audio_dir)
    for item in items:
        item.audio_path = index.resolve(item.file_name)
