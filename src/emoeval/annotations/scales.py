"""Rating scales: ``binary``, ``nominal[:a,b,c]`` and ``ordinal:low<mid<high``.

A scale fixes the categories (their order is the column order of every count table) and,
for binary and ordinal scales, a *binarisation*: which categories mean "present". Binary
scales answer present/absent directly; an ordinal scale is binarised at ``--present-from``
(that level and every level above it are present), by default at its second level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EmoevalError

#: recognised binary answers, present value -> absent value (matched case-insensitively)
BINARY_PAIRS = {"yes": "no", "true": "false", "1": "0", "present": "absent",
                "positive": "negative", "y": "n"}
SCALE_KINDS = ("binary", "nominal", "ordinal")
SCALE_HELP = "binary, nominal[:a,b,c] or ordinal:low<mid<high"


@dataclass(frozen=True)
class Scale:
    """The categories of a rating scale, in order, and how to read them as present/absent.

    ``categories``: binary scales are ``(absent, present)``; ordinal scales low to high.
    ``present_from``: the present value (binary) or the lowest present level (ordinal);
    None for nominal scales, which have no binary view.
    """

    kind: str
    categories: tuple[str, ...]
    present_from: str | None = None

    @property
    def has_binary_view(self) -> bool:
        return self.present_from is not None

    @property
    def present_mask(self) -> np.ndarray:
        """Per category, whether it counts as present (all False for nominal scales)."""
        if self.present_from is None:
            return np.zeros(len(self.categories), dtype=bool)
        start = self.categories.index(self.present_from)
        return np.arange(len(self.categories)) >= start

    @property
    def binarisation(self) -> str | None:
        """The declared rule, e.g. ``present = rating >= weakly_present``."""
        if self.kind == "binary":
            return f"present = rating is {self.present_from}"
        if self.kind == "ordinal" and self.present_from is not None:
            return f"present = rating >= {self.present_from}"
        return None

    @property
    def krippendorff_level(self) -> str:
        return "ordinal" if self.kind == "ordinal" else "nominal"

    def binary_counts(self, counts: np.ndarray) -> np.ndarray:
        """``(N, K)`` counts folded into ``(N, 2)``: absent votes, present votes."""
        mask = self.present_mask
        return np.stack([counts[:, ~mask].sum(axis=1), counts[:, mask].sum(axis=1)], axis=1)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "categories": list(self.categories),
                "present_from": self.present_from, "binarisation": self.binarisation,
                "krippendorff_level": self.krippendorff_level}


def parse_scale_spec(spec: str) -> tuple[str, list[str] | None]:
    """``--scale`` text -> (kind, declared categories or None)."""
    text = (spec or "").strip()
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind not in SCALE_KINDS:
        raise EmoevalError(f"--scale {spec!r}: use {SCALE_HELP}")
    if kind == "binary":
        if rest.strip():
            raise EmoevalError(f"--scale {spec!r}: binary takes no levels; name the present "
                               "answer with --present-from if it is not yes/true/1/present")
        return kind, None
    separator = "<" if kind == "ordinal" else ","
    if kind == "ordinal" and not rest.strip():
        return kind, None  # counts shape: the count columns are the levels, in order
    if not rest.strip():
        return kind, None
    levels = [level.strip() for level in rest.split(separator)]
    if any(not level for level in levels) or len(levels) < 2:
        raise EmoevalError(f"--scale {spec!r}: give two or more levels separated by "
                           f"{separator!r}, e.g. "
                           + ("ordinal:not_present<weakly_present<strongly_present"
                              if kind == "ordinal" else "nominal:angry,happy,sad"))
    folded = [level.lower() for level in levels]
    if len(set(folded)) != len(folded):
        raise EmoevalError(f"--scale {spec!r}: a level is named twice")
    return kind, levels


def _present_level(kind: str, categories: list[str], present_from: str | None) -> str | None:
    if kind == "nominal":
        if present_from:
            raise EmoevalError("--present-from applies to binary and ordinal scales; a "
                               "nominal scale has no present/absent reading")
        return None
    if present_from is None:
        return categories[1]  # ordinal default: anything above the lowest level
    by_fold = {category.lower(): category for category in categories}
    if present_from.strip().lower() not in by_fold:
        raise EmoevalError(f"--present-from {present_from!r} is not a level of the scale "
                           f"({', '.join(categories)})")
    return by_fold[present_from.strip().lower()]


def binary_scale(observed: list[str], present_from: str | None) -> Scale:
    """The binary scale from the observed answers (already lower-cased).

    A recognised pair (yes/no, true/false, 1/0, present/absent, positive/negative, y/n) is
    found by itself; otherwise ``--present-from`` names the present answer and the other
    observed answer is absent.
    """
    values = sorted(set(observed))
    if present_from is not None:
        present = present_from.strip().lower()
        others = [value for value in values if value != present]
        absent = BINARY_PAIRS.get(present)
        if absent is None:
            if len(others) != 1:
                raise EmoevalError(
                    f"--scale binary with --present-from {present_from!r}: expected one other "
                    f"answer, found {', '.join(others) or 'none'}; use --scale nominal for "
                    "more than two answers")
            absent = others[0]
        return Scale("binary", (absent, present), present)
    # the recognised pair that covers most of the observed answers; others become bad rows
    overlap = {present: len({present, absent} & set(values))
               for present, absent in BINARY_PAIRS.items()}
    best = max(overlap.values())
    winners = [present for present, count in overlap.items() if count == best]
    if best > 0 and len(winners) == 1:
        return Scale("binary", (BINARY_PAIRS[winners[0]], winners[0]), winners[0])
    shown = ", ".join(values[:10]) or "none"
    raise EmoevalError(f"--scale binary: cannot tell which answer means present among "
                       f"{shown}; name it with --present-from, or use --scale nominal")


def resolve_scale(spec: str, present_from: str | None, observed: list[str]) -> Scale:
    """The scale for ``--scale spec`` given the observed rating values (long shape)."""
    kind, declared = parse_scale_spec(spec)
    if kind == "binary":
        return binary_scale([value.lower() for value in observed], present_from)
    if kind == "ordinal" and declared is None:
        raise EmoevalError(f"--scale {spec!r}: name the levels in order, e.g. "
                           "ordinal:not_present<weakly_present<strongly_present")
    categories = declared if declared is not None else sorted(set(observed))
    if len(categories) < 2:
        raise EmoevalError(f"--scale {spec}: the ratings use only one value "
                           f"({', '.join(categories)}); declare the categories, e.g. --scale "
                           "nominal:angry,happy,sad, or check --rating-col")
    return Scale(kind, tuple(categories), _present_level(kind, categories, present_from))


def scale_for_columns(spec: str | None, present_from: str | None, columns: list[str]) -> Scale:
    """The scale of a counts table whose count columns are ``columns`` (in order)."""
    kind, declared = parse_scale_spec(spec or "nominal")
    if declared is not None and [d.lower() for d in declared] != [c.lower() for c in columns]:
        raise EmoevalError(f"--scale {spec}: with vote counts the levels are the count "
                           f"columns ({', '.join(columns)}); give them in that order or drop "
                           "the levels")
    if kind == "binary":
        if len(columns) != 2:
            raise EmoevalError(f"--scale binary needs two count columns, got {len(columns)}")
        if present_from is None:
            folded = [column.lower() for column in columns]
            present = next((c for c, f in zip(columns, folded) if f in BINARY_PAIRS), None)
            if present is None:
                raise EmoevalError("--scale binary: name the present column with "
                                   "--present-from")
        else:
            present = _present_level("ordinal", columns, present_from)
        absent = next(column for column in columns if column != present)
        return Scale("binary", (absent, present), present)
    return Scale(kind, tuple(columns), _present_level(kind, columns, present_from))


def match_values(values: np.ndarray, scale: Scale) -> np.ndarray:
    """Category index per rating value (-1 when the value is not on the scale).

    Binary, ordinal and declared nominal levels match case-insensitively.
    """
    import pandas as pd

    lookup = {category.lower(): index for index, category in enumerate(scale.categories)}
    exact = {category: index for index, category in enumerate(scale.categories)}
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    texts = [str(value).strip() for value in uniques]
    # one lookup per distinct value; the extra entry catches factorize's -1 for missing values
    table = np.array([exact.get(text, lookup.get(text.lower(), -1)) for text in texts] + [-1],
                     dtype=np.int64)
    return table[codes]
