"""Every ``emoeval`` command, one module each (shared helpers in :mod:`._shared`).

Every module here defines ``register(app)`` that adds its command(s) to the typer app; the
CLI imports them all at start-up, so a module must import heavy libraries lazily (inside the
command function), never at module level.
"""

from __future__ import annotations

import importlib
import pkgutil

#: listed first in ``emoeval --help``, in this order; the others follow by name
FIRST = ("evaluate", "score", "report", "demo", "listing")


def register_all(app) -> None:
    names = sorted(info.name for info in pkgutil.iter_modules(__path__)
                   if not info.name.startswith("_"))
    for name in [*FIRST, *(n for n in names if n not in FIRST)]:
        importlib.import_module(f"{__name__}.{name}").register(app)
