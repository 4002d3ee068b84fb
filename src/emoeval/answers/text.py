"""Text helpers every answer pipeline shares: blank cells, a cell as text, words and clause
punctuation as tokens, negation, inflections of an emotion word, refusals.

A free-text answer is read by a named pipeline per answer kind (:mod:`.labels`,
:mod:`.ratings`); what they read the same way lives here, so a new kind (open-vocabulary
answers) reads text exactly as they do.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..labels import normalise

#: an answer shown in results.json or a report is cut to this many characters
MAX_RESPONSE_CHARS = 160

#: phrases of an assistant that declines to answer
REFUSALS = ("i'm sorry", "i am sorry", "i cannot", "i can't", "i can not", "unable to",
            "as an ai", "i don't know", "i do not know", "not possible to", "i'm not able",
            "i am not able", "cannot determine", "can't determine")

NEGATORS = frozenset({"not", "no", "never", "neither", "nor", "without", "cannot", "isnt",
                      "arent", "wasnt", "dont", "doesnt", "didnt", "cant", "wont", "hardly"})
#: two-word negators: "sad rather than angry", "sad instead of angry"
NEGATOR_PAIRS = frozenset({("rather", "than"), ("instead", "of"), ("other", "than")})
NEGATION_WINDOW = 3
#: "not sure it is angry", "don't think she is angry": the negation reaches the clause end
OPINION_WORDS = frozenset({"think", "believe", "feel", "sure", "seem", "seems", "appear",
                           "appears", "say", "certain"})
CLAUSE_WORDS = frozenset({"but", "however", "though", "although", "yet", "whereas"})
#: punctuation tokens that end a clause
CLAUSE_BREAKS = frozenset(",.;:!?()[]{}\"")

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|[,.;:!?()\[\]{}\"]")


def is_blank(value: Any) -> bool:
    """None, NaN, or nothing but whitespace: no answer (no error) in this cell.

    The one blank-cell rule of the answer pipelines; to be replaced by
    ``emoeval.tables.is_missing`` (the project's single rule) when that lands.
    """
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return str(value).strip() == ""


def as_text(response: Any) -> str:
    """A response cell as text: None/NaN -> "", a parsed JSON cell (JSONL) -> its JSON."""
    if is_blank(response):
        return ""
    if isinstance(response, (dict, list)):
        return json.dumps(response, ensure_ascii=False)
    return str(response)


def shorten(text: str) -> str:
    """``text`` cut to :data:`MAX_RESPONSE_CHARS` (an ellipsis marks the cut)."""
    return text if len(text) <= MAX_RESPONSE_CHARS else text[:MAX_RESPONSE_CHARS - 1] + "…"


def is_refusal(text: str) -> bool:
    """The answer holds one of the :data:`REFUSALS` (case and curly apostrophes ignored)."""
    lowered = text.lower().replace("\u2019", "'")
    return any(phrase in lowered for phrase in REFUSALS)


def tokenize(text: str) -> list[str]:
    """Lower-cased words (apostrophes kept inside) and clause punctuation as tokens."""
    text = normalise(text).replace("\u2019", "'").replace("\u2018", "'")
    return _TOKEN.findall(text)


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


def is_negated(tokens: list[str], index: int) -> bool:
    """A negator within NEGATION_WINDOW tokens before ``index`` in the same clause, or one
    before an opinion verb anywhere earlier in the clause ("I don't think she is angry")."""
    j = index - 1
    while j >= 0 and tokens[j] not in CLAUSE_BREAKS and tokens[j] not in CLAUSE_WORDS:
        token = tokens[j]
        negator = (token in NEGATORS or token.endswith("n't")
                   or (j > 0 and (tokens[j - 1], token) in NEGATOR_PAIRS))
        if negator and (index - j <= NEGATION_WINDOW
                        or (j + 1 < index and tokens[j + 1] in OPINION_WORDS)):
            return True
        j -= 1
    return False


def is_sentence_adverb(tokens: list[str], index: int, size: int) -> bool:
    """``Sadly, ...`` / ``Surprisingly, ...``: an -ly word opening a clause before a comma."""
    if size != 1 or not tokens[index].endswith("ly"):
        return False
    opens_clause = index == 0 or tokens[index - 1] in CLAUSE_BREAKS
    return opens_clause and index + 1 < len(tokens) and tokens[index + 1] == ","
