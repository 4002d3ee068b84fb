"""``hf:<hub id or local dir>``: a transformers audio or text classifier.

The model class is chosen from the config: a ``model_type`` registered for audio
classification loads with ``AutoModelForAudioClassification`` and its feature extractor,
anything else with ``AutoModelForSequenceClassification`` and its tokenizer.

A head with ``problem_type "regression"`` (or a single output, which softmax would pin at 1)
predicts continuous values (``output = "values"``): its raw outputs, named by ``id2label``
or by the ``output_names`` option (``--output-names arousal,dominance,valence``). A
regression head the checkpoint does not hold (transformers would initialise it at random)
is refused; a fresh classification head is loaded, so screening can inspect and judge it.

``autocast="bf16"`` (set by ``--runtime torch-bf16``) runs the forward pass under
``torch.autocast`` in bfloat16 on the model's device; the outputs are cast back to float32
before softmax, sigmoid or values, and the option is part of the fingerprint, so bf16
predictions never mix with FP32 ones in a prediction store.
"""

from __future__ import annotations

import contextlib
import glob
import os
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..extras import require
from .base import ModelAdapter, default_device, files_digest, padding_groups, text_token_limit

REGRESSION = "regression"
#: ``autocast`` values and the dtype each runs the forward pass in
AUTOCAST_DTYPES = {"bf16": "bfloat16"}

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


class FreshHeadError(EmoevalError):
    """A regression head missing from the checkpoint. ``needs_custom_loader``: the
    checkpoint declares a model class transformers does not know (its head is built by the
    model card's own code, e.g. audeering's msp-dim ``EmotionModel``)."""

    def __init__(self, message: str, needs_custom_loader: bool):
        super().__init__(message)
        self.needs_custom_loader = needs_custom_loader


def is_audio_config(config: Any) -> bool:
    """An audio model: its ``model_type`` has an audio-classification class in transformers
    (wav2vec2, hubert, wavlm, whisper, ...); anything else is read as text."""
    from transformers.models.auto import modeling_auto

    return config.model_type in modeling_auto.MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES


def is_regression(config: Any) -> bool:
    """Continuous outputs: ``problem_type "regression"``, or a single output with no problem
    type (as transformers itself treats ``num_labels == 1``)."""
    if config.problem_type is not None:
        return config.problem_type == REGRESSION
    return config.num_labels == 1


def parse_output_names(value: list[str] | str | None) -> list[str] | None:
    """``"arousal, dominance,valence"`` or a list -> stripped names; None when not given."""
    if value is None:
        return None
    names = [str(n).strip() for n in (value.split(",") if isinstance(value, str) else value)]
    if not names or any(not n for n in names):
        raise EmoevalError(f"--output-names {value!r} has an empty name; give one name per "
                           "model output, comma-separated (e.g. arousal,dominance,valence)")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise EmoevalError(f"--output-names names {', '.join(repeated)} more than once; "
                           "give each model output its own name")
    return names


def check_output_names(argument: str, config: Any, names: list[str] | None) -> None:
    """``output_names`` renames a regression head's outputs, one name per output."""
    if names is None:
        return
    if not is_regression(config):
        raise EmoevalError(f"--output-names applies to regression heads; {argument} is a "
                           f"classification head (problem_type {config.problem_type!r}) whose "
                           "labels are mapped with --label-map")
    if len(names) != config.num_labels:
        raise EmoevalError(f"--output-names gives {len(names)} names ({', '.join(names)}) but "
                           f"{argument} has {config.num_labels} outputs; give exactly "
                           f"{config.num_labels}, in the order of its outputs")


def refuse_fresh_regression_head(adapter: "HFAdapter") -> None:
    """Raise FreshHeadError when the regression head's weights were not in the checkpoint."""
    # screening's reading of loading_info (head vs body keys), imported only for regression
    from ..screening.inspection import known_to_transformers, loading_report
    from ..screening.verdict import shorten

    report = loading_report(adapter) or {}
    head = report.get("head_newly_initialised") or []
    if not head:
        return
    architectures = list(adapter.config.architectures or [])
    custom = [a for a in architectures if not known_to_transformers(a)]
    # checkpoint weights under the fresh head's module names (classifier.dense.* where
    # classifier.weight was expected): a head of another layout; other unused weights
    # (a pretraining quantizer) say nothing about the head
    head_modules = {key.split(".")[0] for key in head}
    own_head = [k for k in report.get("unexpected") or [] if k.split(".")[0] in head_modules]
    missing = (f"{adapter.argument} has no trained head for its regression outputs "
               f"({', '.join(adapter.labels)}): {shorten(head)} are missing from the checkpoint "
               "and would be initialised at random")
    if custom or own_head:
        found = (f"the checkpoint's own head weights ({shorten(own_head)}) belong to"
                 if own_head else "the checkpoint declares")
        raise FreshHeadError(
            f"{missing}; {found} its model class {', '.join(custom or architectures)}: it "
            "needs a custom loader (the model card's code) through a python: adapter, e.g. "
            "python:my_loader:predict", needs_custom_loader=True)
    raise FreshHeadError(
        f"{missing}; it is a base model: evaluate a checkpoint fine-tuned for these outputs, "
        "or train a head on it (emoeval train --head ridge)", needs_custom_loader=False)


def weight_files(model_dir: str | None) -> list[str]:
    if not model_dir:
        return []
    files: list[str] = []
    for pattern in WEIGHT_PATTERNS:
        files += glob.glob(os.path.join(model_dir, pattern))
    return files


def model_fingerprint_parts(model_dir: str | None, config: Any,
                            output_names: list[str] | None) -> list[str]:
    """What identifies an ``hf:`` model, from its files alone (no weights loaded): the
    weights' digest (or the Hub commit), the config and preprocessing files, renamed
    outputs. The adapter's fingerprint, and the ONNX export cache's key before loading."""
    weights = weight_files(model_dir)
    parts = [files_digest(weights) if weights else str(getattr(config, "_commit_hash", ""))]
    for name in ("config.json", *PREPROCESSING_FILES):
        path = os.path.join(model_dir or "", name)
        if model_dir and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                parts.append(f"{name}:{f.read()}")
    if output_names:  # renamed outputs mean other dimensions
        parts.append("output_names:" + ",".join(output_names))
    return parts


def check_autocast(autocast: str | None) -> str | None:
    if autocast is not None and autocast not in AUTOCAST_DTYPES:
        raise EmoevalError(f"autocast {autocast!r} is not one of {', '.join(AUTOCAST_DTYPES)}; "
                           "leave it unset for FP32")
    return autocast


def autocast_context(device: str, autocast: str | None) -> Any:
    """``torch.autocast`` in the dtype ``autocast`` names on ``device``'s type (cpu, cuda),
    or no context for FP32."""
    if autocast is None:
        return contextlib.nullcontext()
    import torch

    return torch.autocast(device_type=torch.device(device).type,
                          dtype=getattr(torch, AUTOCAST_DTYPES[autocast]))


class HFAdapter(ModelAdapter):
    name = "hf"

    def __init__(self, argument: str, spec: str = "", device: str | None = None,
                 output_names: list[str] | str | None = None, autocast: str | None = None,
                 **options: Any):
        super().__init__(argument, spec, **options)
        self.autocast = check_autocast(autocast)
        torch = require("torch", "hf", "the hf: adapter")
        transformers = require("transformers", "hf", "the hf: adapter")

        self._torch = torch
        try:
            config = transformers.AutoConfig.from_pretrained(argument)
        except Exception as exc:
            raise describe_load_error(argument, exc) from None
        self.config = config
        self.output_names = parse_output_names(output_names)
        check_output_names(argument, config, self.output_names)  # before the slow load
        is_audio = is_audio_config(config)
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
        self.device = device or default_device()
        self.model.to(self.device).eval()
        id2label = self.model.config.id2label
        self._labels = self.output_names or [str(id2label[i]) for i in sorted(id2label)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"
        if is_regression(self.model.config):
            self.output = "values"
            refuse_fresh_regression_head(self)
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
            with autocast_context(self.device, self.autocast):
                logits = self.model(**encoded).logits
            logits = logits.float()  # bf16 outputs back to float32 before softmax
            if self.output == "values":  # regression: the outputs are the predictions
                return logits.cpu().numpy().astype(np.float64)
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

    def text_max_length(self) -> int:
        return text_token_limit(self.processor, getattr(self.config, "max_position_embeddings",
                                                        None))

    def _predict_text(self, inputs: list[str]) -> np.ndarray:
        encoded = self.processor(inputs, return_tensors="pt", padding=True, truncation=True,
                                 max_length=self.text_max_length())
        return self._forward(dict(encoded))

    def predict(self, inputs: list[Any]) -> np.ndarray:
        if self.modality == "audio":
            return self._predict_audio(inputs)
        return self._predict_text(inputs)

    def _weight_files(self) -> list[str]:
        return weight_files(self.model_dir)

    def fingerprint_parts(self) -> list[str]:
        parts = model_fingerprint_parts(self.model_dir, self.config, self.output_names)
        # other arithmetic, other predictions (not in the ONNX export's key: it exports FP32)
        return parts + [f"autocast:{self.autocast}"] if self.autocast else parts

    def efficiency(self) -> dict[str, Any]:
        weights = self._weight_files()
        return {"n_parameters": int(sum(p.numel() for p in self.model.parameters())),
                "size_bytes": int(sum(os.path.getsize(p) for p in weights)) if weights else None}
