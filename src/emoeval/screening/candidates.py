"""The candidates file: a YAML list of models to screen or evaluate.

Each entry is a model spec string or a mapping ``{spec, language, task, notes, label_map}``.
``emoeval screen`` reads it and writes ``candidates.usable.yaml`` in the same schema, which
``emoeval evaluate --models`` reads back. A spec without a ``<name>:`` prefix is a
transformers model (``superb/wav2vec2-base-superb-er`` is ``hf:superb/wav2vec2-base-superb-er``),
as the hand-written candidate lists had them.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any

from ..errors import EmoevalError
from ..labels import load_label_map
from ..results_io import write_text

FIELDS = ("spec", "language", "task", "notes", "label_map")
DEFAULT_ADAPTER = "hf"
#: longest readable part of a slug before it is cut and a hash appended
SLUG_MAX_LENGTH = 80


@dataclass
class Candidate:
    """One candidate model and what its entry says about it."""

    spec: str
    #: language the model was trained for (ISO 639-1, e.g. "en", "ko"), if known
    language: str | None = None
    #: what the model is meant for (free text, e.g. "classification"), passed through
    task: str | None = None
    notes: str | None = None
    #: model label -> emotion name (None: the label has no counterpart); overrides aliases
    label_map: dict[str, str | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The YAML entry: ``spec`` always, the other fields when set."""
        entry: dict[str, Any] = {"spec": self.spec}
        for name in FIELDS[1:]:
            value = getattr(self, name)
            if value not in (None, "", {}):
                entry[name] = dict(value) if isinstance(value, dict) else value
        return entry


def normalise_spec(raw: str) -> str:
    """A spec with its adapter prefix; a bare hub id or folder gets ``hf:``."""
    spec = raw.strip()
    return spec if ":" in spec else f"{DEFAULT_ADAPTER}:{spec}"


def model_slug(spec: str) -> str:
    """A folder name for a model spec: filesystem-safe, readable and unique per spec.

    ``hf:superb/wav2vec2-base-superb-er`` -> ``hf_superb_wav2vec2-base-superb-er``: ``:``
    and ``/`` become ``_``, anything else outside ``[A-Za-z0-9.-]`` becomes ``-``. When
    that cannot be read back to the spec (the spec had ``_`` or other characters) or is too
    long, a hash of the spec is appended, so two specs never share a slug.
    """
    readable = re.sub(r"[:/]", "_", spec)
    readable = re.sub(r"[^A-Za-z0-9._-]", "-", readable).strip("-_.") or "model"
    name, _, rest = readable.partition("_")
    reversible = f"{name}:{rest.replace('_', '/')}" == spec
    if reversible and len(readable) <= SLUG_MAX_LENGTH:
        return readable
    digest = hashlib.sha1(spec.encode("utf-8")).hexdigest()[:8]
    return f"{readable[:SLUG_MAX_LENGTH].rstrip('-_.')}-{digest}"


def _text_field(entry: dict, name: str, where: str) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise EmoevalError(f"{where}: {name} must be a string, got {type(value).__name__}")
    return str(value).strip() or None


def _label_map_field(value: Any, base_dir: str, where: str) -> dict[str, str | None] | None:
    """An inline mapping, or a label-map file (YAML/JSON/CSV) relative to the YAML file."""
    if value is None:
        return None
    if isinstance(value, str):
        path = value if os.path.isabs(value) else os.path.join(base_dir, value)
        try:
            return load_label_map(path)
        except EmoevalError as exc:
            raise EmoevalError(f"{where}: {exc}") from None
    if isinstance(value, dict):
        return {str(k): (None if v in (None, "") else str(v)) for k, v in value.items()}
    raise EmoevalError(f"{where}: label_map must be a mapping of model label: emotion or a "
                       f"file name, got {type(value).__name__}")


def parse_entry(entry: Any, base_dir: str, where: str) -> Candidate:
    """One YAML entry (a spec string or a mapping) as a Candidate."""
    if isinstance(entry, str):
        entry = {"spec": entry}
    if not isinstance(entry, dict):
        raise EmoevalError(f"{where}: expected a model spec or a mapping with 'spec', got "
                           f"{type(entry).__name__}")
    unknown = sorted(str(k) for k in entry if k not in FIELDS)
    if unknown:
        raise EmoevalError(f"{where}: unknown field(s) {', '.join(unknown)}; an entry takes "
                           f"{', '.join(FIELDS)}")
    spec = _text_field(entry, "spec", where)
    if not spec:
        raise EmoevalError(f"{where}: no 'spec'; give the model spec, e.g. "
                           "spec: hf:superb/wav2vec2-base-superb-er")
    language = _text_field(entry, "language", where)
    return Candidate(spec=normalise_spec(spec),
                     language=language.lower() if language else None,
                     task=_text_field(entry, "task", where),
                     notes=_text_field(entry, "notes", where),
                     label_map=_label_map_field(entry.get("label_map"), base_dir, where))


def read_candidates(path: str) -> list[Candidate]:
    """The candidates of a YAML file, in file order; a clear error for a malformed file."""
    import yaml

    if not os.path.isfile(path):
        raise EmoevalError(f"candidates file {path!r} not found; give a YAML list of model "
                           "specs")
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise EmoevalError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if data is None or data == []:
        raise EmoevalError(f"{path} lists no candidates; write one model spec per list item")
    if not isinstance(data, list):
        raise EmoevalError(f"{path} must hold a YAML list (one '- spec' per model), got a "
                           f"{type(data).__name__}")
    base_dir = os.path.dirname(os.path.abspath(path))
    candidates = [parse_entry(entry, base_dir, f"{path} entry {i + 1}")
                  for i, entry in enumerate(data)]
    seen: dict[str, int] = {}
    for i, candidate in enumerate(candidates):
        if candidate.spec in seen:
            raise EmoevalError(f"{path}: {candidate.spec} is listed twice (entries "
                               f"{seen[candidate.spec] + 1} and {i + 1}); keep one")
        seen[candidate.spec] = i
    return candidates


def write_candidates(path: str, candidates: list[Candidate],
                     comments: list[str] | None = None, header: str = "") -> None:
    """Write candidates in the input schema, each entry after its comment line (if any)."""
    import yaml

    lines = [f"# {line}" for line in header.splitlines()]
    for i, candidate in enumerate(candidates):
        if comments and comments[i]:
            lines.append(f"# {' '.join(comments[i].split())}")
        lines.append(yaml.safe_dump([candidate.to_dict()], sort_keys=False,
                                    allow_unicode=True, width=100).rstrip())
    if not candidates:
        lines.append("[]")
    write_text(path, "\n".join(lines) + "\n")
