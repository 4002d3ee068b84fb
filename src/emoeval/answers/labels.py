"""Label answers: one free-text answer -> one status and at most one taxonomy label.

The pipeline (version :data:`PIPELINE_VERSION`) runs these named steps in order; the first
that decides wins:

1. ``transport`` - the request failed (the row has an ``error``): status ``error``.
2. ``empty`` - nothing but whitespace: ``invalid``.
3. ``json`` - the answer holds a JSON object (``{"emotion": "sad"}``, also inside a code
   fence or after some text): the value of its ``emotion`` / ``label`` / ``answer`` /
   ``prediction`` / ``class`` / ``category`` field (or its only string field) is what the
   next steps read. An object without such a field, or with an empty one, is ``invalid``.
   JSON that does not parse is read as plain text.
4. ``whole answer`` - the answer, stripped of quotes, markdown and punctuation, is a label
   name or a name from :data:`emoeval.labels.VOCABULARY` (corpus codes such as ``neu``
   count only here, as a whole answer).
5. ``mentions`` - every emotion word in the text: the taxonomy labels, the alias families of
   :mod:`emoeval.labels` and their inflections (``angrily``, ``sadness``, ``surprised``,
   ``worry``, ``anxious``), and known emotions outside the taxonomy (``doubt``,
   ``contempt``, ...). A mention within three words after a negator (``not``, ``no``,
   ``never``, ``neither``, ``nor``, ``without``, ``cannot``, ``...n't``, ``rather than``,
   ``instead of``) in the same clause does not count, nor one anywhere after a negated
   opinion verb in its clause ("I don't think she is angry"); punctuation and ``but`` /
   ``however`` end a clause. A sentence adverb before a comma (``Sadly, ...``) is not a mention.
   With ``mention="only"`` (default) the answer must name exactly one distinct emotion:
   one taxonomy label is ``valid``, one outside emotion is ``out_of_taxonomy`` (its raw word
   kept), two or more different ones are ``ambiguous``. ``first`` / ``last`` take the
   first / last emotion named instead.
6. no emotion named: ``invalid`` (a refusal, only negated emotions, or nothing usable).

:func:`label_predictions` turns the statuses into predictions under an unanswered policy
(:mod:`emoeval.answers.policies`): under ``wrong`` an unusable answer's prediction is a
marker outside the label set (``<invalid>``, ``<ambiguous>``, ``<out_of_taxonomy>``), which
the core metrics treat exactly so (the ``(other)`` column of the confusion matrix).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..labels import VOCABULARY, canonical, normalise
from .json_find import parsed_candidates
from .policies import FALLBACK, WRONG, Policy
from .statuses import LABEL_STATUSES, outcome_kinds, unusable_of
from .text import (as_text, is_blank, is_negated, is_refusal, is_sentence_adverb, tokenize,
                   word_forms)

PIPELINE_VERSION = "emoeval-answers-1"
STEPS = ("transport", "empty", "json", "whole answer", "mentions")
STATUSES = LABEL_STATUSES
#: statuses an unanswered policy applies to (``error`` is a transport failure instead:
#: never the model's answer, always left out of the metrics)
UNUSABLE = unusable_of(STATUSES)
MENTION_MODES = ("only", "first", "last")

JSON_FIELDS = ("emotion", "label", "answer", "prediction", "class", "category")

#: known emotions outside :data:`VOCABULARY`, with the forms that name them. Near-synonyms
#: of a vocabulary family ("terrified", "furious") are deliberately absent: naming them is
#: neither the taxonomy label nor another emotion, so it stays visible as ``invalid``.
#: Words common in assistant chatter ("hope", "love", "care") are absent too.
OUTSIDE_EMOTIONS: dict[str, tuple[str, ...]] = {
    "doubt": ("doubt", "doubtful", "doubting", "doubtfulness"),
    "confusion": ("confusion", "confused"),
    "contempt": ("contemptuous", "contemptuously"),  # inflections the rules do not make
    "disappointment": ("disappointment", "disappointed"),
    "annoyance": ("annoyance", "annoyed", "irritated", "irritation"),
    "embarrassment": ("embarrassment", "embarrassed"),
    "shame": ("shame", "ashamed"),
    "guilt": ("guilt", "guilty"),
    "pride": ("pride", "proud"),
    "gratitude": ("gratitude", "grateful"),
    "amusement": ("amusement", "amused"),
    "admiration": ("admiration",),
    "curiosity": ("curiosity", "curious"),
    "nervousness": ("nervousness", "nervous"),
    "relief": ("relief", "relieved"),
    "grief": ("grief", "grieving"),
    "remorse": ("remorse", "remorseful"),
    "jealousy": ("jealousy", "jealous", "envy", "envious"),
    "loneliness": ("loneliness", "lonely"),
    "optimism": ("optimism", "optimistic", "hopeful"),
    "disapproval": ("disapproval",),
    "stress": ("stressed",),
}

_STRIP = " \t\r\n\"'`*_.,;:!?()[]<>{}#-"


@dataclass(frozen=True)
class Extraction:
    """The outcome for one answer.

    ``label``: the taxonomy label (status ``valid`` only). ``extracted``: what was read, as
    written (the label word, the outside emotion, ``sad|angry`` for ambiguous). ``detail``:
    which step decided and why, for a person reading ``detailed_results.csv``.
    """

    status: str
    label: str | None
    extracted: str
    detail: str


def is_corpus_code(alias: str, family: str) -> bool:
    """``neu``, ``hap``, ``ang``, ``sur``, ``dis``: a corpus code cut from the family name,
    too short and too common a string to read inside free text."""
    return len(alias) <= 3 and family.startswith(alias) and alias != family


def parse_mention_mode(mention: str | None) -> str:
    mode = mention or "only"
    if mode not in MENTION_MODES:
        raise EmoevalError(f"--mention {mention!r}: use only, first or last")
    return mode


class AnswerExtractor:
    """Reads answers against one taxonomy (``labels``) with one mention mode."""

    def __init__(self, labels: list[str], mention: str | None = "only"):
        if not labels:
            raise EmoevalError("answer extraction needs the label set (--labels a,b,c)")
        self.labels = list(labels)
        self.mention = parse_mention_mode(mention)
        # token tuple -> ("label", taxonomy label) or ("outside", emotion name)
        self.lexicon: dict[tuple[str, ...], tuple[str, str]] = {}
        self._build_lexicon()
        self.max_phrase = max(len(k) for k in self.lexicon)

    def _add(self, word: str, kind: str, target: str) -> None:
        key = tuple(tokenize(word))
        if key:
            self.lexicon.setdefault(key, (kind, target))

    def _build_lexicon(self) -> None:
        # priority by insertion order: exact label names, their families, other families,
        # then other known emotions
        for label in self.labels:
            for form in word_forms(normalise(label)):
                self._add(form, "label", label)
        self.family_label: dict[str, str] = {}
        for label in self.labels:
            family = canonical(label)
            if family is not None:
                self.family_label.setdefault(family, label)
        for family, label in self.family_label.items():
            for word in (family, *VOCABULARY[family]):
                if not is_corpus_code(word, family):
                    for form in word_forms(word):
                        self._add(form, "label", label)
        for family, aliases in VOCABULARY.items():
            if family in self.family_label:
                continue
            for word in (family, *aliases):
                if not is_corpus_code(word, family):
                    for form in word_forms(word):
                        self._add(form, "outside", family)
        for name, forms in OUTSIDE_EMOTIONS.items():
            family = canonical(name)
            for form in forms:
                if family in self.family_label:  # a vocabulary family: its inflections
                    self._add(form, "label", self.family_label[family])
                else:
                    self._add(form, "outside", name)

    # ----------------------------------------------------------------------- the pipeline
    def extract(self, response: Any, error: Any = None) -> Extraction:
        if not is_blank(error):
            return Extraction("error", None, "", f"transport: {error}")
        text = as_text(response)
        if not text.strip():
            return Extraction("invalid", None, "", "empty: no answer")
        step = "text"
        parsed = _json_value(text)
        if parsed is not None:
            found, value = parsed
            if not found:
                return Extraction("invalid", None, "", f"json: {value}")
            text, step = value, "json"
        elif text.lstrip().startswith("{"):
            step = "malformed json read as text"
        whole = self._whole_answer(text)
        if whole is not None:
            status, label, raw = whole
            return Extraction(status, label, raw, f"whole answer ({step})")
        return self._mentions(text, step)

    def _whole_answer(self, text: str) -> tuple[str, str | None, str] | None:
        raw = normalise(text.strip(_STRIP))
        for label in self.labels:
            if raw == normalise(label):
                return "valid", label, raw
        family = canonical(raw) if raw else None
        if family is None:
            return None
        if family in self.family_label:
            return "valid", self.family_label[family], raw
        return "out_of_taxonomy", None, raw

    def _mentions(self, text: str, step: str) -> Extraction:
        tokens = tokenize(text)
        mentions: list[tuple[str, str, str]] = []  # (kind, target, raw words)
        negated: list[str] = []
        i = 0
        while i < len(tokens):
            hit = None
            for size in range(min(self.max_phrase, len(tokens) - i), 0, -1):
                key = tuple(tokens[i:i + size])
                if key in self.lexicon:
                    hit = (size, *self.lexicon[key])
                    break
            if hit is None:
                i += 1
                continue
            size, kind, target = hit
            raw = " ".join(tokens[i:i + size])
            if is_negated(tokens, i):
                negated.append(raw)
            elif not is_sentence_adverb(tokens, i, size):
                mentions.append((kind, target, raw))
            i += size
        if not mentions:
            if negated:
                return Extraction("invalid", None, "",
                                  f"mentions: only negated emotions ({', '.join(negated)})")
            if is_refusal(text):
                return Extraction("invalid", None, "", "mentions: refusal, no emotion named")
            return Extraction("invalid", None, "", f"mentions: no emotion named ({step})")
        distinct: list[tuple[str, str, str]] = []
        for kind, target, raw in mentions:
            if all((kind, target) != (k, t) for k, t, _ in distinct):
                distinct.append((kind, target, raw))
        if self.mention == "only":
            if len(distinct) > 1:
                named = "|".join(raw for _, _, raw in distinct)
                return Extraction("ambiguous", None, named,
                                  f"mentions: {len(distinct)} different emotions named ({step})")
            chosen, how = distinct[0], "one emotion named"
        else:
            chosen = mentions[0] if self.mention == "first" else mentions[-1]
            how = f"{self.mention} of {len(mentions)} mentions"
        kind, target, raw = chosen
        if kind == "label":
            return Extraction("valid", target, raw, f"mentions: {how} ({step})")
        return Extraction("out_of_taxonomy", None, raw, f"mentions: {how}, outside the "
                          f"labels ({step})")


def _json_value(text: str) -> tuple[bool, str] | None:
    """None when the answer is no JSON object; else (True, the emotion text) or
    (False, why it is unusable)."""
    stripped = text.strip()
    for candidate, value in parsed_candidates(stripped):
        if isinstance(value, dict):
            return _field_value(value)
        if isinstance(value, str) and candidate == stripped and stripped.startswith('"'):
            return True, value
    return None


def _field_value(obj: dict) -> tuple[bool, str]:
    lowered = {str(k).lower(): v for k, v in obj.items()}
    key = next((k for k in JSON_FIELDS if k in lowered), None)
    if key is None:
        strings = [v for v in obj.values() if isinstance(v, str)]
        if len(strings) != 1:
            return False, "object without an emotion field"
        value = strings[0]
    else:
        value = lowered[key]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    if not isinstance(value, str) or not value.strip():
        return False, f"empty or non-text {key or 'emotion'} field"
    return True, value


def unusable_marker(status: str) -> str:
    """The prediction of an unusable answer under ``wrong``: outside every label set."""
    return f"<{status}>"


def label_predictions(policy: Policy, statuses: Sequence[str], labels: Sequence[str]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(prediction per row, whether the row is scored) under ``policy``.

    ``statuses``: extraction status per row; ``labels``: the extracted label ("" unless
    valid). Rows with status ``error`` get prediction "" and are never scored; under
    ``exclude`` unusable rows get "" and are not scored either.
    """
    statuses = np.asarray(statuses, dtype=object)
    predictions = np.asarray(labels, dtype=object).copy()
    outcome = policy.apply(outcome_kinds(statuses))
    stand_in = outcome.substituted
    if policy.name == WRONG:
        predictions[stand_in] = [unusable_marker(s) for s in statuses[stand_in]]
    elif policy.name == FALLBACK:
        predictions[stand_in] = policy.fallback
    elif stand_in.any():
        raise ValueError(f"policy {policy} does not apply to label answers")
    predictions[~outcome.scored] = ""
    return predictions, outcome.scored
