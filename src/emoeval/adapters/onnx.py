"""``onnx:<model.onnx>``: a classifier or regression head run with ONNX Runtime.

Labels come from ``config.json`` (``id2label``) beside the model file; preprocessing from the
feature-extractor or tokenizer files beside it, so an exported ``hf:`` model evaluates the
same way under either runtime: a regression head (``problem_type "regression"``) returns its
raw outputs as values, named by ``id2label`` or ``output_names``, as ``hf:`` does.

A dynamically quantized model (``DynamicQuantizeLinear`` in its graph: ``--runtime
onnx-int8``) runs **one input per call**: it takes activation ranges per call, so a batch
mate would change an input's scores (contracts section 6).
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..extras import require
from .base import ModelAdapter, files_digest, padding_groups, softmax, text_token_limit


class ONNXAdapter(ModelAdapter):
    name = "onnx"

    def __init__(self, argument: str, spec: str = "", providers: list[str] | None = None,
                 output_names: list[str] | str | None = None, **options: Any):
        super().__init__(argument, spec, **options)
        ort = require("onnxruntime", "onnx", "the onnx: adapter")
        # tokenizers and feature extractors only: the [onnx] extra has transformers, no torch
        transformers = require("transformers", "onnx", "the onnx: adapter")

        from .hf import check_output_names, is_regression, parse_output_names

        if not os.path.isfile(argument):
            raise EmoevalError(f"ONNX model file {argument!r} does not exist")
        folder = os.path.dirname(os.path.abspath(argument))
        config_path = os.path.join(folder, "config.json")
        if not os.path.isfile(config_path):
            raise EmoevalError(f"no config.json beside {argument}: it must give id2label "
                               "(save the transformers config next to the .onnx file)")
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        id2label = config.get("id2label") or {}
        if not id2label:
            raise EmoevalError(f"{config_path} has no id2label")
        head = SimpleNamespace(problem_type=config.get("problem_type"),
                               num_labels=len(id2label))
        self.output_names = parse_output_names(output_names)
        check_output_names(argument, head, self.output_names)
        self._labels = self.output_names or [str(id2label[k])
                                             for k in sorted(id2label, key=lambda k: int(k))]
        self.multi_label = config.get("problem_type") == "multi_label_classification"
        if is_regression(head):
            self.output = "values"
        self.max_positions = config.get("max_position_embeddings")
        self.folder = folder
        try:
            self.session = ort.InferenceSession(
                argument, providers=providers or ort.get_available_providers())
        except Exception as exc:
            raise EmoevalError(f"ONNX Runtime cannot load {argument}: {exc}") from None
        self.input_names = [i.name for i in self.session.get_inputs()]
        from ..onnx.quantize import quantized_nodes

        self.one_per_call = "DynamicQuantizeLinear" in quantized_nodes(argument)
        if "input_values" in self.input_names:
            self.modality = "audio"
            self.processor = transformers.AutoFeatureExtractor.from_pretrained(folder)
            self.sampling_rate = int(self.processor.sampling_rate)
            self.uses_attention_mask = "attention_mask" in self.input_names
        else:
            self.modality = "text"
            self.processor = transformers.AutoTokenizer.from_pretrained(folder)
            self.uses_attention_mask = True

    @property
    def labels(self) -> list[str]:
        return self._labels

    def _run(self, encoded: dict) -> np.ndarray:
        feeds = {}
        for name in self.input_names:
            value = np.asarray(encoded[name])
            feeds[name] = value.astype(np.float32 if value.dtype.kind == "f" else np.int64)
        logits = self.session.run(None, feeds)[0].astype(np.float64)
        if self.output == "values":  # regression: the outputs are the predictions
            return logits
        return 1 / (1 + np.exp(-logits)) if self.multi_label else softmax(logits)

    def predict(self, inputs: list[Any]) -> np.ndarray:
        if self.one_per_call and len(inputs) > 1:
            return np.concatenate([self.predict([item]) for item in inputs])
        if self.modality == "text":
            return self._run(dict(self.processor(
                inputs, return_tensors="np", padding=True, truncation=True,
                max_length=text_token_limit(self.processor, self.max_positions))))
        out = np.zeros((len(inputs), len(self._labels)))
        for group in padding_groups(inputs, self.uses_attention_mask):
            encoded = self.processor([inputs[i] for i in group], sampling_rate=self.sampling_rate,
                                     return_tensors="np", padding=True,
                                     return_attention_mask=self.uses_attention_mask)
            out[group] = self._run(dict(encoded))
        return out

    def _model_files(self) -> list[str]:
        from ..onnx.export import model_files

        return model_files(self.argument)  # the graph and any external-weights files

    def fingerprint_parts(self) -> list[str]:
        parts = [files_digest(self._model_files())]
        for name in ("config.json", "preprocessor_config.json", "tokenizer_config.json",
                     "tokenizer.json", "vocab.txt"):
            path = os.path.join(self.folder, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    parts.append(f"{name}:{f.read()}")
        if self.output_names:  # renamed outputs mean other dimensions
            parts.append("output_names:" + ",".join(self.output_names))
        return parts

    def efficiency(self) -> dict[str, Any]:
        return {"n_parameters": self._count_parameters(),
                "size_bytes": int(sum(os.path.getsize(p) for p in self._model_files()))}

    def _count_parameters(self) -> int | None:
        """Elements in the graph's initializers: the weights, give or take constants the
        exporter folded (within a few percent of the PyTorch parameter count)."""
        try:
            import onnx
        except ImportError:
            return None
        model = onnx.load(self.argument, load_external_data=False)
        return int(sum(int(np.prod(t.dims)) for t in model.graph.initializer))
