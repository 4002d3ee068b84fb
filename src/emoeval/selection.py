"""Which rows a run reads: split, label options, --keep-labels and a seeded --limit.

``evaluate``, ``train``, ``quantize`` and the screening all select rows through
:func:`prepare_rows`, so the same flags pick the same samples everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .datasets.base import Dataset, Row, has_targets
from .errors import EmoevalError
from .labels import apply_label_options, label_key, label_spellings, load_label_map, parse_merge


@dataclass
class RowSelection:
    """The row and label options of a run (``--split``, ``--limit``, ``--seed``, ``--labels``,
    ``--keep-labels``, ``--merge``, ``--label-map``)."""

    split: str | None = None
    limit: int | None = None
    seed: int = 0
    labels: list[str] | None = None
    keep_labels: list[str] | None = None
    merge: list[str] = field(default_factory=list)
    label_map: str | None = None

    @classmethod
    def of(cls, config: Any, **overrides: Any) -> "RowSelection":
        """The selection fields of any config that has them (e.g. an EvaluationConfig)."""
        values = {name: getattr(config, name) for name in cls.__dataclass_fields__}
        values.update(overrides)
        return cls(**values)


def all_label_names(rows: list[Row]) -> list[str]:
    """Every label occurrence, flattening multi-label rows."""
    names: list[str] = []
    for row in rows:
        names.extend(row.label if isinstance(row.label, list) else [row.label])
    return names


def stratified_limit(rows: list, limit: int | None, seed: int) -> list:
    """A seeded sample of ``limit`` rows stratified by label (largest-remainder allocation),
    in the dataset's order. Never the first N rows: some corpora are sorted by class.
    Any item with a ``.label`` (a string or a list) can be sampled."""
    if limit is None or limit >= len(rows):
        return rows
    if limit <= 0:
        raise EmoevalError(f"--limit {limit}: give a positive number")
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        key = ",".join(r.label) if isinstance(r.label, list) else str(r.label)
        by_label.setdefault(key, []).append(i)
    names = sorted(by_label)
    exact = np.array([limit * len(by_label[n]) / len(rows) for n in names])
    counts = np.floor(exact).astype(int)
    for j in np.argsort(-(exact - counts), kind="stable")[: limit - counts.sum()]:
        counts[j] += 1
    chosen: list[int] = []
    for name, count in zip(names, counts):
        chosen += list(rng.choice(by_label[name], size=int(count), replace=False))
    return [rows[i] for i in sorted(chosen)]


def prepare_rows(dataset: Dataset, rows: list[Row], selection: RowSelection
                 ) -> tuple[list[Row], list[str], dict[str, str | None]]:
    """Rows after label options, --keep-labels and --limit; the dataset's label order.

    ``selection`` is a :class:`RowSelection` (any object with its fields works too)."""
    if not rows:
        raise EmoevalError(f"{dataset.spec} has no rows"
                           + (f" in split {selection.split!r}" if selection.split else ""))
    if has_targets(rows):
        return prepare_dimensional_rows(rows, selection)
    unlabelled = [r.id for r in rows if r.label is None or str(r.label) == ""]
    if unlabelled:
        raise EmoevalError(f"{len(unlabelled)} rows have no label (first: {unlabelled[0]}); "
                           "check --label-col")
    label_map = load_label_map(selection.label_map)
    merge = parse_merge(selection.merge)
    # spellings that differ in case or whitespace are one class, under the data's most
    # frequent spelling (targets of --merge/--label-map too, when the data has them)
    spellings = label_spellings(all_label_names(rows))
    for row in rows:  # a multi-label row holds a list: each of its labels is rewritten
        names = row.label if isinstance(row.label, list) else [str(row.label)]
        names = [spellings.spell(n) for n in apply_label_options(
            [spellings.spell(n) for n in names], declared=None, merge=merge,
            label_map=label_map)]
        row.label = sorted(set(names)) if isinstance(row.label, list) else names[0]
    if selection.keep_labels:
        present = {label_key(n): n for n in all_label_names(rows)}
        missing = [k for k in selection.keep_labels if label_key(k) not in present]
        if missing:
            have = ", ".join(sorted(present.values()))
            raise EmoevalError(f"--keep-labels names labels not in the data: "
                               f"{', '.join(missing)} (have: {have})")
        keep = {present[label_key(k)] for k in selection.keep_labels}
        for row in rows:
            if isinstance(row.label, list):
                row.label = [name for name in row.label if name in keep]
        rows = [r for r in rows if isinstance(r.label, list) or r.label in keep]
    if selection.labels:
        apply_label_options(all_label_names(rows), declared=selection.labels, merge={},
                            label_map={})
        labels = [spellings.spell(name) for name in selection.labels]
    else:
        labels = sorted(set(all_label_names(rows)))
    rows = stratified_limit(rows, selection.limit, selection.seed)
    return rows, labels, label_map


def prepare_dimensional_rows(rows: list[Row], selection: RowSelection
                             ) -> tuple[list[Row], list[str], dict[str, str | None]]:
    """Rows with continuous targets: the dimensions (``--labels`` picks and orders them)
    instead of a label set; label options do not apply."""
    given = [flag for flag, value in (("--keep-labels", selection.keep_labels),
                                      ("--merge", selection.merge),
                                      ("--label-map", selection.label_map)) if value]
    if given:
        raise EmoevalError(f"{', '.join(given)} applies to class labels, and this dataset has "
                           "continuous targets (dimensional); drop it")
    dims = list(next(r.targets for r in rows if r.targets is not None))
    uneven = [r.id for r in rows if r.targets is None or list(r.targets) != dims]
    if uneven:
        raise EmoevalError(f"{len(uneven)} rows lack the targets {', '.join(dims)} (first: "
                           f"{uneven[0]}); every row of a dimensional dataset needs them")
    if selection.labels:
        unknown = [d for d in selection.labels if d not in dims]
        if unknown:
            raise EmoevalError(f"--labels names dimensions the dataset lacks: "
                               f"{', '.join(unknown)} (has: {', '.join(dims)})")
        dims = list(selection.labels)
    return stratified_limit(rows, selection.limit, selection.seed), dims, {}
