"""Compare evaluated models: one table with CIs, paired significance tests, plain-words
verdicts, and a report to share (``emoeval compare``)."""

from __future__ import annotations

from .comparison import compare_runs

__all__ = ["compare_runs"]
