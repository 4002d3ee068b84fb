"""``--engine ray``: the same evaluation on a Ray cluster.

The pending rows (the runner's resume rule, :func:`emoeval.freshness.plan_resume`: not yet
in the prediction store, input changed, or a failure to ask again) become a Ray Data dataset, in the
runner's size order (:func:`emoeval.runner.plan_batches`). Tasks decode them
(:func:`emoeval.runner.prepare_input`: a bad file becomes that sample's error, as locally);
a pool of actors, each loading the model once, predicts them with the runner's own batch
isolation and score checks; the results stream back to this process, the only writer, which
drops any sample it already holds and appends the rest to the store batch by batch. So
results, resume and reports are those of a local run: the same labels, the same errors,
scores equal up to batching noise.

A killed actor is restarted and the batches it held are run again (``RETRIES``); a sample
that arrives twice is written once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ..adapters.base import ModelAdapter, load_adapter
from ..datasets.base import Row
from ..errors import EmoevalError, SampleError
from ..freshness import ResumePlan, plan_resume
from ..runner import plan_batches, predict_prepared, prepare_input
from ..store import PredictionStore, Record
from .ray_cluster import (RETRIES, PoolPlan, cluster_pool_plan, extend_import_path,
                          import_paths, import_ray, ray_session)

#: a block (one decoding task) holds at most this many model batches
BATCHES_PER_BLOCK = 8
#: and there are at least this many blocks per worker, so every actor gets work
BLOCKS_PER_WORKER = 4


@dataclass(frozen=True)
class InputFormat:
    """What :func:`emoeval.runner.prepare_input` needs to know of the model, without it."""

    modality: str
    sampling_rate: int | None


def run_with_ray(model_spec: str, adapter_options: dict[str, Any], rows: list[Row],
                 store: PredictionStore, *, batch_size: int = 8,
                 on_progress: Callable[[int], None] | None = None,
                 address: str | None = None, workers: int | None = None,
                 gpus_per_worker: float | None = None, modality: str | None = None,
                 sampling_rate: int | None = None,
                 candidate_labels: list[str] | None = None,
                 dimensions: tuple[list[str], tuple[float, float] | None] | None = None,
                 retry_errors: bool = False,
                 ) -> dict[str, Any]:
    """Predict the rows the runner's resume rule picks, on Ray; the same timing dict as the
    runner.

    ``modality``, ``sampling_rate`` and ``candidate_labels`` are the driver's adapter's (and
    the dataset's labels it was given); when absent they are taken from the rows, and the
    sampling rate of an audio model from loading it here once. ``dimensions`` (names, value
    range) is what the driver gave ``set_dimensions`` on a dimensional dataset.
    """
    import_ray()
    modality = modality or (rows[0].modality if rows else None)
    resume = plan_resume(rows, store, modality, retry_errors=retry_errors)
    todo = resume.todo
    if on_progress and len(todo) < len(rows):
        on_progress(len(rows) - len(todo))
    if not todo:
        return {"model_seconds": 0.0, "n_predicted": 0, **resume.counts()}
    if candidate_labels is None:
        from ..selection import all_label_names

        candidate_labels = sorted(set(all_label_names(rows)))
    if modality == "audio" and sampling_rate is None:
        sampling_rate = load_adapter(model_spec, **adapter_options).sampling_rate
    input_format = InputFormat(modality, sampling_rate)
    with ray_session(address) as ray, _quiet_ray_data(ray):
        plan = cluster_pool_plan(ray, workers, gpus_per_worker)
        dataset = _prediction_dataset(ray, todo, batch_size, input_format, plan, {
            "model_spec": model_spec, "adapter_options": dict(adapter_options),
            "modality": modality, "candidate_labels": list(candidate_labels),
            "dimensions": dimensions,
            "threads": plan.threads_per_worker, "paths": import_paths()})
        try:
            return {**_write_as_they_arrive(dataset, resume, store, on_progress),
                    **resume.counts()}
        except Exception as exc:
            cause = _emoeval_cause(exc)
            if cause is None:
                raise
            raise EmoevalError(f"on the Ray workers: {cause}") from None


def _prediction_dataset(ray: Any, todo: list[Row], batch_size: int,
                        input_format: InputFormat, plan: PoolPlan,
                        worker_options: dict[str, Any]) -> Any:
    """from_items (ids and inputs) -> decoding tasks -> model actor pool."""
    from ray.data import ActorPoolStrategy

    ordered = [row for batch in plan_batches(todo, batch_size) for row in batch]
    items = [{"id": r.id, "text": r.text, "audio": r.audio} for r in ordered]
    n_batches = math.ceil(len(items) / batch_size)
    n_blocks = min(n_batches, max(BLOCKS_PER_WORKER * plan.workers,
                                  math.ceil(n_batches / BATCHES_PER_BLOCK)))
    decoded = ray.data.from_items(items, override_num_blocks=n_blocks).map_batches(
        decode_batch, fn_kwargs={"input_format": input_format}, batch_size=None,
        batch_format="numpy", num_cpus=plan.cpus_per_decode_task)
    with warnings.catch_warnings():
        # Ray Data names no parameter for these yet and flags free-form remote args as
        # deprecated; without them its default is unbounded restarts and retries, which
        # would loop forever on a sample that kills its worker every time
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
        return decoded.map_batches(
            ModelWorker, fn_constructor_kwargs=worker_options, batch_size=batch_size,
            batch_format="numpy", compute=ActorPoolStrategy(size=plan.workers),
            num_cpus=plan.cpus_per_worker, num_gpus=plan.gpus_per_worker or None,
            max_restarts=RETRIES, max_task_retries=RETRIES)


def _write_as_they_arrive(dataset: Any, resume: ResumePlan, store: PredictionStore,
                          on_progress: Callable[[int], None] | None) -> dict[str, Any]:
    """The driver is the store's one writer: each sample once, in arrival order, with the
    digest of its input."""
    todo = resume.todo
    pending = {r.id for r in todo}
    model_seconds, n_predicted = 0.0, 0
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        fresh = []
        for line in batch["record"]:
            record = Record(**json.loads(line))
            if record.id not in pending:
                continue  # a batch run again after its worker died: already written
            pending.discard(record.id)
            fresh.append(record)
            if record.latency_ms is not None:  # it reached the model (as in the runner)
                model_seconds += record.latency_ms / 1000.0
                n_predicted += 1
        if fresh:
            resume.stamp(fresh)
            store.add_batch(fresh)
            if on_progress:
                on_progress(len(fresh))
    if pending:
        first = next(r.id for r in todo if r.id in pending)
        raise EmoevalError(f"the Ray run returned no result for {len(pending)} samples "
                           f"(first: {first}); rerun the same command to resume them")
    return {"model_seconds": model_seconds, "n_predicted": n_predicted}


def decode_batch(batch: dict[str, np.ndarray], input_format: InputFormat
                 ) -> dict[str, np.ndarray]:
    """Ray Data task: decode each row with the runner's ``prepare_input``; a failure is
    that sample's error (its input left empty)."""
    empty: Any = np.zeros(0, dtype=np.float32) if input_format.modality == "audio" else ""
    inputs = np.empty(len(batch["id"]), dtype=object)
    errors = []
    for i, (sample_id, text, audio) in enumerate(zip(batch["id"], batch["text"],
                                                     batch["audio"])):
        row = Row(id=str(sample_id), label=None, text=text, audio=audio)
        try:
            inputs[i] = prepare_input(row, input_format)  # type: ignore[arg-type]
            errors.append("")
        except SampleError as exc:
            inputs[i] = empty
            errors.append(str(exc))
    return {"id": batch["id"], "input": inputs, "error": np.array(errors, dtype=object)}


class ModelWorker:
    """Ray Data actor: loads the model once, then predicts batches of decoded inputs."""

    def __init__(self, model_spec: str, adapter_options: dict[str, Any], modality: str,
                 candidate_labels: list[str], threads: int, paths: list[str],
                 dimensions: tuple[list[str], tuple[float, float] | None] | None = None):
        extend_import_path(paths)
        self.adapter = load_adapter(model_spec, **adapter_options)
        if self.adapter.modality is None:
            self.adapter.modality = modality
        self.adapter.set_candidate_labels(candidate_labels)
        if dimensions is not None:  # the same prompt/outputs as the driver's adapter
            self.adapter.set_dimensions(*dimensions)
        if "torch" in sys.modules:  # only a model that uses torch pays for importing it
            sys.modules["torch"].set_num_threads(threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        inputs: list[Any] = []
        for value, error in zip(batch["input"], batch["error"]):
            if error:
                inputs.append(SampleError(str(error)))
            elif self.adapter.modality == "audio":
                inputs.append(np.array(value, dtype=np.float32))  # writable, as decoded
            else:
                inputs.append(str(value))
        records = predict_prepared(self.adapter, [str(i) for i in batch["id"]], inputs)
        return {"id": batch["id"],
                "record": np.array([json.dumps(dataclasses.asdict(r)) for r in records],
                                   dtype=object)}


def _emoeval_cause(exc: BaseException) -> str | None:
    """The message of the EmoevalError behind a Ray error (e.g. a worker that cannot load
    the model), or None when there is none."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = getattr(current, "cause", None)  # RayTaskError keeps the original
        if isinstance(cause, EmoevalError) and not hasattr(cause, "cause"):
            return str(cause)
        current = current.__cause__ or current.__context__
    # an actor that died in its constructor passes on only the text of its traceback
    marker = f"{EmoevalError.__module__}.{EmoevalError.__name__}: "
    lines = [line.strip() for line in str(exc).splitlines() if marker in line]
    return lines[-1].split(marker, 1)[1] if lines else None


@contextlib.contextmanager
def _quiet_ray_data(ray: Any) -> Iterator[None]:
    """emoeval draws its own progress bar: no Ray Data bars or execution banners."""
    context = ray.data.DataContext.get_current()
    saved = (context.enable_progress_bars, context.print_on_execution_start)
    # Ray Data's INFO banners, and its warning that the bars are off (we turned them off)
    levels = {"ray.data": logging.WARNING, "ray.data._internal.progress": logging.ERROR}
    saved_levels = {name: logging.getLogger(name).level for name in levels}
    context.enable_progress_bars, context.print_on_execution_start = False, False
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        context.enable_progress_bars, context.print_on_execution_start = saved
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
