"""Column choice and per-row metadata, shared by the table-like sources (csv/jsonl/parquet, hf).

Defaults are matched case-insensitively in the order listed; a column named by an option
must exist exactly.

Multi-label cells: a JSON list (``["joy", "love"]``, or a real list in jsonl/parquet) is
always read as a list of labels; with ``--label-sep`` (``DatasetOptions.label_sep``) a plain
string is split on that separator. An empty cell is an unlabelled row, ``[]`` a row with no
label.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import EmoevalError
# a cell as a string: missing (the one rule, tables.is_missing) -> "", containers as JSON
from ..tables import cell_text as cell_str
from .base import DIMENSIONAL_LABEL, DatasetOptions

TEXT_COLUMNS = ("text", "sentence", "utterance", "transcript")
AUDIO_COLUMNS = ("audio", "path", "file", "file_name", "filename", "audio_path")
LABEL_COLUMNS = ("label", "emotion", "labels")
SPEAKER_COLUMNS = ("speaker", "speaker_id")
GENDER_COLUMNS = ("gender", "sex")
LANGUAGE_COLUMNS = ("language", "lang")


@dataclass
class Columns:
    """The columns a source reads; ``text`` xor ``audio`` is set. ``label`` is None only
    for a dimensional table without a label column."""

    label: str | None
    id: str | None = None
    text: str | None = None
    audio: str | None = None
    split: str | None = None
    speaker: str | None = None
    gender: str | None = None
    language: str | None = None
    #: dimensional: the columns holding continuous targets, named as the dimensions
    targets: list[str] | None = None


def find_column(available: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in reversed(available)}  # reversed: first spelling wins
    for name in candidates:
        if name in lower:
            return lower[name]
    return None


def _named(name: str | None, flag: str, available: list[str], where: str) -> str | None:
    if name is not None and name not in available:
        raise EmoevalError(f"{flag} {name!r}: no such column in {where}; available columns: "
                           f"{', '.join(available)}")
    return name


def resolve_columns(available: list[str], options: DatasetOptions, where: str,
                    looks_like_audio: Callable[[str], bool]) -> Columns:
    """Pick the columns from options, else defaults.

    When no modality is named and both a text-like and an audio-like column exist, audio wins
    only if ``looks_like_audio(column)`` (e.g. its values end in .wav): a text table with a
    ``file`` column stays text, an audio table with a ``transcript`` column stays audio.
    """
    o = options
    text = _named(o.text_col, "--text-col", available, where)
    audio = _named(o.audio_col, "--audio-col", available, where)
    if text and audio:
        raise EmoevalError(f"both --text-col and --audio-col given for {where}; a dataset is "
                           "one modality, give only one")
    if not text and not audio:
        text = find_column(available, TEXT_COLUMNS)
        audio = find_column(available, AUDIO_COLUMNS)
        if text and audio:
            text, audio = (None, audio) if looks_like_audio(audio) else (text, None)
    if not text and not audio:
        raise EmoevalError(
            f"no text or audio column in {where} (looked for {', '.join(TEXT_COLUMNS)} / "
            f"{', '.join(AUDIO_COLUMNS)}); give --text-col or --audio-col; available columns: "
            f"{', '.join(available)}")
    targets = [_named(t, "--target-cols", available, where) for t in o.target_cols or []]
    label = _named(o.label_col, "--label-col", available, where) or find_column(
        available, LABEL_COLUMNS)
    if not label and not targets:
        raise EmoevalError(
            f"no label column in {where} (looked for {', '.join(LABEL_COLUMNS)}); give "
            f"--label-col (or --target-cols for continuous targets); available columns: "
            f"{', '.join(available)}")
    return Columns(
        label=label, text=text, audio=audio, targets=targets or None,
        id=_named(o.id_col, "--id-col", available, where) or find_column(available, ("id",)),
        split=_named(o.split_col, "--split-col", available, where)
        or find_column(available, ("split",)),
        speaker=_named(o.speaker_col, "--speaker-col", available, where)
        or find_column(available, SPEAKER_COLUMNS),
        gender=find_column(available, GENDER_COLUMNS),
        language=find_column(available, LANGUAGE_COLUMNS))


def label_value(value: Any, label_sep: str | None = None) -> str | list[str] | None:
    """The label of one cell: a string, a list of strings (multi-label), or None when empty.

    A list cell or a string holding a JSON list gives a list; with ``label_sep`` a string is
    split on it (whitespace around each label dropped, empty parts ignored). Anything else is
    one label.
    """
    if isinstance(value, (list, tuple)):
        return _label_list(value)
    text = cell_str(value).strip()
    if not text:
        return None
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return _label_list(parsed)
    if label_sep:
        return _label_list(text.split(label_sep))
    return text


def row_label(record: dict[str, Any], cols: Columns, label_sep: str | None = None
              ) -> str | list[str] | None:
    """The row's label; the constant ``"dimensional"`` for a dimensional table without a
    label column (the core requires a label on every row)."""
    if cols.label is None:
        return DIMENSIONAL_LABEL
    return label_value(record.get(cols.label), label_sep)


def target_values(record: dict[str, Any], cols: Columns) -> dict[str, float] | None:
    """``{dimension: value}`` from the target columns (NaN for an empty or non-numeric
    cell), or None for a table without targets."""
    if not cols.targets:
        return None
    values = {}
    for column in cols.targets:
        try:
            values[column] = float(cell_str(record.get(column)).strip())
        except ValueError:
            values[column] = math.nan
    return values


def _label_list(items: Any) -> list[str]:
    names = [cell_str(item).strip() for item in items]
    return list(dict.fromkeys(name for name in names if name))  # unique, in order


def row_metadata(record: dict[str, Any], cols: Columns) -> dict[str, str]:
    """Every column not used as id/input/label/split, as strings; speaker, gender and
    language under those fixed keys whatever their column is called."""
    used = {cols.id, cols.text, cols.audio, cols.label, cols.split, *(cols.targets or [])}
    renamed = {cols.speaker: "speaker", cols.gender: "gender", cols.language: "language"}
    renamed.pop(None, None)
    meta = {k: cell_str(v) for k, v in record.items() if k not in used and k not in renamed}
    for column, key in renamed.items():
        if column not in used:
            meta[key] = cell_str(record.get(column))
    return meta
