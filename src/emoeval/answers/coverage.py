"""Coverage and the side-by-side policy figures: one builder for every task's scorer.

``coverage`` (contracts-v2 section 3) counts each sample by its outcome kind (section 1):
``n_samples = n_answered + n_unanswered + n_input_errors + n_transport_errors``. Every task
scorer builds it from its samples' kinds with :func:`coverage_block`, and each entry of its
``policies`` block with :func:`policy_entry`, so the two read the same across tasks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .statuses import INPUT, OK, TRANSPORT, UNANSWERED


def coverage_block(kinds: Iterable[str]) -> dict[str, Any]:
    """``{n_answered, n_unanswered, n_input_errors, n_transport_errors, answered_share}``
    from one outcome kind per sample; the share is over every sample (None when none)."""
    kinds = np.asarray(list(kinds), dtype=object)
    unknown = sorted(set(kinds) - {OK, UNANSWERED, INPUT, TRANSPORT})
    if unknown:
        raise ValueError(f"unknown outcome kinds {unknown}")
    answered = int((kinds == OK).sum())
    return {"n_answered": answered,
            "n_unanswered": int((kinds == UNANSWERED).sum()),
            "n_input_errors": int((kinds == INPUT).sum()),
            "n_transport_errors": int((kinds == TRANSPORT).sum()),
            "answered_share": answered / len(kinds) if len(kinds) else None}


def policy_entry(metrics: Mapping[str, Any] | None, n_scored: int, **extra: Any
                 ) -> dict[str, Any]:
    """One policy's figures in ``results.json`` ``policies``: its headline metrics (None
    when nothing could be scored under it) and how many samples it scored."""
    return {"n_scored": int(n_scored), "metrics": dict(metrics) if metrics else None, **extra}


def answered_text(coverage: Mapping[str, Any] | None, n_samples: int) -> str:
    """``answered 1,176/1,421`` for headline lines ('' without a coverage block)."""
    if not coverage:
        return ""
    return f"answered {coverage['n_answered']:,}/{n_samples:,}"
