"""Embedding models under ``--runtime onnx|onnx-int8|torch-bf16``: sentence-transformers
models (``zeroshot:``), probe backbones (``zeroshot:``, ``hf:`` text and audio, with layer
selection and pooling) and the two towers of ``clap:``.

Each is described by an :class:`EmbeddingGraph`: a torch module that maps the encoder's
named inputs to one embedding per input (pooling and layer selection inside the graph), its
input encoder and its identity. It quacks like an ``hf:`` adapter where the export,
verification and verdict cache read one (``modality``, ``processor``-free
``encode_inputs``, ``model``, ``output = "embedding"``, ``fingerprint``), so it goes through
the same path: :func:`~emoeval.onnx.export.ensure_export` into
``$EMOEVAL_CACHE_DIR/onnx/<fingerprint>/``, :func:`~emoeval.onnx.quantize.build_int8`
(MatMul nodes, dynamic), :func:`~emoeval.onnx.verify.verify` by cosine to FP32 (and labels,
where the embeddings choose labels), verdicts cached beside the export.

:func:`embedding_runtime` returns an :class:`EmbeddingRunner`: ``torch`` and ``onnx`` run a
batch per call, ``torch-bf16`` too under autocast, ``onnx-int8`` **one input per call**
(dynamic quantization takes activation ranges per call, so a batch mate would change an
input's embedding; contracts section 6).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Callable

import numpy as np

from ..adapters.base import padding_groups
from ..errors import EmoevalError
from . import FP32_FILE, INT8_FILE
from .export import EXPORT_FORMAT, ensure_export
from .verify import VERIFY_SAMPLES, Reference, onnx_session, reference_outputs, \
    session_feeds, synthetic_inputs, torch_outputs

#: runtime -> the precision its verdicts are filed under
PRECISION_OF = {"onnx": "fp32", "onnx-int8": "int8", "torch-bf16": "bf16"}


def pool(hidden: Any, mask: Any, pooling: str) -> Any:
    """(batch, tokens, dim) -> (batch, dim): masked mean, or the first token."""
    if pooling == "cls":
        return hidden[:, 0]
    if mask is None:
        return hidden.mean(dim=1)
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _module_class():
    import torch

    class PooledHiddenStates(torch.nn.Module):
        """Hidden states of ``layers`` of a transformers model, pooled and concatenated:
        the probe backbones' features and a sentence-transformers model's sentence vector
        (mean or first-token pooling of the last layer) in one traceable graph."""

        def __init__(self, model: Any, layers: list[int], pooling: str, text: bool):
            super().__init__()
            self.model, self.layers, self.pooling, self.text = model, layers, pooling, text
            self.config = model.config

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                    input_values=None):
            given = {"input_ids": input_ids, "attention_mask": attention_mask,
                     "token_type_ids": token_type_ids, "input_values": input_values}
            inputs = {k: v for k, v in given.items() if v is not None}
            hidden = self.model(**inputs, output_hidden_states=True).hidden_states
            mask = attention_mask if self.text else None  # audio: equal lengths per pass
            return torch.cat([pool(hidden[i], mask, self.pooling) for i in self.layers], -1)

    class Tower(torch.nn.Module):
        """One tower of a two-tower model (CLAP's ``get_text_features`` or
        ``get_audio_features``), its projected embedding as a tensor."""

        def __init__(self, model: Any, method: str, names: tuple[str, ...]):
            super().__init__()
            self.model, self.method, self.names = model, method, names
            self.config = model.config

        def forward(self, input_ids=None, attention_mask=None, input_features=None,
                    is_longer=None):
            given = {"input_ids": input_ids, "attention_mask": attention_mask,
                     "input_features": input_features, "is_longer": is_longer}
            out = getattr(self.model, self.method)(
                **{k: v for k, v in given.items() if k in self.names and v is not None})
            # transformers 5 returns an output holding the projection in pooler_output
            return getattr(out, "pooler_output", out)

    return PooledHiddenStates, Tower


def pooled_hidden_states(model: Any, layers: list[int], pooling: str, text: bool) -> Any:
    """The :class:`PooledHiddenStates` module (eval mode: exporting keeps a wrapper's mode)."""
    return _module_class()[0](model, layers, pooling, text).eval()


def tower(model: Any, method: str, names: tuple[str, ...]) -> Any:
    return _module_class()[1](model, method, names).eval()


class EmbeddingGraph:
    """What the export, verification and runners need of an embedding model.

    ``encode`` maps a list of inputs to named arrays (``"np"``) or tensors (``"pt"``), padded
    to a batch; ``identity`` names the weights and preprocessing (a model fingerprint) and
    ``what`` the graph (layers, pooling, tower) so each graph has its own export folder.
    """

    output = "embedding"
    graph_output = "embedding"

    def __init__(self, spec: str, module: Any, modality: str,
                 encode: Callable[[list[Any], str], dict[str, Any]], identity: str, what: str,
                 *, device: str = "cpu", sampling_rate: int | None = None,
                 shares_padding: bool = True,
                 variable_axes: dict[str, dict[int, str]] | None = None):
        self.spec, self.model, self.modality = spec, module, modality
        self._encode, self.identity, self.what = encode, identity, what
        self.device, self.sampling_rate = device, sampling_rate
        #: whether inputs of different lengths may share a padded pass (text: a mask)
        self.uses_attention_mask = shares_padding
        if variable_axes is not None:
            self.variable_axes = variable_axes

    def encode_inputs(self, items: list[Any], tensors: str) -> dict[str, Any]:
        return dict(self._encode(list(items), tensors))

    def example_items(self) -> list[Any]:
        return synthetic_inputs(self, 2)

    def fingerprint(self) -> str:
        """The export folder's name and key (weights, preprocessing, graph, format)."""
        return hashlib.sha256(f"{self.identity}\x00{self.what}\x00{EXPORT_FORMAT}"
                              .encode()).hexdigest()[:16]


class EmbeddingRunner:
    """Embeddings of an :class:`EmbeddingGraph` under one runtime; ``path`` is the ONNX file
    for ``onnx`` and ``onnx-int8``."""

    def __init__(self, graph: EmbeddingGraph, runtime: str, path: str | None = None):
        self.graph, self.runtime, self.path = graph, runtime, path
        self.session = onnx_session(path) if path else None
        #: dynamic INT8: activation ranges per call, so one input per call
        self.one_per_call = runtime == "onnx-int8"

    def groups(self, items: list[Any]) -> list[list[int]]:
        if self.one_per_call:
            return [[i] for i in range(len(items))]
        if self.graph.modality == "audio":
            return padding_groups(items, self.graph.uses_attention_mask)
        return [list(range(len(items)))]

    def run(self, items: list[Any]) -> np.ndarray:
        """(len(items), dim) float32 embeddings."""
        out: list[np.ndarray | None] = [None] * len(items)
        for group in self.groups(items):
            vectors = self._run_batch([items[i] for i in group])
            for row, index in enumerate(group):
                out[index] = vectors[row]
        return np.stack(out).astype(np.float32) if items else np.zeros((0, 0), np.float32)

    def _run_batch(self, batch: list[Any]) -> np.ndarray:
        if self.session is not None:
            encoded = {k: np.asarray(v) for k, v in
                       self.graph.encode_inputs(batch, "np").items()}
            return np.asarray(self.session.run(None, session_feeds(self.session, self.path,
                                                                   encoded))[0])
        encoded = {k: np.asarray(v) for k, v in self.graph.encode_inputs(batch, "np").items()}
        autocast = "bf16" if self.runtime == "torch-bf16" else None
        logits, _ = torch_outputs(self.graph, [encoded], autocast, warm_up=False,
                                  keep_batch=True)
        return logits


def embedding_runtime(graph: EmbeddingGraph, runtime: str, items: list[Any] | None = None,
                      ids: list[str] | None = None, directions: np.ndarray | None = None,
                      source: str = "") -> EmbeddingRunner:
    """The runner of ``graph`` under ``runtime``, its files exported, quantized and verified
    first (each once; verdicts cached).

    ``items``/``ids``: the inputs to verify on (a run's stratified sample). Without them a
    passed verdict of the same file on any inputs is trusted, else seeded synthetic inputs
    are verified. ``directions``: unit label vectors the embeddings choose between (zero-shot
    prompts), checked for the same label as well as by cosine.
    """
    from .runtime import AUTOCAST_RUNTIMES, cache_root, check_runtime, checked, \
        ensure_int8, verified
    from .verdicts import inputs_digest, passed_for_file, verdict_key
    from .verify import verify_autocast

    check_runtime(runtime)
    if runtime == "torch":
        return EmbeddingRunner(graph, runtime)
    fingerprint = graph.fingerprint()
    folder = os.path.join(cache_root(), fingerprint)
    given = items is not None
    if not given:
        items = synthetic_inputs(graph, VERIFY_SAMPLES)
        ids = [f"synthetic-{i}" for i in range(len(items))]
        source = f"{len(items)} synthetic inputs"
    inputs_key = inputs_digest(ids, items)
    reference: list[Reference] = []

    def fp32_reference() -> Reference:
        if not reference:
            ref = reference_outputs(graph, items, source or f"{len(ids)} samples")
            ref.directions = directions
            reference.append(ref)
        return reference[0]

    if runtime in AUTOCAST_RUNTIMES:
        import torch

        key = verdict_key(graph.spec, "bf16", inputs_key, content=fingerprint,
                          device=torch.device(graph.device).type)
        if given or not passed_for_file(folder, key):
            checked(folder, key, lambda: verify_autocast(fp32_reference(), graph, "bf16"))
        return EmbeddingRunner(graph, runtime)
    if graph.device != "cpu":
        raise EmoevalError(f"--runtime {runtime} exports on CPU; {graph.spec} is on "
                           f"{graph.device} (use --runtime torch on a GPU)")
    ensure_export(graph, folder)
    paths = [os.path.join(folder, FP32_FILE)]
    if runtime == "onnx-int8":
        paths.append(os.path.join(folder, INT8_FILE))
    for path in paths:
        precision = "fp32" if path.endswith(FP32_FILE) else "int8"
        if not given and os.path.isfile(path) and passed_for_file(
                folder, verdict_key(path, precision, inputs_key)):
            continue
        if precision == "int8":
            ensure_int8(folder, inputs_key, fp32_reference)
        else:
            verified(folder, path, precision, inputs_key, fp32_reference)
    return EmbeddingRunner(graph, runtime, paths[-1])
