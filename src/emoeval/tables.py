"""Table files (CSV, TSV, JSONL, Parquet): one reader and one missing-cell rule.

Every table the tool reads (a ``csv:``/``jsonl:``/``parquet:`` dataset, a predictions file
for ``emoeval score``) goes through :func:`read_table`, so the four formats give the same ids,
labels and predictions as written: CSV cells are kept as text (no type guessing: ``0`` stays
``0``, ``NaN`` stays the string ``NaN``), JSONL and Parquet values keep their own types (an
integer column with a null stays integer, never ``0.0``).

Missing (:func:`is_missing`, the one rule): ``None``, a float NaN, or a string that is empty or
whitespace only. So in CSV/TSV an empty or blank cell is missing; in JSONL/Parquet a null or a
NaN is (and an empty string). The strings ``NaN``, ``null``, ``None`` are not missing: they
are whatever they label.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from .errors import EmoevalError

FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".json": "jsonl",
           ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


def is_missing(value: Any) -> bool:
    """True for a missing cell: None, a float NaN (also numpy's, pandas' NA) or a blank
    string. The one test every reader and scorer uses."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):  # numpy.float64 is a float too
        return math.isnan(value)
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return True
    try:
        return bool(value != value)  # other NaN-likes (numpy.float32)
    except (TypeError, ValueError):
        return False


def cell_text(value: Any) -> str:
    """A cell as text: missing -> "", an integer as written (``0``, not ``0.0``), containers
    as JSON."""
    if is_missing(value):
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    return str(value)


def table_format(path: str | Path, prefix: str | None = None) -> str:
    """csv, jsonl or parquet: the spec prefix when it names one, else the suffix (csv)."""
    if prefix in READERS:
        return prefix  # type: ignore[return-value]
    return FORMATS.get(Path(path).suffix.lower(), "csv")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """CSV (TSV by the ``.tsv`` suffix): every cell as text, missing trailing cells None."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    # utf-8-sig: spreadsheet exports start with a BOM that would rename the first column
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        records = [{k: v for k, v in r.items() if k is not None} for r in reader]
        return list(reader.fieldnames or []), records


def read_jsonl(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """One JSON object per line (blank lines skipped); columns in order of first appearance."""
    columns: dict[str, None] = {}
    records = []
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EmoevalError(f"{path} line {number}: not valid JSON ({exc.msg}); jsonl "
                                   "needs one JSON object per line") from None
            if not isinstance(record, dict):
                raise EmoevalError(f"{path} line {number}: expected a JSON object, got "
                                   f"{type(record).__name__}")
            columns.update(dict.fromkeys(record))
            records.append(record)
    return list(columns), records


def read_parquet(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return list(table.column_names), table.to_pylist()


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def read_table(path: str | Path, fmt: str | None = None, name: str | None = None
               ) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, records) of a table file; ``name`` is how messages call it (the path)."""
    path = Path(path).expanduser()
    name = name or str(path)
    fmt = fmt or table_format(path)
    if not path.is_file():
        raise EmoevalError(f"{name}: file not found")
    try:
        columns, records = READERS[fmt](path)
    except UnicodeDecodeError:
        raise EmoevalError(f"{name}: not UTF-8 text; re-save it as UTF-8") from None
    except (OSError, ValueError) as exc:  # pyarrow/csv parse errors
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EmoevalError(f"{name}: cannot read as {fmt} ({line})") from None
    if not columns:
        raise EmoevalError(f"{name}: empty file (no header/columns)")
    return columns, records


def read_frame(path: str | Path, text_columns: tuple[str, ...] = ()):
    """A table file as a DataFrame; ``text_columns`` as text by :func:`cell_text` (missing
    -> ""). Other columns: CSV cells stay text; JSONL/Parquet columns keep their types, an
    integer column with a missing cell as objects (None there) rather than floats."""
    import pandas as pd

    columns, records = read_table(path)
    data = {}
    for column in columns:
        values = [r.get(column) for r in records]
        if column in text_columns:
            data[column] = pd.Series([cell_text(v) for v in values], dtype=object)
        elif any(is_missing(v) for v in values) and any(
                isinstance(v, int) and not isinstance(v, bool) for v in values):
            data[column] = pd.Series([None if is_missing(v) else v for v in values],
                                     dtype=object)
        else:
            data[column] = pd.Series(values, dtype=object if not values else None)
    return pd.DataFrame(data, columns=columns)


def missing_rows(values: list[Any], ids: list[Any], limit: int = 5) -> str:
    """``3 rows (a, b, c)``: how an error names the rows whose cell is missing."""
    hit = [str(i) for v, i in zip(values, ids) if is_missing(v)]
    shown = ", ".join(hit[:limit]) + (", ..." if len(hit) > limit else "")
    return f"{len(hit)} row{'s' if len(hit) != 1 else ''} ({shown})"

