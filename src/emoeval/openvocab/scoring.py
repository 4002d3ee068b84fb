"""``emoeval score --task open-vocabulary``: set-level scores of free emotion words.

Per sample, after lower-casing and mapping every word of a synonym group to the group's
first word (both sets mapped): accuracy = |t & p| / |p| (0 when p is empty), recall =
|t & p| / |t|, F1 their harmonic mean (0 when both are 0). The headline is the mean of
accuracy and recall over the scored samples (MER2024's figure); every metric has a bootstrap
interval. Unanswered samples (empty or unreadable prediction, unreadable judge answer) are
scored as the empty set (policy ``wrong``, the default, MER's own) or left out (``exclude``);
results carry both.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..answers.coverage import coverage_block, policy_entry
from ..answers.policies import OPEN_VOCABULARY_POLICIES
from ..errors import EmoevalError
from ..metrics.dimensional import resample_indices
from ..scoring import is_blank, speaker_groups
from ..small_samples import MIN_ITEMS  # contracts section 5: the one constant
from .inputs import (INPUT, OK, TRANSPORT, UNANSWERED, as_json_list, prepare_rows,
                     read_groups, read_mer_pair)
from .sets import PROTOCOLS, SetParseError, mapped_set, word_map
from .synonyms import SynonymSource, open_source

METRICS = ("accuracy", "recall", "accuracy_recall_mean", "f1")
POLICIES = OPEN_VOCABULARY_POLICIES.names
WORDS_KEPT = 200  # per-word rows kept in results.json (the most frequent truth words)


def score_open_vocabulary(table: pd.DataFrame, *, labels: list[str] | None = None,
                          slice_by: list[str] | None = None, seed: int = 0,
                          n_resamples: int = 1000, truth: str | None = None,
                          predictions: str | None = None, synonyms: str | None = None,
                          protocol: str | None = None, invalid_policy: str | None = None,
                          unanswered: str | None = None, to_taxonomy: str | None = None,
                          judge_cache: str | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """The results part and the scored table (signature of
    :func:`emoeval.scoring.score_classification`; the rest are this task's options).

    ``labels`` is not used (the vocabulary is open); ``--to-taxonomy`` names a closed set.
    """
    protocol = protocol or "default"
    if protocol not in PROTOCOLS:
        raise EmoevalError(f"--protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}")
    policy = str(OPEN_VOCABULARY_POLICIES.parse(unanswered or invalid_policy))
    warnings: list[str] = []
    part: dict[str, Any] = {}
    if truth or predictions:
        if not (truth and predictions):
            raise EmoevalError("give both --truth and --predictions (MER2024's two CSVs)")
        if len(table):
            raise EmoevalError("give either a predictions FILE or --truth/--predictions, "
                               "not both")
        table, warnings = read_mer_pair(truth, predictions)
        part["model"] = {"spec": f"file:{predictions}", "fingerprint": None}
        part["dataset"] = {"spec": f"file:{truth}", "split": None, "fingerprint": None}
    elif "id" in table.columns and table["id"].astype(str).duplicated().any():
        raise EmoevalError("duplicate ids in the predictions table")
    rows, parsing = prepare_rows(table, protocol)
    rows, source_block = attach_groupings(rows, open_source(synonyms), protocol, judge_cache)
    rows = score_rows(rows)
    scored = scored_mask(rows, policy)
    if not scored.any():
        raise EmoevalError("no sample could be scored (see the kinds in "
                           "detailed_results.csv): every truth set is empty or unreadable, or "
                           "no sample has a synonym answer")
    plan = resampling_plan(rows[scored], n_resamples, seed)
    # the shared entry (metrics under "metrics") with the figures also at the top level,
    # where this task's readers (report, compare) have always found them
    policies = {name: policy_entry(figures, int(scored_mask(rows, name).sum()), **figures)
                for name in POLICIES
                for figures in [aggregate(rows[scored_mask(rows, name)])]}
    coverage = coverage_block(rows["kind"])
    part.update({
        "labels": [],
        "n_samples": int(len(rows)),
        "n_scored": int(scored.sum()),
        "n_errors": coverage["n_input_errors"] + coverage["n_transport_errors"],
        "metrics": aggregate(rows[scored]),
        "ci": bootstrap_intervals(rows[scored], plan),
        "policies": policies,
        "coverage": coverage,
        "small": bool(scored.sum() < MIN_ITEMS),
        "protocol": {"parser": protocol, "unanswered_policy": policy,
                     "aggregation": "mean over the scored samples of per-sample accuracy "
                                    "and recall (MER2024)",
                     "ci_unit": plan["unit"], "n_groups": plan["n_groups"],
                     "n_resamples": n_resamples, "seed": seed,
                     "synonyms": source_block.get("kind")},
        "parsing": parsing,
        "synonyms": source_block,
        "per_word": per_word(rows[scored]),
        "slices": slice_metrics(rows, scored, slice_by or []),
        "unanswered": {"policy": policy, "by_reason": reason_counts(rows, UNANSWERED),
                       "samples": samples_of(rows, UNANSWERED)},
        "errors": {"by_kind": {k: int(v) for k, v in
                               rows.loc[rows["kind"].isin([INPUT, TRANSPORT]), "kind"]
                               .value_counts().items()},
                   "samples": samples_of(rows, INPUT) + samples_of(rows, TRANSPORT)},
        "warnings": warnings,
    })
    if to_taxonomy:
        from .taxonomy import taxonomy_view

        judge_spec = source_block["spec"] if source_block.get("kind") == "judge" else None
        part["taxonomy"], rows = taxonomy_view(rows, scored, to_taxonomy, seed=seed,
                                               n_resamples=n_resamples, judge_spec=judge_spec,
                                               judge_cache=judge_cache)
    part["headline"] = headline_text(part)
    return part, detailed_table(rows, scored)


# --------------------------------------------------------------------------- synonyms


def attach_groupings(rows: pd.DataFrame, source: SynonymSource, protocol: str,
                     judge_cache: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Each row's synonym groups (``groups``) and raw grouping text (``synonyms``). A row
    the source has no answer for becomes ``transport``; an unreadable answer ``unanswered``."""
    rows = rows.copy()
    askable = rows["kind"].isin([OK, UNANSWERED])
    block = source.describe()
    answers: dict[str, str] = source.answers
    failures: dict[str, str] = {}
    if source.kind == "judge":
        from .judge import ask_judge, parse_judge

        judge = parse_judge(source.spec)
        words = {i: list(t) + list(p) for i, t, p, ask in zip(
            rows["id"], rows["truth_words"], rows["predicted_words"], askable) if ask}
        run, cache_dir = ask_judge(judge, words, cache_dir=judge_cache)
        answers, failures = run.answers, run.failures
        block = run.describe(judge, cache_dir)
    groups_col, text_col = [], []
    for index, row in rows.iterrows():
        groups: list[list[str]] = source.groups if source.kind == "global" else []
        text = ""
        if source.kind in ("per-sample", "judge") and askable[index]:
            if row["id"] not in answers:
                rows.at[index, "kind"] = TRANSPORT
                rows.at[index, "detail"] = (f"judge request failed: {failures[row['id']]}"
                                            if row["id"] in failures
                                            else "no judge answer for this sample")
            else:
                text = answers[row["id"]]
                try:
                    groups = read_groups(text, protocol)
                except SetParseError as exc:
                    if row["kind"] == OK:
                        rows.at[index, "kind"] = UNANSWERED
                        rows.at[index, "detail"] = f"judge answer unreadable: {exc}"
        groups_col.append(groups)
        text_col.append(text)
    rows["groups"], rows["synonyms"] = groups_col, text_col
    return rows, block


# --------------------------------------------------------------------------- per sample


def score_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Mapped sets and per-sample accuracy, recall, F1 (unanswered rows: the empty set)."""
    rows = rows.copy()
    truth_mapped, predicted_mapped, accuracy, recall, f1 = [], [], [], [], []
    for kind, truth, predicted, groups in zip(rows["kind"], rows["truth_words"],
                                              rows["predicted_words"], rows["groups"]):
        mapping = word_map(groups)
        t = mapped_set(truth, mapping)
        p = mapped_set(predicted, mapping) if kind == OK else set()
        truth_mapped.append(t)
        predicted_mapped.append(p)
        if kind not in (OK, UNANSWERED):
            accuracy.append(np.nan), recall.append(np.nan), f1.append(np.nan)
            continue
        hits = len(t & p)
        a = hits / len(p) if p else 0.0
        r = hits / len(t)
        accuracy.append(a)
        recall.append(r)
        f1.append(2 * a * r / (a + r) if a + r > 0 else 0.0)
    rows["truth_mapped"], rows["predicted_mapped"] = truth_mapped, predicted_mapped
    rows["accuracy"], rows["recall"], rows["f1"] = accuracy, recall, f1
    rows["accuracy_recall_mean"] = (rows["accuracy"] + rows["recall"]) / 2
    return rows


def scored_mask(rows: pd.DataFrame, policy: str) -> pd.Series:
    """Which rows ``policy`` scores (the shared rule: ``wrong`` scores an unanswered sample
    as the empty set, whose row already holds zeros)."""
    scored = OPEN_VOCABULARY_POLICIES.parse(policy).apply(rows["kind"]).scored
    return pd.Series(scored, index=rows.index)


def aggregate(scored: pd.DataFrame) -> dict[str, float]:
    """Means over the scored rows, in row order (MER2024 averages with ``np.mean``)."""
    if scored.empty:
        return {name: float("nan") for name in METRICS}
    accuracy = float(np.mean(scored["accuracy"].to_numpy(dtype=float)))
    recall = float(np.mean(scored["recall"].to_numpy(dtype=float)))
    return {"accuracy": accuracy, "recall": recall,
            "accuracy_recall_mean": (accuracy + recall) / 2,
            "f1": float(np.mean(scored["f1"].to_numpy(dtype=float)))}


def reason_counts(rows: pd.DataFrame, kind: str) -> dict[str, int]:
    reasons = rows.loc[rows["kind"] == kind, "detail"].map(lambda d: str(d).split(":")[0])
    return {str(k): int(v) for k, v in reasons.value_counts().items()}


def samples_of(rows: pd.DataFrame, kind: str, limit: int = 100) -> list[dict[str, str]]:
    chosen = rows[rows["kind"] == kind].head(limit)
    return [{"id": i, "kind": kind, "error": d} for i, d in zip(chosen["id"], chosen["detail"])]


# --------------------------------------------------------------------------- intervals


def resampling_plan(scored: pd.DataFrame, n_resamples: int, seed: int) -> dict[str, Any]:
    """The resampling plan of this task: the unit is the shared ``auto`` rule of contracts
    section 4 (:func:`emoeval.metrics.resampling.resolve_ci_unit` through
    ``speaker_groups``): speakers when the table has a speaker column, else samples."""
    groups, unit = speaker_groups(scored)
    n_groups = len(scored) if groups is None else int(pd.Series(groups).nunique())
    indices = (resample_indices(len(scored), groups, n_resamples, seed)
               if n_groups >= 2 else [])
    return {"unit": unit, "n_groups": n_groups, "n_resamples": n_resamples,
            "indices": indices}


def bootstrap_intervals(scored: pd.DataFrame, plan: dict[str, Any],
                        confidence: float = 0.95) -> dict[str, dict[str, Any]]:
    """Percentile interval of each metric's mean over the resamples of ``plan``."""
    base = {"n_resamples": plan["n_resamples"], "unit": plan["unit"],
            "n_groups": plan["n_groups"]}
    if not plan["indices"]:
        return {m: {"low": None, "high": None, **base,
                    "reason": f"fewer than two {plan['unit']}s"} for m in METRICS}
    values = scored[list(METRICS)].to_numpy(dtype=float)
    means = np.stack([values[index].mean(axis=0) for index in plan["indices"]])
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail], axis=0)
    return {m: {"low": float(low[j]), "high": float(high[j]), **base, "reason": None}
            for j, m in enumerate(METRICS)}


# --------------------------------------------------------------------------- words, slices


def per_word(scored: pd.DataFrame) -> dict[str, Any]:
    """How often each truth word is found (its mapped form among the mapped predictions),
    the most frequent misses, and the predicted words most often outside the truth."""
    seen, found, extra = Counter(), Counter(), Counter()
    for truth, groups, t, p in zip(scored["truth_words"], scored["groups"],
                                   scored["truth_mapped"], scored["predicted_mapped"]):
        mapping = word_map(groups)
        for word in {w.strip().lower() for w in truth}:
            seen[word] += 1
            found[word] += mapping.get(word, word) in p
        for word in p - t:
            extra[word.strip()] += 1
    words = [{"word": w, "n": n, "found": found[w], "hit_rate": found[w] / n}
             for w, n in seen.most_common()]
    misses = sorted(({"word": w, "missed": seen[w] - found[w], "n": seen[w]} for w in seen
                     if seen[w] > found[w]), key=lambda r: (-r["missed"], r["word"]))
    return {"n_truth_words": len(seen), "words": words[:WORDS_KEPT],
            "misses": misses[:20],
            "extras": [{"word": w, "n": n} for w, n in extra.most_common(20)]}


def slice_metrics(rows: pd.DataFrame, scored: pd.Series, columns: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in columns:
        if column not in rows.columns:
            raise EmoevalError(f"--slice-by {column!r}: no such column")
        values = rows.loc[scored, column].map(lambda v: "(blank)" if is_blank(v) else str(v))
        out[column] = {value: dict(aggregate(rows[scored][values == value]),
                                   n=int((values == value).sum()),
                                   small=bool((values == value).sum() < MIN_ITEMS))
                       for value in sorted(values.unique())}
    return out


# --------------------------------------------------------------------------- output


def headline_text(part: dict[str, Any]) -> str:
    m = part["metrics"]
    return (f"open-vocabulary ({part['protocol']['parser']} parser, unanswered "
            f"{part['protocol']['unanswered_policy']}): accuracy {m['accuracy']!r}, recall "
            f"{m['recall']!r}, mean {m['accuracy_recall_mean']!r}, F1 {m['f1']:.4f}; "
            f"{part['n_scored']}/{part['n_samples']} scored, "
            f"{part['coverage']['n_unanswered']} unanswered, {part['n_errors']} errors")


def detailed_table(rows: pd.DataFrame, scored: pd.Series) -> pd.DataFrame:
    """``detailed_results.csv``: sets as JSON lists, ``error`` set for input and transport
    rows (left out), ``scored`` for the rows in the headline."""
    out = rows.drop(columns=["groups"]).copy()
    for col in ("truth_words", "predicted_words", "truth_mapped", "predicted_mapped"):
        out[col] = out[col].map(as_json_list)
    out["error"] = [d if k in (INPUT, TRANSPORT) else "" for k, d in
                    zip(out["kind"], out["detail"])]
    out["scored"] = scored.to_numpy()
    first = ["id", "label", "prediction", "kind", "scored", "error", "detail", "accuracy",
             "recall", "f1", "accuracy_recall_mean", "truth_words", "predicted_words",
             "truth_mapped", "predicted_mapped", "synonyms"]
    return out[first + [c for c in out.columns if c not in first]]
