"""What an unusable answer (``ambiguous``, ``out_of_taxonomy``, ``invalid``) counts as.

Defined exactly:

* ``wrong`` - a miss for its true class and a false positive for no class. Its prediction is
  a marker outside the label set (``<invalid>``, ``<ambiguous>``, ``<out_of_taxonomy>``),
  which the core metrics treat exactly so (the ``(other)`` column of the confusion matrix).
* ``exclude`` - left out of the metrics (counted in ``n_excluded``).
* ``fallback:<label>`` - the prediction is ``<label>``, as the usual scripts do with
  "neutral"; a hit when the true class is that label.

Transport failures (status ``error``) are never the model's answer: under every policy they
are left out of the metrics and listed as errors, as bad input is everywhere in emoeval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EmoevalError
from .extraction import UNUSABLE

POLICY_NAMES = ("wrong", "exclude", "fallback")
DEFAULT_POLICY = "wrong"


@dataclass(frozen=True)
class Policy:
    name: str
    fallback: str | None = None

    def __str__(self) -> str:
        return f"fallback:{self.fallback}" if self.name == "fallback" else self.name


def parse_policy(text: str | None, labels: list[str]) -> Policy:
    """``wrong`` | ``exclude`` | ``fallback:<label>`` (a label of the set) -> Policy."""
    raw = (text or DEFAULT_POLICY).strip()
    name, sep, fallback = raw.partition(":")
    if name == "fallback" and sep and fallback.strip():
        fallback = fallback.strip()
        if fallback not in labels:
            raise EmoevalError(f"--invalid-policy {raw}: {fallback!r} is not a label "
                               f"({', '.join(labels)})")
        return Policy("fallback", fallback)
    if name in ("wrong", "exclude") and not sep:
        return Policy(name)
    raise EmoevalError(f"--invalid-policy {raw!r}: use wrong, exclude or fallback:<label> "
                       "(e.g. fallback:neutral)")


def every_policy(labels: list[str]) -> list[Policy]:
    """wrong, exclude and a fallback to each label: the side-by-side table."""
    return [Policy("wrong"), Policy("exclude"), *(Policy("fallback", label) for label in labels)]


def unusable_marker(status: str) -> str:
    """The prediction of an unusable answer under ``wrong``: outside every label set."""
    return f"<{status}>"


def apply_policy(policy: Policy, statuses: np.ndarray, labels: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(prediction per row, whether the row is scored) under ``policy``.

    ``statuses``: extraction status per row; ``labels``: the extracted label ("" unless
    valid). Rows with status ``error`` get prediction "" and are never scored; under
    ``exclude`` unusable rows get "" and are not scored either.
    """
    statuses = np.asarray(statuses, dtype=object)
    predictions = np.asarray(labels, dtype=object).copy()
    unusable = np.isin(statuses, UNUSABLE)
    if policy.name == "wrong":
        predictions[unusable] = [unusable_marker(s) for s in statuses[unusable]]
    elif policy.name == "fallback":
        predictions[unusable] = policy.fallback
    else:
        predictions[unusable] = ""
    predictions[statuses == "error"] = ""
    scored = (statuses != "error") & ((policy.name != "exclude") | ~unusable)
    return predictions, scored
