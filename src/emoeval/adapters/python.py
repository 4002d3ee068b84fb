"""``python:<module>:<callable>``: any Python function as a model.

The callable takes a list of inputs (strings for text, float32 arrays at 16 kHz for audio,
or the file paths with ``modality=path``) and returns, per input, either a
``{label: score}`` dict or a label string (scored as probability 1). Its label space is the
dataset's labels plus any other label it returns.

A regression model (continuous targets, e.g. valence/arousal/dominance) sets the attribute
``fn.output = "values"`` and returns ``{output name: value}`` per input; a name it leaves out
is a missing value (NaN: that sample's error), never 0. This is also the way to evaluate a
model that needs its own loading code (e.g. a custom regression head class).
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any

import numpy as np

from ..errors import EmoevalError
from .base import ModelAdapter


class PythonAdapter(ModelAdapter):
    name = "python"

    def __init__(self, argument: str, spec: str = "", modality: str | None = None,
                 sampling_rate: int = 16000, **options: Any):
        super().__init__(argument, spec, **options)
        module_name, sep, attr = argument.rpartition(":")
        if not sep or not module_name or not attr:
            raise EmoevalError(f"python spec {argument!r} must be <module>:<callable>, "
                               "e.g. python:mypkg.models:predict")
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # a module beside the user's data, as scripts expect
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise EmoevalError(f"cannot import module {module_name!r}: {exc}") from None
        if not callable(getattr(module, attr, None)):
            raise EmoevalError(f"{module_name!r} has no callable {attr!r}")
        self.fn = getattr(module, attr)
        # None until known: the evaluation then takes the dataset's modality
        self.modality = modality or getattr(self.fn, "modality", None)
        self.sampling_rate = getattr(self.fn, "sampling_rate", sampling_rate)
        self._labels: list[str] = list(getattr(self.fn, "labels", []) or [])
        self.output = getattr(self.fn, "output", "scores")
        if self.output not in ("scores", "values"):
            raise EmoevalError(f"{argument}: fn.output {self.output!r} must be 'scores' or "
                               "'values' (answers in text: return strings from an llm: model)")
        try:
            self._source = inspect.getsource(self.fn)
        except (OSError, TypeError):
            self._source = ""

    @property
    def labels(self) -> list[str]:
        return self._labels

    def set_candidate_labels(self, dataset_labels: list[str]) -> None:
        if self.output == "values":  # outputs are named by the function, matched later
            return
        for label in dataset_labels:
            if label not in self._labels:
                self._labels.append(label)

    def predict(self, inputs: list[Any]) -> np.ndarray:
        outputs = list(self.fn(list(inputs)))
        if len(outputs) != len(inputs):
            raise ValueError(f"{self.argument} returned {len(outputs)} outputs for "
                             f"{len(inputs)} inputs")
        for out in outputs:  # grow the label space first, so every row has every column
            for label in (out if isinstance(out, dict) else [out]):
                if str(label) not in self._labels:
                    self._labels.append(str(label))
        index = {label: j for j, label in enumerate(self._labels)}
        # a regression output left out is unknown, a class left out scores 0
        scores = np.full((len(inputs), len(self._labels)),
                         np.nan if self.output == "values" else 0.0)
        for i, out in enumerate(outputs):
            if isinstance(out, dict):
                for label, value in out.items():
                    scores[i, index[str(label)]] = float(value) if value is not None else np.nan
            else:
                scores[i, index[str(out)]] = 1.0
        return scores

    def fingerprint_parts(self) -> list[str]:
        return [self._source]
