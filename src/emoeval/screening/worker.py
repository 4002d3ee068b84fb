"""Screen one candidate in its own process: ``python -m emoeval.screening.worker JOB.json``.

The job file names the candidate, the probe and where to write. The worker writes what it
has found to the result file after every stage (atomically), so when the parent stops it at
the time limit, or it crashes, the evidence gathered so far is not lost.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

from ..adapters.base import load_adapter
from ..results_io import write_json
from .candidates import Candidate
from .inspection import describe
from .locate import LOAD_ERROR, Failure, load_failure, locate
from .probe import Probe, run_probe
from .verdict import settled_before_probe

#: adapters built on torch and transformers: imported before the load is timed
TORCH_ADAPTERS = ("hf", "clap", "probe", "zeroshot")


class ResultFile:
    """The worker's findings, rewritten whole after each stage."""

    def __init__(self, path: str):
        self.path = path
        self.data: dict[str, Any] = {"stage": "started", "failure": None, "evidence": {},
                                     "warnings": [], "pid": os.getpid()}
        self.save()

    def save(self, stage: str | None = None) -> None:
        if stage:
            self.data["stage"] = stage
        write_json(self.path, self.data, indent=1, default=str)

    def fail(self, failure: Failure) -> None:
        self.data["failure"] = failure.to_dict()
        self.save("done")


def screen_one(job: dict[str, Any]) -> None:
    result = ResultFile(job["result_path"])
    evidence, warnings = result.data["evidence"], result.data["warnings"]
    candidate = Candidate(**job["candidate"])
    location, failure = locate(candidate.spec)
    evidence["location"] = location.to_dict()
    result.save("located")
    if failure:
        return result.fail(failure)
    started = time.perf_counter()
    if candidate.spec.partition(":")[0] in TORCH_ADAPTERS:
        import torch  # noqa: F401  (the import is not the model's load time)
        import transformers  # noqa: F401
    evidence["import_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    try:
        adapter = load_adapter(candidate.spec)
    except Exception as exc:  # any loader failure is a finding, not a crash
        return result.fail(load_failure(exc))
    evidence["load_seconds"] = round(time.perf_counter() - started, 3)
    result.save("loaded")
    try:
        found, found_warnings = describe(adapter, candidate, location.path
                                         if location.kind in ("local", "hub") else None)
    except Exception as exc:
        return result.fail(Failure(LOAD_ERROR, f"loaded, but inspecting it failed: "
                                   f"{type(exc).__name__}: {exc}", "inspect"))
    evidence.update(found)
    warnings.extend(found_warnings)
    result.save("inspected")
    probe_data = job.get("probe")
    settled = settled_before_probe(evidence)
    if settled is not None:
        evidence["probe_skipped"] = f"not probed: already {settled.status}"
    elif probe_data is None:
        evidence["probe_skipped"] = "no probe data was given (--probe-dataset)"
    else:
        probe = Probe.from_dict(probe_data)
        if adapter.modality is None:
            adapter.modality = probe.modality  # as evaluate: the model takes the data's
        if adapter.modality != probe.modality:
            evidence["probe_skipped"] = (f"the model takes {adapter.modality} and the probe "
                                         f"data is {probe.modality}")
        else:
            try:
                evidence["probe"], probe_warnings = run_probe(
                    adapter, probe, candidate.label_map, job["probe_dir"],
                    batch_size=job.get("batch_size", 8))
            except Exception as exc:
                return result.fail(Failure(LOAD_ERROR, f"loaded, but the probe run failed: "
                                           f"{type(exc).__name__}: {exc}", "probe"))
            warnings.extend(probe_warnings)
            facts = evidence["probe"]
            if facts["n_scored"] == 0 and facts["n_model_errors"]:
                return result.fail(Failure(
                    LOAD_ERROR, f"loads, but fails on every probe input "
                    f"({facts['n_model_errors']} of {facts['n']}): {facts['errors'][0]}",
                    "probe"))
    result.save("done")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m emoeval.screening.worker JOB.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        job = json.load(f)
    try:
        screen_one(job)
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
