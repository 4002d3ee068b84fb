"""Run a model adapter over dataset rows into the prediction store.

Owns what every backend shares: skipping finished samples (resume), grouping inputs of
similar size into batches, decoding audio in worker threads ahead of the model, isolating a
failing sample from its batch, and checking every score row (NaN, abstention).
"""

from __future__ import annotations

import collections
import contextlib
import concurrent.futures as futures
import itertools
import os
import sys
import time
from typing import Any, Callable, Iterator

import numpy as np

from .adapters.base import ModelAdapter
from .audio import audio_duration, load_audio
from .datasets.base import Row
from .errors import SampleError
from .freshness import plan_resume
from .store import INPUT, OK, UNANSWERED, PredictionStore, Record

ABSTAINED = "abstained: the model gave no score to any label"
#: set by a user who chose thread counts; the runner then leaves torch's threads alone
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def prepare_input(row: Row, adapter: ModelAdapter) -> Any:
    """The model input for one row: decoded audio or non-empty text (SampleError otherwise)."""
    if adapter.modality == "audio":
        if row.audio is None:
            raise SampleError("row has no audio but the model takes audio")
        return load_audio(row.audio, adapter.sampling_rate)
    if row.text is None:
        raise SampleError("row has no text but the model takes text")
    if not str(row.text).strip():
        raise SampleError("empty text")
    return str(row.text)


def size_key(row: Row) -> float:
    """Cheap size estimate used to group similar inputs (no decoding)."""
    if row.audio is not None:
        return audio_duration(row.audio) or 0.0
    return float(len(row.text or ""))


def check_scores(scores: np.ndarray, output: str = "scores") -> str | None:
    """Per-row error for a score vector, or None when it is usable. Regression values
    (``output == "values"``) may all be zero: only scores can abstain."""
    if not np.all(np.isfinite(scores)):
        return ("NaN or infinite value from the model" if output == "values"
                else "NaN or infinite score from the model")
    if output == "scores" and not np.any(scores):
        return ABSTAINED
    return None


def plan_batches(rows: list[Row], batch_size: int) -> list[list[Row]]:
    """Sort by size so a batch holds similar lengths (little padding), then cut."""
    ordered = sorted(rows, key=size_key)
    return [ordered[i:i + batch_size] for i in range(0, len(ordered), batch_size)]


def _prepared_batches(batches: list[list[Row]], adapter: ModelAdapter, workers: int
                      ) -> Iterator[tuple[list[Row], list[Any]]]:
    """Yield (rows, inputs-or-SampleError) with decoding running ahead in a thread pool."""
    def prepare(batch: list[Row]) -> list[Any]:
        out = []
        for row in batch:
            try:
                out.append(prepare_input(row, adapter))
            except SampleError as exc:
                out.append(exc)
        return out

    if adapter.modality != "audio" or workers <= 1:
        for batch in batches:
            yield batch, prepare(batch)
        return
    with futures.ThreadPoolExecutor(max_workers=workers) as pool:
        remaining = iter(batches)
        # bounded read-ahead: decoding stays ahead of the model, memory stays flat
        queue = collections.deque((b, pool.submit(prepare, b))
                                  for b in itertools.islice(remaining, workers * 2))
        while queue:
            batch, pending = queue.popleft()
            following = next(remaining, None)
            if following is not None:
                queue.append((following, pool.submit(prepare, following)))
            yield batch, pending.result()


def _predict_isolated(adapter: ModelAdapter, inputs: list[Any]
                      ) -> list[tuple[Any, str | None, str]]:
    """Predict a batch; if it fails, retry one by one so one bad input fails alone.

    Returns (score vector or answer text or None, error, outcome kind) per input; a crash on
    one input is ``unanswered``, a per-sample SampleError of a text model has its own kind.
    """
    try:
        if adapter.output == "text":
            answers = list(adapter.predict(inputs))
            if len(answers) != len(inputs):
                raise ValueError(f"adapter returned {len(answers)} answers for {len(inputs)}")
            return [(None, str(a), a.kind or UNANSWERED) if isinstance(a, SampleError)
                    else (str(a), None, OK) for a in answers]
        scores = np.asarray(adapter.predict(inputs), dtype=float)
        if scores.shape != (len(inputs), len(adapter.labels)):
            raise ValueError(f"adapter returned shape {scores.shape}, expected "
                             f"({len(inputs)}, {len(adapter.labels)})")
        return [(s, None, OK) for s in scores]
    except Exception as batch_exc:
        if len(inputs) == 1:
            return [(None, f"model error: {type(batch_exc).__name__}: {batch_exc}",
                     UNANSWERED)]
    return [_predict_isolated(adapter, [x])[0] for x in inputs]


def predict_prepared(adapter: ModelAdapter, ids: list[str], inputs: list[Any]) -> list[Record]:
    """One batch of prepared inputs (or SampleErrors) -> one Record per id.

    Shared by the local loop and the Ray actors, so per-sample errors are identical.
    """
    records: list[Record | None] = [None] * len(ids)
    live = [i for i, x in enumerate(inputs) if not isinstance(x, SampleError)]
    for i, x in enumerate(inputs):
        if isinstance(x, SampleError):  # the input could not be prepared: the data's fault
            records[i] = Record(ids[i], None, str(x), kind=x.kind or INPUT)
    if live:
        t0 = time.perf_counter()
        results = _predict_isolated(adapter, [inputs[i] for i in live])
        per_sample_ms = 1000.0 * (time.perf_counter() - t0) / len(live)
        for i, (output, error, kind) in zip(live, results):
            records[i] = _record(ids[i], adapter, output, error, kind, per_sample_ms)
    return [r for r in records if r is not None]


def _record(sample_id: str, adapter: ModelAdapter, output: Any, error: str | None, kind: str,
            latency_ms: float) -> Record:
    if output is None:
        return Record(sample_id, None, error, latency_ms, kind=kind)
    if adapter.output == "text":
        return Record(sample_id, None, None, latency_ms, text=output, kind=OK)
    # labels read after predict: open-vocabulary adapters may grow them
    scores = dict(zip(adapter.labels, (float(v) for v in output)))
    problem = check_scores(output, adapter.output)  # NaN, abstention: no usable answer
    return Record(sample_id, scores, problem, latency_ms, kind=UNANSWERED if problem else OK)


def default_decode_workers(cores: int) -> int:
    """Decode threads: 2 at least (1 would decode inline, with no read-ahead), 4 at most."""
    return max(2, min(4, cores // 4))


def torch_thread_count(cores: int, decode_workers: int) -> int | None:
    """Torch intra-op threads that leave the decoders their cores, or None to leave torch be.

    Decoding a clip costs about 1% of a wav2vec2 forward pass and its threads mostly wait, so
    a core is set aside for them only where the model keeps most cores (cores >= 2 x decoders
    + 2, e.g. 12 of 16); on a 2-core machine taking one from the model would halve its speed.
    """
    if cores < 2 * decode_workers + 2:
        return None
    return max(1, cores - decode_workers)


def _torch_model(adapter: ModelAdapter) -> bool:
    torch = sys.modules.get("torch")  # a torch adapter has imported it already
    return torch is not None and isinstance(getattr(adapter, "model", None), torch.nn.Module)


@contextlib.contextmanager
def _threads_for(adapter: ModelAdapter, decode_workers: int) -> Iterator[None]:
    """Set torch threads for the run (and restore them) unless the user chose them."""
    count = torch_thread_count(os.cpu_count() or 1, decode_workers)
    user_chose = any(os.environ.get(name) for name in THREAD_VARIABLES)
    if (count is None or user_chose or adapter.modality != "audio"
            or not _torch_model(adapter)):
        yield
        return
    torch = sys.modules["torch"]
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run(adapter: ModelAdapter, rows: list[Row], store: PredictionStore, *,
        batch_size: int = 8, workers: int | None = None,
        on_progress: Callable[[int], None] | None = None,
        retry_errors: bool = False) -> dict[str, Any]:
    """Predict every row the resume rule (:func:`emoeval.freshness.plan_resume`) picks.
    Returns timing for the efficiency block and the resume counts."""
    plan = plan_resume(rows, store, adapter.modality, retry_errors=retry_errors)
    todo = plan.todo  # the store keeps the last record per id
    if on_progress and len(todo) < len(rows):
        on_progress(len(rows) - len(todo))
    workers = workers if workers is not None else default_decode_workers(os.cpu_count() or 2)
    model_seconds = 0.0
    n_predicted = 0
    with _threads_for(adapter, workers):
        for batch, inputs in _prepared_batches(plan_batches(todo, batch_size), adapter,
                                               workers):
            records = predict_prepared(adapter, [r.id for r in batch], inputs)
            plan.stamp(records)
            reached = [r.latency_ms for r in records if r.latency_ms is not None]
            model_seconds += sum(reached) / 1000.0
            n_predicted += len(reached)
            store.add_batch(records)
            if on_progress:
                on_progress(len(batch))
    return {"model_seconds": model_seconds, "n_predicted": n_predicted, **plan.counts()}
