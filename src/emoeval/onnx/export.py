"""``hf:`` classifier -> ``model.fp32.onnx`` in the fixed layout, with dynamic batch and
length axes.

Exporter: TorchScript (``torch.onnx.export(..., dynamo=False)``). It needs only the ``onnx``
package (torch 2.13's dynamo exporter also needs ``onnxscript`` and its dependencies), it
traces wav2vec2-style audio and BERT-style text classifiers, and below 2 GB it writes one
self-contained file. A model whose weights end up outside the graph gets them gathered into
one ``model.fp32.onnx.data`` beside it, the name the ``onnx:`` adapter counts.

Files are written into a hidden staging folder beside the target (``.export-<host>-<pid>-*``,
``.quantize-...``) and moved in when finished. A process killed mid-export (``kill -9``)
leaves its staging folder behind; the next export or quantization in that folder removes it
once its owner is gone (:func:`remove_stale_staging`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import socket
import tempfile
import time
import warnings
from typing import Any

import numpy as np

from ..adapters.base import ModelAdapter, load_adapter
from ..errors import EmoevalError
from ..registry import MODEL_ADAPTERS, parse_spec
from ..results_io import write_json
from . import FP32_FILE, INT8_FILE, MANIFEST_FILE

#: bump when the exported graph changes, so cached exports are redone
EXPORT_FORMAT = 2  # 2: INT8 weights per channel
OPSET = 17
EXAMPLE_TEXTS = ["an example sentence to trace the model with", "a second one"]
STAGING_KINDS = ("export", "quantize")
#: a staging folder this old is abandoned whoever made it: an export takes minutes
STALE_AFTER_SECONDS = 6 * 3600


def load_torch_model(spec: str) -> ModelAdapter:
    """The ``hf:`` adapter on CPU (export, verification and ONNX Runtime all run there)."""
    if not spec.startswith("hf:"):
        raise EmoevalError(f"ONNX export takes an hf: model (a hub id or a local folder), not "
                           f"{spec!r}; an onnx:<file> model runs directly with --model")
    return load_adapter(spec, device="cpu")


def source_fingerprint(adapter: ModelAdapter) -> str:
    """The hf model's fingerprint (spec, weights, preprocessing) and the export format."""
    return hashlib.sha256(f"{adapter.fingerprint()}:{EXPORT_FORMAT}".encode()).hexdigest()[:16]


def source_fingerprint_of_files(spec: str) -> str:
    """:func:`source_fingerprint` of the ``hf:`` model ``spec`` without loading its weights:
    the adapter's fingerprint is its spec and :func:`emoeval.adapters.hf.
    model_fingerprint_parts`, which read files only (:func:`load_torch_model` renames no
    outputs). Raises what reading the config raises."""
    import transformers

    from ..adapters.hf import model_fingerprint_parts, resolve_model_dir

    argument = parse_spec(spec, MODEL_ADAPTERS, "model").argument
    unloaded = ModelAdapter(argument, spec)
    config = transformers.AutoConfig.from_pretrained(argument)
    parts = model_fingerprint_parts(resolve_model_dir(argument), config, None)
    unloaded.fingerprint_parts = lambda: parts  # the base class hashes spec + parts
    return source_fingerprint(unloaded)


def host_tag() -> str:
    """This machine's name, reduced to [A-Za-z0-9_] (it sits between hyphens)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


def make_staging(folder: str, kind: str) -> str:
    """A new hidden staging folder in ``folder``, named after this host and process so a
    later run can tell whether its owner is still alive; stale ones go first."""
    remove_stale_staging(folder)
    return tempfile.mkdtemp(prefix=f".{kind}-{host_tag()}-{os.getpid()}-", dir=folder)


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: asks whether the process exists, sends nothing
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def staging_is_stale(path: str, name: str) -> bool:
    """A staging folder of a dead process on this host, or one older than
    ``STALE_AFTER_SECONDS`` (another host's, or named before owners were recorded)."""
    parts = name.split("-")  # .export-<host>-<pid>-<random>; mkdtemp's random has no "-"
    if len(parts) == 4 and parts[1] == host_tag() and parts[2].isdigit() and int(parts[2]) > 0:
        return not process_alive(int(parts[2]))
    return time.time() - os.lstat(path).st_mtime > STALE_AFTER_SECONDS


def remove_stale_staging(folder: str) -> list[str]:
    """Remove the staging folders in ``folder`` that no running export will finish; a live
    one (another process exporting into the same folder right now) is left alone."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(tuple(f".{kind}-" for kind in STAGING_KINDS))
                and entry.is_dir(follow_symlinks=False)):
            continue
        try:
            stale = staging_is_stale(entry.path, entry.name)
        except FileNotFoundError:  # its owner finished and removed it meanwhile
            continue
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def example_inputs(adapter: ModelAdapter) -> dict[str, Any]:
    """A batch of two for tracing, encoded by the model's own preprocessor (an embedding
    graph's own encoder, where it has one)."""
    own = getattr(adapter, "encode_inputs", None)
    if own is not None:
        encoded = dict(own(adapter.example_items(), "pt"))
    elif adapter.modality == "audio":
        rng = np.random.default_rng(0)
        clips = [0.1 * rng.standard_normal(adapter.sampling_rate).astype(np.float32)
                 for _ in range(2)]
        encoded = dict(adapter.processor(clips, sampling_rate=adapter.sampling_rate,
                                         return_tensors="pt", padding=True,
                                         return_attention_mask=adapter.uses_attention_mask))
        if "input_values" not in encoded:
            raise EmoevalError(f"{adapter.spec}: its feature extractor gives "
                               f"{', '.join(encoded)}, but onnx: audio models take raw "
                               "input_values (wav2vec2, HuBERT, WavLM); use --runtime torch")
    else:
        encoded = dict(adapter.processor(EXAMPLE_TEXTS, return_tensors="pt", padding=True))
    # integer inputs as int64: the onnx: adapter feeds every integer input as int64
    return {name: value if value.is_floating_point() else value.long()
            for name, value in encoded.items()}


def positional_inputs(model: Any, inputs: dict[str, Any]) -> tuple[list[str], tuple]:
    """Input names and a positional tuple in ``model.forward``'s order.

    The TorchScript exporter mis-binds keyword inputs, and a tokenizer's key order differs
    from the signature (BERT: input_ids, token_type_ids, attention_mask), so inputs go in
    by position, with None for a parameter the preprocessor does not give.
    """
    parameters = list(inspect.signature(model.forward).parameters)
    unknown = [name for name in inputs if name not in parameters]
    if unknown:
        raise EmoevalError(f"the model's forward() takes no {', '.join(unknown)}; it cannot "
                           "be exported with its preprocessor's inputs")
    last = max(parameters.index(name) for name in inputs)
    args = tuple(inputs.get(name) for name in parameters[:last + 1])
    names = [name for name in parameters[:last + 1] if name in inputs]
    return names, args


def external_data_files(path: str) -> list[str]:
    """Files holding weights of the model at ``path`` outside it (``.onnx.data``)."""
    import onnx

    model = onnx.load(path, load_external_data=False)
    locations: list[str] = []
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            location = next(e.value for e in tensor.external_data if e.key == "location")
            if location not in locations:
                locations.append(location)
    folder = os.path.dirname(os.path.abspath(path))
    return [os.path.join(folder, location) for location in locations]


def model_files(path: str) -> list[str]:
    """The .onnx file and every external data file it reads."""
    return [path, *external_data_files(path)]


def size_bytes(path: str) -> int:
    """On-disk size of a model, external weights included."""
    return int(sum(os.path.getsize(p) for p in model_files(path)))


def uses_external_data(path: str) -> bool:
    return bool(external_data_files(path))


def consolidate_external_data(path: str) -> None:
    """Gather weights spread over several external files into ``<file>.data`` beside it
    (the TorchScript exporter writes one file per tensor above 2 GB)."""
    import onnx

    files = external_data_files(path)
    single = path + ".data"
    if not files or files == [single]:
        return
    model = onnx.load(path)
    for old in files:
        os.remove(old)
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(single))


def install_files(staging: str, folder: str, names: list[str]) -> None:
    """Move finished files into ``folder``; weights first, the graph last, so a graph file
    that exists is complete."""
    for name in sorted(names, key=lambda n: n.endswith(".onnx")):
        os.replace(os.path.join(staging, name), os.path.join(folder, name))


def export_onnx(adapter: ModelAdapter, folder: str) -> str:
    """Write ``model.fp32.onnx`` and the config and preprocessing files into ``folder``."""
    import torch

    os.makedirs(folder, exist_ok=True)
    inputs = example_inputs(adapter)
    names, args = positional_inputs(adapter.model, inputs)
    variable = getattr(adapter, "variable_axes", {})  # an embedding graph's own, if any
    axes: dict[str, dict[int, str]] = {name: variable.get(name, {0: "batch", 1: "length"})
                                       for name in names}
    # a classifier's logits, or an embedding graph's embedding (encoders.EmbeddingGraph)
    output = getattr(adapter, "graph_output", "logits")
    axes[output] = {0: "batch"}
    staging = make_staging(folder, "export")
    try:
        staged = os.path.join(staging, FP32_FILE)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation warnings: not the user's
            try:
                torch.onnx.export(adapter.model, args, staged, input_names=names,
                                  output_names=[output], dynamic_axes=axes,
                                  opset_version=OPSET, do_constant_folding=True,
                                  dynamo=False)
            except Exception as exc:
                raise EmoevalError(f"could not export {adapter.spec} to ONNX: "
                                   f"{type(exc).__name__}: {str(exc).splitlines()[0]}; use "
                                   "--runtime torch") from None
        consolidate_external_data(staged)
        install_files(staging, folder, os.listdir(staging))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    adapter.model.config.save_pretrained(folder)
    processor = getattr(adapter, "processor", None)  # an embedding graph encodes its own
    if processor is not None:
        processor.save_pretrained(folder)
    return os.path.join(folder, FP32_FILE)


def read_manifest(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, MANIFEST_FILE)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return {}


def write_manifest(folder: str, manifest: dict[str, Any]) -> None:
    write_json(os.path.join(folder, MANIFEST_FILE), manifest)


def export_is_current(folder: str, fingerprint: str) -> bool:
    """``folder`` holds an FP32 export made from the model with this source fingerprint."""
    return (read_manifest(folder).get("source_fingerprint") == fingerprint
            and os.path.isfile(os.path.join(folder, FP32_FILE)))


def ensure_export(adapter: ModelAdapter, folder: str) -> str:
    """``folder/model.fp32.onnx`` for this model: reused when ``export.json`` says it was
    made from the same weights and preprocessing, exported (again) otherwise."""
    import torch

    fingerprint = source_fingerprint(adapter)
    path = os.path.join(folder, FP32_FILE)
    if export_is_current(folder, fingerprint):
        return path
    stale = os.path.join(folder, INT8_FILE)
    if os.path.isfile(stale):  # an INT8 model of other weights must not survive
        for file in model_files(stale):
            os.remove(file)
    export_onnx(adapter, folder)
    write_manifest(folder, {
        "source": adapter.spec, "source_fingerprint": fingerprint,
        "export_format": EXPORT_FORMAT, "modality": adapter.modality,
        "exporter": f"torch.onnx.export TorchScript (dynamo=False), opset {OPSET}, "
                    f"torch {torch.__version__}",
        "fp32": {"file": FP32_FILE}})
    return path
