"""Reports rendered from ``results.json`` alone: ``report.md`` and its plots.

Reports never recompute metrics or run a model; ``emoeval report`` re-renders them from the
results dict (see :func:`emoeval.evaluation.render_reports`). Each task's report is a list of
sections (:mod:`.sections`, :mod:`.classification`) formatted with :mod:`.format`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before any pyplot import: reports render headless

from .classification import render_classification, render_markdown  # noqa: E402
from .sections import REPORT_FILE, write_report  # noqa: E402

__all__ = ["REPORT_FILE", "render_all", "render_classification", "render_markdown",
           "write_report"]


def render_all(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Render the reports of any task: the renderer registered for ``results["task"]``."""
    from ..registry import task_of_results

    return task_of_results(results).render(results, out_dir)
