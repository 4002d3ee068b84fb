"""Frozen backbones that turn inputs into fixed-size embeddings for a probe.

``--backbone`` specs:

- ``zeroshot:<sentence-transformers model | minilm>``: text. With the default layer
  ``sentence`` the model's own ``encode`` output (pooled, L2-normalised); with ``--layer``
  indices, the hidden states of those layers of its transformer, pooled.
- ``hf:<hub id or local dir>``: a transformers text or audio model (``AutoModel``, chosen
  by the config like the ``hf:`` adapter); hidden states of ``--layer`` (default ``-1``,
  the last), pooled by ``--pooling`` (``mean`` over tokens or frames, or ``cls``: the first
  token, text only).
- ``opensmile:egemaps``: speech; the 88 eGeMAPSv02 functionals of openSMILE (the
  ``opensmile`` package, offline). ``opensmile:gemaps`` and ``opensmile:compare`` (ComParE
  2016, 6,373 functionals) work the same way.

``--layer`` takes comma-separated items: an index into the hidden states (0 = embeddings,
negative from the end), or ``sentence``; several items are concatenated (``sentence,-2,-3``).
Every backbone runs on CPU, or CUDA when present, in inference mode.

``--runtime onnx|onnx-int8|torch-bf16`` (transformer backbones): the model, its layer
selection and pooling run as one embedding graph (:mod:`emoeval.onnx.encoders`), exported,
quantized and verified by cosine to FP32 on a stratified sample of the training rows
(:meth:`TransformerBackbone.verify_runtime`). The runtime is part of the fingerprint, so the
embedding cache keeps reduced-precision embeddings apart from FP32 ones, and a probe is
evaluated with the runtime it was trained on.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..adapters.base import default_device
from ..errors import EmoevalError
from ..extras import require

#: bumped when the way embeddings are computed changes: old cache entries stop matching
FEATURE_VERSION = "1"
POOLINGS = ("mean", "cls")
OPENSMILE_SETS = {"egemaps": ("eGeMAPSv02", 16000), "gemaps": ("GeMAPSv01b", 16000),
                  "compare": ("ComParE_2016", 16000)}
BACKBONES = ("zeroshot", "hf", "opensmile")


def parse_layers(layer: str | int | None, default: str) -> list[str]:
    """``"sentence,-2,-3"`` -> ``["sentence", "-2", "-3"]`` (each checked)."""
    text = default if layer is None or str(layer).strip() == "" else str(layer)
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        if item != "sentence":
            try:
                int(item)
            except ValueError:
                raise EmoevalError(f"--layer {text!r}: give layer indices (e.g. -1 or 4,5,6) "
                                   "or 'sentence'") from None
    if not items:
        raise EmoevalError(f"--layer {text!r}: name at least one layer")
    return items


class Backbone:
    """Inputs -> (n, dim) float32 embeddings. Subclasses set ``modality`` and
    ``sampling_rate`` (audio) and implement :meth:`embed`."""

    modality: str = "text"
    sampling_rate: int | None = None

    def __init__(self, spec: str, layer: str | None = None, pooling: str = "mean",
                 runtime: str = "torch"):
        self.spec = spec
        self.layer = layer
        self.pooling = pooling
        self.runtime = runtime

    def embed(self, inputs: list[Any]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def weight_parts(self) -> list[str]:
        return []

    def fingerprint(self) -> str:
        """Spec + weights + layer + pooling + feature version: keys the embedding cache."""
        # FP32 keys stay as they were; other runtimes get keys of their own
        precision = "" if self.runtime == "torch" else f"\x00runtime:{self.runtime}"
        h = hashlib.sha256(f"{self.spec}\x00{self.layer}\x00{self.pooling}\x00"
                           f"{FEATURE_VERSION}{precision}".encode())
        for part in self.weight_parts():
            h.update(b"\x00" + part.encode())
        return h.hexdigest()[:16]

    def efficiency(self) -> dict[str, Any]:
        return {"n_parameters": None, "size_bytes": None}

    def describe(self) -> dict[str, Any]:
        return {"spec": self.spec, "layer": self.layer, "pooling": self.pooling,
                "modality": self.modality, "sampling_rate": self.sampling_rate,
                "runtime": self.runtime}

    def verify_runtime(self, rows: list) -> None:
        """Prepare and verify the runtime on ``rows`` (nothing to do for FP32 or a backbone
        without a transformer)."""
        if self.runtime != "torch":
            raise EmoevalError(f"--runtime {self.runtime} applies to zeroshot: and hf: "
                               f"backbones, not {self.spec}")


class TransformerBackbone(Backbone):
    """Hidden states of a transformers model (text or audio); shared by ``hf:`` and the
    transformer inside a sentence-transformers model."""

    def __init__(self, spec: str, layer: str | None = None, pooling: str = "mean",
                 runtime: str = "torch"):
        super().__init__(spec, layer, pooling, runtime)
        if pooling not in POOLINGS:
            raise EmoevalError(f"--pooling {pooling!r}: use {' or '.join(POOLINGS)}")
        torch = require("torch", "hf", f"the {spec.partition(':')[0]}: backbone")

        from ..onnx.runtime import check_runtime, onnx_device

        check_runtime(runtime)
        self._torch = torch
        self.device = onnx_device(runtime, None) or default_device()
        self.model: Any = None
        self.processor: Any = None
        self.model_dir: str | None = None
        self.max_length = 512
        self._runner: Any = None

    def _layers(self) -> list[int]:
        return [int(x) for x in parse_layers(self.layer, "-1") if x != "sentence"]

    def _check_layers(self, n_hidden: int) -> None:
        for index in self._layers():
            if not -n_hidden <= index < n_hidden:
                raise EmoevalError(f"--layer {index}: {self.spec} has {n_hidden} hidden states "
                                   f"(0 = embeddings .. {n_hidden - 1}, or negative from the end)")

    def embedding_graph(self):
        """The model with its layer selection and pooling as one
        :class:`~emoeval.onnx.encoders.EmbeddingGraph` (the torch path runs it too)."""
        from ..onnx.encoders import EmbeddingGraph, pooled_hidden_states

        self._check_layers(int(self.model.config.num_hidden_layers) + 1)
        text = self.modality == "text"
        processor, limit, rate = self.processor, self.max_length, self.sampling_rate

        def encode(items: list[Any], tensors: str) -> dict:
            if text:
                return dict(processor([str(x) for x in items], return_tensors=tensors,
                                      padding=True, truncation=True, max_length=limit))
            # without a mask: only equal lengths share a pass (the runner groups them)
            return {"input_values": processor(items, sampling_rate=rate, return_tensors=tensors,
                                              padding=True)["input_values"]}

        module = pooled_hidden_states(self.model, self._layers(), self.pooling, text)
        return EmbeddingGraph(self.spec, module, self.modality, encode,
                              identity="\x00".join(self.weight_parts()),
                              what=f"hidden:{self._layers()}:{self.pooling}:{limit}",
                              device=str(self.device), sampling_rate=rate,
                              shares_padding=text)

    def verify_runtime(self, rows: list | None) -> None:
        """Export, quantize and verify the runtime (cosine to FP32) on a stratified sample
        of ``rows``, or, without rows, trust a passed verdict of the same files or verify on
        synthetic inputs. Verdicts are cached."""
        from ..onnx.encoders import embedding_runtime
        from ..onnx.verify import VERIFY_SAMPLES, verification_inputs

        graph = self.embedding_graph()
        if rows:
            items, ids = verification_inputs(rows, graph, VERIFY_SAMPLES)
            self._runner = embedding_runtime(graph, self.runtime, items, ids, source=(
                f"a stratified sample of {len(ids)} of the training rows"))
        else:
            self._runner = embedding_runtime(graph, self.runtime)

    def hidden_features(self, inputs: list[Any]) -> np.ndarray:
        if self._runner is None:
            self.verify_runtime(None)
        return self._runner.run(inputs)

    def efficiency(self) -> dict[str, Any]:
        from ..adapters.hf import WEIGHT_PATTERNS

        files = []
        if self.model_dir:
            for pattern in WEIGHT_PATTERNS:
                files += [str(p) for p in Path(self.model_dir).glob(pattern)]
        return {"n_parameters": int(sum(p.numel() for p in self.model.parameters())),
                "size_bytes": int(sum(os.path.getsize(p) for p in files)) if files else None}


class HFBackbone(TransformerBackbone):
    """``hf:<model>``: AutoModel hidden states with its tokenizer or feature extractor."""

    def __init__(self, argument: str, spec: str, layer: str | None = None,
                 pooling: str = "mean", runtime: str = "torch"):
        super().__init__(spec, layer if layer is not None else "-1", pooling, runtime)
        transformers = require("transformers", "hf", "the hf: backbone")

        from ..adapters.hf import describe_load_error, is_audio_config, resolve_model_dir

        try:
            config = transformers.AutoConfig.from_pretrained(argument)
            if is_audio_config(config):
                self.modality = "audio"
                self.processor = transformers.AutoFeatureExtractor.from_pretrained(argument)
                self.sampling_rate = int(self.processor.sampling_rate)
                if pooling == "cls":
                    raise EmoevalError("--pooling cls applies to text models; use mean for "
                                       f"{spec}")
            else:
                self.processor = transformers.AutoTokenizer.from_pretrained(argument)
                limit = getattr(self.processor, "model_max_length", 512)
                self.max_length = limit if limit < 100_000 else 512
            self.model = transformers.AutoModel.from_pretrained(argument)
        except EmoevalError:
            raise
        except Exception as exc:
            raise describe_load_error(argument, exc) from None
        self.model.to(self.device).eval()
        self.model_dir = resolve_model_dir(argument)
        if "sentence" in parse_layers(self.layer, "-1"):
            raise EmoevalError(f"--layer sentence applies to zeroshot: backbones, not {spec}")

    def weight_parts(self) -> list[str]:
        from ..adapters.hf import WEIGHT_PATTERNS
        from ..adapters.base import files_digest

        if not self.model_dir:
            return [str(getattr(self.model.config, "_commit_hash", ""))]
        files = [str(p) for pattern in WEIGHT_PATTERNS for p in Path(self.model_dir).glob(pattern)]
        return [files_digest(files)] if files else []

    def embed(self, inputs: list[Any]) -> np.ndarray:
        return self.hidden_features(inputs).astype(np.float32)


class SentenceTransformerBackbone(TransformerBackbone):
    """``zeroshot:<model>``: the sentence embedding, and/or hidden states of its
    transformer."""

    def __init__(self, argument: str, spec: str, layer: str | None = None,
                 pooling: str = "mean", runtime: str = "torch"):
        super().__init__(spec, layer if layer is not None else "sentence", pooling, runtime)
        from ..adapters.zeroshot import ZeroShotAdapter

        # the zero-shot adapter already knows how to find and load the model offline (FP32:
        # the backbone runs its own graph under the runtime)
        self.adapter = ZeroShotAdapter(argument, spec=spec, device=self.device)
        self.st_model = self.adapter.model
        self.model = self.st_model[0].auto_model
        self.processor = self.st_model.tokenizer
        self.max_length = int(getattr(self.st_model, "max_seq_length", 256) or 256)
        self.model_dir = str(self.adapter.model_dir) if self.adapter.model_dir else None
        self.items = parse_layers(self.layer, "sentence")
        if runtime != "torch" and "sentence" in self.items and not (
                self._plain_mean_pooling() and pooling == "mean"):
            raise EmoevalError(f"--runtime {runtime} --layer sentence needs a transformer -> "
                               f"mean pooling -> normalise model and --pooling mean; {spec} "
                               "with these settings is not: name layers instead, or use "
                               "--runtime torch")

    def weight_parts(self) -> list[str]:
        return [p for p in self.adapter.fingerprint_parts() if p.startswith(("files:", "params:"))]

    def _plain_mean_pooling(self) -> bool:
        """True when the model is transformer -> mean pooling -> normalise (MiniLM and most
        sentence-transformers): its sentence embedding then comes from the same forward pass
        as the hidden states."""
        modules = list(self.st_model)
        return (len(modules) == 3 and type(modules[1]).__name__ == "Pooling"
                and getattr(modules[1], "pooling_mode", None) == "mean"
                and type(modules[2]).__name__ == "Normalize")

    def _layers(self) -> list[int]:
        layers = [int(x) for x in self.items if x != "sentence"]
        if "sentence" in self.items and self._plain_mean_pooling():
            layers.append(-1)  # the sentence embedding's source, computed in the same pass
        return layers

    def embed(self, inputs: list[Any]) -> np.ndarray:
        texts = [str(x) for x in inputs]
        wanted = [int(x) for x in self.items if x != "sentence"]
        if "sentence" in self.items and not self._plain_mean_pooling():
            sentence = np.asarray(self.st_model.encode(
                texts, batch_size=max(1, len(texts)), normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
            if not wanted:
                return sentence
            return np.concatenate([sentence, self.hidden_features(texts)], axis=1)
        features = self.hidden_features(texts).astype(np.float32)
        if "sentence" not in self.items:
            return features
        width = features.shape[1] // len(self._layers())
        last = features[:, -width:] if self.pooling == "mean" else None
        if last is None:  # cls pooling of the layers: the sentence vector needs a mean pass
            sentence = np.asarray(self.st_model.encode(
                texts, batch_size=max(1, len(texts)), normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
        else:
            sentence = last / np.maximum(np.linalg.norm(last, axis=1, keepdims=True), 1e-12)
        layers = features[:, :-width]  # the last block is the sentence embedding's source
        # keep the order of --layer: "sentence" where it was named
        blocks, position = [], 0
        for item in self.items:
            if item == "sentence":
                blocks.append(sentence)
            else:
                blocks.append(layers[:, position * width:(position + 1) * width])
                position += 1
        return np.concatenate(blocks, axis=1)

    def efficiency(self) -> dict[str, Any]:
        return self.adapter.efficiency()


class OpenSmileBackbone(Backbone):
    """``opensmile:egemaps``: openSMILE functionals of the whole clip."""

    modality = "audio"

    def __init__(self, argument: str, spec: str, layer: str | None = None,
                 pooling: str = "mean"):
        super().__init__(spec, None, "functionals")
        if layer is not None:
            raise EmoevalError("--layer does not apply to opensmile: backbones")
        name = argument.strip().lower()
        if name not in OPENSMILE_SETS:
            raise EmoevalError(f"opensmile:{argument}: unknown feature set; use "
                               f"{', '.join('opensmile:' + n for n in OPENSMILE_SETS)}")
        opensmile = require("opensmile", "opensmile", "the opensmile: backbone")
        feature_set, self.sampling_rate = OPENSMILE_SETS[name]
        self._version = getattr(opensmile, "__version__", "")
        self.smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                                     feature_level=opensmile.FeatureLevel.Functionals)

    def weight_parts(self) -> list[str]:
        return [f"opensmile:{self._version}"]

    def embed(self, inputs: list[Any]) -> np.ndarray:
        rows = [self.smile.process_signal(np.asarray(x, dtype=np.float32), self.sampling_rate)
                .to_numpy(dtype=np.float32)[0] for x in inputs]
        return np.stack(rows) if rows else np.zeros((0, len(self.smile.feature_names)),
                                                    np.float32)

    def efficiency(self) -> dict[str, Any]:
        return {"n_parameters": 0, "size_bytes": 0}


def load_backbone(spec: str, layer: str | None = None, pooling: str = "mean",
                  runtime: str = "torch") -> Backbone:
    """``zeroshot:minilm`` / ``hf:<model>`` / ``opensmile:egemaps`` -> a backbone."""
    name, sep, argument = spec.partition(":")
    if not sep or name not in BACKBONES or not argument:
        raise EmoevalError(f"--backbone {spec!r}: use zeroshot:<model | minilm>, hf:<model> or "
                           "opensmile:egemaps")
    layer = None if layer is None or str(layer).strip() == "" else str(layer)
    if name == "zeroshot":
        return SentenceTransformerBackbone(argument, spec, layer, pooling, runtime)
    if name == "hf":
        return HFBackbone(argument, spec, layer, pooling, runtime)
    if runtime != "torch":
        raise EmoevalError(f"--runtime {runtime} applies to zeroshot: and hf: backbones, not "
                           f"{spec}")
    return OpenSmileBackbone(argument, spec, layer, pooling)
