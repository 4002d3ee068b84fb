"""Answer extraction: one free-text answer -> one status and at most one taxonomy label.

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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import EmoevalError
from ..labels import VOCABULARY, canonical, normalise

PIPELINE_VERSION = "emoeval-answers-1"
STEPS = ("transport", "empty", "json", "whole answer", "mentions")
STATUSES = ("valid", "ambiguous", "out_of_taxonomy", "invalid", "error")
#: statuses an invalid-answer policy applies to (``error`` is a transport failure instead:
#: never the model's answer, always left out of the metrics)
UNUSABLE = ("ambiguous", "out_of_taxonomy", "invalid")
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

NEGATORS = frozenset({"not", "no", "never", "neither", "nor", "without", "cannot", "isnt",
                      "arent", "wasnt", "dont", "doesnt", "didnt", "cant", "wont", "hardly"})
#: two-word negators: "sad rather than angry", "sad instead of angry"
NEGATOR_PAIRS = frozenset({("rather", "than"), ("instead", "of"), ("other", "than")})
NEGATION_WINDOW = 3
#: "not sure it is angry", "don't think she is angry": the negation reaches the clause end
OPINION_WORDS = frozenset({"think", "believe", "feel", "sure", "seem", "seems", "appear",
                           "appears", "say", "certain"})
CLAUSE_WORDS = frozenset({"but", "however", "though", "although", "yet", "whereas"})
REFUSALS = ("i'm sorry", "i am sorry", "i cannot", "i can't", "i can not", "unable to",
            "as an ai", "i don't know", "i do not know", "not possible to", "i'm not able",
            "i am not able", "cannot determine", "can't determine")

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|[,.;:!?()\[\]{}\"]")
_BREAK = frozenset(",.;:!?()[]{}\"")
JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
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


def word_forms(word: str) -> set[str]:
    """A word and its inflections: ``angry`` -> angrily, angrier, angriest, ...;
    ``surprise`` -> surprised, surprising; ``sad`` -> sadly, sadness, sadder, saddened.

    Over-generation is harmless (a non-word never occurs in an answer); multi-word names are
    kept as they are.
    """
    forms = {word}
    if " " in word or len(word) < 3:
        return forms
    if word.endswith("y") and word[-2] not in "aeiou":  # angry, happy, worry, anxiety
        stem = word[:-1] + "i"
        forms |= {stem + s for s in ("ly", "er", "est", "ness", "ed", "es")} | {word + "ing"}
    elif word.endswith("e"):  # surprise
        forms |= {word + "d", word + "s", word + "ly", word[:-1] + "ing"}
    else:
        forms |= {word + s for s in ("s", "ly", "ness", "ed", "ing", "ful", "fully")}
        short = len(word) == 3 and word[1] in "aeiou" and word[2] not in "aeiouwy"
        double = word + word[-1] if short else word  # sad -> sadder, mad -> maddest
        forms |= {double + s for s in ("er", "est", "en", "ened")}
        if word.endswith("al"):
            forms.add(word + "ity")  # neutrality
    return forms


def is_corpus_code(alias: str, family: str) -> bool:
    """``neu``, ``hap``, ``ang``, ``sur``, ``dis``: a corpus code cut from the family name,
    too short and too common a string to read inside free text."""
    return len(alias) <= 3 and family.startswith(alias) and alias != family


def tokenize(text: str) -> list[str]:
    """Lower-cased words (apostrophes kept inside) and clause punctuation as tokens."""
    text = normalise(text).replace("\u2019", "'").replace("\u2018", "'")
    return _TOKEN.findall(text)


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
        if not blank(error):
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
            if _is_negated(tokens, i):
                negated.append(raw)
            elif not _is_sentence_adverb(tokens, i, size):
                mentions.append((kind, target, raw))
            i += size
        if not mentions:
            if negated:
                return Extraction("invalid", None, "",
                                  f"mentions: only negated emotions ({', '.join(negated)})")
            if any(r in text.lower().replace("\u2019", "'") for r in REFUSALS):
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


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return str(value).strip() == ""


def as_text(response: Any) -> str:
    """A response cell as text: None/NaN -> "", a parsed JSON cell (JSONL) -> its JSON."""
    if blank(response):
        return ""
    if isinstance(response, (dict, list)):
        return json.dumps(response, ensure_ascii=False)
    return str(response)


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


def _json_value(text: str) -> tuple[bool, str] | None:
    """None when the answer is no JSON object; else (True, the emotion text) or
    (False, why it is unusable)."""
    stripped = text.strip()
    for candidate in json_candidates(stripped):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
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


def _is_negated(tokens: list[str], index: int) -> bool:
    """A negator within NEGATION_WINDOW tokens before ``index`` in the same clause, or one
    before an opinion verb anywhere earlier in the clause ("I don't think she is angry")."""
    j = index - 1
    while j >= 0 and tokens[j] not in _BREAK and tokens[j] not in CLAUSE_WORDS:
        token = tokens[j]
        negator = (token in NEGATORS or token.endswith("n't")
                   or (j > 0 and (tokens[j - 1], token) in NEGATOR_PAIRS))
        if negator and (index - j <= NEGATION_WINDOW
                        or (j + 1 < index and tokens[j + 1] in OPINION_WORDS)):
            return True
        j -= 1
    return False


def _is_sentence_adverb(tokens: list[str], index: int, size: int) -> bool:
    """``Sadly, ...`` / ``Surprisingly, ...``: an -ly word opening a clause before a comma."""
    if size != 1 or not tokens[index].endswith("ly"):
        return False
    opens_clause = index == 0 or tokens[index - 1] in _BREAK
    return opens_clause and index + 1 < len(tokens) and tokens[index + 1] == ","
