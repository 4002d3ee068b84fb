"""The dataset interface.

A dataset yields :class:`Row` objects. Sample ids follow one contract everywhere: the
``--id-col`` value, else the audio path relative to the dataset root, else
``<split>-<line number>`` for text. Duplicate ids are an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..errors import EmoevalError
from ..registry import DATASET_SOURCES


#: the label of a row that carries continuous targets instead of a class (see Row.targets)
DIMENSIONAL_LABEL = "dimensional"


@dataclass
class Row:
    """One labelled sample.

    Exactly one of ``text`` / ``audio`` is set. ``audio`` is an absolute path (decoding is the
    runner's job, so a bad file fails one sample, not the dataset). ``label`` is the dataset's
    own label name (None only for unlabelled rows). ``metadata`` carries speaker, gender,
    language and any extra columns, all as strings.
    """

    id: str
    #: one label name; a list of names for multi-label rows
    label: str | list[str] | None
    text: str | None = None
    audio: str | None = None
    split: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: continuous targets by dimension name (dimensional tasks), else None
    targets: dict[str, float] | None = None

    @property
    def modality(self) -> str:
        return "audio" if self.audio is not None else "text"


@dataclass
class DatasetOptions:
    """Column names and choices shared by every source (CLI flags of the same names)."""

    id_col: str | None = None
    text_col: str | None = None
    audio_col: str | None = None
    label_col: str | None = None
    split_col: str | None = None
    speaker_col: str | None = None
    #: multi-label: separator inside the label cell (a JSON list is also accepted)
    label_sep: str | None = None
    #: dimensional: columns holding continuous targets (e.g. V, A, D)
    target_cols: list[str] | None = None
    #: preset-specific choice (e.g. goemotions ekman|sentiment, emobank reader|writer)
    label_group: str | None = None


class Dataset:
    """Base class: subclasses implement :meth:`load_rows`.

    ``spec`` is the full spec string; ``argument`` the part after ``name:``.
    """

    name: str = "dataset"
    #: split used when --split is not given; None = all rows
    default_split: str | None = None
    #: dimensional: the scale of the targets when the corpus defines it (EmoBank 1-5)
    target_range: tuple[float, float] | None = None

    def __init__(self, argument: str, options: DatasetOptions | None = None, spec: str = ""):
        self.argument = argument
        self.options = options or DatasetOptions()
        self.spec = spec or f"{self.name}:{argument}"

    def load_rows(self, split: str | None) -> list[Row]:  # pragma: no cover - interface
        raise NotImplementedError

    def splits(self) -> list[str]:
        """Split names this source knows (empty if it has none)."""
        return []

    def rows(self, split: str | None = None) -> list[Row]:
        """All rows of ``split`` (all rows when None), with ids checked unique."""
        split = split if split is not None else self.default_split
        rows = self.load_rows(split)
        check_unique_ids(rows, self.spec)
        return rows

    def fingerprint(self, rows: list[Row]) -> str:
        """Hash of spec, ids, labels, audio paths and targets: identifies the data a run saw.

        Texts are left out on purpose: like an audio file's bytes, a text's content decides
        only whether its stored prediction is still fresh (the store's input digests), so a
        corrected text is predicted again instead of making the data "another dataset"."""
        return self._hash(rows, with_text=False)

    def legacy_fingerprint(self, rows: list[Row]) -> str:
        """The fingerprint stores of earlier versions recorded (texts included), so that such
        a store still resumes."""
        return self._hash(rows, with_text=True)

    def _hash(self, rows: list[Row], *, with_text: bool) -> str:
        h = hashlib.sha256(self.spec.encode())
        for r in rows:
            text = (r.text or "") if with_text else ""
            h.update(f"\x00{r.id}\x01{r.label}\x01{text}\x01{r.audio or ''}".encode())
            if r.targets is not None:
                h.update(repr(sorted(r.targets.items())).encode())
        return h.hexdigest()[:16]


def has_targets(rows: list[Row]) -> bool:
    """Whether the rows carry continuous targets (a dimensional dataset)."""
    return any(row.targets is not None for row in rows)


def metadata_keys(rows: list[Row]) -> list[str]:
    """Every metadata key of ``rows``, in order of first appearance (the metadata columns of
    a detailed table)."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row.metadata))
    return list(keys)


def check_unique_ids(rows: list[Row], spec: str) -> None:
    seen: set[str] = set()
    dupes: list[str] = []
    for r in rows:
        if r.id in seen:
            dupes.append(r.id)
        seen.add(r.id)
    if dupes:
        shown = ", ".join(sorted(set(dupes))[:5])
        raise EmoevalError(
            f"duplicate sample ids in {spec}: {shown} ({len(dupes)} duplicates); give an "
            "--id-col whose values are unique")


def load_dataset(spec: str, options: DatasetOptions | None = None) -> Dataset:
    """``csv:file.csv`` -> a Dataset instance (imports only that source's module)."""
    parsed = DATASET_SOURCES.parse(spec)
    cls = DATASET_SOURCES.load(parsed.name)
    ds = cls(parsed.argument, options or DatasetOptions(), spec=spec)
    ds.name = parsed.name
    return ds
