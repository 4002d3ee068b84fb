"""emolia-dim items: prompts from the rubric (``variables.json``), audio by a path template,
and the sham's compound stem.

emolia-dim asks whether a clip matches one level of a perceptual dimension (``TEMP`` level 5
= fast). Its items are keyed by (dimension, level, polarity, file name); the same
``sample_NN.mp3`` exists in many ``<DIM>/<level>/<polarity>/`` folders, so a clip is found by
its path, never by its stem alone.
"""

from __future__ import annotations

import json
import os
import string
from typing import Any

from ..errors import EmoevalError

DIMENSION_COLUMNS = ("dimension", "level")
#: ``--audio-path`` presets: name -> template relative to ``--audio-dir``
AUDIO_PATH_PRESETS = {"emolia-dim": "{dimension}/{level}/{polarity}/{file_name}"}
VARIABLES_FILE = "variables.json"


def is_dimension_item(columns: dict[str, Any]) -> bool:
    return all(str(columns.get(name, "")).strip() for name in DIMENSION_COLUMNS)


def load_variables(path: str | None) -> dict[str, Any]:
    """The rubric: ``{DIM: {"short_description", "levels": {level: description}}}``."""
    if not path:
        return {}
    if not os.path.isfile(path):
        raise EmoevalError(f"--dim-variables {path}: file not found (emolia-bench's "
                           "dataset/emolia-dim/variables.json)")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise EmoevalError(f"--dim-variables {path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EmoevalError(f"--dim-variables {path}: expected a JSON object keyed by dimension")
    return data


def default_variables(audio_dir: str | None) -> str | None:
    """Their layout keeps ``variables.json`` beside ``data/``: look in the audio folder and
    its parent."""
    if not audio_dir:
        return None
    for folder in (audio_dir, os.path.dirname(os.path.abspath(audio_dir))):
        candidate = os.path.join(folder, VARIABLES_FILE)
        if os.path.isfile(candidate):
            return candidate
    return None


def dimension_prompt(variables: dict[str, Any], dimension: str, level: str) -> str:
    """emolia-bench's rule: the level's rubric description; without the dimension, or
    without that level, a sentence naming them."""
    spec = variables.get(dimension)
    if not spec:
        return f"Speech audio matching the description of {dimension} at level {level}."
    description = (spec.get("levels") or {}).get(str(level))
    if not description:
        short = spec.get("short_description", dimension)
        return f"Speech audio expressing the dimension '{short}' at level {level}."
    return str(description)


def compound_stem(stem: str, columns: dict[str, Any]) -> str:
    """The stem their offline sham hashes for a dim item: ``sample_19__BKGN_2_positive``."""
    return (f"{stem}__{columns.get('dimension', '')}_{columns.get('level', '')}_"
            f"{columns.get('polarity', '')}")


def audio_path_template(spec: str | None) -> str | None:
    """``--audio-path``: a preset name or a template of item columns."""
    if not spec:
        return None
    template = AUDIO_PATH_PRESETS.get(spec, spec)
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if not fields:
        raise EmoevalError(f"--audio-path {spec!r}: give a template of item columns, e.g. "
                           f"{AUDIO_PATH_PRESETS['emolia-dim']!r}, or a preset "
                           f"({', '.join(AUDIO_PATH_PRESETS)})")
    return template


def fill_template(template: str, columns: dict[str, Any]) -> str:
    try:
        return template.format(**{k: str(v).strip() for k, v in columns.items()})
    except (KeyError, IndexError, ValueError) as exc:
        raise EmoevalError(f"--audio-path {template!r}: the items have no column {exc}") \
            from None
