"""Evaluation runs: one model on one dataset (``evaluate``), a list of models
(``evaluate_models``), or an existing predictions file (``score_file``).

Data flows one way: dataset rows -> model adapter -> label mapping -> prediction store ->
metrics -> report. The public facade is :mod:`emoeval.api`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .adapters.base import ModelAdapter, load_adapter
from .datasets.base import (Dataset, DatasetOptions, Row, has_targets, load_dataset,
                            metadata_keys)
from .errors import EmoevalError
from .freshness import store_summary
from .labels import LabelMapping, label_spellings, parse_merge
from .naming import check_model_name, runtime_name
from .protocol import (adapter_manifest, overlap_warnings, protocol_block,
                       read_train_manifest, training_overlap)
from .registry import TASKS, pick_task, task_of_results
from .results import SCHEMA_VERSION, with_schema_keys
from .results_io import (DETAILED_FILE, load_results, read_predictions_file, run_block, write_json,
                         write_results)
from .runner import run as run_predictions
from .selection import RowSelection, all_label_names, prepare_rows
from .slice_checks import check_slice_by
from .store import PredictionStore


@dataclass
class EvaluationConfig:
    """Everything ``emoeval evaluate`` takes, with the CLI's defaults."""

    model: str
    dataset: str
    out: str
    split: str | None = None
    limit: int | None = None
    batch_size: int = 8
    labels: list[str] | None = None
    keep_labels: list[str] | None = None
    merge: list[str] = field(default_factory=list)
    label_map: str | None = None
    unmapped: str = "restrict"
    slice_by: list[str] = field(default_factory=list)
    seed: int = 0
    n_resamples: int = 1000
    dataset_options: DatasetOptions = field(default_factory=DatasetOptions)
    #: passed to the adapter (e.g. prompt, concurrency, timeout, retries for ``llm:``)
    adapter_options: dict[str, Any] = field(default_factory=dict)
    #: torch, or onnx / onnx-int8 to export an ``hf:`` model and run it with ONNX Runtime
    runtime: str = "torch"
    #: another run's folder: this run's predictions are compared with it sample by sample
    #: (results.json "reference"; contracts section 6)
    reference: str | None = None
    #: predict at most N rows of a multi-label tuning split (None: all; --limit never
    #: shrinks it)
    tune_limit: int | None = None
    #: local (this process), or ray (a Ray cluster; see emoeval.engines)
    engine: str = "local"
    #: engine settings, e.g. address, workers, gpus_per_worker for ray
    engine_options: dict[str, Any] = field(default_factory=dict)
    #: passed to the task's scorer (e.g. invalid_policy for generative, threshold)
    task_options: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    #: also ask again the samples stored as ``unanswered`` (model crash, NaN, abstention)
    retry_errors: bool = False
    #: a CSV/JSONL of the ids and/or speakers the model was trained on (protocol overlap)
    train_manifest: str | None = None


def efficiency_block(adapter: ModelAdapter, store: PredictionStore, rows: list[Row],
                     timing: dict[str, Any]) -> dict[str, Any]:
    latencies = np.array([store.records[r.id].latency_ms for r in rows
                          if store.records[r.id].latency_ms is not None], dtype=float)
    eff = dict(adapter.efficiency())
    eff["samples_per_s"] = (round(timing["n_predicted"] / timing["model_seconds"], 3)
                            if timing["model_seconds"] > 0 else None)
    eff["latency_ms_p50"] = round(float(np.percentile(latencies, 50)), 3) if latencies.size else None
    eff["latency_ms_p95"] = round(float(np.percentile(latencies, 95)), 3) if latencies.size else None
    eff["note"] = ("model time only (forward passes), per sample amortised over its batch; "
                   "measured in this run" if timing["n_predicted"] else
                   "all predictions came from the store: speed from the run that made them")
    return eff


def evaluate(cfg: EvaluationConfig, on_progress: Callable[[int, int], None] | None = None,
             ) -> dict[str, Any]:
    """Evaluate one model on one dataset into ``cfg.out``; resumes from the store there.

    The same steps for every task; the task's spec (picked from the rows and the model)
    supplies what differs. ``cfg`` is left as given."""
    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    # a manifest without an id or speaker column fails before anything loads
    manifest = read_train_manifest(cfg.train_manifest) if cfg.train_manifest else None
    if cfg.runtime != "torch":
        from .onnx.runtime import check_runtime

        check_runtime(cfg.runtime)  # a bad --runtime fails before the dataset loads
    if cfg.reference:
        from .onnx.agreement import check_reference

        check_reference(cfg.reference, DETAILED_FILE)
    dataset = load_dataset(cfg.dataset, cfg.dataset_options)
    all_rows = dataset.rows(cfg.split)
    # identity of the data as read (before label options and --limit), so a run with a
    # larger --limit reuses the predictions of a smaller one
    dataset_fp = dataset.fingerprint(all_rows)
    # the data's spellings, before prepare_rows folds them (continuous targets have none)
    spellings = label_spellings(all_label_names(all_rows) if not has_targets(all_rows) else [])
    selection = RowSelection.of(cfg)
    selection.tune_limit = cfg.tune_limit  # type: ignore[attr-defined]  (issue 19)
    rows, labels, label_map = prepare_rows(dataset, all_rows, selection)
    check_slice_by(cfg.slice_by, ["label", *metadata_keys(rows)])  # before any model
    model_spec, adapter_options = runtime_model(cfg, rows)
    adapter = open_adapter(model_spec, adapter_options, rows, cfg.dataset)
    adapter.check_rows(rows)  # e.g. a probe refuses the samples it was trained on
    adapter.set_candidate_labels(labels)
    task = pick_task(adapter, rows)
    task.check_adapter(adapter, model_spec, cfg.dataset)
    options = task.parse_options(cfg.task_options)  # a stray --mention fails here
    task.check_policy(options, labels)  # and a policy the task does not take
    task.check_values(options, labels)  # and a bad value of another option
    overlap = training_overlap(manifest or adapter_manifest(adapter), rows)
    setup = task.prepare(dataset, rows, labels, adapter, selection, options)
    predicted = rows + setup.extra_rows
    mapping = task.mapping(adapter, adapter.labels, labels, label_map, cfg.unmapped)
    model_fp = model_fingerprint(adapter, mapping)
    store_manifest = {"model_spec": model_spec, "model_fingerprint": model_fp,
                      "dataset_spec": cfg.dataset, "split": cfg.split,
                      "dataset_fingerprint": dataset_fp}
    # stores written before texts left the dataset fingerprint still resume
    earlier = {"dataset": [dataset.legacy_fingerprint(all_rows)]}
    with PredictionStore(cfg.out, store_manifest, earlier) as store:
        timing = predict(cfg, model_spec, adapter_options, adapter, predicted, store,
                         labels, setup.dimensions, on_progress)
        # open-vocabulary adapters may have met new labels while predicting
        seen = {k for r in rows if store.records[r.id].scores for k in store.records[r.id].scores}
        model_labels = list(adapter.labels) + sorted(seen - set(adapter.labels))
        mapping = task.mapping(adapter, model_labels, labels, label_map, cfg.unmapped)
        table = task.build_table(predicted, store, mapping, model_labels=model_labels,
                                 labels=labels, label_map=label_map, unmapped=cfg.unmapped,
                                 **setup.table_options)
        part, table = task.score(table, labels=labels, slice_by=cfg.slice_by, seed=cfg.seed,
                                 n_resamples=cfg.n_resamples, options=setup.options,
                                 mapping=mapping)
        results = {
            "schema_version": SCHEMA_VERSION,
            "task": task.name,
            "model": {"spec": model_spec, "fingerprint": model_fp, "source": cfg.model,
                      "runtime": cfg.runtime, "name": runtime_name(cfg.model, cfg.runtime)},
            "dataset": {"spec": cfg.dataset, "split": cfg.split, "fingerprint": dataset_fp,
                        "limit": cfg.limit, "seed": cfg.seed},
            **part,
            "label_mapping": mapping.to_dict(),
            "efficiency": efficiency_block(adapter, store, rows, timing),
            "store": store_summary(store, timing),
            "label_spellings": spellings.folded,
        }
        if cfg.reference:
            from .onnx.agreement import reference_agreement

            results["reference"] = reference_agreement(table, cfg.reference, DETAILED_FILE)
        results["protocol"] = protocol_block(
            part.get("protocol"), merges=parse_merge(cfg.merge), label_map=label_map,
            sample_counts={"n_dataset_rows": len(all_rows), "n_evaluated": len(rows),
                           "n_predicted_beside": len(setup.extra_rows)},
            overlap=overlap)
        # training overlap first: it changes what every figure below it means
        results["warnings"] = (overlap_warnings(overlap)
                               + spellings.warnings(f"the dataset {cfg.dataset}")
                               + dataset_warnings(dataset, mapping)
                               + results["store"]["notices"] + results.get("warnings", []))
        results["run"] = run_block(cfg.command, started, t0)
    with_schema_keys(results)
    write_results(cfg.out, results, table)
    render_reports(cfg.out)
    return results


def runtime_model(cfg: EvaluationConfig, rows: list[Row]) -> tuple[str, dict[str, Any]]:
    """The model spec and adapter options to load for ``cfg.runtime``: for onnx runtimes the
    exported model (export once, cached by model fingerprint, verified on a stratified
    sample of this run's rows); torch-bf16 keeps the model and gives its adapter autocast="bf16"."""
    model_spec, options = cfg.model, dict(cfg.adapter_options)
    if cfg.runtime != "torch":
        from .onnx.runtime import prepare_model

        model_spec, runtime_options = prepare_model(cfg.model, cfg.runtime, rows)
        options.update(runtime_options)
    return model_spec, {k: v for k, v in options.items() if v is not None}


def open_adapter(model_spec: str, adapter_options: dict[str, Any], rows: list[Row],
                 dataset_spec: str) -> ModelAdapter:
    """The model's adapter, checked against the rows' modality."""
    adapter = load_adapter(model_spec, **adapter_options)
    if adapter.modality is None:
        adapter.modality = rows[0].modality
    if adapter.modality != rows[0].modality:
        raise EmoevalError(f"{model_spec} takes {adapter.modality} but {dataset_spec} holds "
                           f"{rows[0].modality}; pick a matching model or dataset")
    return adapter


def predict(cfg: EvaluationConfig, model_spec: str, adapter_options: dict[str, Any],
            adapter: ModelAdapter, rows: list[Row], store: PredictionStore,
            labels: list[str], dimensions: Any,
            on_progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    """Predict every row not yet in ``store`` with ``cfg.engine``; the runner's timing."""
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if on_progress:
            on_progress(done[0], len(rows))

    if cfg.engine == "local":
        return run_predictions(adapter, rows, store, batch_size=cfg.batch_size,
                               on_progress=progress, retry_errors=cfg.retry_errors)
    if cfg.engine == "ray":
        from .engines.ray_engine import run_with_ray

        # the same rows into the same store: results, resume and reports are identical
        return run_with_ray(model_spec, dict(adapter_options), rows, store,
                            batch_size=cfg.batch_size, on_progress=progress,
                            modality=adapter.modality, sampling_rate=adapter.sampling_rate,
                            candidate_labels=labels, dimensions=dimensions,
                            retry_errors=cfg.retry_errors,
                            **{k: v for k, v in cfg.engine_options.items() if v is not None})
    raise EmoevalError(f"--engine {cfg.engine!r}: use local or ray")


def evaluation_task(adapter: ModelAdapter, rows: list[Row]) -> str:
    """The name of the task a run of ``adapter`` on ``rows`` is (see registry.pick_task)."""
    return pick_task(adapter, rows).name


def task_mapping(task: str, adapter: ModelAdapter, model_labels: list[str], labels: list[str],
                 label_map: dict[str, str | None], unmapped: str):
    """Model labels -> dataset labels (a LabelMapping), or, for continuous targets, model
    outputs -> dimensions (a DimensionMapping with the same reporting face)."""
    return TASKS.load(task).mapping(adapter, model_labels, labels, label_map, unmapped)


def score_task(task: str, rows: list[Row], store: PredictionStore, model_labels: list[str],
               labels: list[str], label_map: dict[str, str | None], cfg: EvaluationConfig,
               table_options: dict[str, Any] | None = None
               ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Build the task's detailed table from the store and score it with the task's scorer.
    ``table_options`` go to the table builder (e.g. the dimensional value range)."""
    spec = TASKS.load(task)
    options = spec.parse_options(cfg.task_options)
    table = spec.build_table(rows, store, None, model_labels=model_labels, labels=labels,
                             label_map=label_map, unmapped=cfg.unmapped,
                             **(table_options or {}))
    return spec.score(table, labels=labels, slice_by=cfg.slice_by, seed=cfg.seed,
                      n_resamples=cfg.n_resamples, options=options)


def task_scorer(task: str, task_options: dict[str, Any]) -> tuple[Callable, dict[str, Any]]:
    """The scorer of ``task`` with the options given for it bound, and those options; an
    option the task does not take is an error naming the flag."""
    spec = TASKS.load(task)
    options = spec.parse_options(task_options)
    return functools.partial(spec.score, options=options), spec.given_options(options)


def dataset_warnings(dataset: Dataset, mapping: LabelMapping) -> list[str]:
    """Files a preset could not read by its naming, and labels the model cannot predict."""
    warnings = []
    skipped = list(getattr(dataset, "skipped", []) or [])
    if skipped:
        warnings.append(f"{len(skipped)} files in {dataset.spec} do not follow its naming and "
                        f"were skipped (first: {skipped[0]})")
    if mapping.unpredictable_dataset_labels:
        warnings.append("the model cannot predict "
                        + ", ".join(mapping.unpredictable_dataset_labels)
                        + ": those samples are misses; see the metrics on shared labels")
    return warnings


def evaluate_models(models_file: str, cfg: EvaluationConfig,
                    on_progress: Callable[[str, int, int], None] | None = None,
                    ) -> dict[str, Any]:
    """Evaluate every candidate of a YAML list (e.g. the screening's candidates.usable.yaml)
    into ``OUT/<model-slug>/``, then compare them into ``OUT/compare``.

    A candidate that fails to load is recorded and skipped; the others still run.
    """
    from .compare import compare_runs
    from .screening import model_slug, read_candidates

    candidates = read_candidates(models_file)
    runs, failures = [], {}
    for candidate in candidates:
        run_dir = os.path.join(cfg.out, model_slug(candidate.spec))
        label_map_file = cfg.label_map
        if candidate.label_map:  # the candidate's own map, as a file the run can record
            os.makedirs(run_dir, exist_ok=True)
            label_map_file = write_json(os.path.join(run_dir, "label_map.json"),
                                        candidate.label_map)
        one = dataclasses.replace(cfg, model=candidate.spec, out=run_dir,
                                  label_map=label_map_file)
        try:
            evaluate(one, on_progress=(lambda d, t, s=candidate.spec: on_progress(s, d, t))
                     if on_progress else None)
            runs.append(run_dir)
        except EmoevalError as exc:
            failures[candidate.spec] = str(exc)
    summary: dict[str, Any] = {"runs": runs, "failures": failures}
    if len(runs) >= 2:
        summary["compare"] = compare_runs(runs, os.path.join(cfg.out, "compare"), seed=cfg.seed)
    write_json(os.path.join(cfg.out, "models.json"),
               {"schema_version": SCHEMA_VERSION,
                **{k: v for k, v in summary.items() if k != "compare"}})
    return summary


def model_fingerprint(adapter: ModelAdapter, mapping: LabelMapping) -> str:
    """Spec + weights + preprocessing (the adapter's parts) + the label map in force."""
    h = hashlib.sha256(adapter.fingerprint().encode())
    h.update(json.dumps(mapping.model_to_dataset, sort_keys=True).encode())
    return h.hexdigest()[:16]


def score_file(path: str | None, out: str, *, task: str = "classification",
               labels: list[str] | None = None, slice_by: list[str] | None = None,
               seed: int = 0, n_resamples: int = 1000, command: str = "",
               name: str | None = None, **task_options: Any) -> dict[str, Any]:
    """Score an existing predictions file without a model, with the scorer of ``task``.

    A ``detailed_results.csv`` written by emoeval is itself a valid input.
    ``task_options`` are the task's own options (``invalid_policy``, ``threshold``, ...);
    one the task does not take is an error naming it.
    """
    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    name = check_model_name(name)
    spec = TASKS.load(task)
    options = spec.parse_options(task_options)
    spec.check_policy(options, labels)
    # no FILE: the task reads its own inputs from its options (open-vocabulary --truth)
    table = read_predictions_file(path) if path else pd.DataFrame({"id": []})
    if "id" not in table.columns:
        raise EmoevalError(f"{path} has no 'id' column (columns: {', '.join(table.columns)})")
    dupes = table["id"][table["id"].duplicated()].unique()
    if len(dupes):
        raise EmoevalError(f"duplicate ids in {path}: {', '.join(map(str, dupes[:5]))}")
    part, scored_table = spec.score(table, labels=labels, slice_by=slice_by, seed=seed,
                                    n_resamples=n_resamples, options=options)
    results = {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "model": {"spec": f"file:{os.path.basename(path or '')}", "fingerprint": None,
                  "name": name},
        "dataset": {"spec": f"file:{path}", "split": None, "fingerprint": None},
        **part,
        "label_mapping": None,
        "efficiency": None,
        "run": run_block(command, started, t0),
    }
    results["protocol"] = protocol_block(part.get("protocol"),
                                         sample_counts={"n_rows": int(len(table))})
    with_schema_keys(results)
    write_results(out, results, scored_table)
    render_reports(out)
    return results


def render_reports(out: str) -> list[str]:
    """Re-render report.md and the plots from results.json alone (no model is run)."""
    results = load_results(out)
    return task_of_results(results).render(results, out)
