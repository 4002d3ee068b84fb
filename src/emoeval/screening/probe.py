"""The probe: a small seeded sample of real data run through each candidate.

The sample is drawn the way ``emoeval evaluate --limit`` draws it (the same row preparation
and stratified sample), and each candidate predicts it through the core runner into its own
prediction store, so the probe sees exactly the inputs ``evaluate`` would and an interrupted
screening resumes its probes.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..adapters.base import ModelAdapter
from ..classification.table import detailed_table
from ..selection import RowSelection, prepare_rows, stratified_limit
from ..datasets.base import Row, load_dataset
from ..errors import EmoevalError
from ..labels import build_mapping, canonical, normalise
from ..metrics import classification_summary
from ..runner import run as run_predictions
from ..store import MANIFEST_FILE, PREDICTIONS_FILE, PredictionStore, StoreBusyError

#: how the runner marks a failure inside the model (other errors are the data's)
MODEL_ERROR_PREFIX = "model error:"


@dataclass
class Probe:
    dataset: str
    rows: list[Row]
    #: the dataset's label order; empty when the probe data is unlabelled
    labels: list[str]
    fingerprint: str
    split: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def labelled(self) -> bool:
        return bool(self.labels)

    @property
    def modality(self) -> str:
        return self.rows[0].modality

    @property
    def languages(self) -> list[str]:
        return sorted({str(r.metadata["language"]) for r in self.rows
                       if r.metadata.get("language")})

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "split": self.split, "labels": self.labels,
                "fingerprint": self.fingerprint, "warnings": self.warnings,
                "rows": [dataclasses.asdict(r) for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Probe":
        return cls(dataset=data["dataset"], rows=[Row(**r) for r in data["rows"]],
                   labels=list(data["labels"]), fingerprint=data["fingerprint"],
                   split=data.get("split"), warnings=list(data.get("warnings") or []))


def build_probe(spec: str, size: int, *, split: str | None = None, seed: int = 0) -> Probe:
    """The probe sample of a dataset spec: ``size`` rows stratified by label, seeded."""
    if size <= 0:
        raise EmoevalError(f"--probe-size {size}: give a positive number of samples")
    dataset = load_dataset(spec)
    rows = dataset.rows(split)
    if not rows:
        raise EmoevalError(f"--probe-dataset {spec} has no rows"
                           + (f" in split {split!r}" if split else ""))
    warnings = []
    skipped = list(getattr(dataset, "skipped", []) or [])
    if skipped:
        warnings.append(f"{len(skipped)} files in {spec} do not follow its naming and were "
                        f"skipped (first: {skipped[0]})")
    labelled = all(r.label is not None and str(r.label) != "" for r in rows)
    if any(isinstance(r.label, list) for r in rows):
        warnings.append("the probe data is multi-label: probe metrics are left out")
        labelled = False
    if labelled:
        selection = RowSelection(split=split, limit=size, seed=seed)
        rows, labels, _ = prepare_rows(dataset, rows, selection)
    else:
        if not any(isinstance(r.label, list) for r in rows):
            warnings.append("some probe rows have no label: probe metrics are left out")
        rows, labels = stratified_limit(rows, size, seed), []
    return Probe(dataset=spec, rows=rows, labels=labels, fingerprint=dataset.fingerprint(rows),
                 split=split, warnings=warnings)


def probe_label_map(label_map: dict[str, str | None] | None, probe_labels: list[str]
                    ) -> dict[str, str | None]:
    """A candidate's label map (model label -> emotion) with each emotion renamed to the
    probe's name for it (``angry`` -> ``anger``); emotions the probe lacks map to nothing."""
    by_name = {normalise(p): p for p in probe_labels}
    by_emotion = {canonical(p): p for p in reversed(probe_labels) if canonical(p)}
    out: dict[str, str | None] = {}
    for source, target in (label_map or {}).items():
        if target is None:
            out[source] = None
        else:
            out[source] = by_name.get(normalise(target)) or by_emotion.get(canonical(target))
    return out


def open_store(folder: str, manifest: dict[str, Any]) -> PredictionStore:
    """The candidate's probe store; one made for another model version is started afresh
    (it is screening's own cache, not a user's results)."""
    try:
        return PredictionStore(folder, manifest)
    except StoreBusyError:
        raise  # another process is using it: its files are not ours to delete
    except EmoevalError:
        for name in (PREDICTIONS_FILE, MANIFEST_FILE):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                os.remove(path)
        return PredictionStore(folder, manifest)


def run_probe(adapter: ModelAdapter, probe: Probe, label_map: dict[str, str | None] | None,
              store_dir: str, batch_size: int = 8) -> tuple[dict[str, Any], list[str]]:
    """Predict the probe sample; summarise what the model said. Returns (facts, warnings)."""
    warnings: list[str] = []
    if probe.labelled:
        adapter.set_candidate_labels(probe.labels)
    manifest = {"model_spec": adapter.spec, "model_fingerprint": adapter.fingerprint(),
                "dataset_spec": probe.dataset, "split": probe.split,
                "dataset_fingerprint": probe.fingerprint}
    with open_store(store_dir, manifest) as store:
        run_predictions(adapter, probe.rows, store, batch_size=batch_size)
        records = [store.records[r.id] for r in probe.rows]
        # open-vocabulary adapters may have met new labels while predicting (as evaluate)
        seen = {k for rec in records if rec.scores for k in rec.scores}
        model_labels = list(adapter.labels) + sorted(seen - set(adapter.labels))
        scored = [rec for rec in records if rec.scores is not None and not rec.error]
        errors = [rec.error for rec in records if rec.error]
        facts = summarise_scores(scored, model_labels)
        facts.update({"dataset": probe.dataset, "split": probe.split, "n": len(records),
                      "n_errors": len(errors), "errors": sorted(set(errors))[:3],
                      "n_model_errors": sum(e.startswith(MODEL_ERROR_PREFIX) for e in errors),
                      "languages": probe.languages})
        if errors:
            warnings.append(f"{len(errors)} of {len(records)} probe samples failed "
                            f"(first: {errors[0]})")
        if probe.labelled and scored:
            facts.update(probe_metrics(probe, store, model_labels, label_map, warnings))
    return facts, warnings


def summarise_scores(scored: list, model_labels: list[str]) -> dict[str, Any]:
    """Distribution of the model's top labels and the spread of its top probability."""
    if not scored:
        return {"n_scored": 0, "distribution": {}, "top_label": None, "top_share": None,
                "top_probability": None, "hard_labels": None, "predicted_emotions": {}}
    matrix = np.array([[rec.scores.get(m, 0.0) for m in model_labels] for rec in scored])
    top = [model_labels[j] for j in matrix.argmax(axis=1)]
    counts = Counter(top)
    top_label, top_count = counts.most_common(1)[0]
    best = matrix.max(axis=1)
    return {
        "n_scored": len(scored),
        "distribution": dict(counts.most_common()),
        "top_label": top_label,
        "top_share": top_count / len(scored),
        "top_probability": {"mean": float(best.mean()), "std": float(best.std()),
                            "min": float(best.min()), "max": float(best.max())},
        # a model answering with label names gives rows of 0 and 1: no confidence to judge
        "hard_labels": bool(np.all((matrix == 0.0) | (matrix == 1.0))),
        "predicted_emotions": {label: canonical(label) for label in sorted(counts)},
    }


def probe_metrics(probe: Probe, store: PredictionStore, model_labels: list[str],
                  label_map: dict[str, str | None] | None, warnings: list[str]
                  ) -> dict[str, Any]:
    """Accuracy and balanced accuracy on the labelled probe, labels mapped as evaluate does."""
    try:
        mapping = build_mapping(model_labels, probe.labels,
                                probe_label_map(label_map, probe.labels))
    except EmoevalError as exc:
        warnings.append(f"no probe metrics: {exc}")
        return {"accuracy": None, "balanced_accuracy": None, "label_mapping": None}
    table = detailed_table(probe.rows, store, mapping)
    table = table[table["error"] == ""]
    summary = classification_summary(table["label"], table["prediction"], probe.labels)
    truth = Counter(table["label"])
    if mapping.unpredictable_dataset_labels:
        warnings.append("the model cannot predict the probe labels "
                        + ", ".join(mapping.unpredictable_dataset_labels)
                        + ": those probe samples count as misses")
    n_correct = int((table["label"].astype(str) == table["prediction"].astype(str)).sum())
    return {
        # the counts the chance test (verdict.chance_test) reads
        "n_correct": n_correct,
        "n_labelled": int(len(table)),
        "majority_rate": max(truth.values()) / len(table) if len(table) else None,
        "n_classes": len(probe.labels),
        "accuracy": summary["metrics"]["accuracy"],
        "balanced_accuracy": summary["metrics"]["balanced_accuracy"],
        "f1_macro": summary["metrics"]["f1_macro"],
        "recall_per_class": {label: row["recall"] for label, row in summary["per_class"].items()},
        "truth_distribution": dict(truth.most_common()),
        "truth_top_share": max(truth.values()) / len(table) if len(table) else None,
        "label_mapping": mapping.to_dict(),
    }
