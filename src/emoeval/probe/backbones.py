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

    def __init__(self, spec: str, layer: str | None = None, pooling: str = "mean"):
        self.spec = spec
        self.layer = layer
        self.pooling = pooling

    def embed(self, inputs: list[Any]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def weight_parts(self) -> list[str]:
        return []

    def fingerprint(self) -> str:
        """Spec + weights + layer + pooling + feature version: keys the embedding cache."""
        h = hashlib.sha256(f"{self.spec}\x00{self.layer}\x00{self.pooling}\x00"
                           f"{FEATURE_VERSION}".encode())
        for part in self.weight_parts():
            h.update(b"\x00" + part.encode())
        return h.hexdigest()[:16]

    def efficiency(self) -> dict[str, Any]:
        return {"n_parameters": None, "size_bytes": None}

    def describe(self) -> dict[str, Any]:
        return {"spec": self.spec, "layer": self.layer, "pooling": self.pooling,
                "modality": self.modality, "sampling_rate": self.sampling_rate}


def _pool(torch, hidden, mask, pooling: str):
    """(batch, tokens, dim) -> (batch, dim): masked mean, or the first token."""
    if pooling == "cls":
        return hidden[:, 0]
    if mask is None:
        return hidden.mean(dim=1)
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class TransformerBackbone(Backbone):
    """Hidden states of a transformers model (text or audio); shared by ``hf:`` and the
    transformer inside a sentence-transformers model."""

    def __init__(self, spec: str, layer: str | None = None, pooling: str = "mean"):
        super().__init__(spec, layer, pooling)
        if pooling not in POOLINGS:
            raise EmoevalError(f"--pooling {pooling!r}: use {' or '.join(POOLINGS)}")
        torch = require("torch", "hf", f"the {spec.partition(':')[0]}: backbone")

        self._torch = torch
        self.device = default_device()
        self.model: Any = None
        self.processor: Any = None
        self.model_dir: str | None = None
        self.max_length = 512

    def _layers(self) -> list[int]:
        return [int(x) for x in parse_layers(self.layer, "-1") if x != "sentence"]

    def _check_layers(self, n_hidden: int) -> None:
        for index in self._layers():
            if not -n_hidden <= index < n_hidden:
                raise EmoevalError(f"--layer {index}: {self.spec} has {n_hidden} hidden states "
                                   f"(0 = embeddings .. {n_hidden - 1}, or negative from the end)")

    def hidden_features(self, inputs: list[Any]) -> np.ndarray:
        torch = self._torch
        if self.modality == "audio":
            from ..adapters.base import padding_groups

            out: list[np.ndarray | None] = [None] * len(inputs)
            # equal lengths only share a pass: the mean then covers real frames only
            for group in padding_groups(inputs, uses_attention_mask=False):
                encoded = self.processor([inputs[i] for i in group],
                                         sampling_rate=self.sampling_rate, return_tensors="pt")
                vectors = self._forward(dict(encoded), mask=None)
                for row, i in enumerate(group):
                    out[i] = vectors[row]
            return np.stack(out) if out else np.zeros((0, 0), np.float32)
        encoded = self.processor([str(x) for x in inputs], return_tensors="pt", padding=True,
                                 truncation=True, max_length=self.max_length)
        return self._forward(dict(encoded), mask=encoded["attention_mask"])

    def _forward(self, encoded: dict, mask) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            encoded = {k: v.to(self.device) for k, v in encoded.items()}
            hidden = self.model(**encoded, output_hidden_states=True).hidden_states
            self._check_layers(len(hidden))
            mask_here = mask.to(self.device) if mask is not None else None
            pooled = [_pool(torch, hidden[i], mask_here, self.pooling) for i in self._layers()]
            return torch.cat(pooled, dim=-1).float().cpu().numpy()

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
                 pooling: str = "mean"):
        super().__init__(spec, layer if layer is not None else "-1", pooling)
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
                 pooling: str = "mean"):
        super().__init__(spec, layer if layer is not None else "sentence", pooling)
        from ..adapters.zeroshot import ZeroShotAdapter

        # the zero-shot adapter already knows how to find and load the model offline
        self.adapter = ZeroShotAdapter(argument, spec=spec)
        self.st_model = self.adapter.model
        self.model = self.st_model[0].auto_model
        self.processor = self.st_model.tokenizer
        self.max_length = int(getattr(self.st_model, "max_seq_length", 256) or 256)
        self.model_dir = str(self.adapter.model_dir) if self.adapter.model_dir else None
        self.items = parse_layers(self.layer, "sentence")

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


def load_backbone(spec: str, layer: str | None = None, pooling: str = "mean") -> Backbone:
    """``zeroshot:minilm`` / ``hf:<model>`` / ``opensmile:egemaps`` -> a backbone."""
    name, sep, argument = spec.partition(":")
    if not sep or name not in BACKBONES or not argument:
        raise EmoevalError(f"--backbone {spec!r}: use zeroshot:<model | minilm>, hf:<model> or "
                           "opensmile:egemaps")
    layer = None if layer is None or str(layer).strip() == "" else str(layer)
    if name == "zeroshot":
        return SentenceTransformerBackbone(argument, spec, layer, pooling)
    if name == "hf":
        return HFBackbone(argument, spec, layer, pooling)
    return OpenSmileBackbone(argument, spec, layer, pooling)
