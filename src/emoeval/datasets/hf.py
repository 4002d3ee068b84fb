"""``hf:<name>[@revision]`` - a Hugging Face dataset: Hub id, local data folder, or a folder
written by ``save_to_disk``.

Audio columns are read with ``Audio(decode=False)`` (the default decoder needs torchcodec):
a file path that exists locally is used as is, otherwise the embedded bytes are written once
to ``$EMOEVAL_CACHE_DIR`` (default ``~/.cache/emoeval``) ``/hf_audio/<hash>/`` under a name
derived from their content, and the runner decodes them like any file. ClassLabel columns
become their names. Ids: the id column, else ``<split>-<n>`` (1-based row number in the
split). Without ``--split``: test, else validation/val/valid/dev, else train, else the only
split; when none of these fits, all splits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

from ..errors import EmoevalError
from ..extras import require
from ..results_io import write_bytes
from .base import Dataset, Row
from .columns import cell_str, resolve_columns, row_label, row_metadata, target_values
from .files import AUDIO_EXTENSIONS, is_audio, pick_default_split, unknown_split

# magic bytes -> suffix, for embedded audio without a path (libsndfile also sniffs content)
MAGIC = ((b"RIFF", ".wav"), (b"fLaC", ".flac"), (b"OggS", ".ogg"), (b"ID3", ".mp3"),
         (b"\xff\xfb", ".mp3"), (b"\xff\xf3", ".mp3"))


def cache_root() -> Path:
    return Path(os.environ.get("EMOEVAL_CACHE_DIR") or Path.home() / ".cache" / "emoeval")


def _first_line(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:300]


class HFDataset(Dataset):
    name = "hf"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.dataset_name, self.revision = self.argument, None
        # name@revision, unless the whole argument is a local path that contains '@'
        if "@" in self.argument and not os.path.exists(self.argument):
            self.dataset_name, _, self.revision = self.argument.rpartition("@")
        self._splits: dict[str | None, Any] | None = None

    @property
    def local_dir(self) -> Path | None:
        path = Path(self.dataset_name).expanduser()
        return path.absolute() if path.is_dir() else None

    def _open(self, split: str | None = None) -> dict[str | None, Any]:
        """{split name: datasets.Dataset}; key None for a saved Dataset without splits.

        With ``split`` only that split is loaded (a Hub dataset need not fetch the others).
        """
        if self._splits is not None:
            return self._splits
        datasets = require("datasets", "hf", "the hf: dataset source")

        local = self.local_dir
        try:
            if local is not None and ((local / "dataset_dict.json").is_file()
                                      or (local / "state.json").is_file()):
                loaded = datasets.load_from_disk(str(local))
            else:
                loaded = datasets.load_dataset(self.dataset_name, revision=self.revision,
                                               split=split)
        except Exception as exc:
            raise self._load_error(exc, split) from None
        if isinstance(loaded, datasets.DatasetDict):
            result = dict(loaded)
            if split is None:
                self._splits = result  # complete: reuse for splits() and later loads
            return result
        return {split: loaded}

    def _load_error(self, exc: Exception, split: str | None) -> EmoevalError:
        text = _first_line(exc)
        if split is not None and "Unknown split" in text:
            return EmoevalError(f"hf:{self.argument}: unknown split {split!r} ({text})")
        if self.local_dir is None and self.dataset_name.startswith((".", "/", "~")):
            return EmoevalError(f"hf:{self.argument}: local folder {self.dataset_name} not "
                                "found")
        if self.local_dir is not None:
            return EmoevalError(f"hf:{self.argument}: cannot load the local folder ({text})")
        return EmoevalError(
            f"could not fetch dataset {self.dataset_name!r} from the Hugging Face Hub (offline, "
            f"not cached or not found: {text}); download it once with network, or use csv: or "
            "audiofolder:, which work offline")

    def splits(self) -> list[str]:
        return [s for s in self._open() if s is not None]

    def load_rows(self, split: str | None) -> list[Row]:
        if split is None:
            available = self._open()
            names = [s for s in available if s is not None]
            chosen = pick_default_split(names) if names else None
            parts = {chosen: available[chosen]} if chosen is not None else available
        else:
            available = self._open(split)
            if split not in available:
                raise unknown_split(f"hf:{self.argument}", split,
                                    [s for s in available if s is not None])
            parts = {split: available[split]}
        rows: list[Row] = []
        for name, ds in parts.items():
            rows.extend(self._rows(ds, name))
        return rows

    def _rows(self, ds: Any, split: str | None) -> list[Row]:
        import datasets

        features = ds.features
        available = list(features)
        audio_features = [c for c in available if isinstance(features[c], datasets.Audio)]
        options = self.options
        if audio_features and not (options.audio_col or options.text_col):
            options = dataclasses.replace(options, audio_col=audio_features[0])

        def looks_like_audio(column: str) -> bool:
            return column in audio_features or (len(ds) > 0 and is_audio(cell_str(
                ds.select_columns([column])[0][column])))

        cols = resolve_columns(available, options, f"hf:{self.argument}", looks_like_audio)
        for column in audio_features:  # decoding would need torchcodec; the runner decodes
            ds = ds.cast_column(column, datasets.Audio(decode=False))
        class_labels = {c: f for c, f in features.items() if isinstance(f, datasets.ClassLabel)}
        cache = cache_root() / "hf_audio" / hashlib.sha256(
            f"{self.dataset_name}@{self.revision}".encode()).hexdigest()[:16]
        rows = []
        for number, record in enumerate(ds, 1):
            for column in audio_features:  # other audio columns: bytes are no metadata
                if column != cols.audio:
                    record.pop(column)
            for column, feature in class_labels.items():
                value = record.get(column)
                # -1 is ClassLabel's "no label"
                record[column] = feature.int2str(value) if isinstance(value, int) \
                    and value >= 0 else None
            text = audio = None
            if cols.audio:
                audio = self._audio_path(record.get(cols.audio), cache)
            else:
                text = cell_str(record.get(cols.text))
            row_id = cell_str(record.get(cols.id)) if cols.id else ""
            rows.append(Row(
                id=row_id or f"{split or 'all'}-{number}",
                label=(cell_str(record.get(cols.label)) or None) if cols.label
                else row_label(record, cols),
                text=text, audio=audio, split=split, metadata=row_metadata(record, cols),
                targets=target_values(record, cols)))
        return rows

    def _audio_path(self, value: Any, cache: Path) -> str:
        """An absolute local file for an audio cell ({bytes, path} or a path string)."""
        if isinstance(value, dict):
            path, data = value.get("path"), value.get("bytes")
        else:
            path, data = cell_str(value) or None, None
        if path and not os.path.isabs(path) and self.local_dir is not None:
            path = str(self.local_dir / path)  # relative to a local data folder
        # a bare relative path from the Hub names no local file (it is not relative to cwd)
        if path and os.path.isabs(path) and os.path.isfile(path):
            return path
        if not data:
            return path or ""  # missing: the runner reports it per sample
        suffix = Path(path or "").suffix.lower()
        if suffix not in AUDIO_EXTENSIONS:
            suffix = next((s for magic, s in MAGIC if data.startswith(magic)), ".wav")
        target = cache / (hashlib.sha256(data).hexdigest()[:24] + suffix)
        if not target.is_file():
            cache.mkdir(parents=True, exist_ok=True)
            write_bytes(target, data)  # atomic: a concurrent run never sees half a file
        return str(target)
