"""``emoeval evaluate --runtime onnx|onnx-int8``: run an ``hf:`` model with ONNX Runtime;
``--runtime torch-bf16``: run it with PyTorch under bf16 autocast.

The export is made once per model and cached by the model's fingerprint (weights and
preprocessing files) under ``$EMOEVAL_CACHE_DIR/onnx/<fingerprint>/`` (default
``~/.cache/emoeval``), in the fixed layout. Before any prediction the file a run uses is
verified against PyTorch on a stratified sample of the run's rows (64), and refused when it
fails. The verdict is cached beside the export (:mod:`.verdicts`): a rerun on the same samples with an
unchanged file reuses it and never loads the PyTorch model; another file, other samples or a
failed verdict verify again.

``torch-bf16`` exports nothing: the same sample is verified through the PyTorch
model in bf16 autocast against the same model in FP32, on the device the run uses, under
the INT8 policy (the same decisions); the verdict is cached in the model's cache folder,
keyed by its fingerprint, and the run's adapter gets ``autocast="bf16"``
(:func:`runtime_adapter_options`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from ..adapters.base import ModelAdapter, default_device, load_adapter
from ..datasets.base import Row
from ..errors import EmoevalError
from ..extras import require_all
from . import EXPORT_NEEDS, FP32_FILE, INT8_FILE
from .export import ensure_export, export_is_current, load_torch_model, read_manifest, \
    source_fingerprint, source_fingerprint_of_files, write_manifest
from .quantize import build_int8
from .verdicts import cached_pass, inputs_digest, record_verdict, verdict_key
from .verify import VERIFY_SAMPLES, Reference, Verification, reference_outputs, require, \
    verification_inputs, verify, verify_autocast

RUNTIMES = ("torch", "onnx", "onnx-int8", "torch-bf16")
#: model families whose adapters run embedding graphs (onnx.encoders) under a runtime
EMBEDDING_MODELS = ("zeroshot:", "clap:")
#: the PyTorch runtimes of reduced precision: the ``autocast`` option each gives the adapter
AUTOCAST_RUNTIMES = {"torch-bf16": "bf16"}


def cache_root() -> str:
    """``$EMOEVAL_CACHE_DIR/onnx``, default ``~/.cache/emoeval/onnx``."""
    base = os.environ.get("EMOEVAL_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "emoeval")
    return os.path.join(base, "onnx")


def check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise EmoevalError(f"--runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")


def onnx_device(runtime: str, device: str | None) -> str | None:
    """ONNX runtimes export and run on CPU; the others on ``device`` (default: the GPU when
    there is one)."""
    return "cpu" if runtime in ("onnx", "onnx-int8") else device


def runtime_adapter_options(runtime: str) -> dict[str, Any]:
    """Options the runtime adds to the run's adapter (``autocast`` for ``torch-bf16``)."""
    check_runtime(runtime)
    autocast = AUTOCAST_RUNTIMES.get(runtime)
    return {"autocast": autocast} if autocast else {}


@dataclass
class ExportedInputs:
    """What decoding a row takes (``prepare_input`` reads ``modality`` and
    ``sampling_rate``), read from an export's files instead of the PyTorch model."""

    modality: str
    sampling_rate: int | None


def exported_inputs(folder: str) -> ExportedInputs | None:
    """The modality and sampling rate of the export in ``folder`` (from ``export.json`` and
    the saved feature extractor, as the ``onnx:`` adapter reads them), or None if unknown."""
    modality = read_manifest(folder).get("modality")
    if modality == "text":
        return ExportedInputs("text", None)
    return audio_inputs(folder) if modality == "audio" else None


def audio_inputs(source: str) -> ExportedInputs | None:
    """Audio at the sampling rate of the feature extractor saved in ``source`` (a folder or
    a Hub id), or None when it cannot be read (the PyTorch model then decides)."""
    import transformers

    try:
        rate = transformers.AutoFeatureExtractor.from_pretrained(source).sampling_rate
    except Exception:
        return None
    return ExportedInputs("audio", int(rate))


def declared_inputs(model_spec: str) -> ExportedInputs | None:
    """The modality and sampling rate of the ``hf:`` model ``model_spec`` from its config and
    feature extractor, as the ``hf:`` adapter decides them, without loading its weights; None
    when they cannot be read (loading the model then says what is wrong)."""
    import transformers

    from ..adapters.hf import is_audio_config
    from ..registry import MODEL_ADAPTERS, parse_spec

    argument = parse_spec(model_spec, MODEL_ADAPTERS, "model").argument
    try:
        config = transformers.AutoConfig.from_pretrained(argument)
    except Exception:
        return None
    return audio_inputs(argument) if is_audio_config(config) else ExportedInputs("text", None)


class TorchModel:
    """The ``hf:`` model, loaded on first use only: a run whose verdicts are all cached
    never loads it."""

    def __init__(self, spec: str, device: str = "cpu"):
        self.spec = spec
        #: cpu for ONNX (exported and compared there); the run's device for torch-bf16
        self.device = device
        self._adapter: ModelAdapter | None = None
        self._reference: Reference | None = None

    def adapter(self) -> ModelAdapter:
        if self._adapter is None:
            self._adapter = (load_torch_model(self.spec) if self.device == "cpu"
                             else load_adapter(self.spec, device=self.device))
        return self._adapter

    def fingerprint_of_files(self) -> str | None:
        """The export cache key computed from the model's files alone, or None when they
        cannot be read that way (loading the model then says what is wrong)."""
        try:
            return source_fingerprint_of_files(self.spec)
        except Exception:
            return None

    def reference(self, inputs: list[Any], ids: list[str]) -> Reference:
        """PyTorch's FP32 outputs on the run's verification inputs (one set per run),
        computed once and shared by the FP32 and INT8 checks."""
        if self._reference is None:
            self._reference = reference_outputs(
                self.adapter(), inputs, f"a stratified sample of {len(ids)} of the run's "
                "samples")
        return self._reference


def checked(folder: str, key: dict[str, Any], check: Callable[[], Verification]) -> None:
    """Run ``check`` unless ``folder`` holds a passed verdict under ``key``; record the new
    verdict (passed or failed) and refuse a failed one."""
    if cached_pass(folder, key):
        return
    verification = check()
    os.makedirs(folder, exist_ok=True)
    record_verdict(folder, key, verification.to_dict())
    require(verification)


def verified(folder: str, path: str, precision: str, inputs_key: str,
             reference: Callable[[], Reference]) -> None:
    """The ONNX file ``path`` checked against PyTorch's outputs (``reference()``, computed
    only when no passed verdict is cached; see :func:`checked`)."""
    checked(folder, verdict_key(path, precision, inputs_key),
            lambda: verify(reference(), path, precision))


def ensure_int8(folder: str, inputs_key: str, reference: Callable[[], Reference]) -> str:
    """``folder/model.int8.onnx`` (dynamic INT8 of the MatMul nodes of the FP32 export),
    verified on the inputs of ``inputs_key``: quantized once, its verdict recorded; an
    existing file is verified unless a passed verdict is cached."""
    int8_path = os.path.join(folder, INT8_FILE)
    if os.path.isfile(int8_path):
        verified(folder, int8_path, "int8", inputs_key, reference)
        return int8_path
    block = build_int8(os.path.join(folder, FP32_FILE), folder, reference(), ops="matmul")
    record_verdict(folder, verdict_key(int8_path, "int8", inputs_key), block["verification"])
    manifest = read_manifest(folder)
    manifest["int8"] = {"file": INT8_FILE, **{k: block[k] for k in
                                              ("mode", "ops", "op_types", "reason")}}
    write_manifest(folder, manifest)
    return int8_path


def verified_autocast(model_spec: str, autocast: str, rows: list[Row]) -> None:
    """Verify ``model_spec`` under ``autocast`` against itself in FP32, on the run's device
    and a stratified sample of its decodable rows, unless a passed verdict under the same key is cached; record
    the new verdict (passed or failed) and refuse a failed one."""
    import torch

    torch_model = TorchModel(model_spec, default_device())
    fingerprint = (torch_model.fingerprint_of_files()
                   or source_fingerprint(torch_model.adapter()))
    folder = os.path.join(cache_root(), fingerprint)  # the model's folder, as for its export
    decoder = declared_inputs(model_spec) or torch_model.adapter()
    check_modality(model_spec, decoder.modality, rows)
    inputs, ids = verification_inputs(rows, decoder, VERIFY_SAMPLES)
    key = verdict_key(model_spec, autocast, inputs_digest(ids, inputs), content=fingerprint,
                      device=torch.device(torch_model.device).type)
    checked(folder, key, lambda: verify_autocast(torch_model.reference(inputs, ids),
                                                 torch_model.adapter(), autocast))


def check_modality(model_spec: str, modality: str, rows: list[Row]) -> None:
    if rows and modality != rows[0].modality:
        raise EmoevalError(f"{model_spec} takes {modality} but the dataset holds "
                           f"{rows[0].modality}; pick a matching model or dataset")


def prepare_runtime(model_spec: str, runtime: str, rows: list[Row]) -> str:
    """The ``onnx:<path>`` spec to evaluate instead of ``model_spec`` (an ``hf:`` model);
    for ``torch`` and ``torch-bf16``, ``model_spec`` itself (with the adapter options of
    :func:`runtime_adapter_options`).

    Exports (once) and, for ``onnx-int8``, quantizes MatMul nodes (once); verifies each file
    on a stratified ``VERIFY_SAMPLES`` of the rows that decode unless a passed verdict for the same
    file and inputs is cached. The PyTorch model is loaded only to export, quantize or
    verify. ``torch-bf16`` verifies bf16 autocast against FP32 PyTorch the same way (the INT8
    policy) and exports nothing.
    """
    check_runtime(runtime)
    if runtime == "torch":
        return model_spec
    if runtime in AUTOCAST_RUNTIMES:
        if not model_spec.startswith("hf:"):
            raise EmoevalError(f"--runtime {runtime} runs hf:, zeroshot: and clap: models "
                               f"(PyTorch autocast), and {model_spec!r} is none of them; drop "
                               "--runtime")
        verified_autocast(model_spec, AUTOCAST_RUNTIMES[runtime], rows)
        return model_spec
    if not model_spec.startswith("hf:"):
        raise EmoevalError(f"--runtime {runtime} runs hf:, zeroshot: and clap: models (and "
                           f"probe backbones through emoeval train), and {model_spec!r} is "
                           "none of them; drop --runtime (an onnx:<file> model already runs "
                           "with ONNX Runtime)")
    require_all(EXPORT_NEEDS, f"--runtime {runtime}")
    torch_model = TorchModel(model_spec)
    fingerprint = torch_model.fingerprint_of_files()
    if fingerprint is None or not export_is_current(os.path.join(cache_root(), fingerprint),
                                                    fingerprint):
        adapter = torch_model.adapter()
        check_modality(model_spec, adapter.modality, rows)  # before a long export
        # the folder is named by the loaded model's fingerprint, as every export is filed
        fingerprint = source_fingerprint(adapter)
        ensure_export(adapter, os.path.join(cache_root(), fingerprint))
    folder = os.path.join(cache_root(), fingerprint)
    # decoded as the export's own files say (the same as the PyTorch model decodes)
    decoder = exported_inputs(folder) or torch_model.adapter()
    check_modality(model_spec, decoder.modality, rows)
    inputs, ids = verification_inputs(rows, decoder, VERIFY_SAMPLES)
    inputs_key = inputs_digest(ids, inputs)

    fp32_path = os.path.join(folder, FP32_FILE)
    reference = lambda: torch_model.reference(inputs, ids)  # noqa: E731 - loaded lazily
    verified(folder, fp32_path, "fp32", inputs_key, reference)
    if runtime == "onnx":
        return f"onnx:{fp32_path}"
    return f"onnx:{ensure_int8(folder, inputs_key, reference)}"


def prepare_model(model_spec: str, runtime: str, rows: list[Row]
                  ) -> tuple[str, dict[str, Any]]:
    """What ``evaluate --runtime`` runs: the model spec and the options its adapter gets.

    ``hf:`` classifiers: :func:`prepare_runtime` (an ``onnx:`` file, or ``autocast``).
    Embedding models (``zeroshot:``, ``clap:``): exported, quantized and verified here on a
    stratified sample of the run's rows (cosine to FP32 and zero-shot labels); their
    adapter gets ``runtime`` and runs the verified files.
    """
    check_runtime(runtime)
    if runtime != "torch" and model_spec.startswith(EMBEDDING_MODELS):
        from ..registry import MODEL_ADAPTERS, load_class, parse_spec

        parsed = parse_spec(model_spec, MODEL_ADAPTERS, "model")
        adapter_class = load_class(MODEL_ADAPTERS[parsed.name][0])
        adapter_class.verify_runtime(parsed.argument, model_spec, runtime, rows)
        return model_spec, {"runtime": runtime}
    spec = prepare_runtime(model_spec, runtime, rows)
    return spec, runtime_adapter_options(runtime)
