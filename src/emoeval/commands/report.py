"""``emoeval report``: re-render the reports of a run folder from its saved files."""

from __future__ import annotations

import typer

from ..errors import EmoevalError
from ._shared import _fail, out_console


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(out: str = typer.Argument(..., help="A folder written by evaluate or score")) -> None:
    """Re-render every report from the saved files (never re-runs a model)."""
    from ..api import render_reports

    try:
        paths = render_reports(out)
    except EmoevalError as exc:
        _fail(exc)
    for path in paths:
        out_console.print(path)
