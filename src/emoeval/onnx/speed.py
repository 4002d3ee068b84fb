"""Speed ratios with their spread: every runtime timed over the same inputs in at least
``REPEATS`` alternating repeats (the order rotates each repeat), so a change of load on a
shared CPU hits all of them alike; a ratio is reported as the median and interquartile
range of its per-repeat ratios, never as one number (issue 23: one ratio of 1.17x was, timed
this way, a median of 1.08x with an IQR of 0.80-1.44).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

REPEATS = 5
#: inputs per repeat (the first of a stratified sample): 5 repeats of every runtime over 64
#: wav2vec2-base clips would take minutes, and the spread comes from the repeats
SPEED_INPUTS = 16


def alternating_times(runs: dict[str, Callable[[Any], Any]], inputs: list[Any],
                      repeats: int = REPEATS) -> dict[str, list[float]]:
    """Seconds each run takes over all ``inputs`` (one call per input), per repeat, after a
    warm-up call each; the runs take turns, in an order rotated every repeat."""
    names = list(runs)
    for name in names:
        runs[name](inputs[0])
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(max(1, repeats)):
        for name in np.roll(names, -repeat):
            t0 = time.perf_counter()
            for item in inputs:
                runs[name](item)
            seconds[name].append(time.perf_counter() - t0)
    return seconds


def ratio_spread(baseline: list[float], other: list[float]) -> dict[str, float | int]:
    """How many times as fast ``other`` is as ``baseline``: median and quartiles of the
    per-repeat ratios (repeat i of one against repeat i of the other)."""
    ratios = np.asarray(baseline, dtype=float) / np.asarray(other, dtype=float)
    q25, median, q75 = np.percentile(ratios, [25, 50, 75])
    return {"median": float(median), "q25": float(q25), "q75": float(q75),
            "n_repeats": int(ratios.size)}


def speed_block(seconds: dict[str, list[float]], pairs: list[tuple[str, str]],
                n_inputs: int) -> dict[str, Any]:
    """Per-input median latency of each run and the ratio of each (faster, baseline) pair."""
    return {"n_inputs": n_inputs,
            "repeats": len(next(iter(seconds.values()))),
            "latency_ms_median": {name: 1000 * float(np.median(times)) / max(1, n_inputs)
                                  for name, times in seconds.items()},
            "ratios": {f"{name} vs {baseline}": ratio_spread(seconds[baseline], seconds[name])
                       for name, baseline in pairs}}


def describe_ratio(ratio: dict[str, Any] | None) -> str:
    """``1.08x (IQR 0.80-1.44, 5 repeats)``, or n/a."""
    if not ratio:
        return "n/a"
    return (f"{ratio['median']:.2f}x (IQR {ratio['q25']:.2f}-{ratio['q75']:.2f}, "
            f"{ratio['n_repeats']} repeats)")
