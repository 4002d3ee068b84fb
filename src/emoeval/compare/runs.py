"""Run folders in, grouped by the data they were scored on.

A run folder is what ``emoeval evaluate`` or ``emoeval score`` wrote: ``results.json`` and
``detailed_results.csv``. Runs are on the same dataset when their dataset fingerprints (and
splits) match; a run without a fingerprint (``emoeval score`` input) joins the dataset whose
sample ids it mostly shares (at least half of the smaller run's ids).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import EmoevalError
from ..registry import sample_layout
from ..results_io import DETAILED_FILE, load_results

SAME_DATA_OVERLAP = 0.5


@dataclass
class Run:
    """One run folder: its results and, loaded on demand, its scored samples."""

    name: str
    path: str
    results: dict[str, Any]
    _table: pd.DataFrame | None = field(default=None, repr=False)
    table_problem: str | None = None

    @property
    def task(self) -> str:
        return str(self.results.get("task") or "classification")

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.results.get("labels") or []]

    @property
    def model_spec(self) -> str:
        model = self.results.get("model") or {}
        # the display name (score --name, "<source> (onnx)") before the spec that was run
        return str(model.get("name") or model.get("spec") or self.name)

    @property
    def dataset_spec(self) -> str:
        return str((self.results.get("dataset") or {}).get("spec") or "")

    @property
    def split(self) -> str | None:
        split = (self.results.get("dataset") or {}).get("split")
        return None if split is None else str(split)

    @property
    def dataset_fingerprint(self) -> str | None:
        return (self.results.get("dataset") or {}).get("fingerprint")

    def table(self) -> pd.DataFrame | None:
        """The detailed table as text (ids, labels and predictions never parsed as numbers),
        or None with :attr:`table_problem` saying why."""
        if self._table is None and self.table_problem is None:
            self._table, self.table_problem = read_detailed(self.path)
        return self._table

    def scored(self) -> pd.DataFrame | None:
        """Rows that were scored: no error and a prediction (as the core scores them), not
        of the split thresholds were tuned on (multi-label runs keep those rows beside the
        reported ones and leave them out of the metrics)."""
        table = self.table()
        if table is None:
            return None
        policy = (self.results.get("protocol") or {}).get("unanswered_policy")
        if policy and "kind" in table.columns and sample_layout(self.task) == "label":
            # the run's unanswered policy, as its headline applied it: under ``wrong`` an
            # abstention is a scored miss (issue 19)
            from ..answers.policies import SINGLE_LABEL_POLICIES
            from ..scoring import policy_predictions, with_kinds

            table = with_kinds(table)
            predictions, in_metrics = policy_predictions(
                table, SINGLE_LABEL_POLICIES.parse(policy))
            table["prediction"] = predictions
            scored = pd.Series(in_metrics, index=table.index)
        else:
            scored = table["error"] == ""
            if "prediction" in table.columns:
                scored &= table["prediction"] != ""
        tune_split = (self.results.get("threshold") or {}).get("tune_split")
        if tune_split and "split" in table.columns:
            scored &= table["split"] != str(tune_split)
        return table[scored]

    def scored_columns(self, columns: tuple[str, ...]
                       ) -> tuple[pd.DataFrame | None, str | None]:
        """The scored rows when the table is readable and has ``columns``, else None and
        why (the first check of every table a paired test rebuilds metrics from)."""
        scored = self.scored()
        if scored is None:
            return None, self.table_problem
        missing = [c for c in columns if c not in scored.columns]
        if missing:
            return None, (f"{self.name}'s detailed_results.csv has no "
                          f"{' or '.join(missing)} column")
        return scored, None

    def ids(self) -> set[str]:
        table = self.table()
        return set() if table is None else set(table["id"])


def read_detailed(folder: str) -> tuple[pd.DataFrame | None, str | None]:
    path = os.path.join(folder, DETAILED_FILE)
    if not os.path.isfile(path):
        return None, f"{path} is missing"
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return None, f"{path} cannot be read ({exc.__class__.__name__}: {exc})"
    if "id" not in table.columns:
        return None, f"{path} has no id column"
    if "error" not in table.columns:
        table["error"] = ""
    duplicated = table["id"][table["id"].duplicated()]
    if len(duplicated):
        return None, f"{path} has duplicate ids (first: {duplicated.iloc[0]})"
    return table, None


def load_run(folder: str) -> dict[str, Any]:
    try:
        results = load_results(folder)
    except json.JSONDecodeError as exc:
        raise EmoevalError(f"{os.path.join(folder, 'results.json')} is not valid JSON ({exc}); "
                           "re-run `emoeval report` or the evaluation that wrote it") from exc
    if not isinstance(results, dict) or not isinstance(results.get("metrics"), dict):
        raise EmoevalError(f"{os.path.join(folder, 'results.json')} has no metrics block: "
                           "it was not written by `emoeval evaluate` or `emoeval score`")
    return results


def run_names(folders: list[str]) -> list[str]:
    """Folder base names, with parent folders added until they are unique."""
    parts = [os.path.normpath(os.path.abspath(f)).split(os.sep) for f in folders]
    depth = 1
    while True:
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names) or depth >= max(len(p) for p in parts):
            return names
        depth += 1


def load_runs(folders: list[str]) -> list[Run]:
    if len(folders) < 2:
        raise EmoevalError(f"compare needs at least two run folders, got {len(folders)}")
    resolved = [os.path.realpath(f) for f in folders]
    twice = sorted({f for f in folders if resolved.count(os.path.realpath(f)) > 1})
    if twice:
        raise EmoevalError(f"run folder given twice: {', '.join(twice)}; give each run once")
    for folder in folders:
        if not os.path.isdir(folder):
            raise EmoevalError(f"{folder} is not a folder: give folders written by "
                               "`emoeval evaluate` or `emoeval score`")
    runs = [Run(name, folder, load_run(folder))
            for name, folder in zip(run_names(folders), folders)]
    tasks = sorted({run.task for run in runs})
    if len(tasks) > 1:
        listing = "; ".join(f"{run.name}: {run.task}" for run in runs)
        raise EmoevalError(f"the runs are of different tasks ({listing}); compare runs of one "
                           "task at a time")
    return runs


@dataclass
class DatasetGroup:
    """Runs scored on the same data: compared paired."""

    runs: list[Run]
    name: str = ""  # set by group_by_dataset: unique among the groups

    @property
    def spec(self) -> str:
        return self.runs[0].dataset_spec

    @property
    def split(self) -> str | None:
        return self.runs[0].split

    def display_name(self) -> str:
        """Short name: ``tweeteval:tweeteval_emotion [val]``; ``data of <run>`` for runs
        scored from a predictions file (the file names the model, not the data)."""
        if self.spec.startswith("file:") or not self.spec:
            return f"data of {self.runs[0].name}"
        source, _, argument = self.spec.partition(":")
        argument = os.path.basename(argument.rstrip("/")) or argument
        name = f"{source}:{argument}" if argument else source
        return f"{name} [{self.split}]" if self.split else name


def group_by_dataset(runs: list[Run]) -> list[DatasetGroup]:
    groups: list[DatasetGroup] = []
    by_fingerprint: dict[tuple[str, str | None], DatasetGroup] = {}
    for run in runs:
        if run.dataset_fingerprint:
            key = (str(run.dataset_fingerprint), run.split)
            if key not in by_fingerprint:
                by_fingerprint[key] = DatasetGroup([])
                groups.append(by_fingerprint[key])
            by_fingerprint[key].runs.append(run)
    for run in runs:
        if run.dataset_fingerprint:
            continue
        ids = run.ids()
        home = next((group for group in groups if _mostly_shared(ids, group)), None)
        if home is None:
            home = DatasetGroup([])
            groups.append(home)
        home.runs.append(run)
    taken: set[str] = set()
    for group in groups:
        name, suffix = group.display_name(), 2
        while name in taken:
            name, suffix = f"{group.display_name()} ({suffix})", suffix + 1
        group.name = name
        taken.add(name)
    return groups


def _mostly_shared(ids: set[str], group: DatasetGroup) -> bool:
    group_ids: set[str] = set().union(*(run.ids() for run in group.runs))
    smaller = min(len(ids), len(group_ids))
    return smaller > 0 and len(ids & group_ids) >= SAME_DATA_OVERLAP * smaller


def label_set_problem(group: DatasetGroup) -> str | None:
    """A message when runs on one dataset were scored on different label sets."""
    sets = {tuple(sorted(run.labels)) for run in group.runs}
    if len(sets) <= 1:
        return None
    listing = "; ".join(f"{run.name}: {', '.join(run.labels)}" for run in group.runs)
    return (f"runs on {group.name} were scored on different label sets ({listing}); their "
            "metrics are not comparable. Re-run them with the same --labels/--keep-labels/"
            "--merge, or pass --force to compare them on the union of the labels")


def sample_overlap(group: DatasetGroup) -> dict[str, Any]:
    """How many samples each run has and scored, and how many all runs share."""
    per_run = {}
    all_ids: list[set[str]] = []
    all_scored: list[set[str]] = []
    for run in group.runs:
        table, scored = run.table(), run.scored()
        ids = set(table["id"]) if table is not None else set()
        scored_ids = set(scored["id"]) if scored is not None else set()
        all_ids.append(ids)
        all_scored.append(scored_ids)
        per_run[run.name] = {"n_samples": run.results.get("n_samples"),
                             "n_scored": run.results.get("n_scored"),
                             "n_ids_read": len(ids) if table is not None else None,
                             "problem": run.table_problem}
    readable = [i for i, run in enumerate(group.runs) if run.table() is not None]
    shared = set.intersection(*(all_ids[i] for i in readable)) if readable else set()
    shared_scored = set.intersection(*(all_scored[i] for i in readable)) if readable else set()
    union = set().union(*(all_ids[i] for i in readable)) if readable else set()
    return {"runs": per_run, "n_union": len(union), "n_in_all_runs": len(shared),
            "n_scored_by_all_runs": len(shared_scored)}
