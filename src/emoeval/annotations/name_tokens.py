"""Find rater names inside free text, the way a person would still recognise them.

A name matches as a whole token (not inside a longer word), in any capitalisation, and with
its parts joined by any of space, ``.``, ``_`` or ``-`` (``alice.smith`` also matches
``Alice Smith``, ``ALICE_SMITH`` and the local part of ``alice.smith@lab.example``).
Only names with a letter and at least 3 characters are looked for in free text: a numeric
id or a two-letter name would match ages, ratings and ordinary words; those are replaced in
the rater columns only.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

#: what may join the parts of a name ("first last", "first.last", "first_last", "first-last")
SEPARATORS = r"[\s._-]+"
MIN_FREE_TEXT_CHARS = 3
# a token edge: the neighbour is not a letter or a digit (the underscore is a separator here)
_BEFORE, _AFTER = r"(?<![^\W_])", r"(?![^\W_])"


def in_free_text(name: str) -> bool:
    """Whether ``name`` is looked for (and replaced) outside the rater columns."""
    name = name.strip()
    return len(name) >= MIN_FREE_TEXT_CHARS and any(ch.isalpha() for ch in name)


def _parts(name: str) -> list[str]:
    return [part for part in re.split(SEPARATORS, name.strip().lower()) if part]


def normalised(text: str) -> str:
    """One spelling for every variant of a name: lower case, parts joined by one space."""
    return " ".join(_parts(text))


class NameMatcher:
    """Every variant of every free-text name, as one case-insensitive pattern."""

    def __init__(self, names: Iterable[str]):
        variants = {normalised(name): name for name in names if in_free_text(name)}
        variants.pop("", None)
        self.names = variants  # normalised form -> the raw name
        # longest first, so "alice smith" wins over a rater called "alice"
        alternatives = [SEPARATORS.join(re.escape(part) for part in form.split(" "))
                        for form in sorted(variants, key=len, reverse=True)]
        self.pattern = (re.compile(_BEFORE + "(?:" + "|".join(alternatives) + ")" + _AFTER,
                                   re.IGNORECASE) if alternatives else None)

    def find(self, text: str) -> re.Match | None:
        return self.pattern.search(text) if self.pattern else None

    def replace(self, text: str, mapping: Mapping[str, str]) -> str:
        """``text`` with every variant of a name replaced by that name's id in ``mapping``."""
        if not self.pattern or not text:
            return text
        return self.pattern.sub(lambda m: mapping[self.names[normalised(m.group(0))]], text)
