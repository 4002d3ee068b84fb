"""Verify an ONNX model, or the PyTorch model under bf16 autocast, against the FP32 PyTorch
model it came from, on K given inputs.

The tolerance policy, one for every caller:

- FP32: the largest absolute logit difference over all inputs and classes is at most
  ``FP32_TOLERANCE`` (1e-3). Export and graph optimisations reorder float arithmetic, which
  moves logits by about 1e-6 to 1e-4; a wrong graph moves them by far more.
- INT8 (ONNX) and BF16 (PyTorch autocast): the same predicted label as FP32 PyTorch on at
  least ``INT8_MIN_AGREEMENT`` (99%) of the inputs. Reduced precision moves logits by design
  (about 1e-2), so the check is on decisions. A regression head has no label to agree on:
  there an input agrees when each of its outputs lies within ``VALUE_TOLERANCE`` (a tenth)
  of that output's standard deviation over the reference inputs, and the same 99% applies.

A failed check refuses (:func:`require` raises) with the numbers; nothing continues silently.
Each input is encoded and run alone (batch 1), so padding plays no part in the comparison
and the same runs time each runtime.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..adapters.base import ModelAdapter
from ..datasets.base import Row
from ..errors import EmoevalError, SampleError
from ..runner import prepare_input

FP32_TOLERANCE = 1e-3
INT8_MIN_AGREEMENT = 0.99
#: regression heads, reduced precision: largest difference per output, in that output's
#: standard deviations over the reference inputs
VALUE_TOLERANCE = 0.1
#: embeddings of reduced precision: least mean and least single cosine to FP32
MIN_MEAN_COSINE = 0.99
MIN_COSINE = 0.95
#: inputs verified per run of ``evaluate --runtime``, ``train --runtime`` and ``quantize``
VERIFY_SAMPLES = 64
#: checked on the logits; the others, of reduced precision, on the predicted labels
EXACT_PRECISION = "fp32"
PRECISIONS = (EXACT_PRECISION, "int8", "bf16")
SYNTHETIC_TEXTS = ["i am so happy today", "this is terrible news and i am furious",
                   "what a sad and lonely evening", "the meeting starts at nine",
                   "i am scared of what comes next", "that was a lovely surprise",
                   "leave me alone", "we won the match", "nothing went right again",
                   "the report is on the table"]


@dataclass
class Reference:
    """PyTorch's logits for K inputs, each encoded alone by the model's preprocessor."""

    encoded: list[dict[str, np.ndarray]]
    logits: np.ndarray
    latency_ms: list[float]
    #: where the inputs came from: sample ids, or a note for synthetic inputs
    source: str
    #: a regression head's outputs (values), compared by tolerance rather than by label
    values: bool = False
    #: ``logits`` are embeddings, compared by cosine to FP32
    embedding: bool = False
    #: embeddings only: unit vectors of the labels (e.g. zero-shot prompts, FP32), whose
    #: nearest one is an input's label; None: no labels to agree on
    directions: np.ndarray | None = None


@dataclass
class Verification:
    model: str
    precision: str
    n_inputs: int
    max_abs_logit_diff: float
    label_agreement: float
    n_label_disagreements: int
    criterion: str
    passed: bool
    latency_ms_median: float
    torch_latency_ms_median: float
    inputs: str
    #: a regression head: "label agreement" counts inputs whose values are close
    values: bool = False
    #: embeddings: mean and least cosine to FP32 (None for logits and values)
    cosine_mean: float | None = None
    cosine_min: float | None = None

    def describe(self) -> str:
        subject = ("BF16 autocast PyTorch vs FP32" if self.precision == "bf16"
                   else f"{self.precision.upper()} ONNX vs")
        agreeing = "close values" if self.values else "same label"
        cosine = ("" if self.cosine_mean is None else
                  f"cosine to FP32 mean {self.cosine_mean:.4f}, min {self.cosine_min:.4f}, ")
        what = "logit" if self.cosine_mean is None else "embedding"
        return (f"{subject} PyTorch on {self.n_inputs} inputs: max |{what} "
                f"difference| {self.max_abs_logit_diff:.3g}, {cosine}{agreeing} on "
                f"{100 * self.label_agreement:.1f}% ({self.n_label_disagreements} differ); "
                f"needs {self.criterion}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def max_text_length(adapter: ModelAdapter) -> int:
    """The hf adapter's truncation rule (its ``text_max_length`` where it has one), else
    the tokenizer's limit, else 512."""
    own_rule = getattr(adapter, "text_max_length", None)
    if callable(own_rule):
        return int(own_rule())
    limit = getattr(adapter.processor, "model_max_length", 0) or 0
    return int(limit) if 0 < limit < 100_000 else 512


def encode_one(adapter: ModelAdapter, item: Any) -> dict[str, np.ndarray]:
    own = getattr(adapter, "encode_inputs", None)  # an embedding graph encodes its own
    if own is not None:
        return {name: np.asarray(value) for name, value in own([item], "np").items()}
    if adapter.modality == "audio":
        encoded = adapter.processor([item], sampling_rate=adapter.sampling_rate,
                                    return_tensors="np",
                                    return_attention_mask=adapter.uses_attention_mask)
    else:
        encoded = adapter.processor([item], return_tensors="np", truncation=True,
                                    max_length=max_text_length(adapter))
    return {name: np.asarray(value) for name, value in encoded.items()}


def stratified_order(rows: list[Row], seed: int = 0) -> list[Row]:
    """``rows`` in a seeded order whose every prefix spreads over the labels in proportion
    (each row ranks by its place in its label's shuffled list, over that list's length), so
    the first k that decode are a stratified sample of k."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        label = row.label
        key = ",".join(map(str, label)) if isinstance(label, list) else str(label)
        by_label.setdefault(key, []).append(index)
    rank = np.zeros(len(rows))
    for key in sorted(by_label):
        members = rng.permutation(by_label[key])
        offset = rng.uniform()  # classes of equal size take turns in a seeded order
        rank[members] = (np.arange(len(members)) + offset) / len(members)
    return [rows[i] for i in np.argsort(rank, kind="stable")]


def verification_inputs(rows: list[Row], adapter: ModelAdapter, k: int = VERIFY_SAMPLES
                        ) -> tuple[list[Any], list[str]]:
    """A stratified sample of ``k`` rows that decode (:func:`stratified_order`; a bad file is
    skipped here and the next of the order taken; the run records it)."""
    inputs: list[Any] = []
    ids: list[str] = []
    for row in stratified_order(rows):
        if len(inputs) == k:
            break
        try:
            inputs.append(prepare_input(row, adapter))
        except SampleError:
            continue
        ids.append(row.id)
    if not inputs:
        raise EmoevalError(f"none of the {len(rows)} samples could be decoded for "
                           f"{adapter.modality}; nothing to verify the ONNX model on (check "
                           "the dataset's files)")
    return inputs, ids


def synthetic_inputs(adapter: ModelAdapter, k: int = VERIFY_SAMPLES) -> list[Any]:
    """Seeded noise clips of 1 to 3 s, or fixed sentences, when no dataset is given."""
    if adapter.modality == "text":
        return [SYNTHETIC_TEXTS[i % len(SYNTHETIC_TEXTS)] for i in range(k)]
    rng = np.random.default_rng(0)
    rate = adapter.sampling_rate
    return [(0.1 * rng.standard_normal(int(rate * (1 + 2 * i / max(1, k - 1)))))
            .astype(np.float32) for i in range(k)]


def torch_outputs(adapter: ModelAdapter, encoded: list[dict[str, np.ndarray]],
                  autocast: str | None = None, warm_up: bool = True, keep_batch: bool = False
                  ) -> tuple[np.ndarray, list[float]]:
    """Logits (or an embedding graph's embeddings) and per-call latency of the adapter's
    PyTorch model on its device, in FP32 or under ``autocast`` (as the adapter's own forward
    runs it), after a warm-up. Each encoded item is one input, or with ``keep_batch`` a
    batch whose every row is kept."""
    import torch

    from ..adapters.hf import autocast_context

    device = getattr(adapter, "device", "cpu")

    def run(feeds: dict[str, np.ndarray]) -> Any:
        tensors = {k: torch.from_numpy(v).to(device) for k, v in feeds.items()}
        with autocast_context(device, autocast):
            out = adapter.model(**tensors)
        return getattr(out, "logits", out)  # an embedding graph returns its tensor

    logits, latency = [], []
    with torch.inference_mode():
        if warm_up:
            run(encoded[0])
        for feeds in encoded:
            t0 = time.perf_counter()
            out = run(feeds).float().cpu()
            latency.append(1000 * (time.perf_counter() - t0))
            logits.extend(out.numpy() if keep_batch else out.numpy()[:1])
    return np.array(logits, dtype=np.float64), latency


def reference_outputs(adapter: ModelAdapter, inputs: list[Any], source: str) -> Reference:
    """Run the PyTorch model in FP32 on each input alone; keep its logits and latency."""
    encoded = [encode_one(adapter, item) for item in inputs]
    logits, latency = torch_outputs(adapter, encoded)
    return Reference(encoded, logits, latency, source, values=adapter.output == "values",
                     embedding=adapter.output == "embedding")


def onnx_session(path: str) -> Any:
    import onnxruntime as ort

    if not os.path.isfile(path):
        raise EmoevalError(f"ONNX model file {path!r} does not exist")
    try:
        return ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise EmoevalError(f"ONNX Runtime cannot load {path}: "
                           f"{str(exc).splitlines()[0]}") from None


def session_feeds(session: Any, path: str, item: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
    """The session's inputs from one encoded input (floats float32, integers int64, as the
    ``onnx:`` adapter feeds them)."""
    names = [i.name for i in session.get_inputs()]
    missing = [n for n in names if n not in item]
    if missing:
        raise EmoevalError(f"{path} wants inputs {', '.join(missing)} that the preprocessor "
                           f"does not give ({', '.join(item)}); export it again")
    return {n: item[n].astype(np.float32 if item[n].dtype.kind == "f" else np.int64)
            for n in names}


def onnx_outputs(path: str, encoded: list[dict[str, np.ndarray]]
                 ) -> tuple[np.ndarray, list[float]]:
    """Logits and per-input latency of the ONNX model at ``path`` (after one warm-up run)."""
    session = onnx_session(path)
    session.run(None, session_feeds(session, path, encoded[0]))
    logits, latency = [], []
    for item in encoded:
        feeds = session_feeds(session, path, item)
        t0 = time.perf_counter()
        out = session.run(None, feeds)[0]
        latency.append(1000 * (time.perf_counter() - t0))
        logits.append(np.asarray(out, dtype=np.float64)[0])
    return np.array(logits), latency


def verify(reference: Reference, path: str, precision: str,
           tolerance: float = FP32_TOLERANCE, min_agreement: float = INT8_MIN_AGREEMENT
           ) -> Verification:
    """Compare the ONNX model at ``path`` with PyTorch on the reference inputs under the
    policy above."""
    check_precision(precision)
    logits, latency = onnx_outputs(path, reference.encoded)
    return compare(reference, logits, latency, path, precision, tolerance, min_agreement)


def verify_autocast(reference: Reference, adapter: ModelAdapter, autocast: str,
                    tolerance: float = FP32_TOLERANCE,
                    min_agreement: float = INT8_MIN_AGREEMENT) -> Verification:
    """Compare the reference's PyTorch model run under ``autocast`` (``"bf16"``) with its
    FP32 outputs on the same inputs, under the policy above."""
    check_precision(autocast)
    logits, latency = torch_outputs(adapter, reference.encoded, autocast)
    return compare(reference, logits, latency, adapter.spec, autocast, tolerance,
                   min_agreement)


def check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def compare(reference: Reference, logits: np.ndarray, latency: list[float], model: str,
            precision: str, tolerance: float = FP32_TOLERANCE,
            min_agreement: float = INT8_MIN_AGREEMENT) -> Verification:
    """The policy above applied to ``model``'s outputs on the reference inputs."""
    difference = np.abs(logits - reference.logits)
    finite = bool(np.all(np.isfinite(logits)))
    max_diff = float(difference.max()) if np.all(np.isfinite(difference)) else float("nan")
    cosine_mean = cosine_min = None
    if reference.embedding:
        cosines = np.einsum("ij,ij->i", unit_rows(logits), unit_rows(reference.logits))
        cosine_mean, cosine_min = float(cosines.mean()), float(cosines.min())
        if reference.directions is not None:
            same = (np.argmax(unit_rows(logits) @ reference.directions.T, axis=1)
                    == np.argmax(unit_rows(reference.logits) @ reference.directions.T, axis=1))
        else:
            same = np.ones(len(logits), dtype=bool)
    elif reference.values:  # regression: close values, since there is no label
        spread = reference.logits.std(axis=0)
        scale = np.where(spread > 0, spread, 1.0)
        same = np.all(difference <= VALUE_TOLERANCE * scale, axis=1)
    else:
        same = logits.argmax(axis=1) == reference.logits.argmax(axis=1)
    agreement = float(same.mean())
    if precision == EXACT_PRECISION:
        what = "embedding" if reference.embedding else "logit"
        criterion = f"max |{what} difference| <= {tolerance:g}"
        passed = bool(max_diff <= tolerance)  # NaN fails
    elif reference.embedding:
        criterion = (f"cosine to FP32 mean >= {MIN_MEAN_COSINE:g} and min >= {MIN_COSINE:g}"
                     + (f", the same label on >= {100 * min_agreement:g}% of inputs"
                        if reference.directions is not None else ""))
        passed = bool(finite and cosine_mean >= MIN_MEAN_COSINE and cosine_min >= MIN_COSINE
                      and agreement >= min_agreement)
    elif reference.values:
        criterion = (f"every output within {VALUE_TOLERANCE:g} standard deviations of FP32 on "
                     f">= {100 * min_agreement:g}% of inputs")
        passed = bool(agreement >= min_agreement and finite)
    else:
        criterion = f"the same label on >= {100 * min_agreement:g}% of inputs"
        passed = bool(agreement >= min_agreement and finite)
    return Verification(model=model, precision=precision, n_inputs=len(reference.encoded),
                        max_abs_logit_diff=max_diff, label_agreement=agreement,
                        n_label_disagreements=int((~same).sum()), criterion=criterion,
                        passed=passed, latency_ms_median=float(np.median(latency)),
                        torch_latency_ms_median=float(np.median(reference.latency_ms)),
                        inputs=reference.source, values=reference.values,
                        cosine_mean=cosine_mean, cosine_min=cosine_min)


def require(verification: Verification) -> Verification:
    """Return a passed verification; refuse a failed one with its numbers."""
    if verification.passed:
        return verification
    fixes = {"fp32": "the export does not reproduce the model: use --runtime torch, and "
                     "report it",
             "int8": "INT8 changes this model's decisions: use the FP32 ONNX model (--runtime "
                     "onnx), or try other op types (--ops matmul | auto)",
             "bf16": "bf16 autocast changes this model's decisions: use FP32 PyTorch "
                     "(--runtime torch)"}
    if verification.cosine_mean is not None and verification.precision != EXACT_PRECISION:
        fixes["int8"] = ("INT8 moves this model's embeddings too far: use the FP32 ONNX model "
                         "(--runtime onnx) or --runtime torch")
    fix = fixes[verification.precision]
    raise EmoevalError(f"refusing {verification.model}: {verification.describe()}; {fix}")
