"""Embed dataset rows with a frozen backbone, through the runner's machinery and the cache.

The runner's helpers do what they do for models: inputs prepared ahead in threads (audio
decoded and resampled to the backbone's rate), batches of similar sizes, and a failing batch
retried one by one so a bad input fails alone. Each input's digest is looked up in the
:class:`~emoeval.probe.cache.EmbeddingCache` first; only misses reach the backbone.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..adapters.base import ModelAdapter, files_digest
from ..datasets.base import Row
from ..errors import SampleError
from ..runner import _prepared_batches, _predict_isolated, plan_batches
from .backbones import Backbone
from .cache import EmbeddingCache, input_digest


class EmbeddingAdapter(ModelAdapter):
    """A backbone seen as a model whose 'labels' are the embedding dimensions, so the
    runner's batching and per-sample error isolation apply unchanged."""

    name = "embedding"

    def __init__(self, backbone: Backbone):
        super().__init__(backbone.spec, spec=backbone.spec)
        self.backbone = backbone
        self.modality = backbone.modality
        self.sampling_rate = backbone.sampling_rate
        self._dim = 0

    @property
    def labels(self) -> list[str]:
        return [f"dim{i}" for i in range(self._dim)]

    def predict(self, inputs: list[Any]) -> np.ndarray:
        vectors = np.asarray(self.backbone.embed(inputs), dtype=np.float32)
        self._dim = vectors.shape[1] if vectors.ndim == 2 else 0
        return vectors


@dataclass
class Embedded:
    """Embeddings of some rows: ``vectors[id]``, ``errors[id]`` for rows that failed."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0  # backbone time for the vectors computed in this call
    n_computed: int = 0
    n_cached: int = 0

    def matrix(self, ids: list[str]) -> np.ndarray:
        return np.stack([self.vectors[i] for i in ids])


def embed_rows(backbone: Backbone, rows: list[Row], cache: EmbeddingCache | None, *,
               batch_size: int = 64, on_progress: Callable[[int, int], None] | None = None
               ) -> Embedded:
    """Embed every row (cache first); a row whose input or embedding fails is listed in
    ``errors`` and left out, as the runner does for predictions."""
    adapter = EmbeddingAdapter(backbone)
    result = Embedded()
    workers = max(1, min(4, os.cpu_count() or 2))
    done = 0
    try:
        for batch, inputs in _prepared_batches(plan_batches(rows, batch_size), adapter, workers):
            misses: list[int] = []
            keys: dict[int, str] = {}
            for i, (row, item) in enumerate(zip(batch, inputs)):
                if isinstance(item, SampleError):
                    result.errors[row.id] = str(item)
                    continue
                keys[i] = input_digest(item)
                cached = cache.get(keys[i]) if cache is not None else None
                if cached is not None:
                    result.vectors[row.id] = cached
                    result.n_cached += 1
                else:
                    misses.append(i)
            if misses:
                t0 = time.perf_counter()
                outputs = _predict_isolated(adapter, [inputs[i] for i in misses])
                result.seconds += time.perf_counter() - t0
                new_keys, new_ids, new_vectors = [], [], []
                for i, (vector, error, _kind) in zip(misses, outputs):
                    row = batch[i]
                    if error is None and not np.all(np.isfinite(vector)):
                        error = "NaN or infinite value in the embedding"
                    if error is not None:
                        result.errors[row.id] = error
                        continue
                    vector = np.asarray(vector, dtype=np.float32)
                    result.vectors[row.id] = vector
                    new_keys.append(keys[i])
                    new_ids.append(row.id)
                    new_vectors.append(vector)
                result.n_computed += len(new_vectors)
                if cache is not None and new_vectors:
                    cache.add(new_keys, new_ids, np.stack(new_vectors))
            done += len(batch)
            if on_progress:
                on_progress(done, len(rows))
    finally:
        if cache is not None:
            cache.flush()
    return result


def sample_digest(row: Row) -> str:
    """Identity of a sample's content for the trained-on record: the text, or the audio
    file's size and first and last MiB; "" when the file cannot be read."""
    if row.audio is not None:
        try:
            return files_digest([row.audio])
        except OSError:
            return ""
    return hashlib.sha1((row.text or "").encode("utf-8")).hexdigest()[:16]
