"""Sub-commands beyond the core ones in :mod:`emoeval.cli`, one module each.

Every module here defines ``register(app)`` that adds its command(s) to the typer app; the
CLI imports them all at start-up, so a module must import heavy libraries lazily (inside the
command function), never at module level.
"""

from __future__ import annotations

import importlib
import pkgutil


def register_all(app) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)
