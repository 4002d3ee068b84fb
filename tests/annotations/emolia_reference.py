"""emolia-bench's analysis rules, re-implemented here (independently of emoeval) as the
reference the emolia tests compare with. Each function names its source: LAION-AI/emolia-bench
``analysis.py`` (MIT). Written for these tests; it follows their definitions, not their code.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

EMO_KEYS = ["file_name", "queried_emotion", "task_type"]
DIM_KEYS = ["file_name", "dimension", "level", "polarity"]
EMO_CODES = {"not_present": 0, "weakly_present": 1, "strongly_present": 2}
DIM_CODES = {"no": 0, "yes": 1}


def load(path, keys: list[str]) -> pd.DataFrame:
    """analysis.py load_subset: the latest ``created_at`` of a (item, username) wins."""
    raw = pd.read_csv(path, dtype={"level": str})
    raw["created_at"] = pd.to_datetime(raw["created_at"])
    return (raw.sort_values("created_at", kind="stable")
            .drop_duplicates([*keys, "username"], keep="last").reset_index(drop=True))


def majority_vote(values: pd.Series) -> tuple[int, int, bool]:
    """analysis.py majority_vote: the most common value; on a shared top count the smallest
    value seen on the item."""
    counts = values.value_counts()
    top = int(counts.max())
    tie = int((counts == top).sum()) > 1
    return (int(values.min()) if tie else int(counts.idxmax())), top, tie


def labels(cleaned: pd.DataFrame, keys: list[str], ordinal: bool) -> pd.DataFrame:
    """analysis.py build_emo_labels / build_dim_labels (their columns and rules)."""
    rows = []
    for key, group in cleaned.groupby(keys, sort=True):
        code = group["rating_int"]
        present = (code > 0).astype(int) if ordinal else code
        row = dict(zip(keys, key))
        row["usernames"] = "|".join(sorted(group["username"]))
        row["reaction_time_ms_mean"] = group["reaction_time_ms"].mean()
        row["reaction_time_ms_median"] = group["reaction_time_ms"].median()
        row["sample_time_ms_mean"] = group["sample_time_ms"].mean()
        n = len(group)
        row["n_raters"] = n
        (row["majority_present"], row["majority_present_votes"],
         row["majority_present_tie"]) = majority_vote(present)
        row["all_agree_binary"] = n >= 2 and row["majority_present_votes"] == n
        if ordinal:
            (row["majority_rating_int"], row["majority_rating_votes"],
             row["majority_rating_tie"]) = majority_vote(code)
            row["all_agree_ordinal"] = n >= 2 and row["majority_rating_votes"] == n
            row["source_emotion"] = "|".join(sorted(set(group["source_emotion"])))
            row["intended_present"] = int(row["task_type"] == "affirmative")
            row["matches_intended_label"] = row["majority_present"] == row["intended_present"]
            yes, no = "present", "absent"
        else:
            row["matches_intended_polarity"] = (
                (row["polarity"] == "positive" and row["majority_present"] == 1)
                or (row["polarity"] == "negative" and row["majority_present"] == 0))
            yes, no = "yes", "no"
        side = yes if row["majority_present"] == 1 else no
        kind = ("unanimous" if row["all_agree_binary"] else "majority") if n >= 2 \
            else "single_rater"
        row["benchmark_bucket"] = f"{kind}_{side}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    order = ["task_type", "queried_emotion", "file_name"] if ordinal else \
        ["dimension", "level", "polarity", "file_name"]
    return frame.sort_values(order, kind="stable", ignore_index=True)


def pivot(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    return frame.pivot_table(index=keys, columns="username", values=column,
                             aggfunc="first").sort_index(axis=1)


def cohen(a: np.ndarray, b: np.ndarray, labels_: list[int]) -> float:
    """analysis.py cohen_kappa."""
    observed = (a == b).mean()
    expected = sum((a == k).mean() * (b == k).mean() for k in labels_)
    return float("nan") if np.isclose(expected, 1.0) else (observed - expected) / (1 - expected)


def pairwise_kappa(table: pd.DataFrame, labels_: list[int]) -> dict[str, float]:
    """analysis.py pairwise_kappa."""
    out = {}
    for a, b in combinations(table.columns, 2):
        both = table[[a, b]].dropna()
        out[f"{a}__{b}"] = float("nan") if both.empty else cohen(
            both[a].to_numpy(int), both[b].to_numpy(int), labels_)
    values = np.array(list(out.values()), dtype=float)
    out["mean"] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return out


def fleiss(table: pd.DataFrame, labels_: list[int]) -> float:
    """analysis.py fleiss_kappa over counts_for_fleiss (equal raters per item)."""
    counts = np.array([[int((row.dropna() == k).sum()) for k in labels_]
                       for _, row in table.iterrows()], dtype=float)
    n = counts.sum(axis=1)[0]
    shares = counts.sum(axis=0) / (len(counts) * n)
    observed = (((counts ** 2).sum(axis=1) - n) / (n * (n - 1))).mean()
    expected = (shares ** 2).sum()
    return (observed - expected) / (1 - expected)


def exact_pairwise(table: pd.DataFrame) -> float:
    """analysis.py pairwise_exact_agreement: NaN cells count as disagreements."""
    return float(np.mean([(table[a].to_numpy() == table[b].to_numpy()).mean()
                          for a, b in combinations(table.columns, 2)]))


def balanced(truth: np.ndarray, predicted: np.ndarray) -> float:
    """analysis.py _balanced_accuracy."""
    if not (truth == 1).any() or not (truth == 0).any():
        return float("nan")
    return 0.5 * ((predicted[truth == 1] == 1).mean() + (predicted[truth == 0] == 0).mean())


def pairwise_human(frame: pd.DataFrame, keys: list[str], column: str) -> dict[str, float]:
    """analysis.py pairwise_human_metrics."""
    table = pivot(frame, keys, column)
    accuracies, bals = [], []
    for a, b in combinations(table.columns, 2):
        both = table[[a, b]].dropna()
        if both.empty:
            continue
        x, y = both[a].to_numpy(int), both[b].to_numpy(int)
        accuracies.append((x == y).mean())
        bals += [v for v in (balanced(x, y), balanced(y, x)) if not np.isnan(v)]
    return {"pairwise_accuracy": float(np.mean(accuracies)),
            "pairwise_balanced_accuracy": float(np.mean(bals))}


def leave_one_out(frame: pd.DataFrame, keys: list[str], column: str) -> dict[str, float]:
    """analysis.py leave_one_out_human_metrics."""
    truths, predictions = [], []
    for _, group in frame.groupby(keys):
        votes = group[column].to_numpy(int)
        if len(votes) < 3:
            continue
        for index, vote in enumerate(votes):
            others = np.delete(votes, index)
            yes, no = (others == 1).sum(), (others == 0).sum()
            if yes != no:
                truths.append(int(yes > no))
                predictions.append(vote)
    truth, predicted = np.array(truths), np.array(predictions)
    return {"loo_accuracy": float((truth == predicted).mean()),
            "loo_balanced_accuracy": balanced(truth, predicted),
            "loo_n_annotations": float(len(truth))}


def agreement(cleaned: pd.DataFrame, keys: list[str], ordinal: bool) -> dict[str, object]:
    """analysis.py emo_agreement / dim_agreement (complete = exactly three raters)."""
    complete = cleaned.groupby(keys).filter(lambda g: len(g) == 3)
    binary_column = "present" if ordinal else "rating_int"
    binary = pivot(complete, keys, binary_column)
    result = {
        "exact_3way_binary": float((binary.nunique(axis=1) == 1).mean()),
        "pairwise_exact_binary": exact_pairwise(binary),
        "pairwise_binary_kappa": pairwise_kappa(binary, [0, 1]),
        "fleiss_binary_kappa": fleiss(binary, [0, 1]),
    }
    if ordinal:
        scale = pivot(complete, keys, "rating_int")
        result.update({"exact_3way_ordinal": float((scale.nunique(axis=1) == 1).mean()),
                       "pairwise_exact_ordinal": exact_pairwise(scale),
                       "pairwise_ordinal_kappa": pairwise_kappa(scale, [0, 1, 2]),
                       "fleiss_ordinal_kappa": fleiss(scale, [0, 1, 2])})
    pairwise = pairwise_human(cleaned, keys, binary_column)
    loo = leave_one_out(cleaned, keys, binary_column)
    result.update({"human_pairwise_accuracy": pairwise["pairwise_accuracy"],
                   "human_pairwise_balanced_accuracy": pairwise["pairwise_balanced_accuracy"],
                   "human_loo_accuracy": loo["loo_accuracy"],
                   "human_loo_balanced_accuracy": loo["loo_balanced_accuracy"],
                   "human_loo_n_annotations": loo["loo_n_annotations"]})
    return result


def augmented(cleaned: pd.DataFrame, keys: list[str], ordinal: bool) -> dict[str, float]:
    """analysis.py augmented_agreement with synthesize_preselection_annotations: the prior
    as rater ``gemini3flash_preselect`` on items with two or more humans."""
    column = "present" if ordinal else "rating_int"
    sizes = cleaned.groupby(keys).size()
    eligible = cleaned.merge(sizes[sizes >= 2].rename("n").reset_index()[keys], on=keys)
    items = eligible[keys].drop_duplicates()
    prior = (items["task_type"] == "affirmative") if ordinal else \
        (items["polarity"] == "positive")
    synth = items.assign(username="gemini3flash_preselect", **{column: prior.astype(int)})
    panel = pd.concat([eligible[[*keys, "username", column]], synth], ignore_index=True)
    pairwise = pairwise_human(panel, keys, column)
    loo = leave_one_out(panel, keys, column)
    full = pivot(panel, keys, column)
    full = full[full.notna().all(axis=1)]
    humans = pivot(eligible, keys, column)
    lookup = synth.set_index(keys)[column]
    truths, predictions = [], []
    for key, row in humans.iterrows():
        votes = row.dropna().to_numpy(int)
        yes, no = (votes == 1).sum(), (votes == 0).sum()
        if yes != no:
            truths.append(int(yes > no))
            predictions.append(int(lookup.loc[key]))
    truth, predicted = np.array(truths), np.array(predictions)
    return {
        "preselection_n_eligible_items": len(items),
        "preselection_pairwise_accuracy": pairwise["pairwise_accuracy"],
        "preselection_pairwise_balanced_accuracy": pairwise["pairwise_balanced_accuracy"],
        "preselection_loo_accuracy": loo["loo_accuracy"],
        "preselection_loo_balanced_accuracy": loo["loo_balanced_accuracy"],
        "preselection_loo_n_annotations": loo["loo_n_annotations"],
        "preselection_fleiss_kappa": fleiss(full, [0, 1]) if len(full) else float("nan"),
        "preselection_n_full_coverage_items": len(full),
        "gemini_vs_human_consensus_accuracy": float((truth == predicted).mean()),
        "gemini_vs_human_consensus_balanced_accuracy": balanced(truth, predicted),
        "gemini_vs_human_consensus_n_items": float(len(truth)),
    }


def incomplete(cleaned: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """analysis.py incomplete_items (required = 3)."""
    frame = cleaned.groupby(keys).agg(
        ratings_observed=("username", "size"),
        usernames=("username", lambda v: "|".join(sorted(v)))).reset_index()
    return frame[frame["ratings_observed"] != 3].sort_values(
        ["ratings_observed", *keys], kind="stable", ignore_index=True)


def prepared(path, ordinal: bool) -> tuple[pd.DataFrame, list[str]]:
    keys = EMO_KEYS if ordinal else DIM_KEYS
    cleaned = load(path, keys)
    cleaned["rating_int"] = cleaned["rating"].map(EMO_CODES if ordinal else DIM_CODES)
    if ordinal:
        cleaned["present"] = (cleaned["rating_int"] > 0).astype(int)
    return cleaned, keys
