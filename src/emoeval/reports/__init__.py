"""Reports rendered from ``results.json`` alone: ``report.md`` and two PNGs.

Reports never recompute metrics or run a model; ``emoeval report`` re-renders them from the
results dict (see :func:`emoeval.evaluation.render_reports`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before any pyplot import: reports render headless

from ..results_io import write_text  # noqa: E402
from .markdown import CONFUSION_PNG, PER_CLASS_PNG, render_markdown  # noqa: E402
from .plots import plot_confusion_matrix, plot_per_class  # noqa: E402

REPORT_FILE = "report.md"

__all__ = ["REPORT_FILE", "render_all", "render_classification", "render_markdown"]


def render_all(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Render the reports of any task: the renderer registered for ``results["task"]``."""
    from ..registry import task_of_results

    return task_of_results(results).render(results, out_dir)


def render_classification(results: Mapping[str, Any], out_dir: str) -> list[str]:
    """Write ``report.md``, ``confusion_matrix.png`` and ``per_class_metrics.png`` into
    ``out_dir``; return the paths written.

    A plot whose data is absent from ``results`` (e.g. no confusion matrix) is not written,
    and the report then does not link it; a stale PNG from an earlier render is removed.
    """
    os.makedirs(out_dir, exist_ok=True)
    written: list[str] = []
    plotted: list[str] = []
    for name, draw in ((CONFUSION_PNG, plot_confusion_matrix), (PER_CLASS_PNG, plot_per_class)):
        path = os.path.join(out_dir, name)
        result = draw(results, path)
        if result is not None:
            written.append(result)
            plotted.append(name)
        elif os.path.isfile(path):
            os.remove(path)
    text = render_markdown(results, plots=plotted)
    report = os.path.join(out_dir, REPORT_FILE)
    write_text(report, text)
    return [report, *written]
