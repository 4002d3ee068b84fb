"""``audiofolder:<dir>`` - one sub-folder of audio files per label.

Layouts::

    dir/<label>/**/*.wav                 no splits
    dir/<split>/<label>/**/*.wav         splits, when EVERY top-level folder is a split name
                                         (train, test, validation, val, valid, dev)

The label is the label folder's name as written. Audio is .wav/.flac/.ogg/.mp3 (any case),
found recursively inside each label folder; files lying directly in ``dir`` or a split folder
have no label and are listed in ``self.skipped``. Ids are paths relative to ``dir``.
Without ``--split`` a split layout uses test, else validation/val/valid/dev, else train.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import EmoevalError
from .base import Dataset, Row
from .files import (SPLIT_PREFERENCE, list_audio, pick_default_split, relative_id,
                    require_dir, unknown_split)

EXPECTED = "one sub-folder of audio files (.wav/.flac/.ogg/.mp3) per label"


class AudioFolderDataset(Dataset):
    name = "audiofolder"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.skipped: list[str] = []

    def _scan(self) -> tuple[Path, list[tuple[str, ...]]]:
        """Root and the parts of every audio file's relative path."""
        root = require_dir(self.argument, self.name, EXPECTED)
        parts = [tuple(relative_id(p, root).split("/")) for p in list_audio(root)]
        if not parts:
            raise EmoevalError(f"{self.name}: no audio files under {root}; expected {EXPECTED}")
        return root, parts

    @staticmethod
    def _split_names(parts: list[tuple[str, ...]]) -> list[str]:
        """Top-level folders, if they are all split names; else [] (they are labels)."""
        top = list(dict.fromkeys(p[0] for p in parts if len(p) > 1))
        if top and all(t.lower() in SPLIT_PREFERENCE for t in top):
            return top
        return []

    def splits(self) -> list[str]:
        return self._split_names(self._scan()[1])

    def load_rows(self, split: str | None) -> list[Row]:
        root, parts = self._scan()
        known = self._split_names(parts)
        if split is not None and not known:
            raise EmoevalError(f"--split {split!r} given but {self.argument} has no "
                               f"train/test/... folders above the label folders; drop --split")
        if split is not None and split not in known:
            raise unknown_split(self.argument, split, known)
        if split is None and known:
            split = pick_default_split(known)
        depth = 1 if known else 0  # index of the label folder in the relative path
        self.skipped = []
        rows = []
        for p in parts:
            if known and p[0] != split:
                continue
            if len(p) <= depth + 1:  # no label folder above the file
                self.skipped.append("/".join(p))
                continue
            rel = "/".join(p)
            rows.append(Row(id=rel, label=p[depth], audio=str(root.joinpath(*p)),
                            split=p[0] if known else None))
        if not rows:
            where = root / split if known else root
            raise EmoevalError(f"{self.name}: no audio files inside label folders under "
                               f"{where}; expected {EXPECTED}")
        return rows
