"""Prompts for text-answer models: the shipped templates (``prompts/*.txt``) and how their
placeholders are filled.

Class answers (``text.txt``, ``audio.txt``): ``{labels}`` is the label set, comma-separated
in the dataset's order. Rating answers (``dimensional_text.txt``, ``dimensional_audio.txt``):
``{dimensions}`` (``valence (V), arousal (A), dominance (D)``), ``{scale}`` (``1 to 5``),
``{definitions}`` (what each end of the scale means, one line per dimension) and
``{answer_format}`` (the JSON object to answer with). ``{text}`` is the input text; audio
goes beside the prompt, so an audio template has no ``{text}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from ..dimensional.names import dimension_family
from .ratings import scale_text

PLACEHOLDER_LABELS = "{labels}"
PLACEHOLDER_TEXT = "{text}"
PLACEHOLDER_DIMENSIONS = "{dimensions}"
PLACEHOLDER_SCALE = "{scale}"
PLACEHOLDER_DEFINITIONS = "{definitions}"
PLACEHOLDER_ANSWER_FORMAT = "{answer_format}"
#: what the two ends of the scale mean, per dimension family (the prompt's {definitions})
SCALE_ENDS = {
    "valence": ("very negative or unpleasant", "very positive or pleasant"),
    "arousal": ("very calm or passive", "very excited or active"),
    "dominance": ("feeling controlled or submissive", "feeling in control or dominant"),
}


def default_prompt(modality: str, dimensional: bool = False) -> str:
    """The shipped prompt: ``text.txt`` / ``audio.txt`` (classes), or
    ``dimensional_text.txt`` / ``dimensional_audio.txt`` (ratings)."""
    name = f"dimensional_{modality}" if dimensional else modality
    return (files(__package__) / "prompts" / f"{name}.txt").read_text("utf-8")


def answer_key(dimension: str, dimensions: Sequence[str]) -> str:
    """The key the prompt asks for: the family name (``V`` -> ``valence``) when the family
    is the dimension's alone, else the dimension's own name."""
    family = dimension_family(dimension)
    families = [dimension_family(d) for d in dimensions]
    return family if family is not None and families.count(family) == 1 else dimension


def answer_keys(dimensions: Sequence[str]) -> list[str]:
    """The JSON keys a rating answer is asked for (``valence`` for EmoBank's ``V``)."""
    return [answer_key(d, dimensions) for d in dimensions]


def answer_format(dimensions: Sequence[str]) -> str:
    """``{"valence": <number>, "arousal": <number>, ...}``: the prompt's
    ``{answer_format}``."""
    return "{" + ", ".join(f'"{key}": <number>' for key in answer_keys(dimensions)) + "}"


def spelled_dimension(dimension: str, dimensions: Sequence[str]) -> str:
    """``V`` -> ``valence (V)``; ``valence`` -> ``valence``; a name outside every family as
    it is."""
    key = answer_key(dimension, dimensions)
    return key if key.lower() == dimension.lower() else f"{key} ({dimension})"


def spelled_dimensions(dimensions: Sequence[str]) -> str:
    """``valence (V), arousal (A), dominance (D)``: the prompt's ``{dimensions}``."""
    return ", ".join(spelled_dimension(d, dimensions) for d in dimensions)


def scale_definitions(dimensions: Sequence[str], value_range: tuple[float, float]) -> str:
    """One line per dimension: ``- valence (V): 1 = very negative or unpleasant, 5 = ...``."""
    low, high = (f"{v:g}" for v in value_range)
    lines = []
    for dimension in dimensions:
        ends = SCALE_ENDS.get(dimension_family(dimension) or "", ("lowest", "highest"))
        lines.append(f"- {spelled_dimension(dimension, dimensions)}: {low} = {ends[0]}, "
                     f"{high} = {ends[1]}")
    return "\n".join(lines)


def label_prompt(template: str, labels: Sequence[str], text: str | None = None) -> str:
    """A class-answer template filled: ``{labels}``, and ``{text}`` when given."""
    prompt = template.replace(PLACEHOLDER_LABELS, ", ".join(labels))
    return prompt.replace(PLACEHOLDER_TEXT, text) if text is not None else prompt


def rating_prompt(template: str, dimensions: Sequence[str], value_range: tuple[float, float],
                  text: str | None = None) -> str:
    """A rating template filled: ``{dimensions}``, ``{scale}``, ``{definitions}``,
    ``{answer_format}``, and ``{text}`` when given."""
    prompt = (template.replace(PLACEHOLDER_DIMENSIONS, spelled_dimensions(dimensions))
              .replace(PLACEHOLDER_SCALE, scale_text(value_range))
              .replace(PLACEHOLDER_DEFINITIONS, scale_definitions(dimensions, value_range))
              .replace(PLACEHOLDER_ANSWER_FORMAT, answer_format(dimensions)))
    return prompt.replace(PLACEHOLDER_TEXT, text) if text is not None else prompt
