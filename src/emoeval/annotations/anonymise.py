"""``emoeval anonymize``: replace rater names with ``user_0, user_1, ...``.

Names are numbered in sorted order. An existing map is reused, so a rater keeps their id
when new raters arrive (new names take the next free numbers, again in sorted order), and
one map serves every file given. The raw names are written to the map file only:

- a cell of another column that *is* a rater name is refused before anything is written
  (name that column as a rater column too); a header holding a name is refused;
- in free text, a name is replaced wherever it occurs as a whole token, in any case and
  spelling (``first last``, ``first.last``, ``first_last``, e-mail local parts; see
  :mod:`.name_tokens`);
- every output is written to a temporary file and scanned once more; if any raw name
  remains, nothing is published (temporaries and folders made for them removed) and the
  command fails. The map is written only after every output passed.

Files are read as UTF-8 (with or without a byte-order mark); another encoding is detected
with charset-normalizer when it is installed, else refused with a one-line error.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmoevalError
from .name_tokens import NameMatcher, in_free_text

PREFIX = "user_"
MAP_COLUMNS = ("raw_name", "anonymous_id")
ANONYMOUS = re.compile(rf"{PREFIX}(\d+)")


@dataclass(frozen=True)
class TableFile:
    """One CSV/TSV file to anonymise and where its anonymised copy goes."""

    source: Path
    target: Path
    rater_columns: tuple[str, ...]


def _delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def decode_text(path: Path, raw: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (a byte-order mark dropped), else the encoding
    charset-normalizer detects; a one-line error when neither works."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        problem = f"{path}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
    try:
        import charset_normalizer
    except ImportError:
        raise EmoevalError(f"{problem}; save it as UTF-8, or install charset-normalizer to "
                           "detect its encoding") from None
    matches = charset_normalizer.from_bytes(raw)
    best = matches.best()
    if best is None:
        raise EmoevalError(f"{problem} and its encoding could not be detected; save it as "
                           "UTF-8")
    # a short export ties between Western code pages; cp1252 (the spreadsheet default in
    # Western Europe, a superset of Latin-1's letters) breaks the tie
    best = next((m for m in matches if m.encoding == "cp1252" and m.chaos == best.chaos
                 and m.coherence == best.coherence), best)
    return str(best), best.encoding


def _read(path: Path, encodings: dict[str, str] | None = None
          ) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise EmoevalError(f"{path}: file not found")
    if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        raise EmoevalError(f"{path}: anonymize reads CSV or TSV files")
    text, encoding = decode_text(path, path.read_bytes())
    if encodings is not None and encoding != "utf-8":
        encodings[str(path)] = encoding
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path)))
    if not rows:
        raise EmoevalError(f"{path}: the file is empty (no header row)")
    return rows[0], rows[1:]


def read_map(path: Path, encodings: dict[str, str] | None = None) -> dict[str, str]:
    """An existing map ``raw_name,anonymous_id`` (empty when the file does not exist)."""
    if not path.exists():
        return {}
    header, rows = _read(path, encodings)
    if [h.strip() for h in header[:2]] != list(MAP_COLUMNS):
        raise EmoevalError(f"--map {path}: expected the columns {','.join(MAP_COLUMNS)}; is "
                           "this a map written by emoeval anonymize?")
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


def _write_temporary(path: Path, header: list[str], rows: list[list[str]],
                     delimiter: str) -> Path:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return temporary


def _write_rows(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_write_temporary(path, header, rows, delimiter), path)


def _make_folders(paths: list[Path]) -> list[Path]:
    """Create the parents of ``paths``; the folders made, deepest first (to undo)."""
    made: list[Path] = []
    for path in paths:
        missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        made += [p for p in missing if p not in made]
    return sorted(made, key=lambda p: len(p.parts), reverse=True)


def _remove(temporaries: list[Path], folders: list[Path]) -> None:
    for temporary in temporaries:
        temporary.unlink(missing_ok=True)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty: something else lives there now
            pass


def _leak(path: Path, matcher: NameMatcher) -> int | None:
    """The first line of ``path`` where a raw name (any variant) remains, or None."""
    text = path.read_text(encoding="utf-8")
    found = matcher.find(text)  # the whole text: a name may span a quoted line break
    return None if found is None else text.count("\n", 0, found.start()) + 1


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
                    also: list[str] | None = None) -> dict:
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
    for item in files:  # a missing input is the first thing to say
        if not item.source.is_file():
            raise EmoevalError(f"{item.source}: file not found")
    _check_paths(files, map_file)

    tables = []
    names: set[str] = set()
    empty_cells = 0
    encodings: dict[str, str] = {}
    for item in files:
        header, rows = _read(item.source, encodings)
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

    mapping = read_map(map_file, encodings)
    already = sorted(name for name in names if ANONYMOUS.fullmatch(name)
                     and name in set(mapping.values()) and name not in mapping)
    if already:
        raise EmoevalError(f"the rater column already holds anonymous ids (e.g. {already[0]}); "
                           "give the raw file, not an anonymised one")
    matcher = NameMatcher(names | set(mapping))
    _refuse_names_elsewhere(tables, names | set(mapping), matcher)
    mapping, new_names = extend_map(mapping, names)

    folders = _make_folders([item.target for item, *_ in tables])
    temporaries: list[Path] = []
    try:
        for item, header, rows, positions in tables:
            temporaries.append(_write_temporary(
                item.target, header, _anonymised_rows(rows, positions, mapping, matcher),
                _delimiter(item.source)))
        # the last line of defence: read back what would be published
        for item, temporary in zip(files, temporaries):
            line = _leak(temporary, matcher)
            if line is not None:
                raise EmoevalError(f"{item.target}: a rater name remains on line {line} after "
                                   "anonymising; nothing was written (rename it in the raw "
                                   "file or name its column in --rater-col)")
        # the map before the outputs: if publishing fails, ids already handed out are kept
        _write_rows(map_file, list(MAP_COLUMNS),
                    sorted(([name, identifier] for name, identifier in mapping.items()),
                           key=lambda pair: int(pair[1][len(PREFIX):])), ",")
        for item, temporary in zip(files, temporaries):
            os.replace(temporary, item.target)
    except BaseException:
        _remove(temporaries, folders)
        raise
    return {"n_raters": len(names), "new_raters": len(new_names), "known_raters": len(mapping),
            "files": [str(item.target) for item in files], "map": str(map_file),
            "empty_cells": empty_cells, "encodings": encodings}


def _anonymised_rows(rows: list[list[str]], positions: list[int], mapping: dict[str, str],
                     matcher: NameMatcher) -> list[list[str]]:
    """Rater cells mapped to their id; every other cell with names in its text replaced."""
    anonymous_rows = []
    for row in rows:
        row = list(row)
        for position, cell in enumerate(row):
            if position in positions:
                if cell.strip():
                    row[position] = mapping[cell.strip()]
            else:
                row[position] = matcher.replace(cell, mapping)
        anonymous_rows.append(row)
    return anonymous_rows


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
    for folder in {target.parent for target in targets}:
        if map_file.resolve().is_relative_to(folder):
            raise EmoevalError(f"--map {map_file}: inside the output folder {folder}, which is "
                               "what gets published; keep the map (it holds the raw names) "
                               "outside it")


def _refuse_names_elsewhere(tables, names: set[str], matcher: NameMatcher) -> None:
    """Refuse to write a file whose header holds a rater name, or whose non-rater column has
    a cell that is a rater name (an undeclared rater column; numeric ids are not looked for
    outside the rater columns, they would match ages and ratings)."""
    names = {name for name in names if in_free_text(name)}
    for item, header, rows, positions in tables:
        if any(cell.strip() in names or matcher.find(cell) for cell in header):
            raise EmoevalError(f"{item.source}: a column header holds a rater name, which "
                               "would leak; rename that column")
        for row_number, row in enumerate(rows, start=2):
            for position, cell in enumerate(row):
                if position in positions or cell.strip() not in names:
                    continue
                column = header[position] if position < len(header) else f"#{position + 1}"
                raise EmoevalError(
                    f"{item.source}: column {column!r} (line {row_number}) holds a rater name, "
                    "which would leak; add that column to --rater-col (for --also files: "
                    f"--also {item.source}:{column})")
