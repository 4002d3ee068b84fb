"""``emoeval anonymize``: replace rater names with ``user_0, user_1, ...``.

Names are numbered in sorted order. An existing map is reused, so a rater keeps their id
when new raters arrive (new names take the next free numbers, again in sorted order), and
one map serves every file given. The raw names are written to the map file only: before
anything is written, every other column of every file is checked for a cell equal to a
rater name, and such a file is refused (name that column as a rater column too).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmoevalError

PREFIX = "user_"
MAP_COLUMNS = ("raw_name", "anonymous_id")
#: emolia-bench's ``_anon_map.csv``: read and written in its own columns and row order
PEER_MAP_COLUMNS = ("raw_username", "anon_username")
ANONYMOUS = re.compile(rf"{PREFIX}(\d+)")


@dataclass(frozen=True)
class TableFile:
    """One CSV/TSV file to anonymise and where its anonymised copy goes."""

    source: Path
    target: Path
    rater_columns: tuple[str, ...]


def _delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise EmoevalError(f"{path}: file not found")
    if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        raise EmoevalError(f"{path}: anonymize reads CSV or TSV files")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=_delimiter(path)))
    if not rows:
        raise EmoevalError(f"{path}: the file is empty (no header row)")
    return rows[0], rows[1:]


MAP_FORMATS = {"emoeval": MAP_COLUMNS, "emolia": PEER_MAP_COLUMNS}


def map_columns(path: Path, map_format: str = "auto") -> tuple[str, str]:
    """The map's columns: ``map_format`` (emoeval or emolia), or with ``auto`` those of the
    existing file, else ours."""
    if map_format != "auto":
        if map_format not in MAP_FORMATS:
            raise EmoevalError(f"--map-format {map_format!r}: use auto, emoeval or emolia")
        return MAP_FORMATS[map_format]
    if path.exists():
        header, _ = _read(path)
        if tuple(h.strip() for h in header[:2]) == PEER_MAP_COLUMNS:
            return PEER_MAP_COLUMNS
    return MAP_COLUMNS


def read_map(path: Path) -> dict[str, str]:
    """An existing map ``raw_name,anonymous_id`` (or emolia-bench's
    ``raw_username,anon_username``); empty when the file does not exist."""
    if not path.exists():
        return {}
    header, rows = _read(path)
    if tuple(h.strip() for h in header[:2]) not in (MAP_COLUMNS, PEER_MAP_COLUMNS):
        raise EmoevalError(f"--map {path}: expected the columns {','.join(MAP_COLUMNS)} (or "
                           f"emolia-bench's {','.join(PEER_MAP_COLUMNS)}); is this a map "
                           "written by emoeval anonymize?")
    mapping: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not ANONYMOUS.fullmatch(row[1].strip()):
            raise EmoevalError(f"--map {path}: line {line} is not raw_name,user_<n>")
        name, identifier = row[0].strip(), row[1].strip()
        if name in mapping and mapping[name] != identifier:
            raise EmoevalError(f"--map {path}: line {line} maps a name a second time")
        mapping[name] = identifier
    identifiers = list(mapping.values())
    if len(set(identifiers)) != len(identifiers):
        raise EmoevalError(f"--map {path}: two names share one anonymous id; restore the map "
                           "from a backup")
    return mapping


def extend_map(mapping: dict[str, str], names: set[str]) -> tuple[dict[str, str], list[str]]:
    """The map with every name in ``names`` numbered: existing ids kept, new names (sorted)
    take the numbers after the highest id in use. Returns (map, new names)."""
    new_names = sorted(name for name in names if name not in mapping)
    used = [int(ANONYMOUS.fullmatch(identifier).group(1)) for identifier in mapping.values()]
    start = max(used) + 1 if used else 0
    extended = dict(mapping)
    for offset, name in enumerate(new_names):
        extended[name] = f"{PREFIX}{start + offset}"
    return extended, new_names


def _write_rows(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(temporary, path)


def _also_file(spec: str, rater_columns: tuple[str, ...], out_dir: Path) -> TableFile:
    """``--also FILE`` or ``--also FILE:COLUMN`` (when the file names its raters differently);
    the anonymised copy goes next to ``--out`` under the same file name."""
    path, columns = Path(spec), rater_columns
    if not path.exists() and ":" in spec:
        head, _, column = spec.rpartition(":")
        if Path(head).exists():
            path, columns = Path(head), tuple(c.strip() for c in column.split(",") if c.strip())
    return TableFile(path, out_dir / path.name, columns)


def anonymise_files(raw: str, out: str, map_path: str, rater_columns: list[str],
                    also: list[str] | None = None, map_format: str = "auto") -> dict:
    """Anonymise ``raw`` into ``out`` (and each ``--also`` file into ``out``'s folder).

    Returns ``{"n_raters", "new_raters", "files": [written paths], "map": map_path,
    "empty_cells"}``; ``new_raters`` is a count (names are never returned).
    """
    columns = tuple(c.strip() for c in rater_columns if c.strip())
    if not columns:
        raise EmoevalError("--rater-col: name the column holding the rater names")
    out_path, map_file = Path(out), Path(map_path)
    files = [TableFile(Path(raw), out_path, columns)]
    files += [_also_file(spec, columns, out_path.parent) for spec in also or []]
    _check_paths(files, map_file)

    tables = []
    names: set[str] = set()
    empty_cells = 0
    for item in files:
        header, rows = _read(item.source)
        missing = [c for c in item.rater_columns if c not in header]
        if missing:
            raise EmoevalError(f"{item.source}: no column {', '.join(missing)} (found "
                               f"{', '.join(header)}); set --rater-col, or --also "
                               f"{item.source}:COLUMN")
        positions = [header.index(c) for c in item.rater_columns]
        for row in rows:
            for position in positions:
                value = row[position].strip() if position < len(row) else ""
                if value:
                    names.add(value)
                else:
                    empty_cells += 1
        tables.append((item, header, rows, positions))

    columns_of_map = map_columns(map_file, map_format)
    mapping = read_map(map_file)
    already = sorted(name for name in names if ANONYMOUS.fullmatch(name)
                     and name in set(mapping.values()) and name not in mapping)
    if already:
        raise EmoevalError(f"the rater column already holds anonymous ids (e.g. {already[0]}); "
                           "give the raw file, not an anonymised one")
    _refuse_names_elsewhere(tables, names | set(mapping))
    mapping, new_names = extend_map(mapping, names)

    # the map first: if writing an output fails, ids already handed out are not lost
    peer = columns_of_map == PEER_MAP_COLUMNS
    _write_rows(map_file, list(columns_of_map),
                sorted(([name, identifier] for name, identifier in mapping.items()),
                       key=(lambda pair: pair[0]) if peer  # their order: by raw name
                       else (lambda pair: int(pair[1][len(PREFIX):]))), ",")
    written = []
    for item, header, rows, positions in tables:
        anonymous_rows = []
        for row in rows:
            row = list(row)
            for position in positions:
                if position < len(row) and row[position].strip():
                    row[position] = mapping[row[position].strip()]
            anonymous_rows.append(row)
        if peer:
            anonymous_rows = _peer_order(anonymous_rows, positions)
        _write_rows(item.target, header, anonymous_rows, _delimiter(item.source))
        written.append(str(item.target))
    return {"n_raters": len(names), "new_raters": len(new_names), "known_raters": len(mapping),
            "files": written, "map": str(map_file), "empty_cells": empty_cells}


def _peer_order(rows: list[list[str]], positions: list[int]) -> list[list[str]]:
    """emolia-bench sorts a rater table (the rater column first, one row per rater: users.csv)
    by the anonymous id as text; rating and flag files keep their order."""
    if positions != [0]:
        return rows
    values = [row[positions[0]] if positions[0] < len(row) else "" for row in rows]
    if len(set(values)) != len(values):
        return rows
    return [row for _, row in sorted(zip(values, rows), key=lambda pair: pair[0])]


def _check_paths(files: list[TableFile], map_file: Path) -> None:
    targets = [item.target.resolve() for item in files]
    sources = {item.source.resolve() for item in files}
    if len(set(targets)) != len(targets):
        raise EmoevalError("two inputs would be written to the same output; give --also files "
                           "with different names")
    for target in targets:
        if target in sources:
            raise EmoevalError(f"{target}: the output would overwrite a raw input; write the "
                               "anonymised files to another folder")
        if target == map_file.resolve():
            raise EmoevalError("--map and an output are the same file; keep the map apart "
                               "(it holds the raw names)")


def _refuse_names_elsewhere(tables, names: set[str]) -> None:
    """Refuse to write a file whose header or non-rater columns hold a rater name (it would
    leak)."""
    for item, header, rows, positions in tables:
        if any(cell.strip() in names for cell in header):
            raise EmoevalError(f"{item.source}: a column header is a rater name, which would "
                               "leak; rename that column")
        for row_number, row in enumerate(rows, start=2):
            for position, cell in enumerate(row):
                if position in positions or cell.strip() not in names:
                    continue
                column = header[position] if position < len(header) else f"#{position + 1}"
                raise EmoevalError(
                    f"{item.source}: column {column!r} (line {row_number}) holds a rater name, "
                    "which would leak; add that column to --rater-col (for --also files: "
                    f"--also {item.source}:{column})")
