"""``probe:<dir>``: a head trained by ``emoeval train`` on a frozen backbone.

The folder's ``probe.json`` names the backbone (spec, layer, pooling), the head file and the
labels; the modality is the backbone's. Scores are the head's probabilities: softmax for
single-label probes, independent sigmoids for multi-label ones. A ridge probe (trained on
continuous targets) has ``output = "values"``: its labels are the dimensions it was trained
on (EmoBank: ``V``, ``A``, ``D``) and ``predict`` returns the raw regression values, one
column per dimension, on the scale of the training targets. Embeddings go through the
same on-disk cache as training (``cache_dir`` option, default
``$EMOEVAL_CACHE_DIR/embeddings``; ``none`` turns it off), so inputs embedded while
training are not embedded again. Inputs served from the cache make the measured samples/s a
head-only figure: ``efficiency`` counts them (``embeddings_from_cache``).

``check_rows(rows)`` refuses rows the probe was trained or tuned on (same id and content,
from ``trained_on.json``): evaluating a probe on its own training data says nothing.
"""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EmoevalError
from .base import ModelAdapter


class ProbeAdapter(ModelAdapter):
    name = "probe"
    option_names = ('cache_dir',)

    def __init__(self, argument: str, spec: str = "", **options: Any):
        super().__init__(argument, spec=spec, **options)
        from ..probe.backbones import load_backbone
        from ..probe.cache import EmbeddingCache, default_cache_root
        from ..probe.heads import Head
        from ..probe.train import load_record

        self.folder = Path(argument).expanduser()
        if not self.folder.is_dir():
            raise EmoevalError(f"probe:{argument}: no such folder; train one with "
                               "`emoeval train --backbone ... --dataset ... --out DIR`")
        self.record = load_record(str(self.folder))
        self.head = Head.load(self.folder)
        backbone = self.record["backbone"]
        # the runtime it was trained with (its embeddings are keyed apart from FP32 ones)
        self.backbone = load_backbone(backbone["spec"], backbone.get("layer"),
                                      backbone.get("pooling") or "mean",
                                      backbone.get("runtime") or "torch")
        if self.backbone.fingerprint() != backbone.get("fingerprint"):
            raise EmoevalError(f"probe:{argument}: backbone {backbone['spec']} is not the one "
                               "the head was trained on (its weights or settings changed); "
                               "retrain the probe")
        # a regression head answers with values, not scores over classes
        self.output = "values" if self.head.output == "identity" else "scores"
        self.modality = self.backbone.modality
        self.sampling_rate = self.backbone.sampling_rate
        cache_dir = options.get("cache_dir") or default_cache_root()
        self.cache = (None if str(cache_dir).lower() == "none"
                      else EmbeddingCache(cache_dir, self.backbone.fingerprint()))
        self.cache_hits = 0
        if self.cache is not None:
            # the cache writes whole chunks; the last partial one is written at exit
            atexit.register(self.cache.flush)

    @property
    def labels(self) -> list[str]:
        return list(self.head.labels)

    @property
    def multi_label(self) -> bool:
        return self.head.multi_label

    def predict(self, inputs: list[Any]) -> np.ndarray:
        from ..probe.cache import input_digest

        keys = [input_digest(x) for x in inputs] if self.cache is not None else []
        vectors: list[np.ndarray | None] = ([self.cache.get(k) for k in keys]
                                            if self.cache is not None else [None] * len(inputs))
        missing = [i for i, v in enumerate(vectors) if v is None]
        self.cache_hits += len(inputs) - len(missing)
        if missing:
            computed = np.asarray(self.backbone.embed([inputs[i] for i in missing]),
                                  dtype=np.float32)
            if self.cache is not None:
                self.cache.add([keys[i] for i in missing], ["" for _ in missing], computed)
            for i, vector in zip(missing, computed):
                vectors[i] = vector
        return self.head.scores(np.stack(vectors))

    def input_size(self, item: Any) -> int:
        return len(item)

    # --- identity, refusal, efficiency ----------------------------------------------------
    def fingerprint_parts(self) -> list[str]:
        from ..probe.heads import HEAD_FILE, file_digest

        return [f"backbone:{self.backbone.fingerprint()}",
                f"head:{file_digest(self.folder / HEAD_FILE)}",
                f"labels:{json.dumps(self.labels)}"]

    def trained_on(self) -> set[tuple[str, str]]:
        """(sample id, content digest) of every training and tuning sample."""
        from ..probe.train import TRAINED_ON_FILE

        path = self.folder / TRAINED_ON_FILE
        if not path.is_file():
            return set()
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return {(str(i), str(d)) for part in ("train", "tune") for i, d in data.get(part, [])}

    def check_rows(self, rows: list) -> None:
        """Refuse to evaluate on samples the probe was trained or tuned on, and a ridge
        probe on rows without continuous targets (it predicts values, not classes)."""
        from ..datasets.base import has_targets
        from ..probe.embed import sample_digest

        if self.output == "values" and rows and not has_targets(rows):
            raise EmoevalError(
                f"probe:{self.argument} is a ridge probe: it predicts values for "
                f"{', '.join(self.labels)}, not classes; evaluate it on a dataset with "
                "continuous targets (e.g. emobank:, or --target-cols)")

        seen = self.trained_on()
        if not seen:
            return
        ids = {i for i, _ in seen}
        overlap = [r.id for r in rows if r.id in ids and (r.id, sample_digest(r)) in seen]
        if overlap:
            data = self.record.get("data", {})
            raise EmoevalError(
                f"refusing to evaluate probe:{self.argument} on {len(overlap)} samples it was "
                f"trained or tuned on (first: {overlap[0]}; it saw splits "
                f"{data.get('train_split') or 'all rows'}"
                f"{' and ' + data['tune_split'] if data.get('tune_split') else ''} of "
                f"{data.get('dataset')}); evaluate a held-out split, e.g. --split test")

    def efficiency(self) -> dict[str, Any]:
        from ..probe.heads import HEAD_FILE

        backbone = self.backbone.efficiency()
        head_size = os.path.getsize(self.folder / HEAD_FILE)
        n_backbone = backbone.get("n_parameters")
        size_backbone = backbone.get("size_bytes")
        timing = self.record.get("timing", {})
        return {"n_parameters": (n_backbone or 0) + self.head.n_parameters,
                "size_bytes": (size_backbone or 0) + head_size,
                "head_parameters": self.head.n_parameters, "head_size_bytes": head_size,
                "training_s": timing.get("training_s"),
                "embeddings_from_cache": self.cache_hits}
