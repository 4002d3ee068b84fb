"""The Python API: everything the CLI does, callable from code.

Data flows one way: dataset rows -> model adapter -> label mapping -> prediction store ->
metrics -> report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import __version__
from .adapters.base import ModelAdapter, load_adapter
from .datasets.base import Dataset, DatasetOptions, Row, has_targets, load_dataset, metadata_keys
from .errors import EmoevalError
from .freshness import store_summary
from .labels import (LabelMapping, apply_label_options, build_mapping, label_key, label_spellings,
                     load_label_map, parse_merge)
from .runner import run as run_predictions
from .scoring import SCHEMA_VERSION, score_table
from .store import PredictionStore

RESULTS_FILE = "results.json"
DETAILED_FILE = "detailed_results.csv"


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
    #: local (this process), or ray (a Ray cluster; see emoeval.engines)
    engine: str = "local"
    #: engine settings, e.g. address, workers, gpus_per_worker for ray
    engine_options: dict[str, Any] = field(default_factory=dict)
    #: passed to the task's scorer (e.g. invalid_policy for generative, threshold)
    task_options: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    #: also ask again the samples stored as ``unanswered`` (model crash, NaN, abstention)
    retry_errors: bool = False


def all_label_names(rows: list[Row]) -> list[str]:
    """Every label occurrence, flattening multi-label rows."""
    names: list[str] = []
    for row in rows:
        names.extend(row.label if isinstance(row.label, list) else [row.label])
    return names


def evaluation_task(adapter: ModelAdapter, rows: list[Row]) -> str:
    """dimensional (rows carry continuous targets), generative (the model answers in
    text), multilabel (label lists) or classification."""
    if has_targets(rows):
        return "dimensional"
    if adapter.output == "text":
        return "generative"
    if any(isinstance(r.label, list) for r in rows):
        return "multilabel"
    return "classification"


def stratified_limit(rows: list[Row], limit: int | None, seed: int) -> list[Row]:
    """A seeded sample of ``limit`` rows stratified by label (largest-remainder allocation),
    in the dataset's order. Never the first N rows: some corpora are sorted by class."""
    if limit is None or limit >= len(rows):
        return rows
    if limit <= 0:
        raise EmoevalError(f"--limit {limit}: give a positive number")
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        key = ",".join(r.label) if isinstance(r.label, list) else str(r.label)
        by_label.setdefault(key, []).append(i)
    names = sorted(by_label)
    exact = np.array([limit * len(by_label[n]) / len(rows) for n in names])
    counts = np.floor(exact).astype(int)
    for j in np.argsort(-(exact - counts), kind="stable")[: limit - counts.sum()]:
        counts[j] += 1
    chosen: list[int] = []
    for name, count in zip(names, counts):
        chosen += list(rng.choice(by_label[name], size=int(count), replace=False))
    return [rows[i] for i in sorted(chosen)]


def prepare_rows(dataset: Dataset, rows: list[Row], cfg: EvaluationConfig
                 ) -> tuple[list[Row], list[str], dict[str, str | None]]:
    """Rows after label options, --keep-labels and --limit; the dataset's label order."""
    if not rows:
        raise EmoevalError(f"{dataset.spec} has no rows"
                           + (f" in split {cfg.split!r}" if cfg.split else ""))
    if has_targets(rows):
        return prepare_dimensional_rows(rows, cfg)
    unlabelled = [r.id for r in rows if r.label is None or str(r.label) == ""]
    if unlabelled:
        raise EmoevalError(f"{len(unlabelled)} rows have no label (first: {unlabelled[0]}); "
                           "check --label-col")
    label_map = load_label_map(cfg.label_map)
    merge = parse_merge(cfg.merge)
    # spellings that differ in case or whitespace are one class, under the data's most
    # frequent spelling (targets of --merge/--label-map too, when the data has them)
    spellings = label_spellings(all_label_names(rows))
    for row in rows:  # a multi-label row holds a list: each of its labels is rewritten
        names = row.label if isinstance(row.label, list) else [str(row.label)]
        names = [spellings.spell(n) for n in apply_label_options(
            [spellings.spell(n) for n in names], declared=None, merge=merge,
            label_map=label_map)]
        row.label = sorted(set(names)) if isinstance(row.label, list) else names[0]
    if cfg.keep_labels:
        present = {label_key(n): n for n in all_label_names(rows)}
        missing = [k for k in cfg.keep_labels if label_key(k) not in present]
        if missing:
            have = ", ".join(sorted(present.values()))
            raise EmoevalError(f"--keep-labels names labels not in the data: "
                               f"{', '.join(missing)} (have: {have})")
        keep = {present[label_key(k)] for k in cfg.keep_labels}
        for row in rows:
            if isinstance(row.label, list):
                row.label = [name for name in row.label if name in keep]
        rows = [r for r in rows if isinstance(r.label, list) or r.label in keep]
    if cfg.labels:
        apply_label_options(all_label_names(rows), declared=cfg.labels, merge={},
                            label_map={})
        labels = [spellings.spell(name) for name in cfg.labels]
    else:
        labels = sorted(set(all_label_names(rows)))
    rows = stratified_limit(rows, cfg.limit, cfg.seed)
    return rows, labels, label_map


def prepare_dimensional_rows(rows: list[Row], cfg: EvaluationConfig
                             ) -> tuple[list[Row], list[str], dict[str, str | None]]:
    """Rows with continuous targets: the dimensions (``--labels`` picks and orders them)
    instead of a label set; label options do not apply."""
    given = [flag for flag, value in (("--keep-labels", cfg.keep_labels), ("--merge", cfg.merge),
                                      ("--label-map", cfg.label_map)) if value]
    if given:
        raise EmoevalError(f"{', '.join(given)} applies to class labels, and this dataset has "
                           "continuous targets (dimensional); drop it")
    dims = list(next(r.targets for r in rows if r.targets is not None))
    uneven = [r.id for r in rows if r.targets is None or list(r.targets) != dims]
    if uneven:
        raise EmoevalError(f"{len(uneven)} rows lack the targets {', '.join(dims)} (first: "
                           f"{uneven[0]}); every row of a dimensional dataset needs them")
    if cfg.labels:
        unknown = [d for d in cfg.labels if d not in dims]
        if unknown:
            raise EmoevalError(f"--labels names dimensions the dataset lacks: "
                               f"{', '.join(unknown)} (has: {', '.join(dims)})")
        dims = list(cfg.labels)
    return stratified_limit(rows, cfg.limit, cfg.seed), dims, {}


def detailed_table(rows: list[Row], store: PredictionStore, mapping: LabelMapping
                   ) -> pd.DataFrame:
    """One row per sample in the ``detailed_results.csv`` layout."""
    records = []
    meta_keys = metadata_keys(rows)
    for r in rows:
        rec = store.records[r.id]
        out: dict[str, Any] = {"id": r.id, "label": r.label, "prediction": "",
                               "confidence": np.nan, "error": rec.error or ""}
        if rec.scores is not None and not rec.error:
            vector = np.array([rec.scores.get(m, 0.0) for m in mapping.model_labels], dtype=float)
            dataset_scores = mapping.project(vector[None, :])[0]
            prediction = mapping.predict(vector[None, :])[0]
            out["prediction"] = prediction
            out["confidence"] = (float(dataset_scores[mapping.dataset_labels.index(prediction)])
                                 if prediction in mapping.dataset_labels else float(vector.max()))
            for label, value in zip(mapping.dataset_labels, dataset_scores):
                out[f"score_{label}"] = float(value)
        for k in meta_keys:
            out[k] = r.metadata.get(k, "")
        records.append(out)
    table = pd.DataFrame.from_records(records)
    score_cols = [f"score_{label}" for label in mapping.dataset_labels]
    for col in score_cols:
        if col not in table.columns:
            table[col] = np.nan
    return table[["id", "label", "prediction", "confidence", "error", *score_cols, *meta_keys]]


def run_block(command: str, started: dt.datetime, t0: float) -> dict[str, Any]:
    versions = {"emoeval": __version__, "python": platform.python_version()}
    for name in ("numpy", "sklearn", "torch", "transformers", "onnxruntime",
                 "sentence_transformers"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "")
    return {"command": command or " ".join(sys.argv), "versions": versions,
            "started": started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - t0, 3)}


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


def write_results(out: str, results: dict[str, Any], table: pd.DataFrame) -> None:
    os.makedirs(out, exist_ok=True)
    table.to_csv(os.path.join(out, DETAILED_FILE), index=False)
    tmp = os.path.join(out, RESULTS_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(strict_json(results), f, indent=2, ensure_ascii=False, allow_nan=False)
    os.replace(tmp, os.path.join(out, RESULTS_FILE))


def strict_json(value: Any) -> Any:
    """Plain JSON types, with NaN/inf (undefined metrics) as null so any parser reads it."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [strict_json(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def evaluate(cfg: EvaluationConfig, on_progress: Callable[[int, int], None] | None = None,
             ) -> dict[str, Any]:
    """Evaluate one model on one dataset into ``cfg.out``; resumes from the store there."""
    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    if cfg.runtime != "torch":
        from .onnx.runtime import check_runtime

        check_runtime(cfg.runtime)  # a bad --runtime fails before the dataset loads
    source_spec = cfg.model
    dataset = load_dataset(cfg.dataset, cfg.dataset_options)
    all_rows = dataset.rows(cfg.split)
    # identity of the data as read (before label options and --limit), so a run with a
    # larger --limit reuses the predictions of a smaller one
    dataset_fp = dataset.fingerprint(all_rows)
    spellings = (label_spellings(all_label_names(all_rows)) if not has_targets(all_rows)
                 else label_spellings([]))  # the data's spellings, before prepare_rows folds them
    rows, labels, label_map = prepare_rows(dataset, all_rows, cfg)
    if cfg.runtime != "torch":
        from .onnx.runtime import prepare_runtime, runtime_adapter_options

        # export once (cached by model fingerprint), verify on this run's first samples;
        # torch-bf16 keeps the model and gives its adapter autocast="bf16"
        cfg.model = prepare_runtime(cfg.model, cfg.runtime, rows)
        cfg.adapter_options = {**cfg.adapter_options, **runtime_adapter_options(cfg.runtime)}
    adapter_options = {k: v for k, v in cfg.adapter_options.items() if v is not None}
    adapter = load_adapter(cfg.model, **adapter_options)
    if adapter.modality is None:
        adapter.modality = rows[0].modality
    if adapter.modality != rows[0].modality:
        raise EmoevalError(f"{cfg.model} takes {adapter.modality} but {cfg.dataset} holds "
                           f"{rows[0].modality}; pick a matching model or dataset")
    adapter.check_rows(rows)  # e.g. a probe refuses the samples it was trained on
    adapter.set_candidate_labels(labels)
    task = evaluation_task(adapter, rows)
    if adapter.output == "values" and task != "dimensional":
        raise EmoevalError(f"{cfg.model} is a regression model (outputs "
                           f"{', '.join(adapter.labels) or 'unnamed'}: continuous values) and "
                           f"{cfg.dataset} has class labels; evaluate it on continuous targets "
                           "(--target-cols, or a preset such as emobank:)")
    task_scorer(task, cfg.task_options)  # a stray --invalid-policy etc. fails before any run
    table_options: dict[str, Any] = {}
    dimensions = None
    if task == "dimensional":
        from .dimensional.scoring import parse_range, range_mapping

        range_mapping(cfg.task_options.get("pred_range"), cfg.task_options.get("target_range"))
        value_range = (parse_range(cfg.task_options.get("target_range"), "--target-range")
                       or dataset.target_range)
        if value_range is not None and not cfg.task_options.get("target_range"):
            # the corpus's scale reaches the scorer too (midpoint of unusable answers)
            cfg = dataclasses.replace(cfg, task_options={
                **cfg.task_options, "target_range": f"{value_range[0]:g},{value_range[1]:g}"})
        dimensions = (list(labels), value_range)
        adapter.set_dimensions(*dimensions)
        table_options["value_range"] = value_range
    tune_rows: list[Row] = []
    if task == "multilabel":
        from .multilabel.scoring import tuning_rows

        # per-class thresholds are tuned on another split: predict its rows too (marked by
        # split; the scorer tunes on them and reports only the requested split)
        tune_rows = tuning_rows(dataset, rows, labels, cfg)
    mapping = task_mapping(task, adapter, adapter.labels, labels, label_map, cfg.unmapped)
    model_fp = model_fingerprint(adapter, mapping)
    manifest = {"model_spec": cfg.model, "model_fingerprint": model_fp,
                "dataset_spec": cfg.dataset, "split": cfg.split,
                "dataset_fingerprint": dataset_fp}
    with PredictionStore(cfg.out, manifest) as store:
        total = len(rows) + len(tune_rows)
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            if on_progress:
                on_progress(done[0], total)

        if cfg.engine == "local":
            timing = run_predictions(adapter, rows + tune_rows, store,
                                     batch_size=cfg.batch_size,
                                     on_progress=progress, retry_errors=cfg.retry_errors)
        elif cfg.engine == "ray":
            from .engines.ray_engine import run_with_ray

            # the same rows into the same store: results, resume and reports are identical
            timing = run_with_ray(cfg.model, dict(adapter_options), rows + tune_rows, store,
                                  batch_size=cfg.batch_size, on_progress=progress,
                                  modality=adapter.modality,
                                  sampling_rate=adapter.sampling_rate,
                                  candidate_labels=labels, dimensions=dimensions,
                                  retry_errors=cfg.retry_errors,
                                  **{k: v for k, v in cfg.engine_options.items()
                                     if v is not None})
        else:
            raise EmoevalError(f"--engine {cfg.engine!r}: use local or ray")
        # open-vocabulary adapters may have met new labels while predicting
        seen = {k for r in rows if store.records[r.id].scores for k in store.records[r.id].scores}
        model_labels = list(adapter.labels) + sorted(seen - set(adapter.labels))
        mapping = task_mapping(task, adapter, model_labels, labels, label_map, cfg.unmapped)
        if task == "classification":
            table = detailed_table(rows, store, mapping)
            part = score_table(table, labels, slice_by=cfg.slice_by,
                               shared_labels=mapping.shared_labels,
                               n_resamples=cfg.n_resamples, seed=cfg.seed)
        else:
            part, table = score_task(task, rows + tune_rows, store, model_labels, labels,
                                     label_map, cfg, table_options)
        results = {
            "schema_version": SCHEMA_VERSION,
            "task": task,
            "model": {"spec": cfg.model, "fingerprint": model_fp, "source": source_spec,
                      "runtime": cfg.runtime},
            "dataset": {"spec": cfg.dataset, "split": cfg.split, "fingerprint": dataset_fp,
                        "limit": cfg.limit, "seed": cfg.seed},
            **part,
            "label_mapping": mapping.to_dict(),
            "efficiency": efficiency_block(adapter, store, rows, timing),
            "store": store_summary(store, timing),
            "label_spellings": spellings.folded,
        }
        results["warnings"] = (spellings.warnings(f"the dataset {cfg.dataset}")
                               + dataset_warnings(dataset, mapping)
                               + results["store"]["notices"] + results.get("warnings", []))
        results["run"] = run_block(cfg.command, started, t0)
    write_results(cfg.out, results, table)
    render_reports(cfg.out)
    return results


def task_mapping(task: str, adapter: ModelAdapter, model_labels: list[str], labels: list[str],
                 label_map: dict[str, str | None], unmapped: str):
    """Model labels -> dataset labels (a LabelMapping), or, for continuous targets, model
    outputs -> dimensions (a DimensionMapping with the same reporting face)."""
    if task == "dimensional":
        from .dimensional.names import DimensionMapping

        return DimensionMapping(adapter.output, model_labels, labels)
    return build_mapping(model_labels, labels, label_map, unmapped)


def score_task(task: str, rows: list[Row], store: PredictionStore, model_labels: list[str],
               labels: list[str], label_map: dict[str, str | None], cfg: EvaluationConfig,
               table_options: dict[str, Any] | None = None
               ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Build the task's detailed table from the store and score it with the task's scorer.
    ``table_options`` go to the table builder (e.g. the dimensional value range)."""
    from .registry import EVALUATE_TABLES, SCORE_TASKS, load_class

    build = load_class(EVALUATE_TABLES[task])
    scorer, options = task_scorer(task, cfg.task_options)
    table = build(rows, store, model_labels, labels, label_map, cfg.unmapped,
                  **(table_options or {}))
    return scorer(table, labels=labels, slice_by=cfg.slice_by, seed=cfg.seed,
                  n_resamples=cfg.n_resamples, **options)


def task_scorer(task: str, task_options: dict[str, Any]) -> tuple[Callable, dict[str, Any]]:
    """The scorer of ``task`` and the options given for it; an option the task does not
    take is an error naming the flag."""
    import inspect

    from .registry import SCORE_TASKS, load_class, parse_spec

    parse_spec(f"{task}:", SCORE_TASKS, "task")
    scorer = load_class(SCORE_TASKS[task][0])
    accepted = inspect.signature(scorer).parameters
    given = {k: v for k, v in task_options.items() if v is not None}
    foreign = [k for k in given if k not in accepted]
    if foreign:
        flags = ", ".join("--" + k.replace("_", "-") for k in foreign)
        raise EmoevalError(f"{flags} does not apply to --task {task}")
    return scorer, given


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
            label_map_file = os.path.join(run_dir, "label_map.json")
            with open(label_map_file, "w", encoding="utf-8") as f:
                json.dump(candidate.label_map, f, indent=2)
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
    with open(os.path.join(cfg.out, "models.json"), "w", encoding="utf-8") as f:
        json.dump(strict_json({k: v for k, v in summary.items() if k != "compare"}), f, indent=2)
    return summary


def model_fingerprint(adapter: ModelAdapter, mapping: LabelMapping) -> str:
    """Spec + weights + preprocessing (the adapter's parts) + the label map in force."""
    import hashlib

    h = hashlib.sha256(adapter.fingerprint().encode())
    h.update(json.dumps(mapping.model_to_dataset, sort_keys=True).encode())
    return h.hexdigest()[:16]


def read_predictions_file(path: str) -> pd.DataFrame:
    """CSV, TSV, JSONL or Parquet into a table (ids, labels and predictions as written, as
    text; a missing cell as ""): :func:`emoeval.tables.read_frame`."""
    from .tables import read_frame

    if not os.path.isfile(path):
        raise EmoevalError(f"predictions file {path!r} not found")
    return read_frame(path, text_columns=("id", "label", "prediction"))


def score_file(path: str | None, out: str, *, task: str = "classification",
               labels: list[str] | None = None, slice_by: list[str] | None = None,
               seed: int = 0, n_resamples: int = 1000, command: str = "",
               **task_options: Any) -> dict[str, Any]:
    """Score an existing predictions file without a model, with the scorer of ``task``.

    A ``detailed_results.csv`` written by emoeval is itself a valid input.
    ``task_options`` are the task's own options (``invalid_policy``, ``threshold``, ...);
    one the task does not take is an error naming it.
    """
    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    scorer, given = task_scorer(task, task_options)
    # no FILE: the task reads its own inputs from its options (open-vocabulary --truth)
    table = read_predictions_file(path) if path else pd.DataFrame({"id": []})
    if "id" not in table.columns:
        raise EmoevalError(f"{path} has no 'id' column (columns: {', '.join(table.columns)})")
    dupes = table["id"][table["id"].duplicated()].unique()
    if len(dupes):
        raise EmoevalError(f"duplicate ids in {path}: {', '.join(map(str, dupes[:5]))}")
    part, scored_table = scorer(table, labels=labels, slice_by=slice_by, seed=seed,
                                n_resamples=n_resamples, **given)
    results = {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "model": {"spec": f"file:{os.path.basename(path or '')}", "fingerprint": None},
        "dataset": {"spec": f"file:{path}", "split": None, "fingerprint": None},
        **part,
        "label_mapping": None,
        "efficiency": None,
        "run": run_block(command, started, t0),
    }
    write_results(out, results, scored_table)
    render_reports(out)
    return results


def load_results(out: str) -> dict[str, Any]:
    path = os.path.join(out, RESULTS_FILE)
    if not os.path.isfile(path):
        raise EmoevalError(f"{out} holds no {RESULTS_FILE}: run `emoeval evaluate` or "
                           "`emoeval score` into it first")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def render_reports(out: str) -> list[str]:
    """Re-render report.md and the plots from results.json alone (no model is run)."""
    from .reports import render_all

    return render_all(load_results(out), out)
