"""One status vocabulary for every free-text answer, and its outcome kind.

Each answer pipeline gives one status per answer; the statuses are shared, each pipeline
uses the ones that can happen to its answers (:data:`LABEL_STATUSES`,
:data:`RATING_STATUSES`):

* ``valid`` - the answer is usable (a taxonomy label, a number per dimension on the scale);
* ``ambiguous`` - it names two different things (``sad or angry``, ``3 or 4``);
* ``out_of_taxonomy`` - it names one emotion outside the label set;
* ``incomplete`` - some dimension got no number;
* ``out_of_range`` - some number lies off the scale;
* ``invalid`` - nothing usable: empty, unparsable, a refusal, no emotion or number named;
* ``error`` - no answer at all: the request (or the input before it) failed.

:func:`outcome_kind` maps a status onto the outcome kinds of contracts-v2 section 1: ``ok``
for a valid answer, ``unanswered`` for every unusable one (the task's unanswered policy
decides how it is scored), and for ``error`` the failure's own kind (``transport`` unless
the caller knows it was the input).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

VALID = "valid"
AMBIGUOUS = "ambiguous"
OUT_OF_TAXONOMY = "out_of_taxonomy"
INCOMPLETE = "incomplete"
OUT_OF_RANGE = "out_of_range"
INVALID = "invalid"
ERROR = "error"

#: every status, in the order results list them
STATUSES = (VALID, AMBIGUOUS, OUT_OF_TAXONOMY, INCOMPLETE, OUT_OF_RANGE, INVALID, ERROR)
#: the statuses of an answer that came but cannot be used as it is: outcome ``unanswered``
UNUSABLE = (AMBIGUOUS, OUT_OF_TAXONOMY, INCOMPLETE, OUT_OF_RANGE, INVALID)

#: a class answer (one taxonomy label): emoeval.answers.labels
LABEL_STATUSES = (VALID, AMBIGUOUS, OUT_OF_TAXONOMY, INVALID, ERROR)
#: a rating answer (a number per dimension): emoeval.answers.ratings
RATING_STATUSES = (VALID, AMBIGUOUS, INCOMPLETE, OUT_OF_RANGE, INVALID, ERROR)

# the outcome kinds of contracts-v2 section 1 that an answer status maps onto
OK = "ok"
UNANSWERED = "unanswered"
TRANSPORT = "transport"
INPUT = "input"


def unusable_of(statuses: Iterable[str]) -> tuple[str, ...]:
    """The unusable statuses among ``statuses``, in their order (a pipeline's own list)."""
    return tuple(s for s in statuses if s in UNUSABLE)


def outcome_kind(status: str, failed: str = TRANSPORT) -> str:
    """The outcome kind of an answer with this status: ``ok`` (valid), ``unanswered`` (any
    unusable status), or ``failed`` for ``error`` (``transport``, or ``input`` when the
    caller knows the input failed before any request)."""
    if status == VALID:
        return OK
    if status in UNUSABLE:
        return UNANSWERED
    if status == ERROR:
        if failed not in (TRANSPORT, INPUT):
            raise ValueError(f"a failed answer is a transport or input outcome, not {failed!r}")
        return failed
    raise ValueError(f"unknown answer status {status!r} (known: {', '.join(STATUSES)})")


def outcome_kinds(statuses: Iterable[str], failed: str = TRANSPORT) -> np.ndarray:
    """:func:`outcome_kind` per answer, as an object array (what a policy applies to)."""
    return np.array([outcome_kind(str(s), failed) for s in statuses], dtype=object)
