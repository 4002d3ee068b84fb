"""``--to-taxonomy neutral,angry,happy,...``: an open-vocabulary model scored as a classifier.

Each word maps to a class of the taxonomy: its own name or an alias of the same emotion
(the alias families of :mod:`emoeval.labels`), else, within its sample, the class of another
word of its synonym group (the judge's or MER's grouping); otherwise to no class.
Single-label: the class most of a set's words map to (ties broken by taxonomy order, counted
and flagged per row); multi-label: the set of mapped classes. Truth sets are mapped the
same way; a sample whose truth maps to no class is left out of the closed view.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from ..labels import build_mapping
from ..metrics.classification import classification_summary
from ..metrics.multilabel import decision_metrics
from ..metrics.stats import bootstrap_ci
from ..scoring import speaker_groups

NO_CLASS = "<none>"


def word_classes(words: set[str], classes: list[str]) -> dict[str, tuple[str | None, str]]:
    """word -> (class, how) by name or alias family (``exact``, ``alias``, ``unmapped``):
    the label mapping of :func:`emoeval.labels.build_mapping`, the words as model labels."""
    try:
        mapping = build_mapping(sorted(words), classes)
    except EmoevalError:  # no word names a class at all
        return {w: (None, "unmapped") for w in words}
    return {w: (mapping.model_to_dataset.get(w), mapping.how.get(w, "unmapped"))
            for w in words}


def sample_classes(words: list[str], groups: list[list[str]],
                   lookups: dict[str, tuple[str | None, str]],
                   mapping: dict[str, dict[str, Any]]) -> list[str]:
    """The class of each word of one set (unmapped words left out), recording per word how
    it was mapped in ``mapping``."""
    out = []
    for word in words:
        key = word.strip().lower()
        cls, how = lookups[key]
        if cls is None:
            for group in groups:
                if key in {w.strip().lower() for w in group}:
                    for other in group:
                        cls, _ = lookups[other.strip().lower()]
                        if cls is not None:
                            how = "synonym group"
                            break
                if cls is not None:
                    break
        entry = mapping.setdefault(key, {"class": cls, "how": how, "n": 0})
        entry["n"] += 1
        if entry["class"] is None and cls is not None:
            entry.update({"class": cls, "how": how})
        if cls is not None:
            out.append(cls)
    return out


def majority(classes: list[str], order: list[str]) -> tuple[str, bool]:
    """(most frequent class, whether it was a tie broken by taxonomy order)."""
    if not classes:
        return NO_CLASS, False
    counts = Counter(classes)
    best = max(counts.values())
    tied = [c for c in order if counts.get(c) == best]
    return tied[0], len(tied) > 1


def taxonomy_view(rows: pd.DataFrame, scored: pd.Series, taxonomy: str, *, seed: int,
                  n_resamples: int) -> tuple[dict[str, Any], pd.DataFrame]:
    classes = [c.strip() for c in taxonomy.split(",") if c.strip()]
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise EmoevalError(f"--to-taxonomy {taxonomy!r}: give two or more distinct classes "
                           "a,b,c")
    vocabulary = {w.strip().lower() for column in ("truth_words", "predicted_words")
                  for values in rows[column] for w in values}
    vocabulary |= {w.strip().lower() for groups in rows["groups"] for g in groups for w in g}
    lookups = word_classes(vocabulary, classes)
    mapping: dict[str, dict[str, Any]] = {}
    rows = rows.copy()
    columns: dict[str, list[Any]] = {"truth_class": [], "predicted_class": [],
                                     "predicted_class_tie": [], "truth_classes": [],
                                     "predicted_classes": []}
    for words, predicted, groups, in_view in zip(rows["truth_words"], rows["predicted_words"],
                                                 rows["groups"], scored):
        truth_cls = sample_classes(words, groups, lookups, {}) if in_view else []
        pred_cls = sample_classes(predicted, groups, lookups, mapping) if in_view else []
        truth_label, _ = majority(truth_cls, classes)
        pred_label, tie = majority(pred_cls, classes)
        columns["truth_class"].append(truth_label)
        columns["predicted_class"].append(pred_label)
        columns["predicted_class_tie"].append(tie)
        columns["truth_classes"].append(",".join(sorted(set(truth_cls))))
        columns["predicted_classes"].append(",".join(sorted(set(pred_cls))))
    for name, values in columns.items():
        rows[name] = values
    usable = scored & (rows["truth_class"] != NO_CLASS)
    view: dict[str, Any] = {"classes": classes,
                            "via": "label names and alias families, else the sample's synonym "
                                   "group",
                            "mapping": {w: e["class"] for w, e in sorted(mapping.items())},
                            "mapping_how": {w: e["how"] for w, e in sorted(mapping.items())},
                            "n_truth_unmapped": int((scored & ~usable).sum())}
    if not usable.any():
        view["single_label"] = view["multi_label"] = {"n_scored": 0, "metrics": {}}
        return view, rows
    chosen = rows[usable]
    y_true = chosen["truth_class"].to_numpy(dtype=object)
    y_pred = chosen["predicted_class"].to_numpy(dtype=object)
    summary = classification_summary(y_true, y_pred, classes)
    groups, unit = speaker_groups(chosen)
    view["single_label"] = {
        "n_scored": int(len(chosen)), "n_ties": int(chosen["predicted_class_tie"].sum()),
        "n_no_class": int((chosen["predicted_class"] == NO_CLASS).sum()),
        "metrics": summary["metrics"], "per_class": summary["per_class"],
        "confusion_matrix": summary["confusion_matrix"],
        "ci": bootstrap_ci(y_true, y_pred, classes, groups=groups, unit=unit,
                           n_resamples=n_resamples, seed=seed)}
    truth_sets = np.array([[c in s.split(",") for c in classes]
                           for s in chosen["truth_classes"]], dtype=bool)
    pred_sets = np.array([[c in s.split(",") for c in classes]
                          for s in chosen["predicted_classes"]], dtype=bool)
    view["multi_label"] = {"n_scored": int(len(chosen)),
                           "metrics": decision_metrics(truth_sets, pred_sets)}
    return view, rows
