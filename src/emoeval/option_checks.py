"""Task options checked before any model runs.

The task spec refuses an option the task does not take; here the *values* are checked
too (a policy, a mention mode, a threshold), by the scorer module's own ``check_options``
when it has one, so a typo fails in a second instead of after every sample was predicted.
"""

from __future__ import annotations

import inspect
from typing import Any


def check_task_option_values(task: Any, options: dict[str, Any], labels: list[str]) -> None:
    """Run ``check_options(labels=..., **options)`` of the module of ``task.scorer`` (a Task
    spec) when that module has one."""
    scorer = getattr(task, "scorer", None)
    check = getattr(inspect.getmodule(scorer), "check_options", None) if scorer else None
    if check is not None:
        check(labels=list(labels), **{k: v for k, v in options.items() if v is not None})
