"""The model adapter interface.

An adapter turns a batch of inputs (decoded audio arrays at ``sampling_rate``, or strings)
into a score matrix over its *own* labels. Label mapping onto the dataset happens later, in
:mod:`emoeval.labels`.

Score conventions (the runner enforces them per sample):
- each row holds one score per ``labels`` entry, ideally probabilities;
- a row of all zeros is an **abstention** (e.g. a lexicon with no hit): recorded per sample;
- a NaN or infinite score is a per-sample error.

A regression model (``output = "values"``: an ``hf:`` head with ``problem_type
"regression"``, a ridge probe) returns one continuous value per output instead, its
``labels`` naming the outputs (``valence``, ``arousal``, ... or ``V``, ``A``, ``D``); zeros
are values there, not abstentions, and only a non-finite value is an error.
:mod:`emoeval.dimensional.names` matches output names to the dataset's dimensions.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..extras import extras_named
from ..registry import MODEL_ADAPTERS


class ModelAdapter:
    name: str = "adapter"
    #: options read from ``**options`` rather than named in ``__init__`` (both are accepted;
    #: anything else is refused by load_adapter, so a flag is never silently ignored)
    option_names: tuple[str, ...] = ()
    #: "text" or "audio"
    modality: str = "text"
    #: target sampling rate for audio models
    sampling_rate: int | None = None
    #: "scores" (a score matrix over ``labels``), "values" (continuous predictions, one
    #: column per output named in ``labels``) or "text" (free-text answers, one string per
    #: input, or a SampleError for an input that failed, e.g. a transport error)
    output: str = "scores"

    def __init__(self, argument: str, spec: str = "", **options: Any):
        self.argument = argument
        self.spec = spec or f"{self.name}:{argument}"
        self.options = options

    # --- required -----------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def predict(self, inputs: list[Any]) -> np.ndarray:  # pragma: no cover - interface
        """(len(inputs), len(labels)) scores; for ``output == "text"`` a list of strings."""
        raise NotImplementedError

    # --- optional -----------------------------------------------------------------------
    def set_candidate_labels(self, dataset_labels: list[str]) -> None:
        """Called before predicting. Open-vocabulary adapters (zero-shot) adopt the
        dataset's labels as their own; closed-vocabulary ones ignore it."""

    def set_dimensions(self, dimensions: list[str], value_range: tuple[float, float] | None
                       ) -> None:
        """Called before predicting on a dimensional dataset (rows with continuous targets):
        the dimensions to rate and their scale when known (EmoBank: 1-5). Adapters that
        answer in text (``llm:``) switch to a rating prompt; others ignore it."""

    def check_rows(self, rows: list) -> None:
        """Called before predicting: refuse rows the model must not be evaluated on (a
        trained probe refuses its own training samples). Most adapters accept any."""

    def input_size(self, item: Any) -> int:
        """Length used to group similar inputs into a batch (samples or characters)."""
        return len(item)

    def fingerprint_parts(self) -> list[str]:
        """Strings that identify the weights and preprocessing (hashed into the fingerprint)."""
        return []

    def fingerprint(self) -> str:
        h = hashlib.sha256(self.spec.encode())
        for part in self.fingerprint_parts():
            h.update(b"\x00" + part.encode())
        return h.hexdigest()[:16]

    def efficiency(self) -> dict[str, Any]:
        """``n_parameters`` and ``size_bytes`` where known."""
        return {"n_parameters": None, "size_bytes": None}


def files_digest(paths: list[str]) -> str:
    """Cheap but sound content hash for weight files: size + first and last MiB."""
    h = hashlib.sha256()
    for p in sorted(paths):
        size = os.path.getsize(p)
        h.update(f"{os.path.basename(p)}:{size}".encode())
        with open(p, "rb") as f:
            h.update(f.read(1 << 20))
            if size > 2 << 20:
                f.seek(-(1 << 20), os.SEEK_END)
                h.update(f.read(1 << 20))
    return h.hexdigest()[:16]


def padding_groups(inputs: list, uses_attention_mask: bool) -> list[list[int]]:
    """Indices of inputs that may share one padded forward pass.

    With an attention mask, any lengths may be padded together. Without one (audio models
    normalised per group, e.g. wav2vec2-base) zero padding changes the output, so only
    inputs of equal length share a pass.
    """
    if uses_attention_mask:
        return [list(range(len(inputs)))]
    by_length: dict[int, list[int]] = {}
    for i, item in enumerate(inputs):
        by_length.setdefault(len(item), []).append(i)
    return list(by_length.values())


def default_device() -> str:
    """Where a torch model runs when no device is given: the GPU when there is one."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def text_token_limit(processor: Any, max_positions: int | None) -> int:
    """Tokens kept per text: the tokenizer's limit (512 when it declares none), never more
    than the model has position embeddings for (a longer input would crash)."""
    declared = getattr(processor, "model_max_length", 0) or 0
    limit = declared if 0 < declared < 100_000 else 512
    return (min(limit, max_positions) if isinstance(max_positions, int) and max_positions > 0
            else limit)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def load_adapter(spec: str, **options: Any) -> ModelAdapter:
    """``hf:some/model`` -> an adapter instance (imports only that backend)."""
    parsed = MODEL_ADAPTERS.parse(spec)
    if not parsed.argument:
        raise EmoevalError(f"model spec {spec!r} names no model after {parsed.name!r}:")
    cls = MODEL_ADAPTERS.load(parsed.name)
    accepted = accepted_options(cls)
    foreign = sorted(k for k in options if k not in accepted)
    if foreign:
        flags = ", ".join("--" + k.replace("_", "-") for k in foreign)
        raise EmoevalError(f"{flags} does not apply to {parsed.name}: models (their options: "
                           f"{', '.join(sorted(accepted)) or 'none'})")
    with extras_named(f"the {parsed.name}: adapter"):  # an import that bypassed require
        return cls(parsed.argument, spec=spec, **options)


def accepted_options(cls: type) -> set[str]:
    """The options an adapter class takes: its named ``__init__`` keywords and
    ``option_names``."""
    import inspect

    named = {name for name, p in inspect.signature(cls.__init__).parameters.items()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return (named - {"self", "argument", "spec"}) | set(cls.option_names)
