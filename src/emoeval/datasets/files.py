"""Helpers shared by the file-based sources: audio listing, directory checks, split choice,
and the base class of the corpus presets (label and metadata parsed from each file name).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import EmoevalError
from .base import Dataset, Row

#: returned by FileNamePreset.parse for a well-named file the preset leaves out on purpose
EXCLUDED: Any = object()

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".mp3"})

#: when a split-organised source is read without --split: the first of these that exists
SPLIT_PREFERENCE = ("test", "validation", "val", "valid", "dev", "train")


def is_audio(path: str | Path) -> bool:
    return os.path.splitext(str(path))[1].lower() in AUDIO_EXTENSIONS


def _hidden(name: str) -> bool:
    # Zipped corpora often carry __MACOSX/ and "._x.wav" resource forks: not audio.
    return name.startswith(".") or name == "__MACOSX"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # a broken link
        return None
    return st.st_dev, st.st_ino


def list_audio(root: Path, loops: list[str] | None = None) -> list[Path]:
    """Audio files under ``root``, recursively, sorted by relative path (stable ids).

    Symbolic links to folders are followed (corpora are often symlinked into place), but a
    link back to a folder already on the way down (a loop) is never followed: it is added to
    ``loops`` (``"<link> -> <target>"``, relative to ``root``) or, without that list, reported
    as a warning.
    """
    found: list[Path] = []
    # each folder's chain of (device, inode) up to the root: a loop revisits one of them
    chains: dict[str, frozenset] = {str(root): frozenset({_identity(str(root))})}
    for folder, dirs, files in os.walk(root, followlinks=True):
        chain = chains.pop(folder, frozenset())
        kept = []
        for name in sorted(d for d in dirs if not _hidden(d)):
            child = os.path.join(folder, name)
            identity = _identity(child)
            if identity is None:
                continue
            if identity in chain:
                loop = (f"{relative_id(Path(child), root)} -> "
                        f"{os.path.realpath(child)}")
                if loops is None:
                    warnings.warn(f"symlink loop skipped: {loop}", stacklevel=2)
                else:
                    loops.append(loop)
                continue
            chains[child] = chain | {identity}
            kept.append(name)
        dirs[:] = kept
        found.extend(Path(folder) / f for f in files if not _hidden(f) and is_audio(f))
    return sorted(found, key=lambda p: relative_id(p, root))


def confined_name(name: str) -> PurePosixPath:
    """``name`` as a path relative to a data root; ValueError for one that could leave it
    (absolute, a drive letter, ``..``, a NUL byte, empty)."""
    text = str(name).replace("\\", "/")
    if not text or "\x00" in text:
        raise ValueError("empty or invalid file name")
    relative = PurePosixPath(text)
    if relative.is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise ValueError(f"absolute paths are refused: {echo(name)}")
    if ".." in relative.parts:
        raise ValueError(f"'..' is refused in file names: {echo(name)}")
    return relative


def echo(value: object, limit: int = 200) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters of the input (an error
    never hands a long input back)."""
    text = str(value)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} chars)"


def relative_id(path: Path, root: Path) -> str:
    """The sample id of a file: its path relative to the dataset root, POSIX style."""
    return Path(os.path.relpath(path, root)).as_posix()


def require_dir(argument: str, source: str, expected: str) -> Path:
    """The dataset directory as an absolute path, or an error saying what should be there."""
    if not argument:
        raise EmoevalError(f"{source}: no directory given; use {source}:<dir> with {expected}")
    path = Path(argument).expanduser()
    if not path.exists():
        raise EmoevalError(f"{source}: directory {argument} not found; give the folder "
                           f"holding {expected}")
    if not path.is_dir():
        raise EmoevalError(f"{source}: {argument} is not a directory; give the folder "
                           f"holding {expected}")
    return path.resolve()


def pick_default_split(available: list[str]) -> str | None:
    """The evaluation split used when none is asked for: test, else validation, ..., else
    the only split; None when the choice is ambiguous (caller then uses all rows)."""
    by_lower = {a.lower(): a for a in reversed(available)}
    for name in SPLIT_PREFERENCE:
        if name in by_lower:
            return by_lower[name]
    return available[0] if len(available) == 1 else None


def choose_split(source: str, split: str | None, known: list[str], expected: str) -> str:
    """The split to read from a corpus with one file set per split: the one asked for, or
    the default evaluation split (see :func:`pick_default_split`)."""
    if not known:
        raise EmoevalError(f"{source}: no split files; expected {expected}")
    if split is None:
        return pick_default_split(known) or known[0]
    if split not in known:
        raise unknown_split(source, split, known)
    return split


def unknown_split(source: str, split: str, known: list[str]) -> EmoevalError:
    return EmoevalError(f"{source}: unknown split {split!r}; known splits: "
                        f"{', '.join(known) or '(none)'}")


class FileNamePreset(Dataset):
    """A corpus whose label and metadata are encoded in each audio file's name.

    Subclasses set ``naming`` (shown in errors) and ``language``, and implement
    :meth:`parse`. Audio files whose name does not follow the naming are skipped and listed
    in ``self.skipped`` (relative paths) so a report can mention them; well-named files left
    out on purpose (e.g. RAVDESS songs) are listed in ``self.excluded``. Presets have no
    splits.
    """

    naming: str = ""
    language: str | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.skipped: list[str] = []
        self.excluded: list[str] = []

    def parse(self, path: Path, root: Path) -> tuple[str, dict[str, str]] | None:
        """(label, metadata) for one file; None when its name does not fit; or EXCLUDED."""
        raise NotImplementedError  # pragma: no cover - interface

    def prepare(self, root: Path) -> None:
        """Hook run before parsing (e.g. read a side table found in ``root``)."""

    def load_rows(self, split: str | None) -> list[Row]:
        if split is not None:
            raise EmoevalError(f"{self.name}: this corpus has no splits; drop --split "
                               f"(asked for {split!r})")
        root = require_dir(self.argument, self.name, f"files named {self.naming}")
        self.prepare(root)
        self.skipped, self.excluded = [], []
        rows: list[Row] = []
        for path in list_audio(root):
            rel = relative_id(path, root)
            parsed = self.parse(path, root)
            if parsed is None or parsed is EXCLUDED:
                (self.skipped if parsed is None else self.excluded).append(rel)
                continue
            label, metadata = parsed
            if self.language:
                metadata.setdefault("language", self.language)
            rows.append(Row(id=rel, label=label, audio=str(path), metadata=metadata))
        if not rows:
            example = f", e.g. {self.skipped[0]}" if self.skipped else ""
            raise EmoevalError(
                f"{self.name}: no audio files named {self.naming} under {root} "
                f"({len(self.skipped)} other audio files{example}, {len(self.excluded)} left "
                "out on purpose); check the folder")
        return rows
