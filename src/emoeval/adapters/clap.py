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
pass, default 8), ``prompt_template`` (for ``evaluate``; default the similarity benchmark's),
``runtime`` (``torch``, ``onnx``, ``onnx-int8``, ``torch-bf16``): the audio and the text
tower each run as an embedding graph (:mod:`emoeval.onnx.encoders`), verified against FP32
by cosine, and the audio tower by the zero-shot label as well
(:meth:`ClapAdapter.verify_runtime`, on a stratified sample of an ``evaluate`` run's clips).
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
    option_names = ('batch_size', 'prompt_template', 'runtime')
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
        from ..onnx.runtime import check_runtime, onnx_device

        self.runtime = str(options.get("runtime") or "torch")
        check_runtime(self.runtime)
        self.device = onnx_device(self.runtime, device) or default_device()
        self.model.to(self.device).eval()
        self.sampling_rate = int(self.processor.feature_extractor.sampling_rate)
        self.model_dir = resolve_model_dir(argument)
        self._labels: list[str] = []
        self._label_embeddings: np.ndarray | None = None
        self._text_cache: dict[str, np.ndarray] = {}
        self.runners: dict[str, Any] = {}
        if self.runtime != "torch":
            from ..onnx.encoders import embedding_runtime

            # verified on the run's clips by verify_runtime first (evaluate); otherwise a
            # cached passed verdict of the same files, else synthetic inputs
            self.runners = {tower: embedding_runtime(self.tower_graph(tower), self.runtime)
                            for tower in ("audio", "text")}

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

    def _audio_batch(self, clips: list[np.ndarray], tensors: str = "pt") -> dict:
        features = [self._clip_features(c) for c in clips]
        batch = {key: self._torch.cat([f[key] for f in features]) for key in features[0]}
        return batch if tensors == "pt" else {k: v.numpy() for k, v in batch.items()}

    def _text_batch(self, texts: list[str], tensors: str = "pt") -> dict:
        return dict(self.processor.tokenizer(list(texts), padding=True, truncation=True,
                                             return_tensors=tensors))

    # --- reduced precision --------------------------------------------------------------
    def tower_graph(self, tower: str):
        """The ``audio`` or ``text`` tower as an
        :class:`~emoeval.onnx.encoders.EmbeddingGraph` (projected, not normalised)."""
        from ..onnx.encoders import EmbeddingGraph, tower as tower_module

        # weights and processor files: the same graph whatever the runtime and prompts
        identity = "\x00".join(p for p in self.fingerprint_parts()
                                if not p.startswith(("runtime:", "template:")))
        if tower == "audio":
            module = tower_module(self.model, "get_audio_features",
                                  ("input_features", "is_longer"))
            return EmbeddingGraph(self.spec, module, "audio", self._audio_batch, identity,
                                  "clap-audio", device=str(self.device),
                                  sampling_rate=self.sampling_rate,
                                  variable_axes={"input_features": {0: "batch"},
                                                 "is_longer": {0: "batch"}})
        module = tower_module(self.model, "get_text_features", ("input_ids", "attention_mask"))
        return EmbeddingGraph(self.spec, module, "text", self._text_batch, identity,
                              "clap-text", device=str(self.device))

    @classmethod
    def verify_runtime(cls, argument: str, spec: str, runtime: str, rows: list) -> None:
        """Export, quantize and verify both towers for ``runtime``: the audio tower on a
        stratified sample of ``rows`` (cosine to FP32, and the same zero-shot label: the
        nearest FP32 prompt), the text tower on the label prompts and fixed sentences
        (cosine). Verdicts are cached."""
        from ..onnx.encoders import EmbeddingRunner, embedding_runtime
        from ..onnx.runtime import onnx_device
        from ..onnx.verify import SYNTHETIC_TEXTS, VERIFY_SAMPLES, unit_rows, \
            verification_inputs
        from ..similarity.prompts import build_prompt

        fp32 = cls(argument, spec=spec, device=onnx_device(runtime, None))
        audio, text = fp32.tower_graph("audio"), fp32.tower_graph("text")
        names: list[str] = []
        for row in rows:
            names += [str(x) for x in (row.label if isinstance(row.label, list)
                                       else [row.label]) if x is not None]
        prompts = [build_prompt(fp32.template, label) for label in dict.fromkeys(names)]
        directions = unit_rows(EmbeddingRunner(text, "torch").run(prompts).astype(np.float64))
        clips, ids = verification_inputs(rows, fp32, VERIFY_SAMPLES)
        embedding_runtime(audio, runtime, clips, ids, directions,
                          source=f"a stratified sample of {len(ids)} of the run's clips")
        texts = prompts + SYNTHETIC_TEXTS
        embedding_runtime(text, runtime, texts, [f"text:{t}" for t in texts], directions,
                          source=f"{len(prompts)} label prompts and {len(SYNTHETIC_TEXTS)} "
                                 "fixed sentences")

    def embed_audio(self, clips: list[np.ndarray]) -> np.ndarray:
        """(len(clips), dim) unit vectors."""
        torch = self._torch
        if "audio" in self.runners:
            return self._normalised(torch.from_numpy(self.runners["audio"].run(list(clips))))
        out = []
        for start in range(0, len(clips), self.batch_size):
            batch = {key: value.to(self.device) for key, value in
                     self._audio_batch(clips[start:start + self.batch_size]).items()}
            with torch.inference_mode():
                out.append(self._normalised(self._pooled(self.model.get_audio_features(**batch))))
        return np.concatenate(out) if out else np.zeros((0, 0))

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) unit vectors; each distinct text is embedded once per adapter."""
        torch = self._torch
        todo = sorted({t for t in texts if t not in self._text_cache})
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            if "text" in self.runners:
                vectors = self._normalised(torch.from_numpy(self.runners["text"].run(chunk)))
            else:
                encoded = {k: v.to(self.device) for k, v in self._text_batch(chunk).items()}
                with torch.inference_mode():
                    vectors = self._normalised(self._pooled(
                        self.model.get_text_features(**encoded)))
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
        # other arithmetic, other predictions: never mixed with FP32 ones in a store
        precision = [f"runtime:{self.runtime}"] if self.runtime != "torch" else []
        return parts + precision + [f"template:{self.template}"]

    def efficiency(self) -> dict[str, Any]:
        weights = self._weight_files()
        return {"n_parameters": int(sum(p.numel() for p in self.model.parameters())),
                "size_bytes": int(sum(os.path.getsize(p) for p in weights)) if weights else None}
