"""``clap:<hub id or local dir>``: a transformers CLAP model (``ClapModel`` + ``ClapProcessor``).

Audio and text are embedded separately (``get_audio_features`` / ``get_text_features``,
L2-normalised), so a pair's score is the cosine similarity of its two embeddings, in [-1, 1].
:meth:`ClapAdapter.pair_similarity` scores (clip, text) pairs for the similarity benchmark,
embedding each distinct clip and text once; :meth:`ClapAdapter.predict` makes the model a
zero-shot classifier for ``emoeval evaluate`` (softmax over the cosine to one prompt per
dataset label, scaled by the model's own ``logit_scale_a``).

Clips longer than the feature extractor's window are cropped at random by CLAP's own
feature extractor (``rand_trunc``, ``fusion``). To keep scores reproducible and independent
of batching, each clip's features are computed on their own with NumPy's global generator
seeded to 0 (and restored afterwards).

Options: ``device`` (default cuda when available), ``batch_size`` (clips or texts per forward
pass, default 8), ``prompt_template`` (for ``evaluate``; default the similarity benchmark's).
"""

from __future__ import annotations

import glob
import os
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..extras import require
from .base import ModelAdapter, default_device, files_digest, softmax
from .hf import WEIGHT_PATTERNS, describe_load_error, resolve_model_dir

DEFAULT_BATCH_SIZE = 8
PROCESSOR_FILES = ("config.json", "processor_config.json", "preprocessor_config.json",
                   "tokenizer_config.json", "tokenizer.json", "vocab.json", "merges.txt",
                   "special_tokens_map.json")


class ClapAdapter(ModelAdapter):
    name = "clap"
    option_names = ('batch_size', 'prompt_template')
    modality = "audio"

    def __init__(self, argument: str, spec: str = "", device: str | None = None,
                 **options: Any):
        super().__init__(argument, spec, **options)
        torch = require("torch", "hf", "the clap: adapter")
        transformers = require("transformers", "hf", "the clap: adapter")

        from ..similarity.prompts import DEFAULT_TEMPLATE, check_template

        self._torch = torch
        try:
            self.batch_size = int(options.get("batch_size") or DEFAULT_BATCH_SIZE)
        except (TypeError, ValueError):
            self.batch_size = 0
        if self.batch_size < 1:
            raise EmoevalError(f"clap: batch_size must be a whole number >= 1, got "
                               f"{options.get('batch_size')!r}")
        self.template = check_template(str(options.get("prompt_template") or DEFAULT_TEMPLATE))
        try:
            config = transformers.AutoConfig.from_pretrained(argument)
        except Exception as exc:
            raise describe_load_error(argument, exc) from None
        if config.model_type != "clap":
            raise EmoevalError(f"clap:{argument} is a {config.model_type!r} model, not CLAP; "
                               "use hf: for classifiers")
        try:
            self.processor = transformers.ClapProcessor.from_pretrained(argument)
            self.model = transformers.ClapModel.from_pretrained(argument)
        except Exception as exc:
            raise describe_load_error(argument, exc) from None
        self.device = device or default_device()
        self.model.to(self.device).eval()
        self.sampling_rate = int(self.processor.feature_extractor.sampling_rate)
        self.model_dir = resolve_model_dir(argument)
        self._labels: list[str] = []
        self._label_embeddings: np.ndarray | None = None
        self._text_cache: dict[str, np.ndarray] = {}

    # --- embeddings ---------------------------------------------------------------------
    @staticmethod
    def _pooled(output) -> Any:
        # transformers 5 returns a model output holding the projected embedding in
        # pooler_output; transformers 4 returns the tensor itself
        return getattr(output, "pooler_output", output)

    def _normalised(self, tensor) -> np.ndarray:
        array = tensor.float().cpu().numpy().astype(np.float64)
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        return array / np.where(norms > 0, norms, 1.0)

    def _clip_features(self, clip: np.ndarray) -> dict:
        state = np.random.get_state()
        np.random.seed(0)
        try:
            return dict(self.processor.feature_extractor(
                [clip], sampling_rate=self.sampling_rate, return_tensors="pt"))
        finally:
            np.random.set_state(state)

    def embed_audio(self, clips: list[np.ndarray]) -> np.ndarray:
        """(len(clips), dim) unit vectors."""
        torch = self._torch
        out = []
        for start in range(0, len(clips), self.batch_size):
            features = [self._clip_features(c) for c in clips[start:start + self.batch_size]]
            batch = {key: torch.cat([f[key] for f in features]).to(self.device)
                     for key in features[0]}
            with torch.inference_mode():
                out.append(self._normalised(self._pooled(self.model.get_audio_features(**batch))))
        return np.concatenate(out) if out else np.zeros((0, 0))

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) unit vectors; each distinct text is embedded once per adapter."""
        torch = self._torch
        todo = sorted({t for t in texts if t not in self._text_cache})
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            encoded = self.processor.tokenizer(chunk, padding=True, truncation=True,
                                               return_tensors="pt")
            encoded = {k: v.to(self.device) for k, v in encoded.items()}
            with torch.inference_mode():
                vectors = self._normalised(self._pooled(self.model.get_text_features(**encoded)))
            for text, vector in zip(chunk, vectors):
                self._text_cache[text] = vector
        return np.stack([self._text_cache[t] for t in texts]) if texts else np.zeros((0, 0))

    def pair_similarity(self, clips: list[np.ndarray], texts: list[str]) -> np.ndarray:
        """Cosine similarity of ``clips[i]`` with ``texts[i]``; a clip object passed several
        times (one clip, many prompts) is embedded once."""
        if len(clips) != len(texts):
            raise ValueError("one text per clip")
        first_index: dict[int, int] = {}
        unique: list[np.ndarray] = []
        for clip in clips:
            if id(clip) not in first_index:
                first_index[id(clip)] = len(unique)
                unique.append(clip)
        audio = self.embed_audio(unique)
        rows = audio[[first_index[id(c)] for c in clips]]
        return np.einsum("ij,ij->i", rows, self.embed_text(texts))

    # --- zero-shot classification for `emoeval evaluate` ---------------------------------
    def set_candidate_labels(self, dataset_labels: list[str]) -> None:
        from ..similarity.prompts import build_prompt

        self._labels = list(dataset_labels)
        self._label_embeddings = self.embed_text([build_prompt(self.template, label)
                                                  for label in self._labels])

    @property
    def labels(self) -> list[str]:
        return self._labels

    def predict(self, inputs: list[np.ndarray]) -> np.ndarray:
        if self._label_embeddings is None:
            raise EmoevalError("clap: set_candidate_labels must be called before predict")
        scale = float(self.model.logit_scale_a.exp().item())
        return softmax(scale * self.embed_audio(list(inputs)) @ self._label_embeddings.T)

    # --- identity and size --------------------------------------------------------------
    def _weight_files(self) -> list[str]:
        if not self.model_dir:
            return []
        return [f for pattern in WEIGHT_PATTERNS
                for f in glob.glob(os.path.join(self.model_dir, pattern))]

    def fingerprint_parts(self) -> list[str]:
        weights = self._weight_files()
        parts = [files_digest(weights) if weights
                 else str(getattr(self.model.config, "_commit_hash", ""))]
        for name in PROCESSOR_FILES:
            path = os.path.join(self.model_dir or "", name)
            if self.model_dir and os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    parts.append(f"{name}:{f.read()}")
        return parts + [f"template:{self.template}"]

    def efficiency(self) -> dict[str, Any]:
        weights = self._weight_files()
        return {"n_parameters": int(sum(p.numel() for p in self.model.parameters())),
                "size_bytes": int(sum(os.path.getsize(p) for p in weights)) if weights else None}
