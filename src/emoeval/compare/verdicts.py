"""One sentence per pair of models, in plain words.

"B beats A on UA by 3.1 points on 1,176 shared tweets, 95% CI 1.2 to 5.0, Holm p = 0.004" is
said only when the Holm-adjusted p is below 0.05 and the CI of the difference excludes 0;
otherwise "no detectable difference", with the smallest difference the data could have
detected. Every sentence says on how many samples it stands.
"""

from __future__ import annotations

from typing import Any

from .metrics import RankMetric
from .paired import ALPHA


def p_text(p: float) -> str:
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if p < 0.1 else f"= {p:.2f}"


def amount(value: float, metric: RankMetric, signed: bool = False) -> str:
    """A difference in the metric's reading unit: percentage points or raw."""
    if metric.in_points:
        return f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def unit_word(metric: RankMetric) -> str:
    return " points" if metric.in_points else ""


def is_win(difference: dict[str, Any], p_holm: float) -> bool:
    """B - A is significant: adjusted p below alpha and the CI excludes 0."""
    excludes_zero = difference["low"] > 0 or difference["high"] < 0
    return p_holm < ALPHA and excludes_zero


def verdict(a: str, b: str, difference: dict[str, Any], p_holm: float,
            metric: RankMetric, on: str | None = None) -> str:
    """The sentence for models ``a`` and ``b`` from the paired difference ``b - a``;
    ``on`` says on which samples it stands ("1,176 shared tweets")."""
    where = f" on {on}" if on else ""
    if is_win(difference, p_holm):
        b_better = (difference["difference"] > 0) == metric.higher_is_better
        winner, loser = (b, a) if b_better else (a, b)
        sign = 1.0 if winner == b else -1.0  # state the CI of winner - loser
        low, high = sorted((sign * difference["low"], sign * difference["high"]))
        if not metric.higher_is_better:
            low, high = -high, -low  # lower is better: say by how much lower
        return (f"{winner} beats {loser} on {metric.name} by "
                f"{amount(abs(difference['difference']), metric)}{unit_word(metric)}{where}, "
                f"95% CI {amount(low, metric)} to {amount(high, metric)}, "
                f"Holm p {p_text(p_holm)}")
    return (f"no detectable difference between {a} and {b} on {metric.name}"
            f"{',' + where if where else ''} ({b} - {a} = "
            f"{amount(difference['difference'], metric, signed=True)}"
            f"{unit_word(metric)}, 95% CI {amount(difference['low'], metric)} to "
            f"{amount(difference['high'], metric)}, Holm p {p_text(p_holm)}); the smallest "
            f"difference this data could detect is about "
            f"{amount(difference['detectable'], metric)}{unit_word(metric)}")


def untested(a: str, b: str, reason: str, on: str | None = None) -> str:
    return f"{a} vs {b}: not tested ({reason})" + (f"; they share {on}" if on else "")
