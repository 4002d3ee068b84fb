"""``--to-taxonomy neutral,angry,happy,...``: an open-vocabulary model scored as a classifier.

Each word maps to a class of the taxonomy: its own name or an alias of the same emotion
(the alias families of :mod:`emoeval.labels`), else, within its sample, the class of another
word of its synonym group (the judge's or MER's grouping); otherwise to no class.
Single-label: the class most of a set's words map to (ties broken by taxonomy order, counted
and flagged per row); multi-label: the set of mapped classes. Truth sets are mapped the same
way; a sample whose truth maps to no class is left out of the closed view. With a ``judge:``
source the judge is also asked for the class of each sample's predicted words (prompt
``taxonomy_class.v1``, cached like the groupings): a second single-label view, and the
agreement of the rule-based class with the judge's (Cohen's kappa, the samples that differ).
"""

from __future__ import annotations

import re
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
from ..small_samples import MIN_ITEMS

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


def read_class(answer: str, classes: list[str]) -> str | None:
    """The class a judge named: the whole answer (quotes, dots and case aside) a class name
    or an alias of one, else the one class name among its words; None otherwise."""
    text = re.sub(r"[\"'`.*]", " ", answer).strip().lower()
    found = word_classes({text}, classes)[text][0]
    if found is not None:
        return found
    named = {c for c in classes if re.search(rf"\b{re.escape(c.lower())}\b", text)}
    return named.pop() if len(named) == 1 else None


def judge_classes(rows: pd.DataFrame, usable: pd.Series, classes: list[str], judge_spec: str,
                  judge_cache: str | None
                  ) -> tuple[list[str | None], list[str], dict[str, Any]]:
    """The judge's class for every usable row's predicted words (None: no readable class),
    its raw answers, and the judge's record."""
    from .judge import TAXONOMY_PROMPT_FILE, ask_judge, parse_judge

    judge = parse_judge(judge_spec, TAXONOMY_PROMPT_FILE, classes=", ".join(classes))
    asked = {i: list(words) for i, words, use in zip(rows["id"], rows["predicted_words"], usable)
             if use and words}
    run, cache_dir = ask_judge(judge, asked, cache_dir=judge_cache)
    answers = [run.answers.get(i, "") for i in rows["id"]]
    out = [read_class(answer, classes) if answer else None for answer in answers]
    block = run.describe(judge, cache_dir)
    block["n_no_class"] = sum(1 for a, c in zip(answers, out) if a and c is None)
    return out, answers, block


def agreement(rows: pd.DataFrame, classes: list[str]) -> dict[str, Any]:
    """Cohen's kappa of the rule-based class (names, aliases, synonym groups) against the
    judge's class, on the rows the judge classed, and the rows they read differently."""
    from sklearn.metrics import cohen_kappa_score

    both = rows[rows["judge_class"].notna()]
    if len(both) < 2:
        return {"n": int(len(both)), "cohen_kappa": None, "differ": []}
    rule, judge = both["predicted_class"].astype(str), both["judge_class"].astype(str)
    differ = both[rule != judge]
    kappa = cohen_kappa_score(rule, judge, labels=[*classes, NO_CLASS])
    return {"n": int(len(both)), "cohen_kappa": None if np.isnan(kappa) else float(kappa),
            "observed_agreement": float((rule == judge).mean()),
            "n_differ": int(len(differ)), "small": bool(len(both) < MIN_ITEMS),
            "differ": [{"id": i, "words": w, "rule": r, "judge": j} for i, w, r, j in
                       zip(differ["id"], differ["predicted_words"], differ["predicted_class"],
                           differ["judge_class"])][:20]}


def single_label(chosen: pd.DataFrame, column: str, classes: list[str], *, seed: int,
                 n_resamples: int) -> dict[str, Any]:
    y_true = chosen["truth_class"].to_numpy(dtype=object)
    y_pred = chosen[column].fillna(NO_CLASS).to_numpy(dtype=object)
    summary = classification_summary(y_true, y_pred, classes)
    groups, unit = speaker_groups(chosen)
    return {"n_scored": int(len(chosen)), "n_no_class": int((y_pred == NO_CLASS).sum()),
            "metrics": summary["metrics"], "per_class": summary["per_class"],
            "confusion_matrix": summary["confusion_matrix"],
            "ci": bootstrap_ci(y_true, y_pred, classes, groups=groups, unit=unit,
                               n_resamples=n_resamples, seed=seed)}


def taxonomy_view(rows: pd.DataFrame, scored: pd.Series, taxonomy: str, *, seed: int,
                  n_resamples: int, judge_spec: str | None = None,
                  judge_cache: str | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
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
    if judge_spec:
        rows["judge_class"], rows["judge_class_answer"], view["judge"] = judge_classes(
            rows, usable, classes, judge_spec, judge_cache)
    chosen = rows[usable]
    view["single_label"] = single_label(chosen, "predicted_class", classes, seed=seed,
                                        n_resamples=n_resamples)
    view["single_label"]["n_ties"] = int(chosen["predicted_class_tie"].sum())
    if judge_spec:
        view["single_label_judge"] = single_label(chosen, "judge_class", classes, seed=seed,
                                                  n_resamples=n_resamples)
        view["judge"]["agreement"] = agreement(chosen, classes)
    truth_sets = np.array([[c in s.split(",") for c in classes]
                           for s in chosen["truth_classes"]], dtype=bool)
    pred_sets = np.array([[c in s.split(",") for c in classes]
                          for s in chosen["predicted_classes"]], dtype=bool)
    view["multi_label"] = {"n_scored": int(len(chosen)),
                           "metrics": decision_metrics(truth_sets, pred_sets)}
    return view, rows
