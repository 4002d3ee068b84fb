"""Find a requested clip inside ``--data-dir`` without ever leaving it.

A request names a clip by ``audio_filename`` (a path relative to the folder, or a bare file
name found anywhere below it by stem) or ``audio_stem``. Refused: absolute paths, drive
letters, ``..`` components, NUL bytes, and any file whose real path (symlinks resolved) lies
outside the folder; the stem index is built the same way, so a symlink in the folder that
points outside is never served.

The stem index is built once, when the server starts (symlink loops are skipped and listed
in ``loops``); a miss answers 404 without rescanning. :meth:`DataDir.reindex` (``POST
/v1/reindex`` or SIGHUP) rescans for clips added since.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path, PurePosixPath

from ..datasets.files import confined_name, echo, is_audio, list_audio


class PathRefused(Exception):
    """A name that tries to leave the data folder (HTTP 403)."""


class ClipNotFound(Exception):
    """No clip, or more than one, by that name (HTTP 404)."""


class DataDir:
    def __init__(self, root: str):
        self.root = Path(root).expanduser().resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(root)
        self.loops: list[str] = []
        self._lock = threading.Lock()  # one rescan at a time
        self._index: dict[str, list[Path]] = {}
        self.reindex()

    def inside(self, path: Path) -> bool:
        try:
            path.resolve(strict=True).relative_to(self.root)
        except (OSError, ValueError):
            return False
        return True

    def reindex(self) -> int:
        """Rescan the folder (blocking: call it off the event loop); the number of clips."""
        with self._lock:
            loops: list[str] = []
            index: dict[str, list[Path]] = {}
            for path in list_audio(self.root, loops):
                if self.inside(path):
                    index.setdefault(path.stem, []).append(path)
            self._index, self.loops = index, loops  # swapped whole: readers never see half
            return sum(len(paths) for paths in index.values())

    def by_stem(self, stem: str) -> Path:
        found = self._index.get(stem, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ClipNotFound(f"{len(found)} clips in the data folder have the stem "
                               f"{echo(stem)}; send the relative path as audio_filename")
        raise ClipNotFound(f"no clip with stem {echo(stem)} in the data folder (a clip added "
                           "since the server started needs POST /v1/reindex)")

    @staticmethod
    def check_name(name: str) -> PurePosixPath:
        try:
            return confined_name(name)
        except ValueError as exc:
            raise PathRefused(str(exc)) from None

    def resolve(self, audio_filename: str | None, audio_stem: str | None) -> Path:
        """The clip's path inside the folder (PathRefused / ClipNotFound otherwise)."""
        if audio_stem:
            stem = str(self.check_name(audio_stem))
            if "/" in stem:
                raise PathRefused(f"audio_stem must be a bare name: {echo(audio_stem)}")
            return self.by_stem(stem)
        if not audio_filename:
            raise ClipNotFound("send audio_base64, audio_filename or audio_stem")
        relative = self.check_name(audio_filename)
        candidate = self.root.joinpath(*relative.parts)
        if os.path.lexists(candidate):
            if not self.inside(candidate):
                raise PathRefused(f"{echo(audio_filename)} leads outside the data folder")
            if candidate.is_file() and is_audio(candidate):
                return candidate
        if len(relative.parts) > 1:
            raise ClipNotFound(f"no clip {echo(audio_filename)} in the data folder")
        return self.by_stem(relative.stem)
