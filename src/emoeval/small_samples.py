"""Small samples (contracts-v2 section 5): one threshold for "too few to mean much".

A figure computed on fewer than :data:`MIN_ITEMS` units (multi-rater items for agreement,
positives for a per-class threshold, samples for a slice) keeps its value in JSON beside
``n`` and ``small: true``; reports print ``n/a (n=3)`` instead of the value.
"""

from __future__ import annotations

from typing import Any

#: the fewest units a figure is reported on (items with two or more raters, tuning
#: positives, slice samples)
MIN_ITEMS = 10


def is_small(n: Any) -> bool:
    """Whether a figure computed on ``n`` units is too small to report."""
    try:
        return int(n) < MIN_ITEMS
    except (TypeError, ValueError):
        return False


def mark_small(figure: dict[str, Any], n: int) -> dict[str, Any]:
    """``figure`` with ``n`` and, when ``n < MIN_ITEMS``, ``small: True`` (value kept)."""
    figure["n"] = int(n)
    if is_small(n):
        figure["small"] = True
    return figure


def small_text(n: Any) -> str:
    """What a report prints instead of a small figure: ``n/a (n=3)``."""
    return f"n/a (n={int(n)})"


def mark_small_slices(slices: dict[str, dict[str, dict[str, Any]]]
                      ) -> dict[str, dict[str, dict[str, Any]]]:
    """Mark every slice figure (``{column: {value: {n, ...}}}``) computed on fewer than
    :data:`MIN_ITEMS` samples as small, in place; returns ``slices``."""
    for values in slices.values():
        for figure in values.values():
            if isinstance(figure, dict) and "n" in figure:
                mark_small(figure, figure["n"])
    return slices
