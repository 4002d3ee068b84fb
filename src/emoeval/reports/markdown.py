"""The old import path of the classification report and its number formatting.

Kept so that ``from emoeval.reports.markdown import render_markdown, pct, metric_with_ci``
(callers outside the package, the CLI's summary line) keeps working. New code imports from
:mod:`emoeval.reports.format` (formatting), :mod:`emoeval.reports.sections` (shared sections)
and :mod:`emoeval.reports.classification` (the classification report).
"""

from __future__ import annotations

from .classification import ALL_METRICS, CONFUSION_PNG, HEADLINE, PER_CLASS_PNG, render_markdown
from .format import ci_text, ci_unit_text, finite, metric_with_ci, pct
from .sections import DETAILED_CSV, OTHER

__all__ = ["ALL_METRICS", "CONFUSION_PNG", "DETAILED_CSV", "HEADLINE", "OTHER", "PER_CLASS_PNG",
           "ci_text", "ci_unit_text", "finite", "metric_with_ci", "pct", "render_markdown"]
