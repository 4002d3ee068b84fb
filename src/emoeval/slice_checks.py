"""``--slice-by`` columns, checked before any model runs.

A slice is a column of the *data* (speaker, gender, channel). The columns the tool writes
itself (predictions, scores, errors, answer statuses, dimensional ``_pred`` values) are not
slices and are neither offered as candidates nor accepted.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import EmoevalError

#: columns emoeval writes into a detailed table (every task)
TOOL_COLUMNS = frozenset({"id", "prediction", "confidence", "error", "status", "response",
                          "extracted", "status_detail", "kind"})
TOOL_PREFIXES = ("score_",)
TOOL_SUFFIXES = ("_pred",)


def is_tool_column(column: str) -> bool:
    name = str(column)
    return (name in TOOL_COLUMNS or name.startswith(TOOL_PREFIXES)
            or name.endswith(TOOL_SUFFIXES))


def slice_candidates(columns: Iterable[str], hidden: Iterable[str] = ()) -> list[str]:
    """The columns a user may slice by: the data's own columns, not the tool's (nor
    ``hidden``, a task's bookkeeping columns other than the truth and the split)."""
    hidden = {str(h) for h in hidden} - {"label", "labels", "split"}
    return [str(c) for c in columns if not is_tool_column(c) and str(c) not in hidden]


def check_slice_by(slice_by: Iterable[str] | None, columns: Iterable[str],
                   hidden: Iterable[str] = ()) -> None:
    """One-line error for a ``--slice-by`` column that is missing or written by the tool."""
    columns = [str(c) for c in columns]
    candidates = slice_candidates(columns, hidden)
    for column in slice_by or []:
        if column in candidates:
            continue
        why = ("a column emoeval writes, not a property of the data" if column in columns
               else "no such column")
        raise EmoevalError(f"--slice-by {column!r}: {why} (slice candidates: "
                           f"{', '.join(candidates) or 'none'})")
