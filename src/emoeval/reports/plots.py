"""The report's PNGs, drawn from a ``results.json`` dict (Agg backend, no display needed).

* ``confusion_matrix.png``: counts and row-normalised shares side by side.
* ``per_class_metrics.png``: precision, recall and F1 per class, support in the tick labels.

Figure and font sizes scale with the number of classes so that ~28 classes stay readable.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .honesty import class_name, model_title, policy_note  # noqa: E402

OTHER = "(other)"
DPI = 110


def _finite(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _font_size(n: int) -> float:
    """Annotation/tick font size for n classes: 10pt up to 8 classes, ~7.6pt at 28."""
    return float(np.clip(10 - 0.12 * max(n - 8, 0), 6.5, 10))


def _wrap(text: str, width_in: float, size: float) -> str:
    """Wrap a title to fit a figure ``width_in`` inches wide at ``size`` points."""
    chars = max(20, int(width_in * 72 / (0.62 * size)))
    return "\n".join(textwrap.wrap(text, chars)) if text else text


def _title(results: Mapping[str, Any]) -> str:
    model = model_title(results)
    dataset = (results.get("dataset") or {}).get("spec") if isinstance(results.get("dataset"),
                                                                        Mapping) else None
    parts = [p for p in (model, dataset) if p]
    policy = policy_note(results)  # generative: fallback cells are not predictions
    return " on ".join(map(str, parts)) + (f" ({policy})" if policy else "")


def _annotate(ax, values: np.ndarray, texts: list[list[str]], vmax: float, size: float) -> None:
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = texts[i][j]
            if not text:
                continue
            v = values[i, j]
            if not np.isfinite(v) or v == 0:
                color = "#9a9a9a"
            else:
                color = "white" if v > 0.55 * vmax else "#1a1a1a"
            ax.text(j, i, text, ha="center", va="center", fontsize=size, color=color)


def _matrix_panel(fig, ax, values: np.ndarray, texts: list[list[str]], labels: list[str],
                  columns: list[str], title: str, vmax: float, colorbar_label: str,
                  size: float) -> None:
    shown = np.where(np.isfinite(values), values, 0.0)
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=vmax if vmax > 0 else 1,
                      aspect="auto", interpolation="nearest")
    _annotate(ax, values, texts, vmax if vmax > 0 else 1, size)
    ax.set_xticks(range(len(columns)))
    ax.set_yticks(range(len(labels)))
    rotate = len(columns) > 6 or max((len(c) for c in columns), default=0) > 8
    ax.set_xticklabels(columns, fontsize=size + 0.5, rotation=45 if rotate else 0,
                       ha="right" if rotate else "center", rotation_mode="anchor")
    ax.set_yticklabels(labels, fontsize=size + 0.5)
    ax.set_xlabel("Predicted", fontsize=size + 2)
    ax.set_ylabel("True", fontsize=size + 2)
    ax.set_title(title, fontsize=size + 3)
    if columns and columns[-1] == OTHER:
        ax.axvline(len(columns) - 1.5, color="#555555", linewidth=1.0, linestyle="--")
    ax.set_xticks(np.arange(-0.5, len(columns), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(labels), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
    bar.set_label(colorbar_label, fontsize=size + 1)
    bar.ax.tick_params(labelsize=size)


def confusion_data(results: Mapping[str, Any]) -> tuple[list[str], list[str], np.ndarray] | None:
    """(row labels, column labels, counts) of the matrix to draw, or None when ``results``
    has no usable confusion matrix. The "(other)" column is there only when used."""
    cm = results.get("confusion_matrix")
    if not isinstance(cm, Mapping) or not isinstance(cm.get("counts"), list) or not cm["counts"]:
        return None
    try:
        counts = np.array([[_finite(v) for v in row] for row in cm["counts"]], dtype=float)
    except (TypeError, ValueError):  # ragged or non-numeric rows
        return None
    n = counts.shape[0]
    labels = [str(x) for x in (cm.get("labels") or results.get("labels") or range(n))]
    if counts.ndim != 2 or counts.shape != (n, n) or len(labels) != n:
        return None
    other = np.array([_finite(v) for v in (cm.get("other") or [0] * n)], dtype=float)
    if other.shape != (n,):
        other = np.zeros(n)
    if (other > 0).any():
        return labels, [*labels, OTHER], np.column_stack([counts, other])
    return labels, list(labels), counts


def plot_confusion_matrix(results: Mapping[str, Any], path: str) -> str | None:
    """Counts and row-normalised confusion matrices side by side; None when there is no
    confusion matrix in ``results``."""
    data = confusion_data(results)
    if data is None:
        return None
    labels, columns, full = data
    n = len(labels)
    support = full.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(support > 0, full / support, np.nan)

    size = _font_size(n)
    # inches per cell; beyond ~40 classes numbers no longer fit, so cells shrink unannotated
    annotate = n <= 40
    cell = float(np.clip(0.32 + 4.0 / max(n, 1), 0.42, 0.9)) if annotate else 0.22
    label_room = 0.09 * max(len(s) for s in columns) * size / 8 + 0.9
    panel_w = cell * len(columns) + label_room + 1.2
    panel_h = cell * n + label_room + 0.9
    fig, axes = plt.subplots(1, 2, figsize=(2 * panel_w, panel_h), squeeze=True)
    try:
        count_texts = [[f"{int(v):,}" if annotate else "" for v in row] for row in full]
        # Row shares as whole percents: short enough for 28 columns; "<1" keeps rare
        # confusions visible, "-" marks a class with no samples.
        share_texts = [["" if not annotate else "-" if not np.isfinite(v) else
                        "<1" if 0 < v < 0.005 else f"{v * 100:.0f}" for v in row]
                       for row in shares]
        _matrix_panel(fig, axes[0], full, count_texts, labels, columns, "Counts",
                      float(full.max()) if full.size else 1.0, "samples", size)
        _matrix_panel(fig, axes[1], shares * 100, share_texts, labels, columns,
                      "Row-normalised: % of each true class\n(diagonal = recall)", 100.0,
                      "% of true class", size)
        title = _title(results)
        if title:
            fig.suptitle(_wrap(title, 2 * panel_w, size + 4), fontsize=size + 4)
        fig.tight_layout()
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path


def plot_per_class(results: Mapping[str, Any], path: str) -> str | None:
    """Grouped precision/recall/F1 bars per class; None when ``results`` has no per-class
    table."""
    per_class = results.get("per_class")
    if not isinstance(per_class, Mapping) or not per_class:
        return None
    order = [str(x) for x in (results.get("labels") or []) if str(x) in per_class]
    order += [str(x) for x in per_class if str(x) not in order]
    rows = [per_class[label] if isinstance(per_class[label], Mapping) else {}
            for label in order]
    n = len(order)
    size = max(_font_size(n), 8.5)  # bars leave room: keep the text larger than in the matrix
    width = max(7.0, 0.66 * n + 2.0)
    fig, ax = plt.subplots(figsize=(width, 4.8 if n <= 10 else 5.6))
    try:
        x = np.arange(n)
        bar_w = 0.26
        colours = {"precision": "#4c72b0", "recall": "#dd8452", "f1": "#55a868"}
        names = {"precision": "Precision", "recall": "Recall", "f1": "F1"}
        for k, key in enumerate(("precision", "recall", "f1")):
            values = np.array([_finite(r.get(key)) for r in rows]) * 100
            bars = ax.bar(x + (k - 1) * bar_w, values, bar_w, label=names[key],
                          color=colours[key])
            if n <= 12:
                ax.bar_label(bars, labels=[f"{v:.0f}" for v in values], fontsize=size - 2,
                             padding=1, color="#333333")
        ticks = [f"{class_name(results, label)}\n(n={int(_finite(r.get('support'))):,})"
                 for label, r in zip(order, rows)]
        rotate = n > 10 or max((len(s) for s in order), default=0) > 10
        ax.set_xticks(x)
        ax.set_xticklabels(ticks, fontsize=size, rotation=45 if rotate else 0,
                           ha="right" if rotate else "center", rotation_mode="anchor")
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(0, 108)
        ax.set_ylabel("%", fontsize=size + 1)
        ax.tick_params(axis="y", labelsize=size)
        ax.yaxis.grid(True, color="#e0e0e0")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(ncol=3, fontsize=size, loc="upper center", bbox_to_anchor=(0.5, 1.1),
                  frameon=False)
        title = _title(results)
        heading = _wrap("Per-class metrics" + (f": {title}" if title else ""), width - 1,
                        size + 2)
        ax.set_title(heading, fontsize=size + 2, pad=28)
        fig.tight_layout()
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path
