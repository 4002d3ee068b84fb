"""Paired tests of two multi-label runs, rebuilt from their ``detailed_results.csv``.

The table holds, per sample, the true labels (``labels``, a JSON list), the labels predicted
under the run's threshold strategy (``prediction``, a JSON list) and one ``score_<label>``
column per label, so micro and macro F1 (decisions) and micro and macro ROC-AUC (scores) of
both runs can be rebuilt on the samples both scored. The bootstrap draws one set of row (or
speaker) multiplicities per resample and applies it to both runs, as the single-label paired
bootstrap does; thresholds stay as each run chose them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..metrics.multilabel import resampled_metrics, row_weights
from ..metrics.stats import group_codes
from .paired import PairedDifference, percentile_difference
from .runs import Run

#: the metrics a multi-label pair is tested on (Holm across pairs, per metric)
PAIRED_MULTILABEL_METRICS = ("f1_micro", "f1_macro", "roc_auc_micro", "roc_auc_macro")
REPRODUCE_TOLERANCE = 1e-6  # scores pass through a CSV: a few digits of rounding
RESAMPLE_BLOCK = 256  # resamples per weight matrix: bounds memory at 256 x samples floats


def label_lists(column: pd.Series) -> list[list[str]]:
    """A column of JSON lists (``["joy", "love"]``) as Python lists; a blank cell is []."""
    return [json.loads(value) if str(value).strip() else [] for value in column]


def indicator(lists: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    out = np.zeros((len(lists), len(labels)), dtype=bool)
    for i, names in enumerate(lists):
        for name in names:
            if name in index:
                out[i, index[name]] = True
    return out


def score_matrix(table: pd.DataFrame, labels: list[str], suffix: str = "") -> np.ndarray:
    """``score_<label><suffix>`` as floats; a label the model cannot predict has no score
    and counts 0, as the run's own scoring counts it."""
    columns = []
    for label in labels:
        name = f"score_{label}{suffix}"
        values = (pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
                  if name in table.columns else np.full(len(table), np.nan))
        columns.append(np.where(np.isnan(values), 0.0, values))
    return np.column_stack(columns).reshape(len(table), len(labels))


def multilabel_arrays(table: pd.DataFrame, labels: list[str], suffix: str = ""
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truth, decisions and scores of the run whose columns end in ``suffix``."""
    truth = indicator(label_lists(table["labels" + suffix]), labels)
    decisions = indicator(label_lists(table["prediction" + suffix]), labels)
    return truth, decisions, score_matrix(table, labels, suffix)


def multilabel_reproduction_problem(run: Run) -> str | None:
    """Checks that the scored rows of the table give the run's own macro F1 and micro AUC
    before paired tests trust it."""
    scored, problem = run.scored_columns(("labels", "prediction"))
    if scored is None:
        return problem
    if scored.empty:
        return f"{run.name} scored no sample"
    try:
        truth, decisions, scores = multilabel_arrays(scored, run.labels)
    except (ValueError, TypeError) as exc:
        return (f"{run.name}'s detailed_results.csv has a label cell that is not a JSON list "
                f"({exc}): re-run `emoeval score` on it")
    rebuilt = {name: float(values[0]) for name, values in resampled_metrics(
        truth, decisions, scores, np.ones((1, len(truth)))).items()}
    recorded = run.results.get("metrics") or {}
    for name in ("f1_macro", "roc_auc_micro"):
        value = recorded.get(name)
        if value is None and not np.isfinite(rebuilt[name]):
            continue
        if value is None or abs(rebuilt[name] - float(value)) > REPRODUCE_TOLERANCE:
            return (f"{run.name}'s detailed_results.csv does not reproduce the {name} in its "
                    f"results.json ({rebuilt[name]:.4f} vs {value}): re-run `emoeval score` "
                    "on it")
    return None


def multilabel_truth_disagreement(shared: pd.DataFrame) -> pd.Series:
    """Rows whose true label sets differ between the runs (order inside a list ignored)."""
    a = [tuple(sorted(x)) for x in label_lists(shared["labels"])]
    b = [tuple(sorted(x)) for x in label_lists(shared["labels_b"])]
    return pd.Series([x != y for x, y in zip(a, b)], index=shared.index)


def paired_multilabel_bootstrap(truth, decisions_a, decisions_b, scores_a, scores_b,
                                groups=None, n_resamples: int = 2000, seed: int = 0,
                                confidence: float = 0.95) -> dict[str, PairedDifference]:
    """Paired bootstrap of B - A for micro and macro F1 and micro and macro ROC-AUC.

    ``truth``, ``decisions_*`` (bool) and ``scores_*`` (float): (samples, labels) arrays on
    the shared samples. ``groups``: a cluster id per sample for a cluster bootstrap, or None
    to resample samples. The same inputs and seed give the same result.
    """
    truth = np.asarray(truth, dtype=bool)
    n_rows = len(truth)
    if n_rows == 0:
        raise ValueError("no shared samples to compare")
    group_index = None if groups is None else group_codes(groups, n_rows)
    if group_index is not None and group_index.max() < 1:
        raise ValueError("a cluster bootstrap needs at least two groups")
    ones = np.ones((1, n_rows))
    observed = {model: resampled_metrics(truth, decisions, scores, ones)
                for model, decisions, scores in (("a", decisions_a, scores_a),
                                                 ("b", decisions_b, scores_b))}
    rng = np.random.default_rng(seed)
    blocks: dict[str, list[np.ndarray]] = {name: [] for name in PAIRED_MULTILABEL_METRICS}
    for start in range(0, n_resamples, RESAMPLE_BLOCK):
        size = min(RESAMPLE_BLOCK, n_resamples - start)
        weights = row_weights(n_rows, group_index, size, rng)  # one draw for both runs
        resampled_a = resampled_metrics(truth, decisions_a, scores_a, weights)
        resampled_b = resampled_metrics(truth, decisions_b, scores_b, weights)
        for name in PAIRED_MULTILABEL_METRICS:
            blocks[name].append(resampled_b[name] - resampled_a[name])
    return {name: percentile_difference(float(observed["a"][name][0]),
                                        float(observed["b"][name][0]),
                                        np.concatenate(blocks[name]), confidence)
            for name in PAIRED_MULTILABEL_METRICS}
