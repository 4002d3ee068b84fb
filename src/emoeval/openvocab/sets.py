"""Reading a cell that holds a set of emotion words, and a judge's synonym groups.

Two parsers:

* ``default`` (robust): a Python-literal list (``['happy', 'sad']``), a JSON array
  (``["happy", "sad"]``) or a delimited string (``happy, sad`` / ``happy; sad`` /
  ``[happy, sad]``); words stripped, empty words dropped. The format of each cell is
  detected and counted, so the report states what it read.
* ``mer2024``: MER2024's own rule, re-implemented from the description of
  ``string_to_list`` / ``listlist_to_list`` in the MER2024 toolkit
  (github.com/zeroQiaoba/MERTools, ``MER2024/toolkit/utils/functions.py``): the text between
  the first ``[`` and the next ``]`` is split on quote characters and pieces that are empty
  or a lone comma after stripping are dropped; the words themselves are *not* stripped.
  The published MER2024 figures depend on this (a word ``' happy'`` stays distinct).
"""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any

PROTOCOLS = ("default", "mer2024")

QUOTES = re.compile(r"['\"]")
BRACKETS = re.compile(r"[\[\]]")
DELIMITERS = re.compile(r"[,;|\n\t/]")


class SetParseError(ValueError):
    """A cell (or a judge answer) that the parser cannot read as words."""


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _kept_pieces(text: str) -> list[str]:
    """MER2024: pieces between quote characters, without those that strip to '' or ','."""
    return [piece for piece in QUOTES.split(text) if piece.strip() not in ("", ",")]


def parse_words_mer2024(value: Any) -> list[str]:
    """MER2024's ``string_to_list`` rule (see the module docstring); raises SetParseError
    where their script would fail (no ``[`` in a non-empty cell)."""
    if is_missing(value) or value == "":
        return []
    text = str(value)
    if "[" not in text:
        raise SetParseError(f"mer2024 parser: no '[' in {text[:60]!r}")
    inside = text.split("[")[1].split("]")[0]
    return _kept_pieces(inside)


def parse_groups_mer2024(value: Any) -> list[list[str]]:
    """MER2024's ``listlist_to_list`` rule: split on brackets, then each part on quotes."""
    parts = [p for p in BRACKETS.split(str(value)) if p.strip() not in ("", ",")]
    return [_kept_pieces(part) for part in parts]


def _literal(text: str) -> tuple[Any, str] | None:
    """(value, format) for a JSON or Python-literal text, or None."""
    try:
        return json.loads(text), "json"
    except ValueError:
        pass
    try:
        return ast.literal_eval(text), "python-literal"
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _clean(words: list[Any]) -> list[str]:
    if not all(isinstance(w, str) for w in words):
        raise SetParseError(f"a set holds a non-word item: {words[:5]!r}")
    return [w.strip() for w in words if w.strip()]


def parse_words(value: Any) -> tuple[list[str], str]:
    """The robust parser: (words, detected format). Formats: ``empty``, ``json``,
    ``python-literal``, ``delimited``."""
    if is_missing(value) or not str(value).strip():
        return [], "empty"
    text = str(value).strip()
    if text.startswith(("[", "(", "{")):
        read = _literal(text)
        if read is not None:
            words, fmt = read
            if isinstance(words, (list, tuple, set)):
                return _clean(list(words)), fmt
            if isinstance(words, str):
                return _clean([words]), fmt
        text = text.strip("[](){}")
    if QUOTES.search(text) and not re.search(r"\w'\w", text):
        text = QUOTES.sub("", text)
    return [w.strip() for w in DELIMITERS.split(text) if w.strip()], "delimited"


def parse_groups(value: Any) -> list[list[str]]:
    """Synonym groups from a judge answer or a file, robustly: JSON or a Python literal
    (a list of lists, or ``{head: [synonyms]}``), also inside surrounding prose or a code
    fence; else MER2024's bracket rule with stripped words. Raises SetParseError when no
    group can be read."""
    text = str(value).strip()
    start, end = text.find("["), text.rfind("]")
    candidates = [text]
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    brace_start, brace_end = text.find("{"), text.rfind("}")
    if 0 <= brace_start < brace_end:
        candidates.append(text[brace_start:brace_end + 1])
    for candidate in candidates:
        read = _literal(candidate)
        if read is None:
            continue
        groups = _as_groups(read[0])
        if groups is not None:
            return groups
    if 0 <= start < end:
        groups = [[w.strip() for w in g if w.strip()] for g in parse_groups_mer2024(text)]
        groups = [g for g in groups if g]
        if groups:
            return groups
    raise SetParseError(f"no synonym groups in {text[:80]!r}")


def _as_groups(value: Any) -> list[list[str]] | None:
    if isinstance(value, dict):
        value = [[head, *(rest if isinstance(rest, (list, tuple)) else [rest])]
                 for head, rest in value.items()]
    if not isinstance(value, (list, tuple)):
        return None
    groups = []
    for group in value:
        if isinstance(group, str):
            group = [group]
        if not isinstance(group, (list, tuple)) or not all(isinstance(w, str) for w in group):
            return None
        cleaned = [w.strip() for w in group if w.strip()]
        if cleaned:
            groups.append(cleaned)
    return groups


def word_map(groups: list[list[str]]) -> dict[str, str]:
    """Lower-cased word -> the lower-cased first word of its group. A word in two groups
    takes the later group, as a dict filled group by group does (MER2024's rule)."""
    mapping: dict[str, str] = {}
    for group in groups:
        if not group:
            continue
        head = group[0].lower()
        for word in group:
            mapping[word.lower()] = head
    return mapping


def mapped_set(words: list[str], mapping: dict[str, str]) -> set[str]:
    """Lower-case each word and replace it by its group's first word when it has one."""
    return {mapping.get(w.lower(), w.lower()) for w in words}
