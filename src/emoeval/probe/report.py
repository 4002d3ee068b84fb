"""``train_report.md``: what a probe was trained on, how long it took, its size, how it did
on the tuning split (per dimension for a ridge probe) and its cross-validation folds."""

from __future__ import annotations

import os
from typing import Any

from ..registry import sample_layout
from ..reports.format import (
    code_span,
    duration_text,
    markdown_table,
    megabytes_text,
    parameters_text,
)

FOLD_NAMES = {"balanced_accuracy": "UA (balanced accuracy)", "accuracy": "WA (accuracy)",
              "f1_macro": "macro F1", "roc_auc_micro": "micro ROC-AUC",
              "roc_auc_macro": "macro ROC-AUC", "ccc_mean": "mean CCC"}
#: per-dimension columns of a ridge probe's tuning table: (metric key, heading)
DIMENSION_COLUMNS = (("ccc", "CCC"), ("pearson", "Pearson r"), ("spearman", "Spearman"),
                     ("mae", "MAE"), ("rmse", "RMSE"))
TUNED_BY = {"classification": "UA", "multilabel": "macro ROC-AUC",
            "dimensional": "mean CCC over dimensions"}


def metric_name(key: str, dimensions: list[str]) -> str:
    """``ccc_V`` -> ``CCC V`` for a dimension; the fixed names otherwise."""
    for metric, heading in DIMENSION_COLUMNS:
        for dim in dimensions:
            if key == f"{metric}_{dim}":
                return f"{heading} {dim}"
    return FOLD_NAMES.get(key, key)


def _value(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):.3f}"


def efficiency_rows(record: dict[str, Any]) -> list[list[str]]:
    """Parameters, size on disk, training time and embedding throughput of one probe."""
    b, h, t = record["backbone"], record["head"], record["timing"]
    n_backbone = b.get("backbone_n_parameters")
    size = b.get("backbone_size_bytes")
    head_size = h.get("size_bytes")
    return [["Parameters, backbone (frozen)", parameters_text(n_backbone)],
            ["Parameters, head (trained)", parameters_text(h.get("n_parameters"))],
            ["Size on disk, backbone", megabytes_text(size)],
            ["Size on disk, head", "n/a" if head_size is None else f"{head_size / 1e3:,.1f} kB"],
            ["Training time (embedding + fitting)", duration_text(t.get("training_s"))],
            ["of which embedding", f"{duration_text(t.get('embedding_s'))} ({t.get('n_embedded')} "
             f"computed, {t.get('n_from_cache')} from the cache)"],
            ["of which head fitting", duration_text(t.get("fit_s"))],
            ["Embedding throughput", "n/a" if t.get("embedding_samples_per_s") is None
             else f"{t['embedding_samples_per_s']:,.1f} samples/s"]]


def head_line(head: dict[str, Any]) -> str:
    if "alpha" in head:
        return (f"- Head: {head['kind']} (one multi-output ridge regression on standardised "
                f"features), alpha = {head['alpha']:g}")
    return (f"- Head: {head['kind']}, C = {head.get('c')}, class weight "
            f"{head.get('class_weight')}"
            + (f", hidden {head['hidden']}" if head.get("hidden") else "")
            + (f", {head['networks']} networks averaged" if (head.get("networks") or 1) > 1
               else "")
            + ("" if head.get("converged", True) else " (did not fully converge)"))


def tuning_lines(record: dict[str, Any]) -> list[str]:
    """The strength search and the tuned head's metrics on the tuning split."""
    h, task = record["head"], record["task"]
    dimensional = sample_layout(task) == "values"
    strength = "alpha" if dimensional else "c"
    lines: list[str] = []
    if h.get(f"{strength}_search"):
        metric = TUNED_BY[task]
        lines += [f"Regularisation chosen on the tuning split ({record['data']['tune_split']}) "
                  f"by {metric}:", "",
                  markdown_table(["alpha" if dimensional else "C", metric],
                         [[value, _value(score)]
                          for value, score in h[f"{strength}_search"].items()]), ""]
    tuned = record.get("tune_metrics")
    if not tuned:
        return lines
    if dimensional:
        dims = record["labels"]
        lines += [f"On the tuning split ({record['data']['tune_split']}, "
                  f"{record['data']['n_tune']} samples), mean CCC {_value(tuned['ccc_mean'])}:",
                  "", markdown_table(["Dimension", *[heading for _, heading in DIMENSION_COLUMNS]],
                             [[dim, *[_value(tuned.get(f"{key}_{dim}"))
                                      for key, _ in DIMENSION_COLUMNS]] for dim in dims]),
                  "", "CCC: Lin's concordance correlation (population moments); see "
                  "`emoeval.metrics.dimensional`.", ""]
        return lines
    return lines + ["On the tuning split (threshold 0.5 for F1):", "",
                    markdown_table(["Metric", "Value"], [[FOLD_NAMES.get(k, k), _value(v)]
                                                 for k, v in tuned.items()]), ""]


def render_train_report(record: dict[str, Any]) -> str:
    b, h, d = record["backbone"], record["head"], record["data"]
    dims = record["labels"] if sample_layout(record["task"]) == "values" else []
    lines = [f"# Probe: {h['kind']} on {b['spec']}", "",
             f"- Backbone: {code_span(b['spec'])}, layer {code_span(b.get('layer'))}, pooling "
             f"{b.get('pooling')}, fingerprint {code_span(b['fingerprint'])}",
             head_line(h),
             f"- Task: {record['task']}, {len(record['labels'])} "
             f"{'dimensions' if dims else 'labels'}: " + ", ".join(record["labels"]),
             f"- Data: {code_span(d['dataset'])}, trained on split "
             f"{d.get('train_split') or 'all rows'} ({d['n_train']} samples)"
             + (f", tuned on {d['tune_split']} ({d['n_tune']} samples)" if d.get("tune_split")
                else ""),
             ""]
    if h.get("note"):
        lines += [f"*{h['note']}*", ""]
    lines += tuning_lines(record)
    cv = record.get("cv")
    if cv:
        lines += [f"## Cross-validation ({cv['cv']}, {cv['n_folds']} folds)", ""]
        names = list(cv["summary"])
        rows = [[metric_name(n, dims), _value(s["mean"]), _value(s["std"]), _value(s["min"]),
                 _value(s["max"]), _value(cv["pooled"].get(n))] for n, s in cv["summary"].items()]
        lines += [markdown_table(["Metric", "mean", "std over folds", "min", "max", "pooled"],
                                 rows), "",
                  markdown_table(["Fold", "train", "held out",
                                  *[metric_name(n, dims) for n in names]],
                                 [[f["fold"], f["n_train"], f["n_test"],
                                   *[_value(f[n]) for n in names]] for f in cv["folds"]]), "",
                  "Out-of-fold predictions: `cv_predictions.csv` (rescore with `emoeval score"
                  + (" --task dimensional`)." if dims else "`)."),
                  ""]
    lines += ["## Efficiency", "", markdown_table(["Measure", "Value"], efficiency_rows(record)),
              ""]
    if d.get("n_errors"):
        lines += ["## Errors", "", f"{d['n_errors']} samples could not be embedded"
                  + (" or have no usable target" if dims else "") + " and were left out:", ""]
        lines += [f"- {code_span(e['id'])}: {e['error']}" for e in d.get("errors", [])] + [""]
    if record.get("command"):
        lines += ["Command:", "", "```", record["command"], "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_train_report(out: str, record: dict[str, Any]) -> str:
    return write_text(os.path.join(out, "train_report.md"), render_train_report(record))
