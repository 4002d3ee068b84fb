"""Where the synonym groups come from (``--synonyms``).

* MER2024's per-sample judge answers: a folder of ``<name>.npy`` files or a zip holding
  ``openset-synonym/<name>.npy`` (any folder inside the zip is accepted), each a 0-d unicode
  array with the grouping as text. Loaded with ``allow_pickle=False``: a pickled object
  array is refused, never executed.
* A global synonym file: JSON (a list of groups, or ``{head: [synonyms]}``) or text with one
  group per line, words separated by commas (or ``;``, ``|``, tabs).
* ``judge:llm:<url>#<model>``: an LLM groups each sample's words (see :mod:`.judge`).
* None: words are only lower-cased.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ..errors import EmoevalError
from .sets import SetParseError, parse_groups

NPY_SUFFIX = ".npy"


@dataclass
class SynonymSource:
    """``kind``: ``none``, ``per-sample`` (MER's .npy answers), ``global`` or ``judge``.

    ``answers``: per sample id, the raw grouping text (per-sample and judge sources);
    ``groups``: the one grouping every sample shares (global source).
    """

    kind: str
    spec: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    groups: list[list[str]] = field(default_factory=list)

    def describe(self) -> dict:
        out = {"kind": self.kind, "spec": self.spec}
        if self.kind == "per-sample":
            out["n_answers"] = len(self.answers)
        if self.kind == "global":
            out["n_groups"] = len(self.groups)
        return out


def npy_text(data: bytes, where: str) -> str:
    """The grouping text of one MER ``.npy`` file (a 0-d or 1-element unicode array)."""
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:  # object arrays need pickle: refused on purpose
        raise EmoevalError(f"{where}: not a plain-text .npy file ({exc})") from None
    except OSError as exc:
        raise EmoevalError(f"{where}: unreadable .npy file ({exc})") from None
    if array.dtype.kind not in "US" or array.size != 1:
        raise EmoevalError(f"{where}: expected one text value, found dtype {array.dtype} "
                           f"shape {array.shape}")
    value = array.reshape(()).item()
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def load_npy_answers(path: str) -> dict[str, str]:
    """Sample name -> grouping text from a folder or a zip of MER ``<name>.npy`` files."""
    answers: dict[str, str] = {}
    if os.path.isdir(path):
        for entry in sorted(os.listdir(path)):
            if entry.endswith(NPY_SUFFIX):
                with open(os.path.join(path, entry), "rb") as f:
                    answers[entry[:-len(NPY_SUFFIX)]] = npy_text(f.read(), entry)
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                base = member.rsplit("/", 1)[-1]
                if base.endswith(NPY_SUFFIX) and not member.endswith("/"):
                    name = base[:-len(NPY_SUFFIX)]
                    if name in answers:
                        raise EmoevalError(f"{path}: two answers for {name!r} in the zip")
                    answers[name] = npy_text(archive.read(member), f"{path}:{member}")
    else:
        raise EmoevalError(f"--synonyms {path}: neither a folder nor a zip of .npy files")
    if not answers:
        raise EmoevalError(f"--synonyms {path}: no .npy judge answers in it")
    return answers


def load_global_groups(path: str) -> list[list[str]]:
    """One grouping for every sample, from JSON or one group per line."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise EmoevalError(f"--synonyms {path}: cannot read it ({exc})") from None
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            json.loads(stripped)
        except ValueError as exc:
            raise EmoevalError(f"--synonyms {path}: invalid JSON ({exc})") from None
        try:
            return parse_groups(stripped)
        except SetParseError as exc:
            raise EmoevalError(f"--synonyms {path}: {exc}") from None
    groups = []
    for line in stripped.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            words = [w.strip() for w in re.split(r"[,;|\t]", line) if w.strip()]
            if words:
                groups.append(words)
    if not groups:
        raise EmoevalError(f"--synonyms {path}: no synonym group in it")
    return groups


def open_source(spec: str | None) -> SynonymSource:
    """``--synonyms`` -> a source. ``judge:`` specs are resolved by :mod:`.judge`."""
    if not spec:
        return SynonymSource(kind="none")
    if spec.startswith("judge:"):
        return SynonymSource(kind="judge", spec=spec)
    if not os.path.exists(spec):
        raise EmoevalError(f"--synonyms {spec}: no such file or folder (give MER .npy answers "
                           "as a folder or zip, a synonym file, or judge:llm:<url>#<model>)")
    if os.path.isdir(spec) or zipfile.is_zipfile(spec):
        return SynonymSource(kind="per-sample", spec=spec, answers=load_npy_answers(spec))
    return SynonymSource(kind="global", spec=spec, groups=load_global_groups(spec))
