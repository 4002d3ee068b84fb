"""``lexicon:nrc`` - word counting with the NRC Word-Emotion Association Lexicon.

The lexicon is the JSON copy that the ``nrclex`` package ships (``nrclex/data/nrc_en.json``,
word -> list of NRC categories). nrclex's own text path is not used: it needs NLTK/TextBlob
corpora downloads, which are unavailable offline. Instead:

Tokenizer (version :data:`TOKENIZER_VERSION`)
    Lower-case; curly apostrophes become ``'``; words are runs of letters, with apostrophes
    kept inside words (``don't``, ``i'm``). A word missing from the lexicon gets one suffix
    fallback: strip ``-ness``, ``-ing``, ``-ed``, ``-ly``, ``-es`` or ``-s`` (first that
    matches, leaving at least three letters) and try the base + ``e`` and the base (in that
    order after ``-ed``/``-ing``/``-es``, which drop a silent e), the base with a doubled
    final consonant undone, and ``i`` -> ``y``. So ``crying`` -> ``cry``, ``scared`` ->
    ``scare`` (not ``scar``), ``angrily`` -> ``angry``, ``sobbing`` -> ``sob``.

Negation
    A lexicon hit within the 3 tokens after a negator (``not``, ``no``, ``never``,
    ``without``, ``cannot`` or any word ending in ``n't``) is ignored: "I am not happy" has no
    joy hit. The negated word is simply dropped, not flipped to an "opposite" emotion.

Scores
    Only the six basic NRC emotions count: anger, disgust, fear, joy, sadness, surprise
    (anticipation, trust, positive and negative are ignored). A word associated with several
    emotions counts once for each. Per text the counts are normalised to sum to 1. A text
    with no hit predicts ``neutral`` (score 1) when the dataset has a neutral label, else an
    all-zero row, which the runner records as an abstention.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..labels import canonical
from .base import ModelAdapter

#: the emotions used, named as the NRC lexicon names them (the adapter's own labels)
NRC_EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise")

#: lexicon name -> (package, resource path inside it)
LEXICONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "nrc": ("nrclex", ("data", "nrc_en.json")),
}

#: bump when tokenization, fallback or negation rules change (goes into the fingerprint)
TOKENIZER_VERSION = "emoeval-lexicon-tok-1"

NEGATORS = frozenset({"not", "no", "never", "without", "cannot"})
NEGATION_WINDOW = 3

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_SUFFIXES = ("ness", "ing", "ed", "ly", "es", "s")


def tokenize(text: str) -> list[str]:
    """Lower-cased words; apostrophes inside words are kept (``don't``)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def is_negator(token: str) -> bool:
    return token in NEGATORS or token.endswith("n't")


def _fallback_candidates(token: str) -> list[str]:
    """Base forms to try for a word missing from the lexicon (first suffix that fits)."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            base = token[: -len(suffix)]
            # -ed/-ing/-es drop a silent e (scared, hating, hopes): try base + e first
            out = [base + "e", base] if suffix in ("ed", "ing", "es") else [base, base + "e"]
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiou":
                out.append(base[:-1])  # sobbing -> sobb -> sob
            if base.endswith("i"):
                out.append(base[:-1] + "y")  # worried -> worri -> worry
            return out
    return []


@lru_cache(maxsize=None)
def load_lexicon(name: str) -> tuple[dict[str, tuple[str, ...]], str, int]:
    """(word -> the NRC_EMOTIONS it is associated with, content digest, file size in bytes)."""
    if name not in LEXICONS:
        raise EmoevalError(f"unknown lexicon {name!r}; known: "
                           f"{', '.join('lexicon:' + k for k in LEXICONS)}")
    package, parts = LEXICONS[name]
    from importlib.resources import files

    try:
        resource = files(package).joinpath(*parts)
        raw = resource.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        raise EmoevalError(f"lexicon:{name} needs the {package!r} package and its "
                           f"{'/'.join(parts)}; pip install {package}") from None
    data = json.loads(raw.decode("utf-8"))
    table = {}
    for word, categories in data.items():
        emotions = tuple(e for e in NRC_EMOTIONS if e in categories)
        if emotions:
            table[word.lower()] = emotions
    return table, hashlib.sha256(raw).hexdigest()[:16], len(raw)


class LexiconAdapter(ModelAdapter):
    name = "lexicon"
    modality = "text"

    def __init__(self, argument: str, spec: str = "", **options: Any):
        super().__init__(argument, spec=spec, **options)
        self.lexicon, self._digest, self._size = load_lexicon(argument)
        self._neutral: str | None = None

    # --- labels -------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """The six NRC emotions, plus the dataset's neutral label when it has one."""
        return list(NRC_EMOTIONS) + ([self._neutral] if self._neutral else [])

    def set_candidate_labels(self, dataset_labels: list[str]) -> None:
        """Expose ``neutral`` (under the dataset's own name for it) only if the dataset has it."""
        self._neutral = next((d for d in dataset_labels if canonical(d) == "neutral"), None)

    # --- prediction ---------------------------------------------------------------------
    def lookup(self, token: str) -> tuple[str, ...]:
        """Emotions of one token, with the suffix fallback; () when none."""
        hit = self.lexicon.get(token)
        if hit is not None:
            return hit
        for candidate in _fallback_candidates(token):
            hit = self.lexicon.get(candidate)
            if hit is not None:
                return hit
        return ()

    def counts(self, text: str) -> dict[str, int]:
        """Hits per emotion in ``text``, negated hits left out."""
        counts = dict.fromkeys(NRC_EMOTIONS, 0)
        since_negator = NEGATION_WINDOW + 1  # tokens since the last negator
        for token in tokenize(text or ""):
            if is_negator(token):
                since_negator = 0
                continue
            since_negator += 1
            if since_negator <= NEGATION_WINDOW:
                continue
            for emotion in self.lookup(token):
                counts[emotion] += 1
        return counts

    def predict(self, inputs: list[str]) -> np.ndarray:
        labels = self.labels
        out = np.zeros((len(inputs), len(labels)), dtype=np.float64)
        for i, text in enumerate(inputs):
            counts = np.array(list(self.counts(text).values()), dtype=np.float64)
            total = counts.sum()
            if total > 0:
                out[i, : len(NRC_EMOTIONS)] = counts / total
            elif self._neutral is not None:
                out[i, len(NRC_EMOTIONS)] = 1.0
            # else: all-zero row = abstention
        return out

    # --- bookkeeping --------------------------------------------------------------------
    def fingerprint_parts(self) -> list[str]:
        return [f"lexicon:{self._digest}", TOKENIZER_VERSION]

    def efficiency(self) -> dict[str, Any]:
        return {"n_parameters": None, "size_bytes": self._size}
