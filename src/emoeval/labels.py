"""The canonical emotion vocabulary, its alias families, and mapping between label spaces.

Single-letter corpus codes are never global aliases: they belong to their preset
(``A`` is anger in CREMA-D and fear in EmoDB).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .errors import EmoevalError

# canonical name -> aliases (lower case, matched after normalisation)
VOCABULARY: dict[str, tuple[str, ...]] = {
    "neutral": ("neu",),
    "calm": (),
    "happy": ("happiness", "hap", "joy", "joyful"),
    "sad": ("sadness", "sorrow"),
    "angry": ("anger", "ang", "mad"),
    "fear": ("fearful", "fea", "afraid", "scared"),
    "disgust": ("disgusted", "dis"),
    "surprise": ("surprised", "sur", "pleasant surprise"),
    "boredom": ("bored",),
    "contempt": (),
    "worried": ("worry", "anxious", "anxiety"),
    "excited": ("excitement", "exc"),
    "frustrated": ("frustration", "fru"),
}

_ALIAS_TO_CANONICAL: dict[str, str] = {}
for _name, _aliases in VOCABULARY.items():
    for _alias in (_name, *_aliases):
        _ALIAS_TO_CANONICAL[_alias] = _name


def label_key(label: str) -> str:
    """How two spellings of a label are compared everywhere (dataset labels, model labels,
    predictions, --labels, --merge, --label-map): case and whitespace ignored."""
    return " ".join(str(label).split()).casefold()


@dataclass
class LabelSpellings:
    """The spellings of the dataset's labels that :func:`label_key` folds together.

    ``canonical[key]`` is the spelling a class goes by: the dataset's most frequent one (the
    first seen on a tie); ``counts[canonical]`` every spelling met, with its count.
    """

    canonical: dict[str, str] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def spell(self, label: str) -> str:
        """The canonical spelling of ``label``, or ``label`` itself when the data lacks it."""
        return self.canonical.get(label_key(label), label)

    @property
    def folded(self) -> dict[str, dict[str, int]]:
        """The classes written in more than one way: canonical -> {spelling: count}."""
        return {name: dict(spellings) for name, spellings in self.counts.items()
                if len(spellings) > 1}

    def warnings(self, where: str) -> list[str]:
        """One line naming the data and the spellings folded into each class."""
        folded = self.folded
        if not folded:
            return []
        parts = [f"{name!r} <- " + ", ".join(f"{s!r} ({n})" for s, n in spellings.items())
                 for name, spellings in folded.items()]
        return [f"{where} spells {len(folded)} label{'s' if len(folded) != 1 else ''} in more "
                "than one way (case or whitespace); each is one class, under its most "
                "frequent spelling: " + "; ".join(parts)]


def label_spellings(labels: Iterable[str]) -> LabelSpellings:
    """Group the dataset's label occurrences by :func:`label_key`."""
    by_key: dict[str, Counter] = {}
    for label in labels:
        by_key.setdefault(label_key(label), Counter())[str(label)] += 1
    result = LabelSpellings()
    for key, counter in by_key.items():
        name = counter.most_common(1)[0][0]  # Counter keeps first-seen order on ties
        result.canonical[key] = name
        result.counts[name] = dict(counter)
    return result


def normalise(label: str) -> str:
    """Lower case, underscores/dashes to spaces, collapsed whitespace."""
    return re.sub(r"[\s_\-]+", " ", str(label).strip().lower())


def canonical(label: str) -> str | None:
    """The canonical emotion for a label name, or None if it names no known emotion."""
    return _ALIAS_TO_CANONICAL.get(normalise(label))


def parse_merge(items: list[str] | None) -> dict[str, str]:
    """``["exc=happy", "fru=angry"]`` -> ``{"exc": "happy", "fru": "angry"}``."""
    merges: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            if not part.strip():
                continue
            src, sep, dst = part.partition("=")
            if not sep or not src.strip() or not dst.strip():
                raise EmoevalError(f"--merge {part!r} is not of the form source=target, "
                                   "e.g. --merge exc=happy")
            merges[src.strip()] = dst.strip()
    return merges


def load_label_map(path: str | None) -> dict[str, str | None]:
    """A label-map file: YAML/JSON mapping, or CSV/TSV with two columns ``source,target``.

    An empty target means "this label has no counterpart".
    """
    if not path:
        return {}
    import pathlib

    p = pathlib.Path(path)
    if not p.is_file():
        raise EmoevalError(f"--label-map {path}: file not found")
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() in {".csv", ".tsv"}:
        import csv
        import io

        delim = "\t" if p.suffix.lower() == ".tsv" else ","
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if r]
        if rows and [c.strip().lower() for c in rows[0][:2]] == ["source", "target"]:
            rows = rows[1:]
        return {r[0].strip(): (r[1].strip() or None) if len(r) > 1 else None for r in rows}
    import yaml

    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise EmoevalError(f"--label-map {path}: expected a mapping of source: target")
    return {str(k): (None if v in (None, "") else str(v)) for k, v in data.items()}


@dataclass
class LabelMapping:
    """How a model's labels map onto the dataset's labels.

    ``model_to_dataset[m]`` is the dataset label for model label ``m``, or None when the model
    label has no counterpart. Several model labels mapping to one dataset label sum their
    probabilities.
    """

    model_labels: list[str]
    dataset_labels: list[str]
    model_to_dataset: dict[str, str | None]
    how: dict[str, str] = field(default_factory=dict)  # model label -> "exact"|"alias"|"label-map"
    unmapped_policy: str = "restrict"

    @property
    def unmapped_model_labels(self) -> list[str]:
        return [m for m in self.model_labels if self.model_to_dataset.get(m) is None]

    @property
    def unpredictable_dataset_labels(self) -> list[str]:
        """Dataset labels that no model label maps to: always scored as misses."""
        hit = set(v for v in self.model_to_dataset.values() if v is not None)
        return [d for d in self.dataset_labels if d not in hit]

    @property
    def shared_labels(self) -> list[str]:
        unpredictable = set(self.unpredictable_dataset_labels)
        return [d for d in self.dataset_labels if d not in unpredictable]

    def project(self, model_scores: np.ndarray) -> np.ndarray:
        """Model-space scores (n, n_model) -> dataset-space scores (n, n_dataset), summed."""
        matrix = np.zeros((len(self.model_labels), len(self.dataset_labels)))
        index = {d: j for j, d in enumerate(self.dataset_labels)}
        for i, m in enumerate(self.model_labels):
            target = self.model_to_dataset.get(m)
            if target is not None:
                matrix[i, index[target]] = 1.0
        return np.asarray(model_scores, dtype=float) @ matrix

    def predict(self, model_scores: np.ndarray) -> list[str]:
        """Predicted dataset label per row.

        ``restrict``: the best of the mapped labels. ``wrong``: the model's top label; when it
        has no dataset counterpart the prediction is the model label itself, a miss for every
        class (and a false positive for none).
        """
        model_scores = np.asarray(model_scores, dtype=float)
        dataset_scores = self.project(model_scores)
        restricted = [self.dataset_labels[j] for j in dataset_scores.argmax(axis=1)]
        if self.unmapped_policy == "restrict" or not self.unmapped_model_labels:
            return restricted
        out = []
        for row, best in zip(model_scores, restricted):
            top = self.model_labels[int(np.argmax(row))]
            target = self.model_to_dataset.get(top)
            out.append(best if target is not None else f"<{top}>")
        return out

    def to_dict(self) -> dict:
        return {
            "model_to_dataset": dict(self.model_to_dataset),
            "how": dict(self.how),
            "unmapped_model_labels": self.unmapped_model_labels,
            "unpredictable_dataset_labels": self.unpredictable_dataset_labels,
            "shared_labels": self.shared_labels,
            "unmapped_policy": self.unmapped_policy,
        }


def build_mapping(model_labels: list[str], dataset_labels: list[str],
                  label_map: dict[str, str | None] | None = None,
                  unmapped_policy: str = "restrict") -> LabelMapping:
    """Map model labels onto dataset labels: ``label_map`` first, then exact name, then alias."""
    if unmapped_policy not in {"restrict", "wrong"}:
        raise EmoevalError(f"--unmapped {unmapped_policy!r}: use restrict or wrong")
    label_map = {label_key(k): v for k, v in (label_map or {}).items()}
    dataset_by_key = {label_key(d): d for d in dataset_labels}
    by_normalised = {normalise(d): d for d in dataset_labels}
    by_canonical: dict[str, str] = {}
    for d in dataset_labels:
        c = canonical(d)
        if c is not None:
            by_canonical.setdefault(c, d)
    mapping: dict[str, str | None] = {}
    how: dict[str, str] = {}
    for m in model_labels:
        if label_key(m) in label_map:
            target = label_map[label_key(m)]
            if target is not None and label_key(target) not in dataset_by_key:
                raise EmoevalError(
                    f"--label-map maps model label {m!r} to {target!r}, which is not a "
                    f"dataset label ({', '.join(dataset_labels)})")
            mapping[m] = None if target is None else dataset_by_key[label_key(target)]
            how[m] = "label-map"
        elif normalise(m) in by_normalised:
            mapping[m], how[m] = by_normalised[normalise(m)], "exact"
        elif canonical(m) is not None and canonical(m) in by_canonical:
            mapping[m], how[m] = by_canonical[canonical(m)], "alias"
        else:
            mapping[m], how[m] = None, "unmapped"
    result = LabelMapping(list(model_labels), list(dataset_labels), mapping, how,
                          unmapped_policy)
    if not result.shared_labels:
        raise EmoevalError(
            f"none of the model's labels ({', '.join(model_labels)}) map onto the dataset's "
            f"({', '.join(dataset_labels)}); give --label-map FILE")
    return result


def apply_label_options(labels: list[str], *, declared: list[str] | None,
                        merge: dict[str, str], label_map: dict[str, str | None],
                        ) -> list[str]:
    """Dataset label per row after ``--label-map`` (dataset side) and ``--merge``.

    Checks ``--labels`` (the declared set): any other label in the data is an error naming
    the stray labels. Returns the rewritten labels.
    """
    label_map = {label_key(k): v for k, v in label_map.items()}
    merge = {label_key(k): v for k, v in merge.items()}
    out = []
    for label in labels:
        if label_map.get(label_key(label)) is not None:
            label = label_map[label_key(label)]
        label = merge.get(label_key(label), label)
        out.append(label)
    if declared:
        known = {label_key(d) for d in declared}
        stray = sorted({label for label in out if label_key(label) not in known})
        if stray:
            raise EmoevalError(
                f"labels in the data that --labels does not declare: {', '.join(stray)}; "
                "add them to --labels, drop them with --keep-labels, or --merge them")
    return out
