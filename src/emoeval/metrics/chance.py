"""Chance levels of a classification result, and the collapse warning.

Two baselines stand beside accuracy and UA: the majority-class rate (the WA of always
predicting the most frequent true class) and 1/k, k being the number of classes present in
the truth (the UA of any constant or random guess). A model whose UA interval lies wholly
under 1/k is "below chance".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

#: a share of the predictions on one class above this, when the truth is less concentrated,
#: is warned about (the 90% "degenerate" rule of screening stays separate)
CONCENTRATION_SHARE = 0.75


def chance_levels(y_true, ci_balanced_accuracy: dict[str, Any] | None = None
                  ) -> dict[str, Any] | None:
    """``{majority_label, majority_rate, k, uniform_rate, below_chance}`` for the truth.

    ``below_chance`` is True when the upper bound of the UA interval is under 1/k, None when
    there is no interval. None when there is no truth.
    """
    counts = Counter(str(v) for v in y_true)
    total = sum(counts.values())
    if not total:
        return None
    majority_label, majority_count = max(sorted(counts.items()), key=lambda kv: kv[1])
    k = len(counts)
    high = (ci_balanced_accuracy or {}).get("high")
    return {"majority_label": majority_label, "majority_rate": majority_count / total,
            "k": k, "uniform_rate": 1.0 / k,
            "below_chance": None if high is None else bool(high < 1.0 / k)}


def chance_warnings(chance: dict[str, Any] | None) -> list[str]:
    """The "below chance" warning, when the UA interval lies under 1/k."""
    if not chance or not chance.get("below_chance"):
        return []
    return [f"below chance: the 95% CI of balanced accuracy (UA) lies under 1/k = "
            f"{100 * chance['uniform_rate']:.1f}% ({chance['k']} classes in the truth)"]


def concentration_warnings(y_true, y_pred, collapse_share: float) -> list[str]:
    """Warn when one class takes more than 75% of the predictions (and fewer than
    ``collapse_share``, which the collapse rule reports) unless the truth is as
    concentrated on that class."""
    predicted = Counter(str(v) for v in y_pred)
    total = sum(predicted.values())
    if not total or len(predicted) == 0:
        return []
    label, count = max(sorted(predicted.items()), key=lambda kv: kv[1])
    share = count / total
    if share <= CONCENTRATION_SHARE or share >= collapse_share:
        return []
    truth = Counter(str(v) for v in y_true)
    truth_share = truth.get(label, 0) / max(sum(truth.values()), 1)
    if truth_share > CONCENTRATION_SHARE:
        return []
    return [f"{100 * share:.0f}% of the scored samples were predicted {label!r} (the truth "
            f"has {100 * truth_share:.0f}%): the model leans heavily on one class"]
