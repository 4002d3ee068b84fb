"""``emoeval demo``: the embedded default run (see :mod:`emoeval.demo`)."""

from __future__ import annotations

import typer

from ..errors import EmoevalError
from ._shared import _fail, _progress, out_console


def register(app: typer.Typer) -> None:
    app.command()(demo)


def demo(out: str = typer.Option("demo_out", help="Output folder for both reports")) -> None:
    """The embedded default: lexicon:nrc and zeroshot:minilm on the shipped English text set."""
    from ..demo import run_demo

    try:
        run_demo(out, console=out_console, progress_factory=_progress)
    except EmoevalError as exc:
        _fail(exc)
