"""Score (audio, text) pairs with a local model: one implementation for
``emoeval similarity --model SPEC`` and ``emoeval serve --model SPEC``.

* ``clap:`` models answer ``{"similarity": cosine}`` (see :mod:`emoeval.adapters.clap`).
* Any audio classifier (``hf:``, ``onnx:``, ``python:``) answers ``{"score": p}``: the
  probability of the emotion the text names, found by matching the text's words (and
  two-word phrases) against the label aliases of :mod:`emoeval.labels`. Several emotions
  named: the sum of their probabilities; the model's labels are matched by alias too
  (``hap`` is happy). A text naming no known emotion, or only emotions the model cannot
  predict, is an error for that pair (422 from the server).
* The sham (:mod:`emoeval.similarity.sham`) needs no audio, only the clip's stem.

A batch that fails is retried pair by pair, so one bad clip fails alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datasets.files import echo
from ..errors import EmoevalError
from ..labels import canonical
from .prompts import emotions_named
from .sham import sham_similarity


@dataclass
class PairRequest:
    text: str
    stem: str
    #: decoded mono audio at the scorer's sampling rate; None when the scorer needs none.
    #: Pairs that share a clip should share the array object: it is then embedded once.
    audio: np.ndarray | None = None


@dataclass
class PairResult:
    value: float | None = None
    error: str | None = None
    #: the canonical emotion(s) scored, for classifiers
    emotion: str | None = None


class PairScorer:
    """Base class: ``score`` never raises for one bad pair, it returns its error."""

    response_key = "similarity"
    needs_audio = True
    sampling_rate: int | None = None
    spec = ""

    def text_error(self, text: str) -> str | None:
        """Why ``text`` cannot be scored (the server answers 422), or None."""
        if not str(text).strip():
            return "empty text"
        return None

    def _score(self, requests: list[PairRequest]) -> list[PairResult]:  # pragma: no cover
        raise NotImplementedError

    def score(self, requests: list[PairRequest]) -> list[PairResult]:
        results: list[PairResult | None] = [None] * len(requests)
        live = []
        for i, request in enumerate(requests):
            problem = self.text_error(request.text)
            if problem is None and self.needs_audio and request.audio is None:
                problem = "no audio"
            if problem is None:
                live.append(i)
            else:
                results[i] = PairResult(error=problem)
        for i, result in zip(live, self._isolated([requests[i] for i in live])):
            if result.error is None and (result.value is None or not math.isfinite(result.value)):
                result = PairResult(error="NaN or infinite score from the model")
            results[i] = result
        return [r if r is not None else PairResult(error="not scored") for r in results]

    def _isolated(self, requests: list[PairRequest]) -> list[PairResult]:
        if not requests:
            return []
        try:
            return self._score(requests)
        except Exception as exc:
            if len(requests) == 1:
                return [PairResult(error=f"model error: {type(exc).__name__}: {exc}")]
        return [self._isolated([r])[0] for r in requests]

    def fingerprint(self) -> str:
        return self.spec

    def describe(self) -> dict[str, Any]:
        return {"model": self.spec, "response_key": self.response_key}


class ShamScorer(PairScorer):
    response_key = "similarity"
    needs_audio = False
    spec = "sham"

    def _score(self, requests: list[PairRequest]) -> list[PairResult]:
        return [PairResult(sham_similarity(r.stem, r.text)) for r in requests]


class ClapScorer(PairScorer):
    response_key = "similarity"

    def __init__(self, adapter):
        self.adapter = adapter
        self.spec = adapter.spec
        self.sampling_rate = adapter.sampling_rate

    def _score(self, requests: list[PairRequest]) -> list[PairResult]:
        values = self.adapter.pair_similarity([r.audio for r in requests],
                                              [r.text for r in requests])
        return [PairResult(float(v)) for v in values]

    def fingerprint(self) -> str:
        return self.adapter.fingerprint()


class ClassifierScorer(PairScorer):
    response_key = "score"

    def __init__(self, adapter):
        if adapter.modality is None:  # python: adapters take what the data holds
            adapter.modality = "audio"
        if adapter.modality != "audio":
            raise EmoevalError(f"{adapter.spec} takes {adapter.modality}; a similarity model "
                               "must take audio (an audio classifier or clap:)")
        self.adapter = adapter
        self.spec = adapter.spec
        self.sampling_rate = adapter.sampling_rate
        self.label_emotions = [canonical(label) for label in adapter.labels]
        if not any(self.label_emotions):
            raise EmoevalError(f"none of {adapter.spec}'s labels ({', '.join(adapter.labels)}) "
                               "names a known emotion, so no prompt can be scored")

    def text_error(self, text: str) -> str | None:
        problem = super().text_error(text)
        if problem:
            return problem
        named = emotions_named(text)
        if not named:
            return f"the text names no known emotion: {echo(text)}"
        if not set(named) & set(self.label_emotions):
            return (f"{self.spec} cannot predict {', '.join(named)} (its labels: "
                    f"{', '.join(self.adapter.labels)})")
        return None

    def _score(self, requests: list[PairRequest]) -> list[PairResult]:
        first_index: dict[int, int] = {}
        clips: list[np.ndarray] = []
        for r in requests:
            if id(r.audio) not in first_index:
                first_index[id(r.audio)] = len(clips)
                clips.append(r.audio)
        probabilities = np.asarray(self.adapter.predict(clips), dtype=float)
        results = []
        for r in requests:
            named = set(emotions_named(r.text))
            columns = [j for j, e in enumerate(self.label_emotions) if e in named]
            row = probabilities[first_index[id(r.audio)]]
            scored = sorted({self.label_emotions[j] for j in columns})
            results.append(PairResult(float(row[columns].sum()), emotion="+".join(scored)))
        return results

    def fingerprint(self) -> str:
        return self.adapter.fingerprint()


def load_pair_scorer(spec: str | None, sham: bool = False, **options: Any) -> PairScorer:
    """The scorer for ``--model SPEC`` or ``--sham``."""
    from ..adapters.base import accepted_options, load_adapter

    if sham:
        return ShamScorer()
    if not spec:
        raise EmoevalError("give --model SPEC or --sham")
    from ..registry import MODEL_ADAPTERS

    # batch_size is the benchmark's own setting: it reaches only adapters that batch inside
    accepted = accepted_options(MODEL_ADAPTERS.load(MODEL_ADAPTERS.parse(spec).name))
    adapter = load_adapter(spec, **{k: v for k, v in options.items()
                                    if v is not None and (k != "batch_size" or k in accepted)})
    if hasattr(adapter, "pair_similarity"):
        return ClapScorer(adapter)
    return ClassifierScorer(adapter)
