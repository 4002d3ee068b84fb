"""Prompts for the similarity benchmark, and the emotions a prompt names.

The default prompt is emolia-bench's: ``Speech audio in which the speaker expresses or
conveys {label}.``, where ``{label}`` is ``queried_emotion`` with ``___`` read as `` / `` and
``_`` as a space (``Anger___Frustration`` -> ``Anger / Frustration``).
"""

from __future__ import annotations

import re

from ..errors import EmoevalError
from ..labels import canonical

DEFAULT_TEMPLATE = "Speech audio in which the speaker expresses or conveys {label}."


def check_template(template: str) -> str:
    if "{label}" not in template:
        raise EmoevalError(f"--prompt-template {template!r} has no {{label}} placeholder, e.g. "
                           f"{DEFAULT_TEMPLATE!r}")
    return template


def label_text(queried_emotion: str) -> str:
    """``Sadness___Grief`` -> ``Sadness / Grief`` (emolia-bench's reading)."""
    return str(queried_emotion).replace("___", " / ").replace("_", " ").strip()


def build_prompt(template: str, queried_emotion: str) -> str:
    # plain replacement: a template may hold other braces
    return template.replace("{label}", label_text(queried_emotion))


def emotions_named(text: str) -> list[str]:
    """Canonical emotions named in ``text`` (words and two-word phrases matched against the
    label aliases, e.g. "pleasant surprise"), in order of first mention, without repeats."""
    words = re.findall(r"[^\W\d_]+", str(text).lower())
    found: list[str] = []
    for i, word in enumerate(words):
        for phrase in (f"{word} {words[i + 1]}" if i + 1 < len(words) else None, word):
            name = canonical(phrase) if phrase else None
            if name is not None and name not in found:
                found.append(name)
    return found
