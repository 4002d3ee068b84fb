"""What every command gets before and around its body: one line for a user mistake.

* Numeric options that only make sense positive (``--batch-size 0``) or non-negative
  (``--retries -1``) are refused before the command runs.
* ``--out`` is checked before any work: a folder (or one that can be made) that is writable;
  for the commands whose ``--out`` is a file, its folder.
* Around the command body, an :class:`OSError` the user can fix (disk full, read-only or
  unwritable ``--out``, a file where a folder is needed) and an :class:`EmoevalError` that a
  command left uncaught become one line on stderr and exit status 2. Any other exception is
  a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path
from typing import Any, Callable

import typer
from typer.core import TyperGroup

from .errors import EmoevalError

#: options that must be > 0 when given, whatever the command
POSITIVE = frozenset({
    "batch_size", "limit", "workers", "timeout", "concurrency", "max_tokens",
    "max_response_bytes", "max_text_chars", "max_request_mb", "max_batch", "jobs",
    "probe_size", "networks", "hidden", "calibration_limit", "verify_samples",
    "expected_raters"})
#: options that must be >= 0 when given
NON_NEGATIVE = frozenset({"retries", "n_resamples", "backoff", "batch_window_ms",
                          "gpus_per_worker", "min_raters", "min_shared_items"})
#: commands whose ``--out`` is a file (the others write a folder); ``report`` reads its own
FILE_OUT = frozenset({"anonymize", "similarity-items"})
NO_OUT_CHECK = frozenset({"report"})

#: errno -> what to do about it
USER_FIXABLE = {
    errno.ENOSPC: "the disk is full; free some space or choose another --out",
    errno.EDQUOT: "the disk quota is exceeded; free some space or choose another --out",
    errno.EFBIG: "the file is too large for this file system",
    errno.EROFS: "the file system is read-only; choose another --out",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "operation not permitted; choose a folder you can write to",
    errno.ENOTDIR: "a file stands where a folder is needed; choose another --out",
    errno.EISDIR: "a folder stands where a file is needed",
    errno.EEXIST: "a file stands where a folder is needed; choose another --out",
    errno.ENAMETOOLONG: "the path is too long",
    errno.ELOOP: "too many levels of symbolic links",
}


def option_name(param: str) -> str:
    return "--" + param.replace("_", "-")


def check_numbers(params: dict[str, Any]) -> None:
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if name in POSITIVE and not value > 0:
            raise EmoevalError(f"{option_name(name)} {value:g}: give a number above 0")
        if name in NON_NEGATIVE and value < 0:
            raise EmoevalError(f"{option_name(name)} {value:g}: give 0 or more")


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def check_out(out: str, is_file: bool) -> None:
    """``--out`` can be written: a folder (made when missing), or a file in one."""
    path = Path(out).expanduser()
    if not is_file and path.exists() and not path.is_dir():
        raise EmoevalError(f"--out {out}: that is a file; give a folder (it is created when "
                           "missing)")
    if is_file and path.is_dir():
        raise EmoevalError(f"--out {out}: that is a folder; give a file name")
    folder = _nearest_existing(path if not is_file else path.parent)
    if not folder.is_dir():
        raise EmoevalError(f"--out {out}: {folder} is a file, so no folder can be made there")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EmoevalError(f"--out {out}: {folder} is not writable (read-only or no "
                           "permission); choose another --out")


def os_error_line(exc: OSError) -> str | None:
    """One line for an OSError the user can fix; None for anything else (a bug)."""
    advice = USER_FIXABLE.get(exc.errno)
    if advice is None:
        return None
    where = exc.filename or ""
    return f"{where}: {advice} ({exc.strerror})" if where else f"{advice} ({exc.strerror})"


def report(message: str) -> None:
    """One error line on stderr, as the CLI prints an EmoevalError."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                               soft_wrap=True)


def checked(name: str, callback: Callable) -> Callable:
    """``callback`` with the checks of this module before and around it."""

    @functools.wraps(callback)
    def run(*args, **params):
        try:
            check_numbers(params)
            out = params.get("out")
            if isinstance(out, str) and out and name not in NO_OUT_CHECK:
                check_out(out, name in FILE_OUT)
            return callback(*args, **params)
        except EmoevalError as exc:
            report(str(exc))
        except OSError as exc:
            line = os_error_line(exc)
            if line is None:
                raise
            report(line)
        raise typer.Exit(2)

    run.__emoeval_checked__ = True
    return run


class CheckedGroup(TyperGroup):
    """The ``emoeval`` command group: every command's callback wrapped by :func:`checked`."""

    def get_command(self, ctx: Any, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is not None and command.callback is not None and not getattr(
                command.callback, "__emoeval_checked__", False):
            command.callback = checked(cmd_name, command.callback)
        return command
