"""Report lines that keep a headline honest: chance levels, small samples, the model's
display name and the labels it cannot predict. Small functions, called from the task
reports and the plots, so each report states the same facts the same way."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..small_samples import small_text

#: appended to a class the model cannot predict (per-class table and plot)
CANNOT_PREDICT = "(cannot predict)"


def _rate(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return f"{number * 100:.1f}%" if math.isfinite(number) else "n/a"


def chance_lines(r: Mapping[str, Any]) -> list[str]:
    """``Chance: majority class 'x' 40.0% (WA of always predicting it), 1/k = 25.0% (k = 4
    classes in the truth; the UA of any constant guess)``, plus "below chance" when so."""
    chance = r.get("chance")
    if not isinstance(chance, Mapping) or chance.get("k") is None:
        return []
    line = (f"Chance: majority class {chance.get('majority_label')!r} "
            f"{_rate(chance.get('majority_rate'))} (the accuracy of always predicting it); "
            f"1/k = {_rate(chance.get('uniform_rate'))} (k = {chance['k']} classes in the "
            "truth; the balanced accuracy of any constant or random guess).")
    if chance.get("below_chance"):
        line += (" **Below chance**: the 95% CI of balanced accuracy (UA) lies wholly under "
                 "1/k.")
    return [line, ""]


def small_or(figure: Any, text: str) -> str:
    """``text`` (the formatted value), or ``n/a (n=3)`` for a figure marked small."""
    if isinstance(figure, Mapping) and figure.get("small"):
        return small_text(figure.get("n", 0))
    return text


def model_title(r: Mapping[str, Any]) -> str | None:
    """The model's display name: ``name`` when the run has one (``score --name``, a runtime
    run named after its source model), else its spec."""
    model = r.get("model")
    if not isinstance(model, Mapping):
        return None
    return model.get("name") or model.get("spec")


def unpredictable_labels(r: Mapping[str, Any]) -> set[str]:
    """Dataset labels the model cannot predict (classification mapping or multi-label)."""
    mapping = r.get("label_mapping")
    names = list(mapping.get("unpredictable_dataset_labels") or []) \
        if isinstance(mapping, Mapping) else []
    names += list(r.get("unpredictable_labels") or [])
    return {str(n) for n in names}


def class_name(r: Mapping[str, Any], label: str) -> str:
    """A per-class row name: the label, marked when the model cannot predict it."""
    return f"{label} {CANNOT_PREDICT}" if label in unpredictable_labels(r) else label


def policy_note(r: Mapping[str, Any]) -> str | None:
    """The unanswered policy of a generative or open-vocabulary run, for plot titles."""
    for key in ("policy", "invalid_policy", "unanswered_policy"):
        value = r.get(key)
        if value:
            return f"unanswered: {value}"
    for block, key in (("answers", "policy"), ("answers", "invalid_policy"),
                       ("unanswered", "policy"), ("protocol", "unanswered_policy")):
        value = r.get(block).get(key) if isinstance(r.get(block), Mapping) else None
        if value:
            return f"unanswered: {value}"
    return None


def small_class_lines(threshold: Mapping[str, Any]) -> list[str]:
    """One line naming the classes whose per-class threshold fell back to the global one."""
    fallen = threshold.get("small_classes") if isinstance(threshold, Mapping) else None
    if not isinstance(fallen, Mapping) or not fallen:
        return []
    from ..small_samples import MIN_ITEMS

    names = ", ".join(f"{label} (n={entry.get('n')})" for label, entry in fallen.items())
    pooled = next(iter(fallen.values())).get("global")
    value = f" {pooled:.3g}" if isinstance(pooled, (int, float)) else ""
    return [f"- Tuned on fewer than {MIN_ITEMS} positives, so the global threshold{value} "
            f"is used instead: {names}"]
