"""The comparison's PNGs, drawn from the ``compare.json`` dict alone (Agg backend).

* ``per_class_f1.png``: a heatmap of per-class F1, runs down, classes across, one panel per
  dataset.
* ``differences.png``: each tested pair's difference on the rank metric with its 95% CI and
  the smallest difference the data could detect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PER_CLASS_PNG = "per_class_f1.png"
DIFFERENCES_PNG = "differences.png"
DPI = 110


def plot_per_class_f1(comparison: Mapping[str, Any], path: str) -> str | None:
    blocks = [b for b in comparison.get("per_class_f1") or [] if b.get("runs")]
    if not blocks:
        return None
    widest = max(len(b["labels"]) for b in blocks)
    heights = [0.45 * len(b["runs"]) + 1.4 for b in blocks]
    longest_name = max(len(name) for b in blocks for name in b["runs"])
    width = min(22.0, 2.0 + 0.12 * longest_name + 0.75 * widest)
    fig, axes = plt.subplots(len(blocks), 1, figsize=(width, sum(heights) + 0.3),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, block in zip(axes[:, 0], blocks):
        names = list(block["runs"])
        values = np.array([[np.nan if v is None else float(v) for v in block["runs"][name]]
                           for name in names], dtype=float)
        image = ax.imshow(np.nan_to_num(values, nan=0.0), cmap="viridis", vmin=0, vmax=1,
                          aspect="auto", interpolation="nearest")
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                value = values[i, j]
                text = "n/a" if np.isnan(value) else f"{value:.2f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="black" if (not np.isnan(value) and value > 0.6) else "white")
        ax.set_xticks(range(len(block["labels"])))
        ax.set_xticklabels(block["labels"], rotation=35 if widest > 6 else 0,
                           ha="right" if widest > 6 else "center", fontsize=9)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names, fontsize=9)
        ax.set_title(f"per-class F1 on {block['dataset']}", fontsize=10)
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_differences(comparison: Mapping[str, Any], path: str) -> str | None:
    metric = comparison["rank_by"]
    pairs = [p for p in comparison.get("pairs") or [] if p.get("tested")]
    if not pairs:
        return None
    scale = 100.0 if metric.get("in_points") else 1.0
    unit = " (points)" if metric.get("in_points") else ""
    rows = []
    for pair in pairs:
        d = pair["differences"][metric["metric"]]
        rows.append((f"{pair['b']} - {pair['a']}" + (f"\n{pair['dataset']}"
                                                     if len(comparison["datasets"]) > 1
                                                     else ""),
                     scale * d["difference"], scale * d["low"], scale * d["high"],
                     scale * d["detectable"], bool(pair.get("significant"))))
    fig, ax = plt.subplots(figsize=(8.0, 0.6 * len(rows) + 1.5))
    for i, (_, diff, low, high, detectable, significant) in enumerate(rows):
        color = "#c0392b" if significant else "#34495e"
        ax.plot([low, high], [i, i], color=color, linewidth=2.5)
        ax.plot([diff], [i], "o", color=color, markersize=7)
        ax.plot([-detectable, detectable], [i, i], "|", color="#999999", markersize=14)
    ax.axvline(0, color="#777777", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first pair on top
    ax.set_xlabel(f"difference in {metric['name']}{unit}\ndot: observed; bar: 95% CI; "
                  "grey ticks: +/- smallest detectable difference", fontsize=9)
    ax.set_title(f"Paired differences on {metric['name']} (red: significant after Holm)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
