"""Run worker processes a few at a time, each under a wall-clock limit.

Each worker starts in its own process group, so stopping one at the time limit also stops
anything it started. A worker starts only while the estimated memory of those running fits
in the memory available (one always runs, however large).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

#: Python, torch and transformers in a worker before any weights
WORKER_BASE_MEMORY = 700 << 20
#: weights in memory, a second copy while the loading report is read, activations
WEIGHTS_MEMORY_FACTOR = 3
#: assumed for a model whose size is unknown before loading (a hub repo not yet cached)
UNKNOWN_MODEL_MEMORY = 2 << 30
POLL_SECONDS = 0.1


@dataclass
class WorkerJob:
    name: str
    job_path: str
    log_path: str
    memory_bytes: int


@dataclass
class WorkerOutcome:
    name: str
    returncode: int | None
    timed_out: bool
    seconds: float


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), in bytes; None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def memory_estimate(weights_bytes: int | None) -> int:
    if weights_bytes is None:
        return UNKNOWN_MODEL_MEMORY
    return WORKER_BASE_MEMORY + WEIGHTS_MEMORY_FACTOR * weights_bytes


def default_jobs(memory_estimates: list[int]) -> int:
    """As many workers as CPU cores, fewer when their estimated memory does not fit."""
    if not memory_estimates:
        return 1
    cores = os.cpu_count() or 1
    memory = available_memory()
    by_memory = (memory // max(sorted(memory_estimates)[len(memory_estimates) // 2], 1)
                 if memory else cores)
    return max(1, min(cores, by_memory, len(memory_estimates)))


def worker_environment(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, str(threads))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    return env


def stop(process: subprocess.Popen) -> None:
    """Kill the worker's whole process group (it started it) and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_workers(jobs: list[WorkerJob], *, n_jobs: int, timeout_s: float,
                on_finish: Callable[[WorkerOutcome], None] | None = None
                ) -> dict[str, WorkerOutcome]:
    """Run ``python -m emoeval.screening.worker`` once per job; wait for all."""
    pending = list(jobs)
    running: dict[str, tuple[WorkerJob, subprocess.Popen, float, object]] = {}
    outcomes: dict[str, WorkerOutcome] = {}
    budget = available_memory()
    env = worker_environment(max(1, (os.cpu_count() or 1) // max(1, n_jobs)))

    def fits(job: WorkerJob) -> bool:
        if not running:
            return True
        if len(running) >= n_jobs:
            return False
        in_use = sum(j.memory_bytes for j, *_ in running.values())
        return budget is None or in_use + job.memory_bytes <= budget

    def finish(name: str, timed_out: bool) -> None:
        job, process, started, log = running.pop(name)
        log.close()
        outcome = WorkerOutcome(name, process.returncode, timed_out,
                                round(time.monotonic() - started, 3))
        outcomes[name] = outcome
        if on_finish:
            on_finish(outcome)

    try:
        while pending or running:
            while pending and fits(pending[0]):
                job = pending.pop(0)
                log = open(job.log_path, "w", encoding="utf-8")
                process = subprocess.Popen(
                    [sys.executable, "-m", "emoeval.screening.worker", job.job_path],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                    start_new_session=True)
                running[job.name] = (job, process, time.monotonic(), log)
            for name, (job, process, started, _) in list(running.items()):
                if process.poll() is not None:
                    finish(name, timed_out=False)
                elif time.monotonic() - started > timeout_s:
                    stop(process)
                    finish(name, timed_out=True)
            time.sleep(POLL_SECONDS)
    finally:  # interrupted (Ctrl-C): leave no worker behind
        for name, (job, process, started, log) in list(running.items()):
            stop(process)
            log.close()
    return outcomes
