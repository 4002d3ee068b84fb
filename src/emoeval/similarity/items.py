"""Benchmark items: a CSV in emolia-bench's layout, read, filtered and matched to audio.

Columns: ``file_name``, ``queried_emotion`` (or a ``text`` column holding the prompt) and
``majority_present`` are required; ``task_type``, ``polarity``, ``benchmark_bucket``,
``n_raters``, ``flagged``, ``split``, ``id`` and anything else are optional and carried into
``predictions.csv``. The agreement command's ``benchmark_labels.csv`` is valid as is.

A **tie** (no human majority) is an empty or ``tie`` ``majority_present``: such items are
scored but left out of every metric. A ``majority_present`` of 1/0 on an item whose raters
tied (emolia-bench resolves a tie to absent; ``majority_present_tie`` true, an empty
``majority_present_emoeval``, a ``majority_label`` of ``tie`` or a ``benchmark_bucket``
starting with ``tie``) counts as given by default (their rule, so the numbers equal theirs);
``--ties exclude`` leaves those items out too (ours).

emolia-dim items (``dimension``, ``level``, ``polarity``) take their prompt from the rubric
(:mod:`.dimensions`) and their clip from ``--audio-path`` (a template of item columns).

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
from . import dimensions as dims
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
    #: the raters tied (their majority_present resolves a tie to absent)
    raters_tied: bool = False
    #: ``--ties exclude``: a tied item is left out even with a 1/0 majority_present
    exclude_ties: bool = False
    #: the clip's path relative to ``--audio-dir`` (sent as ``audio_path``)
    relative_path: str | None = None

    @property
    def label(self) -> str:
        """Stratum for ``--limit`` (``emoeval.selection.stratified_limit`` reads ``.label``)."""
        return TIE if self.majority_present is None else str(self.majority_present)

    @property
    def is_tie(self) -> bool:
        return self.majority_present is None or (self.exclude_ties and self.raters_tied)

    @property
    def sham_stem(self) -> str:
        """The stem emolia-bench's offline sham hashes (compound for dim items)."""
        if dims.is_dimension_item(self.columns):
            return dims.compound_stem(self.stem, self.columns)
        return self.stem

    @property
    def bucket(self) -> str:
        return str(self.columns.get("benchmark_bucket", ""))


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in TRUE_WORDS


def raters_tied(row: dict[str, Any]) -> bool:
    """Whether the raters tied, by any column that says so."""
    return (str(row.get("majority_label", "")).strip().lower() == TIE
            or truthy(row.get("majority_present_tie", ""))
            or str(row.get("benchmark_bucket", "")).strip().lower().startswith(TIE)
            or str(row.get("benchmark_bucket_emoeval", "")).strip().lower().startswith(TIE)
            or ("majority_present_emoeval" in row
                and str(row["majority_present_emoeval"]).strip().lower() in TIE_WORDS))


def parse_majority(row: dict[str, Any], line: int, path: str) -> int | None:
    """1, 0 or None (no majority given) for one CSV row."""
    raw = str(row.get("majority_present", "")).strip().lower()
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
    if "queried_emotion" not in table.columns and "text" not in table.columns and not all(
            c in table.columns for c in dims.DIMENSION_COLUMNS):
        missing.append("queried_emotion (or text, or dimension and level)")
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


def read_items(path: str, template: str, variables: dict[str, Any] | None = None,
               exclude_ties: bool = False) -> list[Item]:
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
        if not text and not queried and dims.is_dimension_item(row):
            text = dims.dimension_prompt(variables or {}, str(row["dimension"]).strip(),
                                         str(row["level"]).strip())
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
            columns=row, raters_tied=raters_tied(row), exclude_ties=exclude_ties))
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
        #: stems held by more than one clip: looking one up is an error, never a pick
        self.ambiguous: dict[str, list[str]] = {}
        for file in list_audio(self.root):
            if file.stem in self.by_stem:
                self.ambiguous.setdefault(file.stem, [self.by_stem[file.stem]]).append(
                    str(file))
            else:
                self.by_stem[file.stem] = str(file)
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
        if stem in self.ambiguous:
            clips = [os.path.relpath(p, self.root) for p in self.ambiguous[stem]]
            raise EmoevalError(f"{file_name}: its stem {stem!r} matches {len(clips)} clips "
                               f"under {self.root} ({', '.join(clips[:6])}); give "
                               "--audio-path with the columns that tell them apart, e.g. "
                               f"{dims.AUDIO_PATH_PRESETS['emolia-dim']!r}")
        return self.by_stem.get(stem) or self.sidecars().get(stem)

    def relative(self, path: str | None) -> str | None:
        if path is None:
            return None
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None


def attach_audio(items: list[Item], audio_dir: str | None,
                 path_template: str | None = None) -> None:
    """Set each item's ``audio_path`` (left None without an audio folder): at
    ``path_template`` filled from the item's columns when given, else by file name, then
    stem."""
    if not audio_dir:
        return
    index = AudioIndex(audio_dir)
    for item in items:
        if path_template:
            filled = dims.fill_template(path_template, item.columns)
            try:  # the filled template stays inside --audio-dir, as a file_name does
                candidate = index.root.joinpath(*confined_name(filled).parts)
            except ValueError as exc:
                raise EmoevalError(f"--audio-path for item {item.id}: {exc}") from None
            item.audio_path = str(candidate) if candidate.is_file() else None
        else:
            item.audio_path = index.resolve(item.file_name)
        item.relative_path = index.relative(item.audio_path)
