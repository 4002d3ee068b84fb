"""``csv:`` / ``jsonl:`` / ``parquet:`` - one row per sample in a table file.

Columns come from the options or defaults (see :mod:`.columns`). Relative audio paths are
taken relative to the table's folder and made absolute. Ids: the id column, else the audio
path relative to that folder, else ``<split>-<n>`` where ``n`` is the 1-based data row number
in the file (header and blank jsonl lines not counted) and ``split`` the row's split value,
``all`` when the table has no split column. Ids are therefore the same with or without
``--split``. Without ``--split`` every row is returned; each row carries its split.

Multi-label tables hold a JSON list in the label cell, or labels joined by ``--label-sep``
(see :func:`.columns.label_value`); such rows get a list as their label.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import EmoevalError
from ..tables import read_table, table_format
from .base import Dataset, Row
from .columns import Columns, cell_str, resolve_columns, row_label, row_metadata, target_values
from .files import is_audio, unknown_split


class TabularDataset(Dataset):
    name = "tabular"  # load_dataset sets csv/jsonl/parquet; the format then follows it

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.format = table_format(self.argument, self.spec.split(":", 1)[0])
        self._table: tuple[Columns, list[dict[str, Any]]] | None = None

    @property
    def path(self) -> Path:
        return Path(self.argument).expanduser().absolute()

    def _load(self) -> tuple[Columns, list[dict[str, Any]]]:
        """Read the file once and choose the columns."""
        if self._table is None:
            path = self.path
            if not path.is_file():
                raise EmoevalError(f"{self.format}: file {self.argument} not found; give the "
                                   f"path to a {self.format} file")
            # the one reader of table files (emoeval.tables), as `score` reads predictions
            available, records = read_table(path, self.format, self.argument)

            def looks_like_audio(column: str) -> bool:
                first = next((cell_str(r.get(column)) for r in records if r.get(column)), "")
                return is_audio(first)

            cols = resolve_columns(available, self.options, self.argument, looks_like_audio)
            self._table = (cols, records)
        return self._table

    def splits(self) -> list[str]:
        cols, records = self._load()
        if cols.split is None:
            return []
        return list(dict.fromkeys(cell_str(r.get(cols.split)) for r in records))

    def load_rows(self, split: str | None) -> list[Row]:
        cols, records = self._load()
        if split is not None:
            if cols.split is None:
                raise EmoevalError(f"--split {split!r} given but {self.argument} has no split "
                                   "column; give --split-col or drop --split")
            known = self.splits()
            if split not in known:
                raise unknown_split(self.argument, split, known)
        root = self.path.parent
        rows = []
        for number, record in enumerate(records, 1):
            row_split = cell_str(record.get(cols.split)) if cols.split else None
            if split is not None and row_split != split:
                continue
            text = audio = None
            if cols.audio:
                audio = cell_str(record.get(cols.audio))
                # empty stays empty: the runner reports it per sample
                audio = os.path.normpath(root / os.path.expanduser(audio)) if audio else ""
            else:
                text = cell_str(record.get(cols.text))
            rows.append(Row(
                id=self._row_id(record, cols, audio, root, row_split, number),
                label=row_label(record, cols, self.options.label_sep),
                text=text, audio=audio, split=row_split,
                metadata=row_metadata(record, cols), targets=target_values(record, cols)))
        return rows

    @staticmethod
    def _row_id(record: dict[str, Any], cols: Columns, audio: str | None, root: Path,
                split: str | None, number: int) -> str:
        if cols.id and cell_str(record.get(cols.id)):
            return cell_str(record.get(cols.id))
        if audio:
            return Path(os.path.relpath(audio, root)).as_posix()
        return f"{split or 'all'}-{number}"
