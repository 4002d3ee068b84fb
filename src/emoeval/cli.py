"""The ``emoeval`` command line: the typer app; every command lives in
:mod:`emoeval.commands` (one module each, with ``register(app)``), a thin layer over
:mod:`emoeval.api`.

Heavy libraries (torch, transformers) are imported only by the adapters that need them,
so ``emoeval --help``, ``models`` and ``datasets`` start fast.
"""

from __future__ import annotations

import os

import typer

from .cli_guard import CheckedGroup
from .commands import register_all

# our own rich progress bar is the one to watch; the Hub's and transformers' tqdm bars
# (weight loading) only add noise to the terminal and to CI logs
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

# CheckedGroup: numeric options and --out checked first; a disk-full or read-only --out is
# one line, not a traceback (see cli_guard)
app = typer.Typer(cls=CheckedGroup, add_completion=False, no_args_is_help=True,
                  help="Evaluate emotion-recognition models with numbers you can trust.")
register_all(app)

if __name__ == "__main__":  # pragma: no cover
    app()
