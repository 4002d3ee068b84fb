"""Finding the JSON an answer holds: alone, in a code fence, or after some words.

Models asked for JSON wrap it (```json ... ```), preface it ("Here is my answer: {...}") or
answer in prose; every answer pipeline tries the same candidates in the same order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

#: an object from the first "{" to the last "}" (so one inside a code fence too)
JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
#: a list of objects: ``[{"dimension": "valence", "value": 3}, ...]``
JSON_LIST = re.compile(r"\[\s*\{.*\}\s*\]", re.DOTALL)


def json_candidates(text: str, patterns: tuple[re.Pattern, ...] = (JSON_OBJECT,)) -> list[str]:
    """The strings that may parse as the answer's JSON: the whole answer, then the first
    match of each pattern (an object inside a code fence or after some words)."""
    stripped = text.strip()
    candidates = [stripped]
    for pattern in patterns:
        match = pattern.search(stripped)
        if match and match.group(0) != stripped:
            candidates.append(match.group(0))
    return candidates


def parsed_candidates(text: str, patterns: tuple[re.Pattern, ...] = (JSON_OBJECT,)
                      ) -> Iterator[tuple[str, Any]]:
    """``(candidate, its parsed value)`` for each of :func:`json_candidates` that parses, in
    order; a pipeline takes the first value of the shape it reads."""
    for candidate in json_candidates(text, patterns):
        try:
            yield candidate, json.loads(candidate)
        except ValueError:
            continue
