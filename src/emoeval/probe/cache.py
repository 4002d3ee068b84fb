"""On-disk embedding cache: one folder per backbone fingerprint, content-addressed rows.

``<root>/<backbone fingerprint>/chunk-*.npz``, each chunk holding ``keys`` (a digest of the
model input: the text, or the decoded audio array at the backbone's rate), ``ids`` (the
sample ids it was computed for, for the record) and ``vectors``. Chunks are written whole
(temporary file, then rename), so a killed run leaves only complete chunks: a rerun reads
them and embeds only what is missing. Keying by content as well as by the backbone means
the same sentence under two ids (or two datasets) is embedded once, and a sample id reused
for different content never returns a stale vector. The default root is
``$EMOEVAL_CACHE_DIR/embeddings`` (``~/.cache/emoeval/embeddings``).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..results_io import atomic_path

#: rows buffered before a chunk is written (a killed run loses at most this many)
FLUSH_ROWS = 1024
FLUSH_SECONDS = 60.0


def default_cache_root() -> Path:
    from ..datasets.hf import cache_root

    return cache_root() / "embeddings"


def input_digest(item: Any) -> str:
    """Digest of one model input: text as UTF-8, audio as its float32 samples."""
    h = hashlib.sha1()
    if isinstance(item, str):
        h.update(b"t\x00" + item.encode("utf-8"))
    else:
        h.update(b"a\x00" + np.ascontiguousarray(item, dtype=np.float32).tobytes())
    return h.hexdigest()


class EmbeddingCache:
    """Vectors by input digest for one backbone; ``add`` buffers, ``flush`` writes."""

    _counter = itertools.count()

    def __init__(self, root: str | Path, backbone_fingerprint: str):
        self.folder = Path(root) / backbone_fingerprint
        self.vectors: dict[str, np.ndarray] = {}
        self._pending: list[tuple[str, str, np.ndarray]] = []
        self._last_flush = time.monotonic()
        if self.folder.is_dir():
            for chunk in sorted(self.folder.glob("chunk-*.npz")):
                try:
                    with np.load(chunk, allow_pickle=False) as data:
                        for key, vector in zip(data["keys"], data["vectors"]):
                            self.vectors[str(key)] = vector
                except (OSError, ValueError, KeyError):
                    continue  # an unreadable chunk is recomputed, never trusted

    def __len__(self) -> int:
        return len(self.vectors)

    def get(self, key: str) -> np.ndarray | None:
        return self.vectors.get(key)

    def add(self, keys: list[str], ids: list[str], vectors: np.ndarray) -> None:
        for key, sample_id, vector in zip(keys, ids, np.asarray(vectors, dtype=np.float32)):
            self.vectors[key] = vector
            self._pending.append((key, sample_id, vector))
        if (len(self._pending) >= FLUSH_ROWS
                or time.monotonic() - self._last_flush > FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"chunk-{time.time_ns():020d}-{os.getpid()}-{next(self._counter)}"
        keys, ids, vectors = zip(*self._pending)
        with atomic_path(self.folder / f"{name}.npz") as tmp:
            np.savez(tmp, keys=np.array(keys), ids=np.array(ids), vectors=np.stack(vectors))
        self._pending = []
        self._last_flush = time.monotonic()
