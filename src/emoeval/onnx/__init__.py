"""ONNX export, verification and INT8 quantization of ``hf:`` classifiers.

One folder layout everywhere (the ``quantize`` command's ``OUT/model/`` and the
``evaluate --runtime`` cache): ``model.fp32.onnx``, ``model.int8.onnx``, the transformers
``config.json`` and the feature-extractor or tokenizer files beside them, plus
``export.json`` saying what made them. ``onnx:<folder>/model.int8.onnx`` evaluates either
file directly.

- :mod:`.export`: ``hf:`` model -> ``model.fp32.onnx`` (dynamic batch and length axes)
- :mod:`.verify`: ONNX vs PyTorch on given inputs, under one tolerance policy
- :mod:`.quantize`: ``quant_pre_process`` then dynamic (or static) INT8 of chosen op types
- :mod:`.runtime`: ``evaluate --runtime onnx|onnx-int8`` (export once, cached; verify per
  set of samples)
- :mod:`.verdicts`: verification verdicts cached beside the export, keyed by file and inputs
- :mod:`.pipeline` and :mod:`.report`: the ``quantize`` command
"""

from __future__ import annotations

FP32_FILE = "model.fp32.onnx"
INT8_FILE = "model.int8.onnx"
MANIFEST_FILE = "export.json"

#: export and verification run the PyTorch model and ONNX Runtime side by side
EXPORT_NEEDS = (("torch", "hf"), ("transformers", "hf"), ("onnxruntime", "onnx"),
                ("onnx", "onnx"))
