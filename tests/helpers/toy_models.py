"""Plain-Python models for ``python:`` adapter tests (importable as ``toy_models``)."""

from __future__ import annotations

import math
import os
import time

KEYWORDS = {"happy": "happy", "glad": "happy", "sad": "sad", "cry": "sad", "angry": "angry",
            "furious": "angry"}


def keyword_label(texts):
    """Returns a label string per text (neutral when no keyword)."""
    out = []
    for text in texts:
        hits = [label for word, label in KEYWORDS.items() if word in text.lower()]
        out.append(hits[0] if hits else "neutral")
    return out


def keyword_scores(texts):
    """Returns {label: score} per text; 'nan' in the text gives a NaN score, 'boom' raises."""
    out = []
    for text in texts:
        if "boom" in text:
            raise RuntimeError("model crashed on this input")
        label = keyword_label([text])[0]
        scores = {"happy": 0.1, "sad": 0.1, "angry": 0.1, "neutral": 0.1, "calm": 0.05}
        scores[label] = 0.65
        if "nan" in text.split():
            scores["happy"] = math.nan
        if "abstain" in text.split():
            scores = {k: 0.0 for k in scores}
        out.append(scores)
    return out


def slow_logged(texts):
    """keyword_label, slowly, appending every input it sees to $TOY_LOG (resume tests)."""
    log = os.environ.get("TOY_LOG")
    time.sleep(float(os.environ.get("TOY_SLEEP", "0.2")))
    if log:
        with open(log, "a", encoding="utf-8") as f:
            for text in texts:
                f.write(text.replace("\n", " ") + "\n")
    return keyword_label(texts)


RATING_CALLS = []


def rating_values(texts):
    """A regression model: {valence, arousal, dominance} per text, from word counts.

    'nan' in the text gives a NaN arousal (a per-sample error), 'zero' all-zero outputs
    (values, not an abstention). Records every input it is called with in RATING_CALLS.
    """
    RATING_CALLS.extend(texts)
    out = []
    for text in texts:
        words = text.lower().split()
        if "zero" in words:
            out.append({"valence": 0.0, "arousal": 0.0, "dominance": 0.0})
            continue
        valence = 3.0 + sum(w in ("good", "happy", "love") for w in words) \
            - sum(w in ("bad", "sad", "hate") for w in words)
        arousal = float("nan") if "nan" in words else 1.0 + 0.5 * len(words) % 4
        out.append({"valence": valence, "arousal": arousal, "dominance": 2.5 + 0.1 * len(text)})
    return out


rating_values.output = "values"
