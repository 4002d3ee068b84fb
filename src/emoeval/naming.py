"""Display names of models in titles and files.

``model.spec`` in ``results.json`` stays what was run (a file, an exported ONNX path);
``model.name`` is what a reader should see: the name given to ``score --name``, or for a
``--runtime onnx*`` run the source model with the runtime beside it.
"""

from __future__ import annotations

import os

from .errors import EmoevalError


def check_model_name(name: str | None) -> str | None:
    """``name`` stripped, or None; a name with a path separator is refused (it names files
    and titles, never a place)."""
    if name is None:
        return None
    text = str(name).strip()
    separators = {"/", "\\", os.sep, *([os.altsep] if os.altsep else [])}
    if not text or any(sep in text for sep in separators):
        raise EmoevalError(f"--name {name!r}: give a plain name without a path separator "
                           "(e.g. --name my-model-v2)")
    return text


def runtime_name(source_spec: str, runtime: str) -> str | None:
    """``hf:org/model (onnx-int8)`` for a run on another runtime than torch, else None."""
    if not runtime or runtime == "torch":
        return None
    return f"{source_spec} ({runtime})"
