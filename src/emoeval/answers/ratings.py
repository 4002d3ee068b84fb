"""Rating answers: one free-text answer of an LLM -> one status and a value per dimension.

The pipeline (version :data:`PIPELINE_VERSION`) is the sibling of :mod:`.labels` (class
answers), with the same statuses (:mod:`.statuses`). Its named steps run in order; the
first that decides wins:

1. ``transport`` - the request failed (the row has an ``error``): status ``error``.
2. ``empty`` - nothing but whitespace: ``invalid``.
3. ``json`` - the answer holds a JSON object (alone, in a code fence or after some text)
   with at least one field naming a dimension: ``{"valence": 3.5, "arousal": 2}``. Keys are
   matched to the dataset's dimensions with the families of :mod:`emoeval.dimensional.names`
   (``valence``, ``V``, ``pleasure`` all name EmoBank's ``V``), also inside longer keys
   (``valence_score``, ``V (valence)``) and one level down (``{"ratings": {...}}``,
   ``{"valence": {"score": 3}}``, ``[{"dimension": "valence", "value": 3}]``). A value may
   be a number or a string holding one (``"3.5/5"``). When such an object is found it
   decides; the text around it is not read.
4. ``labelled values`` - every "name, separator, number" in the text: ``valence: 3.5``,
   ``Valence = 3.5/5``, ``**Valence (V):** 3.5``, ``- Arousal - 2``, ``V: 3.5 A: 2 D: 3``,
   ``valence is about 3.5``, ``| Valence | 3.5 |``. Names of one to three letters (``V``,
   ``A``, ``val``) and common words (``energy``, ``power``, ``control``, ``pleasure``) count
   only before ``:``, ``=`` or ``|``; the full names also before a space or filler words
   (``score``, ``is``, ``around``, ``on a scale of 1 to 5``, a short parenthesis).
5. ``bare number`` - with one dimension only: the whole answer is a number (``3.5``,
   ``3.5/5``, ``Rating: 3.5``), or the JSON object's only number.

Then per dimension: no number is a missing dimension; two different numbers (``3 or 4``,
``3-4``, two mentions that disagree) are ambiguous; a number outside ``value_range``
(inclusive), a percentage, or a fraction of another scale (``7/10`` on 1 to 5) is out of
range. The answer's status, in this order of precedence:

* ``invalid`` - no dimension got a number (a refusal, prose, bare numbers without names);
* ``ambiguous`` - some dimension got two different numbers;
* ``incomplete`` - some dimension got no number;
* ``out_of_range`` - some value lies outside the scale;
* ``valid`` - every dimension has one number on the scale.

Numbers: ``3.5``, ``.5``, ``-0.5`` (a sign touching the digits; ``Valence - 3`` is a
separator), and decimal commas written without a space (``3,5`` is 3.5, as European
answers write it; ``3, 5`` is two numbers). A ``/N`` or ``out of N`` suffix is dropped when
N is the top of the scale.

``ambiguous``, ``incomplete``, ``out_of_range`` and ``invalid`` are the **unusable**
answers; ``error`` is no answer at all. There is no fallback class for a rating, so an
unusable answer is left out of the metrics (policy ``exclude``, the default), or, as a
sensitivity check, rated the midpoint of the scale on every dimension (``midpoint``):
:mod:`.rating_table` applies the policy to a table of answers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..dimensional.names import DIMENSION_FAMILIES, dimension_family
from ..errors import EmoevalError
from .json_find import JSON_LIST, JSON_OBJECT, parsed_candidates
from .statuses import RATING_STATUSES, unusable_of
from .text import as_text, is_blank, is_refusal

PIPELINE_VERSION = "emoeval-dim-answers-1"
STEPS = ("transport", "empty", "json", "labelled values", "bare number")
STATUSES = RATING_STATUSES
#: statuses the unanswered policy applies to (``error`` is a failed request)
UNUSABLE = unusable_of(STATUSES)

#: names that are ordinary words or letters: they name a dimension only before ":", "=", "|"
COMMON_WORDS = frozenset({"energy", "power", "control", "pleasure"})
#: a JSON field or an answer prefix that holds "the" value when there is one dimension
GENERIC_FIELDS = ("rating", "score", "value", "answer")
#: fields of a nested object that hold its value, and fields that name its dimension
VALUE_FIELDS = ("value", "score", "rating", "mean")
NAME_FIELDS = ("dimension", "name", "dim", "key")

# --- the number grammar -------------------------------------------------------------------
_DECIMAL = r"\d+(?:[.,]\d+)?"
_NUMBER = rf"(?P<number>[-+\u2212]?(?:{_DECIMAL}|[.,]\d+))(?![\d])"
_SUFFIX = (rf"(?:\s*/\s*(?P<denominator>{_DECIMAL})|\s+out\s+of\s+(?P<out_of>{_DECIMAL}))?"
           r"(?P<percent>\s*%)?")
#: "3-4", "3 to 4", "3 or 4": a second number for the same dimension
_ALTERNATIVE = rf"(?:\s*(?:-|\u2013|\u2014|to|or|and)\s*(?P<alternative>[-+\u2212]?{_DECIMAL}))?"
_VALUE = _NUMBER + _SUFFIX + _ALTERNATIVE

# --- what may stand between a name and its number ------------------------------------------
_MARK = r"[\s*_`'\"|~\u2248]"
_DASH = r"[-\u2013\u2014](?=\s)"  # a separating dash has a space after it, a minus does not
_PARENTHESIS = r"\([^()\n]{0,40}\)|\[[^\[\]\n]{0,40}\]"
_SCALE_PHRASE = (rf"(?:on\s+(?:a|the|this)\s+)?(?:\d+\s*-\s*point\s+)?scale\b(?:\s+(?:of|from))?"
                 rf"(?:\s+{_DECIMAL}\s*(?:-|\u2013|to)\s*{_DECIMAL})?")
_FILLER_WORD = (r"\b(?:score|rating|rated|level|value|is|of|at|around|about|approximately|"
                r"approx|roughly|would|be|i'd|i|rate|it|as|estimated|a|an)\b")
_LOOSE = rf"(?:{_MARK}|[:=]|{_DASH}|{_PARENTHESIS}|{_SCALE_PHRASE}|{_FILLER_WORD}){{0,40}}"
_STRICT = rf"(?:{_MARK}|{_PARENTHESIS}){{0,8}}[:=|]{_LOOSE}"
LOOSE_VALUE = re.compile(_LOOSE + _VALUE, re.IGNORECASE)
STRICT_VALUE = re.compile(_STRICT + _VALUE, re.IGNORECASE)
_ANY_NUMBER = re.compile(r"(?<![\w.,])" + _NUMBER)
#: characters around a bare answer (not "-" or ".": a sign, a leading decimal point)
_BARE_STRIP = " \t\r\n\"'`*_;:!?()[]<>{}#"


@dataclass(frozen=True)
class DimensionAnswer:
    """The outcome for one answer.

    ``values``: one number per dimension (status ``valid`` only, else None). ``extracted``:
    what was read, per dimension (``V=3.5 A=2|3``). ``detail``: which step decided and why,
    for a person reading ``detailed_results.csv``.
    """

    status: str
    values: dict[str, float] | None
    detail: str
    extracted: str = ""


@dataclass(frozen=True)
class Reading:
    """One number read for one dimension (``value`` None: the field held no number)."""

    value: float | None
    raw: str
    denominator: float | None = None
    percent: bool = False
    alternative: float | None = None


@dataclass
class _Readings:
    by_dimension: dict[str, list[Reading]] = field(default_factory=dict)

    def add(self, dimension: str, reading: Reading) -> None:
        self.by_dimension.setdefault(dimension, []).append(reading)

    def merge(self, other: _Readings) -> None:
        for dimension, readings in other.by_dimension.items():
            for reading in readings:
                self.add(dimension, reading)


# --------------------------------------------------------------------------- dimension names


def answer_names(dimensions: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The lower-case names that refer to each dimension in an answer: its own name, plus
    its family's names (``V`` -> valence, v, val, pleasure, ...) unless two dimensions share
    that family; a name two dimensions would share refers to neither."""
    families = [dimension_family(d) for d in dimensions]
    candidates: dict[str, set[str]] = {}
    for dimension, family in zip(dimensions, families):
        names = {dimension.strip().lower()}
        if family is not None and families.count(family) == 1:
            names |= set(DIMENSION_FAMILIES[family])
        candidates[dimension] = names
    shared = {n for d, names in candidates.items() for n in names
              if any(n in other for e, other in candidates.items() if e != d)}
    return {d: tuple(sorted(names - shared, key=lambda n: (-len(n), n)))
            for d, names in candidates.items()}


def scale_text(value_range: tuple[float, float]) -> str:
    """(1.0, 5.0) -> ``1 to 5``: the prompt's ``{scale}``."""
    return f"{value_range[0]:g} to {value_range[1]:g}"


# ------------------------------------------------------------------------------ the parser


def parse_dimension_answer(text: Any, dimensions: Sequence[str],
                           value_range: tuple[float, float] | None = None, *,
                           error: Any = None) -> DimensionAnswer:
    """Read one answer. ``text`` may also be the exception that replaced it (a failed
    request), like ``error``; either gives status ``error``."""
    dimensions = list(dimensions)
    if not dimensions:
        raise EmoevalError("reading rating answers needs the dimensions (e.g. V, A, D)")
    if isinstance(text, BaseException):
        text, error = None, text
    if not is_blank(error):
        return DimensionAnswer("error", None, f"transport: {error}")
    text = as_text(text)
    if not text.strip():
        return DimensionAnswer("invalid", None, "empty: no answer")
    names = answer_names(dimensions)
    found = _json_object(text)
    if found is not None:
        readings = _json_readings(found, names, depth=0)
        if readings.by_dimension:
            return _resolve(readings, dimensions, value_range, "json")
        if len(dimensions) == 1:
            single = _json_single_number(found)
            if single is not None:
                readings.add(dimensions[0], single)
                return _resolve(readings, dimensions, value_range, "bare number (json)")
    readings = _text_readings(text, names)
    if readings.by_dimension:
        return _resolve(readings, dimensions, value_range, "labelled values")
    if len(dimensions) == 1:
        single = _bare_number(text, names[dimensions[0]])
        if single is not None:
            readings.add(dimensions[0], single)
            return _resolve(readings, dimensions, value_range, "bare number")
    return DimensionAnswer("invalid", None, _why_invalid(text, found, len(dimensions)))


def _why_invalid(text: str, found: dict | None, n_dimensions: int) -> str:
    if is_refusal(text):
        return "refusal: no value"
    if found is not None:
        return "json: no field names a dimension"
    numbers = _ANY_NUMBER.findall(text)
    if numbers and n_dimensions > 1:
        return (f"{len(numbers)} number(s), none after a dimension name (as in "
                "'valence: 3')")
    return "no dimension named with a number"


def _json_object(text: str) -> dict | None:
    """The JSON object the answer holds (alone, in a code fence, after some text), or None.
    The candidates are those of the class-answer pipeline's JSON step, plus a list of
    objects (``[{"dimension": "valence", "value": 3}, ...]``), returned as ``{"items": it}``."""
    for _, value in parsed_candidates(text, (JSON_LIST, JSON_OBJECT)):
        if isinstance(value, dict):
            return value
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return {"items": value}
    return None


def _key_dimension(key: str, names: dict[str, tuple[str, ...]]) -> str | None:
    """The dimension a JSON key names: the whole key, else the one dimension whose name is
    a word of it (``valence_score``, ``V (valence)``)."""
    lowered = key.strip().lower()
    for dimension, dimension_names in names.items():
        if lowered in dimension_names:
            return dimension
    words = set(re.findall(r"[a-z]+", lowered))
    hits = [d for d, dimension_names in names.items() if words & set(dimension_names)]
    return hits[0] if len(hits) == 1 else None


def _json_readings(obj: dict, names: dict[str, tuple[str, ...]], depth: int) -> _Readings:
    readings = _Readings()
    for key, value in obj.items():
        dimension = _key_dimension(str(key), names)
        if dimension is not None:
            readings.add(dimension, _value_reading(value))
        elif depth >= 2:
            continue
        elif isinstance(value, dict):
            readings.merge(_json_readings(value, names, depth + 1))
        elif isinstance(value, list):
            for item in value:
                if not isinstance(item, dict):
                    continue
                named = next((item[k] for k in NAME_FIELDS if isinstance(item.get(k), str)),
                             None)
                item_dimension = _key_dimension(named, names) if named is not None else None
                if item_dimension is not None:
                    held = next((item[k] for k in VALUE_FIELDS if k in item), None)
                    readings.add(item_dimension, _value_reading(held))
                else:
                    readings.merge(_json_readings(item, names, depth + 1))
    return readings


def _value_reading(value: Any) -> Reading:
    """A JSON field's value as a reading: a number, a string holding one, a list of them,
    or an object with a value field (or one number)."""
    if isinstance(value, bool) or value is None:
        return Reading(None, json.dumps(value))
    if isinstance(value, (int, float)):
        number = float(value)
        return Reading(number if math.isfinite(number) else None, json.dumps(value))
    if isinstance(value, str):
        match = LOOSE_VALUE.match(value.strip())
        if match is None:
            return Reading(None, json.dumps(value))
        return _reading(match, value.strip())
    if isinstance(value, list):
        readings = [_value_reading(v) for v in value]
        numbers = [r.value for r in readings if r.value is not None]
        if not numbers:
            return Reading(None, json.dumps(value))
        extra = next((n for n in numbers if n != numbers[0]), None)
        return Reading(numbers[0], json.dumps(value), alternative=extra)
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        held = next((lowered[k] for k in VALUE_FIELDS if k in lowered), None)
        if held is None:
            numeric = [v for v in value.values()
                       if isinstance(v, (int, float)) and not isinstance(v, bool)]
            held = numeric[0] if len(numeric) == 1 else None
        return _value_reading(held) if held is not None else Reading(None, json.dumps(value))
    return Reading(None, repr(value))


def _json_single_number(obj: dict) -> Reading | None:
    """One dimension: a generic field (``rating``, ``score``, ...) or the object's only
    number."""
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for key in GENERIC_FIELDS:
        if key in lowered:
            reading = _value_reading(lowered[key])
            return reading if reading.value is not None else None
    numeric = [v for v in obj.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return _value_reading(numeric[0]) if len(numeric) == 1 else None


def _name_pattern(names: dict[str, tuple[str, ...]]) -> re.Pattern:
    every = sorted({n for dimension_names in names.values() for n in dimension_names},
                   key=lambda n: (-len(n), n))
    alternatives = "|".join(re.escape(n) for n in every)
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_'])", re.IGNORECASE)


def _text_readings(text: str, names: dict[str, tuple[str, ...]]) -> _Readings:
    """Every "name, separator, number" in the text."""
    owner = {n: d for d, dimension_names in names.items() for n in dimension_names}
    readings = _Readings()
    if not owner:
        return readings
    for match in _name_pattern(names).finditer(text):
        name = match.group(0).lower()
        strict = len(name) <= 3 or name in COMMON_WORDS
        value = (STRICT_VALUE if strict else LOOSE_VALUE).match(text, match.end())
        if value is not None:
            readings.add(owner[name], _reading(value, text[value.start("number"):value.end()]))
    return readings


def _bare_number(text: str, names: tuple[str, ...]) -> Reading | None:
    """One dimension: the whole answer is a number (``3.5``, ``3.5/5.``, ``Rating: 3``)."""
    stripped = text.strip(_BARE_STRIP).rstrip(".").strip(_BARE_STRIP)
    prefixes = "|".join(re.escape(p) for p in (*GENERIC_FIELDS, *names))
    match = re.fullmatch(rf"(?:(?:{prefixes})\s*[:=]?\s*)?" + _NUMBER + _SUFFIX + _ALTERNATIVE,
                         stripped, re.IGNORECASE)
    return _reading(match, stripped) if match else None


def _reading(match: re.Match, raw: str) -> Reading:
    def number(text: str | None) -> float | None:
        if text is None:
            return None
        return float(text.replace("\u2212", "-").replace(",", "."))

    return Reading(value=number(match.group("number")), raw=" ".join(raw.split()),
                   denominator=number(match.group("denominator") or match.group("out_of")),
                   percent=bool(match.group("percent")),
                   alternative=number(match.group("alternative")))


def _resolve(readings: _Readings, dimensions: list[str],
             value_range: tuple[float, float] | None, step: str) -> DimensionAnswer:
    values: dict[str, float] = {}
    extracted, missing, ambiguous, outside = [], [], [], []
    for dimension in dimensions:
        found = readings.by_dimension.get(dimension, [])
        numbers = [r for r in found if r.value is not None]
        if not numbers:
            missing.append(dimension + (f" ({found[0].raw})" if found else ""))
            continue
        distinct = sorted({r.value for r in numbers}
                          | {r.alternative for r in numbers if r.alternative is not None})
        extracted.append(f"{dimension}={'|'.join(f'{v:g}' for v in distinct)}")
        if len(distinct) > 1:
            ambiguous.append(f"{dimension} {' or '.join(f'{v:g}' for v in distinct)}")
            continue
        problem = _range_problem(numbers[0], value_range)
        if problem:
            outside.append(f"{dimension} {problem}")
        values[dimension] = numbers[0].value
    shown = " ".join(extracted)
    if not extracted:
        return DimensionAnswer("invalid", None, f"{step}: no number for {', '.join(missing)}")
    if ambiguous:
        return DimensionAnswer("ambiguous", None,
                               f"{step}: two different numbers for {'; '.join(ambiguous)}",
                               shown)
    if missing:
        return DimensionAnswer("incomplete", None, f"{step}: no number for "
                               f"{', '.join(missing)}", shown)
    if outside:
        return DimensionAnswer("out_of_range", None, f"{step}: {'; '.join(outside)}", shown)
    return DimensionAnswer("valid", values, f"{step}: every dimension read", shown)


def _range_problem(reading: Reading, value_range: tuple[float, float] | None) -> str:
    """Why a number is off the scale ('' when it is on it, or no scale is known)."""
    if value_range is None:
        return ""
    low, high = value_range
    scale = scale_text(value_range)
    if reading.percent:
        return f"{reading.raw!r} is a percentage, not on the {scale} scale"
    if reading.denominator is not None and reading.denominator != high:
        return f"{reading.raw!r} is on another scale than {scale}"
    if not low <= reading.value <= high:
        return f"{reading.value:g} is outside {scale}"
    return ""
