"""The unanswered policy: what an unusable answer counts as, one mechanism for every task.

A :class:`Policy` is one of

* ``wrong`` - the answer is scored as a miss (a prediction outside the label set, or the
  empty set for multi-label and open-vocabulary answers);
* ``exclude`` - the sample is left out of the metrics (and counted);
* ``fallback:<label>`` - the prediction is ``<label>``, as the usual scripts do with
  "neutral"; a hit when the true class is that label;
* ``midpoint`` - a rating answer is rated the middle of the scale on every dimension.

Each task takes some of them (:class:`PolicyChoices`, per contracts-v2 section 2):
:data:`SINGLE_LABEL_POLICIES` (classification, generative), :data:`MULTI_LABEL_POLICIES`,
:data:`DIMENSIONAL_POLICIES`, :data:`OPEN_VOCABULARY_POLICIES`. ``choices.parse(text)``
reads and checks the flag's value; ``policy.apply(kinds)`` decides per sample, from its
outcome kind (:func:`emoeval.answers.statuses.outcome_kind`), whether it is scored and
whether its prediction is a stand-in. Samples of kind ``transport`` or ``input`` are never
the model's answer: under every policy they are left out and listed as errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import EmoevalError
from .statuses import OK, UNANSWERED

#: the flag that names the policy in messages (--invalid-policy is its alias)
FLAG = "--unanswered"

WRONG, EXCLUDE, FALLBACK, MIDPOINT = "wrong", "exclude", "fallback", "midpoint"


@dataclass(frozen=True)
class PolicyOutcome:
    """Per sample: ``scored`` (enters the metrics), ``substituted`` (an unanswered sample
    scored with the policy's stand-in prediction) and ``excluded`` (an unanswered sample
    left out)."""

    scored: np.ndarray
    substituted: np.ndarray
    excluded: np.ndarray


@dataclass(frozen=True)
class Policy:
    name: str
    fallback: str | None = None

    def __str__(self) -> str:
        return f"{FALLBACK}:{self.fallback}" if self.name == FALLBACK else self.name

    def apply(self, kinds: Iterable[str]) -> PolicyOutcome:
        """Decide each sample from its outcome kind: ``ok`` is scored as answered,
        ``unanswered`` is scored with a stand-in (``wrong``, ``fallback``, ``midpoint``) or
        left out (``exclude``), every other kind is left out."""
        kinds = np.asarray(list(kinds), dtype=object)
        unanswered = kinds == UNANSWERED
        substituted = unanswered & (self.name != EXCLUDE)
        return PolicyOutcome(scored=(kinds == OK) | substituted, substituted=substituted,
                             excluded=unanswered & ~substituted)


@dataclass(frozen=True)
class PolicyChoices:
    """The policies one task takes, its default, and how its error message names them
    (``usage``; generated from ``names`` when empty)."""

    names: tuple[str, ...]
    default: str
    usage: str = field(default="")

    def usage_text(self) -> str:
        if self.usage:
            return self.usage
        forms = [f"{FALLBACK}:<label>" if n == FALLBACK else n for n in self.names]
        listed = forms[0] if len(forms) == 1 else f"{', '.join(forms[:-1])} or {forms[-1]}"
        return f"use {listed}"

    def parse(self, text: str | None, labels: Sequence[str] | None = None) -> Policy:
        """``wrong`` | ``exclude`` | ``fallback:<label>`` | ``midpoint`` (those of
        :attr:`names`; None: the default) -> Policy. A fallback must name one of ``labels``
        (when given). Anything else is a one-line EmoevalError naming the choices."""
        raw = (text or self.default).strip()
        name, sep, fallback = raw.partition(":")
        if name == FALLBACK and FALLBACK in self.names and sep and fallback.strip():
            fallback = fallback.strip()
            if labels is not None and fallback not in labels:
                raise EmoevalError(f"{FLAG} {raw}: {fallback!r} is not a label "
                                   f"({', '.join(labels)})")
            return Policy(FALLBACK, fallback)
        if name in self.names and name != FALLBACK and not sep:
            return Policy(name)
        raise EmoevalError(f"{FLAG} {raw!r} does not apply to this task: {self.usage_text()}")

    def every(self, labels: Sequence[str] = ()) -> list[Policy]:
        """Every policy of the task, a fallback to each label: the side-by-side table."""
        policies: list[Policy] = []
        for name in self.names:
            if name == FALLBACK:
                policies += [Policy(FALLBACK, label) for label in labels]
            else:
                policies.append(Policy(name))
        return policies


#: classification and generative answers: one label per sample
SINGLE_LABEL_POLICIES = PolicyChoices(
    (WRONG, EXCLUDE, FALLBACK), WRONG,
    usage="use wrong, exclude or fallback:<label> (e.g. fallback:neutral)")
#: multi-label scores: ``wrong`` scores the empty set
MULTI_LABEL_POLICIES = PolicyChoices((WRONG, EXCLUDE), WRONG)
#: rating answers: no class to fall back to; ``midpoint`` is a sensitivity check
DIMENSIONAL_POLICIES = PolicyChoices(
    (EXCLUDE, MIDPOINT), EXCLUDE,
    usage="rating answers take exclude (leave unusable answers out of the metrics) or "
          "midpoint (rate them the middle of the scale)")
#: open-vocabulary answers: ``wrong`` scores the empty set
OPEN_VOCABULARY_POLICIES = PolicyChoices((WRONG, EXCLUDE), WRONG)
