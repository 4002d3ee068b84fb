"""After loading: what the model is (architecture, head, labels, size), as plain facts.

The facts are judged in :mod:`emoeval.screening.verdict`; nothing here decides a status.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..adapters.base import ModelAdapter
from ..labels import canonical
from .candidates import Candidate


def model_config(adapter: ModelAdapter) -> dict[str, Any]:
    """The transformers config as a dict: the loaded one (``hf:``), or ``config.json`` beside
    the model file (``onnx:``); empty when the backend has none."""
    config = getattr(adapter, "config", None)
    if config is not None and hasattr(config, "to_dict"):
        return config.to_dict()
    folder = getattr(adapter, "folder", None)
    path = os.path.join(folder, "config.json") if folder else ""
    if path and os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return {}


def head_type(architecture: str | None) -> str | None:
    """``Wav2Vec2ForCTC`` -> ``CTC``; a class without ``For`` is a bare base model."""
    if not architecture:
        return None
    _, sep, task = architecture.partition("For")
    return task if sep else "none (base model)"


def known_to_transformers(architecture: str) -> bool:
    import transformers

    try:
        return hasattr(transformers, architecture)
    except Exception:  # transformers' lazy module can raise on odd names
        return False


def loading_report(adapter: ModelAdapter) -> dict[str, list[str]] | None:
    """Weights transformers did not find in the checkpoint, split into head and body.

    Uses the adapter's ``loading_info`` when it kept one; otherwise loads the model class
    once more with ``output_loading_info=True`` (the copy is dropped at once). None for
    backends that are not transformers models.
    """
    model = getattr(adapter, "model", None)
    if model is None or not hasattr(type(model), "from_pretrained"):
        return None
    info = getattr(adapter, "loading_info", None)
    if info is None:
        import gc

        copy, info = type(model).from_pretrained(adapter.argument, output_loading_info=True)
        del copy
        gc.collect()
    prefix = f"{getattr(model, 'base_model_prefix', '')}."
    missing = sorted(str(k) for k in info.get("missing_keys", []))
    mismatched = sorted(str(k[0] if isinstance(k, (tuple, list)) else k)
                        for k in info.get("mismatched_keys", []))
    # weights outside the base model (classifier, projector, pooling weights) are the head
    head = [k for k in missing + mismatched if prefix == "." or not k.startswith(prefix)]
    return {"head_newly_initialised": head,
            "body_newly_initialised": [k for k in missing if k not in head],
            "unexpected": sorted(str(k) for k in info.get("unexpected_keys", []))}


def label_emotions(labels: list[str], label_map: dict[str, str | None] | None
                   ) -> dict[str, str | None]:
    """Each model label's emotion in the canonical vocabulary (None: names no emotion);
    the candidate's ``label_map`` goes first."""
    label_map = label_map or {}
    out: dict[str, str | None] = {}
    for label in labels:
        target = label_map[label] if label in label_map else label
        out[label] = canonical(target) if target is not None else None
    return out


def folder_size(path: str | None) -> int | None:
    if not path or not os.path.exists(path):
        return None
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for folder, _, files in os.walk(path, followlinks=True):
        total += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    return total


def describe(adapter: ModelAdapter, candidate: Candidate, location_path: str | None
             ) -> tuple[dict[str, Any], list[str]]:
    """Evidence about a loaded model, and warnings met while gathering it."""
    warnings: list[str] = []
    config = model_config(adapter)
    architectures = list(config.get("architectures") or [])
    architecture = architectures[0] if architectures else None
    model = getattr(adapter, "model", None)
    labels = list(adapter.labels)
    evidence: dict[str, Any] = {
        "adapter": type(adapter).__name__,
        "modality": adapter.modality,
        "sampling_rate": adapter.sampling_rate,
        "model_type": config.get("model_type"),
        "architectures": architectures,
        "architecture": architecture,
        "architecture_in_transformers": (known_to_transformers(architecture)
                                         if architecture else None),
        "custom_code": bool(config.get("auto_map")),
        "model_class": type(model).__name__ if model is not None else None,
        "head_type": head_type(architecture),
        "labels": labels,
        # open vocabulary: the model takes its labels from the data (python:, zeroshot:)
        "open_vocabulary": not labels,
        "label_emotions": label_emotions(labels, candidate.label_map),
    }
    try:
        evidence["loading"] = loading_report(adapter)
    except Exception as exc:  # a second load can fail where the first did not (memory)
        evidence["loading"] = None
        warnings.append(f"could not read the loading report: {type(exc).__name__}: {exc}")
    efficiency = adapter.efficiency()
    evidence["n_parameters"] = efficiency.get("n_parameters")
    evidence["size_bytes"] = efficiency.get("size_bytes") or folder_size(location_path)
    return evidence, warnings
