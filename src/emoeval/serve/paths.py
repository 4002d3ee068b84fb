"""Find a requested clip inside ``--data-dir`` without ever leaving it.

A request names a clip by ``audio_path`` (relative to the folder), ``audio_filename`` (a path
relative to the folder, or a bare file name found anywhere below it by stem) or
``audio_stem``, tried in that order; a stem held by several clips is an error naming them. Refused: absolute paths, drive
letters, ``..`` components, NUL bytes, and any file whose real path (symlinks resolved) lies
outside the folder; the stem index is built the same way, so a symlink in the folder that
points outside is never served.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ..datasets.files import is_audio, list_audio


class PathRefused(Exception):
    """A name that tries to leave the data folder (HTTP 403)."""


class ClipNotFound(Exception):
    """No clip, or more than one, by that name (HTTP 404)."""


class DataDir:
    def __init__(self, root: str):
        self.root = Path(root).expanduser().resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(root)
        self._index: dict[str, list[Path]] | None = None

    def inside(self, path: Path) -> bool:
        try:
            path.resolve(strict=True).relative_to(self.root)
        except (OSError, ValueError):
            return False
        return True

    def _build_index(self) -> dict[str, list[Path]]:
        index: dict[str, list[Path]] = {}
        for path in list_audio(self.root):
            if self.inside(path):
                index.setdefault(path.stem, []).append(path)
        return index

    def by_stem(self, stem: str) -> Path:
        for rebuilt in (False, True):  # a clip added after start-up is found on a miss
            if self._index is None or rebuilt:
                self._index = self._build_index()
            found = self._index.get(stem, [])
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                names = ", ".join(p.relative_to(self.root).as_posix() for p in found[:6])
                raise ClipNotFound(f"{len(found)} clips in the data folder have the stem "
                                   f"{stem!r} ({names}); send the relative path as "
                                   "audio_path")
        raise ClipNotFound(f"no clip with stem {stem!r} in the data folder")

    @staticmethod
    def check_name(name: str) -> PurePosixPath:
        text = str(name).replace("\\", "/")
        if not text or "\x00" in text:
            raise PathRefused("empty or invalid file name")
        relative = PurePosixPath(text)
        if relative.is_absolute() or (len(text) > 1 and text[1] == ":"):
            raise PathRefused(f"absolute paths are refused: {name!r}")
        if ".." in relative.parts:
            raise PathRefused(f"'..' is refused in file names: {name!r}")
        return relative

    def relative_clip(self, name: str) -> Path | None:
        """The clip at ``name`` relative to the folder, None when there is none there."""
        relative = self.check_name(name)
        candidate = self.root.joinpath(*relative.parts)
        if os.path.lexists(candidate):
            if not self.inside(candidate):
                raise PathRefused(f"{name!r} leads outside the data folder")
            if candidate.is_file() and is_audio(candidate):
                return candidate
        return None

    def resolve(self, audio_filename: str | None, audio_stem: str | None,
                audio_path: str | None = None) -> Path:
        """The clip's path inside the folder (PathRefused / ClipNotFound otherwise): at
        ``audio_path``, else at ``audio_filename`` taken as a relative path, else by the stem
        (``audio_stem``, or the stem of ``audio_filename``), which must be unique."""
        for name in (audio_path, audio_filename):
            if name:
                found = self.relative_clip(name)
                if found is not None:
                    return found
        if audio_path and not audio_filename and not audio_stem:
            raise ClipNotFound(f"no clip {audio_path!r} in the data folder")
        if audio_filename and len(self.check_name(audio_filename).parts) > 1 \
                and not audio_stem:
            raise ClipNotFound(f"no clip {audio_filename!r} in the data folder")
        if audio_stem:
            stem = str(self.check_name(audio_stem))
            if "/" in stem:
                raise PathRefused(f"audio_stem must be a bare name: {audio_stem!r}")
            return self.by_stem(stem)
        if not audio_filename:
            raise ClipNotFound("send audio_base64, audio_path, audio_filename or audio_stem")
        return self.by_stem(self.check_name(audio_filename).stem)
