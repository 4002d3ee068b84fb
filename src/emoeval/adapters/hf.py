"""``hf:<hub id or local dir>``: a transformers audio or text classifier.

The model class is chosen from the config: a ``model_type`` registered for audio
classification loads with ``AutoModelForAudioClassification`` and its feature extractor,
anything else with ``AutoModelForSequenceClassification`` and its tokenizer.
"""

from __future__ import annotations

import glob
import os
from typing import Any

import numpy as np

from ..errors import EmoevalError
from .base import ModelAdapter, files_digest, padding_groups

# PyTorch weights only: an exported .onnx beside them is another model (onnx:), and must not
# change this one's size or fingerprint (the --runtime cache key)
WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth")
PREPROCESSING_FILES = ("preprocessor_config.json", "tokenizer_config.json", "tokenizer.json",
                       "vocab.txt", "vocab.json", "merges.txt", "special_tokens_map.json")


def resolve_model_dir(name_or_path: str) -> str | None:
    """Local folder holding the model's files (a local dir, or the Hub cache snapshot)."""
    if os.path.isdir(name_or_path):
        return name_or_path
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name_or_path, local_files_only=True)
    except Exception:
        return None


def describe_load_error(name_or_path: str, exc: Exception) -> EmoevalError:
    """One line that says whether the model is missing, unreachable, or broken."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if not os.path.exists(name_or_path) and ("/" not in name_or_path.strip("/")
                                             or name_or_path.startswith((".", "/"))):
        return EmoevalError(f"model path {name_or_path!r} does not exist")
    offline = os.environ.get("HF_HUB_OFFLINE") == "1" or "offline" in text.lower() \
        or "connect" in text.lower() or "resolve" in text.lower()
    if not os.path.exists(name_or_path) and offline:
        return EmoevalError(
            f"could not fetch {name_or_path!r} from the Hugging Face Hub (offline or not "
            f"cached: {text}); download it once with network, or give a local folder")
    return EmoevalError(f"could not load model {name_or_path!r}: {text}")


class HFAdapter(ModelAdapter):
    name = "hf"

    def __init__(self, argument: str, spec: str = "", device: str | None = None, **options: Any):
        super().__init__(argument, spec, **options)
        import torch
        import transformers
        from transformers.models.auto import modeling_auto

        self._torch = torch
        try:
            config = transformers.AutoConfig.from_pretrained(argument)
        except Exception as exc:
            raise describe_load_error(argument, exc) from None
        self.config = config
        is_audio = config.model_type in modeling_auto.MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES
        self.modality = "audio" if is_audio else "text"
        try:
            if is_audio:
                self.processor = transformers.AutoFeatureExtractor.from_pretrained(argument)
                # loading_info: keys newly initialised (a random head) for screening
                self.model, self.loading_info = (
                    transformers.AutoModelForAudioClassification.from_pretrained(
                        argument, output_loading_info=True))
                self.sampling_rate = int(self.processor.sampling_rate)
                # Models normalised per group (e.g. wav2vec2-base) take no attention mask:
                # zero padding changes their output, so only equal lengths share a batch.
                self.uses_attention_mask = bool(
                    getattr(self.processor, "return_attention_mask", False))
            else:
                self.processor = transformers.AutoTokenizer.from_pretrained(argument)
                self.model, self.loading_info = (
                    transformers.AutoModelForSequenceClassification.from_pretrained(
                        argument, output_loading_info=True))
                self.uses_attention_mask = True
        except Exception as exc:
            raise describe_load_error(argument, exc) from None
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        id2label = self.model.config.id2label
        self._labels = [str(id2label[i]) for i in sorted(id2label)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"
        self.model_dir = resolve_model_dir(argument)

    @property
    def labels(self) -> list[str]:
        return self._labels

    def input_size(self, item: Any) -> int:
        return len(item)

    def _forward(self, encoded: dict) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            encoded = {k: v.to(self.device) for k, v in encoded.items()}
            logits = self.model(**encoded).logits.float()
            probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, -1)
        return probs.cpu().numpy().astype(np.float64)

    def _predict_audio(self, inputs: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(inputs), len(self._labels)))
        for group in padding_groups(inputs, self.uses_attention_mask):
            encoded = self.processor([inputs[i] for i in group], sampling_rate=self.sampling_rate,
                                     return_tensors="pt", padding=True,
                                     return_attention_mask=self.uses_attention_mask)
            out[group] = self._forward(dict(encoded))
        return out

    def _predict_text(self, inputs: list[str]) -> np.ndarray:
        encoded = self.processor(inputs, return_tensors="pt", padding=True, truncation=True,
                                 max_length=getattr(self.processor, "model_max_length", 512)
                                 if getattr(self.processor, "model_max_length", 0) < 100_000
                                 else 512)
        return self._forward(dict(encoded))

    def predict(self, inputs: list[Any]) -> np.ndarray:
        if self.modality == "audio":
            return self._predict_audio(inputs)
        return self._predict_text(inputs)

    def _weight_files(self) -> list[str]:
        if not self.model_dir:
            return []
        files: list[str] = []
        for pattern in WEIGHT_PATTERNS:
            files += glob.glob(os.path.join(self.model_dir, pattern))
        return files

    def fingerprint_parts(self) -> list[str]:
        parts = [files_digest(self._weight_files()) if self._weight_files()
                 else str(getattr(self.config, "_commit_hash", ""))]
        for name in ("config.json", *PREPROCESSING_FILES):
            path = os.path.join(self.model_dir or "", name)
            if self.model_dir and os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    parts.append(f"{name}:{f.read()}")
        return parts

    def efficiency(self) -> dict[str, Any]:
        weights = self._weight_files()
        return {"n_parameters": int(sum(p.numel() for p in self.model.parameters())),
                "size_bytes": int(sum(os.path.getsize(p) for p in weights)) if weights else None}
