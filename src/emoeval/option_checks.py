"""Task options checked before any model runs.

``task_scorer`` refuses an option the task does not take; here the *values* are checked
too (a policy, a mention mode, a threshold), by the task module's own ``check_options``
when it has one, so a typo fails in a second instead of after every sample was predicted.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable


def check_task_options(scorer: Callable, options: dict[str, Any], labels: list[str]) -> None:
    """Run the scorer module's ``check_options(labels=..., **options)`` when it has one."""
    check = getattr(inspect.getmodule(scorer), "check_options", None)
    if check is not None:
        check(labels=list(labels), **{k: v for k, v in options.items() if v is not None})
