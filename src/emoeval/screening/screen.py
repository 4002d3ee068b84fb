"""``emoeval screen``: which candidate models are usable, with the evidence for each.

Flow: read the candidates file -> draw the probe sample once -> one worker process per
candidate (a few at a time, each under the time limit) -> a verdict per candidate from what
its worker recorded -> ``screening.json``, ``screening.md``, ``candidates.usable.yaml``.

Per-candidate work lives in ``OUT/candidates/<slug>/`` (job, worker findings, log, probe
prediction store, verdict); a rerun reuses every finished candidate whose model files, probe
and label map are unchanged, and resumes an interrupted probe.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Callable

from .. import results_io
from ..errors import EmoevalError
from ..registry import MODEL_ADAPTERS, parse_spec
from ..results import SCHEMA_VERSION
from .candidates import Candidate, model_slug, read_candidates, write_candidates
from .pool import WorkerJob, WorkerOutcome, default_jobs, memory_estimate, run_workers
from .probe import Probe, build_probe
from .verdict import NEXT_STEP, chance_test, decide

SCREENING_JSON = "screening.json"
SCREENING_MD = "screening.md"
USABLE_YAML = "candidates.usable.yaml"
#: candidates whose verdict may change on another try (the Hub unreachable, refused or busy)
RETRY_YAML = "candidates.retry.yaml"
CANDIDATES_DIR = "candidates"
#: findings that may change on the next run: never reused
NOT_SETTLED = ("unreachable",)
LOG_TAIL_LINES = 3


@dataclass
class ScreeningConfig:
    """Everything ``emoeval screen`` takes, with the CLI's defaults."""

    candidates: str
    out: str
    probe_dataset: str | None = None
    probe_size: int = 40
    probe_split: str | None = None
    timeout: float = 600.0
    #: worker processes at a time; None: from CPU cores and free memory
    jobs: int | None = None
    seed: int = 0
    batch_size: int = 8
    #: screen every candidate again, ignoring earlier findings in ``out``
    fresh: bool = False
    command: str = ""


def check_config(cfg: ScreeningConfig) -> None:
    if cfg.timeout <= 0:
        raise EmoevalError(f"--timeout {cfg.timeout:g}: give a positive number of seconds")
    if cfg.jobs is not None and cfg.jobs < 1:
        raise EmoevalError(f"--jobs {cfg.jobs}: give 1 or more")
    if cfg.probe_size <= 0:
        raise EmoevalError(f"--probe-size {cfg.probe_size}: give a positive number")
    if cfg.batch_size <= 0:
        raise EmoevalError(f"--batch-size {cfg.batch_size}: give a positive number")
    if os.path.isfile(cfg.out):
        raise EmoevalError(f"--out {cfg.out} is a file; give a folder")


def local_model_path(spec: str) -> str | None:
    """The local file or folder a spec points at, if it names one that exists."""
    try:
        parsed = parse_spec(spec, MODEL_ADAPTERS, "model")
    except EmoevalError:
        return None
    argument = parsed.argument
    if parsed.name == "python" or not argument or not os.path.exists(argument):
        return None
    return os.path.abspath(argument)


def files_signature(path: str | None) -> list[list[Any]]:
    """Name, size and modification time of a model's top-level files: a changed model is
    screened again."""
    if not path:
        return []
    names = sorted(os.listdir(path)) if os.path.isdir(path) else [""]
    out = []
    for name in names:
        full = os.path.join(path, name) if name else path
        if os.path.isfile(full):
            info = os.stat(full)
            out.append([name, info.st_size, info.st_mtime_ns])
    return out


def weights_bytes(spec: str) -> int | None:
    from ..adapters.hf import WEIGHT_PATTERNS

    if spec.startswith("python:"):
        return 0  # no weights to load, only the worker itself
    path = local_model_path(spec)
    if path is None:
        return None
    if os.path.isfile(path):
        return os.path.getsize(path)
    files = [f for pattern in WEIGHT_PATTERNS for f in glob.glob(os.path.join(path, pattern))]
    return sum(os.path.getsize(f) for f in files)


def job_key(candidate: Candidate, probe: Probe | None, cfg: ScreeningConfig) -> str:
    """What a worker's findings depend on; equal keys let a rerun reuse them."""
    data = {"spec": candidate.spec, "label_map": candidate.label_map,
            "files": files_signature(local_model_path(candidate.spec)),
            "probe": probe.fingerprint if probe else None, "batch_size": cfg.batch_size}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]


def language_code(language: str) -> str:
    """``en-US`` / ``EN_us`` -> ``en``."""
    return language.strip().lower().replace("_", "-").split("-")[0]


def candidate_warnings(candidate: Candidate, evidence: dict[str, Any], status: str
                       ) -> list[str]:
    warnings = list(evidence.get("worker_warnings") or [])
    probe = evidence.get("probe") or {}
    languages = probe.get("languages") or []
    if candidate.language and languages and language_code(candidate.language) not in {
            language_code(x) for x in languages}:
        warnings.append(f"language mismatch: the model is for {candidate.language!r} but the "
                        f"probe data is {', '.join(languages)}; its probe accuracy may "
                        "understate it")
    emotions = evidence.get("label_emotions") or {}
    unnamed = [label for label, emotion in emotions.items() if emotion is None]
    if unnamed and len(unnamed) < len(emotions) and status != "no_emotion_labels":
        warnings.append(f"labels naming no emotion: {', '.join(unnamed)} (a label_map can name "
                        "them)")
    return warnings


def crash_failure(result: dict[str, Any], outcome: WorkerOutcome, log_path: str
                  ) -> dict[str, str] | None:
    """A worker that died without recording why: a load_error naming the exit and log."""
    if outcome.timed_out or result.get("failure") or result.get("stage") == "done":
        return None
    tail = ""
    if os.path.isfile(log_path):
        with open(log_path, encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        tail = " | ".join(lines[-LOG_TAIL_LINES:])
    killed = " (killed: out of memory?)" if outcome.returncode in (-9, 137) else ""
    doing = NEXT_STEP.get(result.get("stage", "started"), "starting")
    return {"status": "load_error", "stage": result.get("stage", "started"),
            "message": f"the worker died while {doing}: exit code {outcome.returncode}"
                       f"{killed}" + (f"; log: {tail[-400:]}" if tail else "")}


def build_entry(candidate: Candidate, slug: str, result: dict[str, Any],
                worker: dict[str, Any]) -> dict[str, Any]:
    """One screening.json object: spec, status, recommendation, reason, evidence."""
    evidence = dict(result.get("evidence") or {})
    evidence["failure"] = result.get("failure")
    evidence["worker_warnings"] = list(result.get("warnings") or [])
    evidence["worker"] = worker
    evidence["chance"] = chance_test(evidence.get("probe"))
    verdict = decide(evidence, timed_out=worker["timed_out"], timeout_s=worker["timeout_s"],
                     stage_doing=NEXT_STEP.get(worker.get("stage", "started"), "starting"))
    return {"spec": candidate.spec, "slug": slug, "status": verdict.status,
            "recommendation": verdict.recommendation, "reason": verdict.reason,
            "warnings": candidate_warnings(candidate, evidence, verdict.status),
            "candidate": candidate.to_dict(), "evidence": evidence}


def read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_json(path: str, data: Any) -> None:
    results_io.write_json(path, data, default=str)


def reusable(stored: dict[str, Any] | None, key: str, cfg: ScreeningConfig) -> bool:
    """Earlier findings for the same job, finished, and not worth retrying."""
    if cfg.fresh or not stored or stored.get("job_key") != key:
        return False
    worker, entry = stored.get("worker") or {}, stored.get("entry") or {}
    if not worker or "result" not in stored:
        return False
    if worker.get("timed_out"):
        return worker.get("timeout_s", 0) >= cfg.timeout  # a longer limit deserves a try
    return entry.get("status") not in NOT_SETTLED


def screen(cfg: ScreeningConfig, on_result: Callable[[dict[str, Any]], None] | None = None
           ) -> list[dict[str, Any]]:
    """Screen every candidate of ``cfg.candidates``; write the three outputs into
    ``cfg.out``. Returns the screening.json list (one object per candidate, in file order)."""
    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    check_config(cfg)
    candidates = read_candidates(cfg.candidates)
    probe = (build_probe(cfg.probe_dataset, cfg.probe_size, split=cfg.probe_split,
                         seed=cfg.seed) if cfg.probe_dataset else None)
    os.makedirs(os.path.join(cfg.out, CANDIDATES_DIR), exist_ok=True)
    entries: dict[str, dict[str, Any]] = {}
    jobs: list[WorkerJob] = []
    by_slug: dict[str, tuple[Candidate, str]] = {}
    for candidate in candidates:
        slug = model_slug(candidate.spec)
        folder = os.path.join(cfg.out, CANDIDATES_DIR, slug)
        os.makedirs(folder, exist_ok=True)
        key = job_key(candidate, probe, cfg)
        stored = read_json(os.path.join(folder, "verdict.json"))
        if reusable(stored, key, cfg):
            worker = dict(stored["worker"], reused=True)
            entries[slug] = build_entry(candidate, slug, stored["result"], worker)
            if on_result:
                on_result(entries[slug])
            continue
        job = {"candidate": candidate.to_dict(),
               "result_path": os.path.abspath(os.path.join(folder, "worker.json")),
               "probe_dir": os.path.abspath(os.path.join(folder, "probe")),
               "probe": probe.to_dict() if probe else None, "batch_size": cfg.batch_size}
        job_path = os.path.join(folder, "job.json")
        write_json(job_path, job)
        if os.path.exists(job["result_path"]):
            os.remove(job["result_path"])  # no stale findings from an earlier job
        by_slug[slug] = (candidate, key)
        jobs.append(WorkerJob(slug, os.path.abspath(job_path),
                              os.path.join(folder, "worker.log"),
                              memory_estimate(weights_bytes(candidate.spec))))

    def on_finish(outcome: WorkerOutcome) -> None:
        candidate, key = by_slug[outcome.name]
        folder = os.path.join(cfg.out, CANDIDATES_DIR, outcome.name)
        result = read_json(os.path.join(folder, "worker.json")) or {}
        failure = crash_failure(result, outcome, os.path.join(folder, "worker.log"))
        if failure:
            result["failure"] = failure
        worker = {"seconds": outcome.seconds, "returncode": outcome.returncode,
                  "timed_out": outcome.timed_out, "timeout_s": cfg.timeout,
                  "stage": result.get("stage", "started"), "reused": False}
        entry = build_entry(candidate, outcome.name, result, worker)
        entries[outcome.name] = entry
        # the findings as judged (a crash included), for a rerun to reuse
        write_json(os.path.join(folder, "verdict.json"),
                   {"job_key": key, "result": result, "worker": worker, "entry": entry})
        if on_result:
            on_result(entry)

    if jobs:
        n_jobs = cfg.jobs or default_jobs([j.memory_bytes for j in jobs])
        run_workers(jobs, n_jobs=n_jobs, timeout_s=cfg.timeout, on_finish=on_finish)
    ordered = [entries[model_slug(c.spec)] for c in candidates]
    context = {"candidates_file": cfg.candidates, "probe": probe_context(probe, cfg),
               "timeout_s": cfg.timeout, "command": cfg.command,
               "started": started.isoformat(timespec="seconds"),
               "duration_s": round(time.perf_counter() - t0, 3)}
    write_outputs(cfg.out, ordered, candidates, context)
    return ordered


def probe_context(probe: Probe | None, cfg: ScreeningConfig) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {"dataset": probe.dataset, "split": probe.split, "n": len(probe.rows),
            "size": cfg.probe_size, "seed": cfg.seed, "labels": probe.labels,
            "languages": probe.languages, "warnings": probe.warnings}


def write_outputs(out: str, entries: list[dict[str, Any]], candidates: list[Candidate],
                  context: dict[str, Any]) -> None:
    from .report import render_markdown

    write_json(os.path.join(out, SCREENING_JSON),
               {"schema_version": SCHEMA_VERSION, "candidates": entries})
    results_io.write_text(os.path.join(out, SCREENING_MD), render_markdown(entries, context))
    for name, recommendation, what in ((USABLE_YAML, "keep", "kept"),
                                       (RETRY_YAML, "retry", "to screen again later")):
        chosen = [(c, e) for c, e in zip(candidates, entries)
                  if e["recommendation"] == recommendation]
        path = os.path.join(out, name)
        if not chosen and recommendation == "retry":
            if os.path.exists(path):
                os.remove(path)  # stale from an earlier screening
            continue
        write_candidates(
            path, [c for c, _ in chosen],
            comments=[f"{e['status']}: {e['reason']}" for _, e in chosen],
            header=(f"written by emoeval screen from {context['candidates_file']}: "
                    f"{len(chosen)} of {len(entries)} candidates {what} (see screening.md)"))
