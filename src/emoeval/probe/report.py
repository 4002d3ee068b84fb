"""``train_report.md``: what a probe was trained on, how long it took, its size, and its
cross-validation folds."""

from __future__ import annotations

import os
from typing import Any

from ..reports.markdown import _code, _duration, _params, _table

FOLD_NAMES = {"balanced_accuracy": "UA (balanced accuracy)", "accuracy": "WA (accuracy)",
              "f1_macro": "macro F1", "roc_auc_micro": "micro ROC-AUC",
              "roc_auc_macro": "macro ROC-AUC"}


def _value(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):.3f}"


def efficiency_rows(record: dict[str, Any]) -> list[list[str]]:
    """Parameters, size on disk, training time and embedding throughput of one probe."""
    b, h, t = record["backbone"], record["head"], record["timing"]
    n_backbone = b.get("backbone_n_parameters")
    size = b.get("backbone_size_bytes")
    head_size = h.get("size_bytes")
    return [["Parameters, backbone (frozen)", _params(n_backbone)],
            ["Parameters, head (trained)", _params(h.get("n_parameters"))],
            ["Size on disk, backbone", "n/a" if size is None else f"{size / 1e6:,.1f} MB"],
            ["Size on disk, head", "n/a" if head_size is None else f"{head_size / 1e3:,.1f} kB"],
            ["Training time (embedding + fitting)", _duration(t.get("training_s"))],
            ["of which embedding", f"{_duration(t.get('embedding_s'))} ({t.get('n_embedded')} "
             f"computed, {t.get('n_from_cache')} from the cache)"],
            ["of which head fitting", _duration(t.get("fit_s"))],
            ["Embedding throughput", "n/a" if t.get("embedding_samples_per_s") is None
             else f"{t['embedding_samples_per_s']:,.1f} samples/s"]]


def render_train_report(record: dict[str, Any]) -> str:
    b, h, d = record["backbone"], record["head"], record["data"]
    lines = [f"# Probe: {h['kind']} on {b['spec']}", "",
             f"- Backbone: {_code(b['spec'])}, layer {_code(b.get('layer'))}, pooling "
             f"{b.get('pooling')}, fingerprint {_code(b['fingerprint'])}",
             f"- Head: {h['kind']}, C = {h.get('c')}, class weight {h.get('class_weight')}"
             + (f", hidden {h['hidden']}" if h.get("hidden") else "")
             + (f", {h['networks']} networks averaged" if (h.get("networks") or 1) > 1 else "")
             + ("" if h.get("converged", True) else " (did not fully converge)"),
             f"- Task: {record['task']}, {len(record['labels'])} labels: "
             + ", ".join(record["labels"]),
             f"- Data: {_code(d['dataset'])}, trained on split {d.get('train_split') or 'all rows'}"
             f" ({d['n_train']} samples)"
             + (f", tuned on {d['tune_split']} ({d['n_tune']} samples)" if d.get("tune_split")
                else ""),
             ""]
    if h.get("note"):
        lines += [f"*{h['note']}*", ""]
    if h.get("c_search"):
        metric = "macro ROC-AUC" if record["task"] == "multilabel" else "UA"
        lines += [f"Regularisation chosen on the tuning split by {metric}:", "",
                  _table(["C", metric], [[c, _value(v)] for c, v in h["c_search"].items()]), ""]
    if record.get("tune_metrics"):
        lines += ["On the tuning split (threshold 0.5 for F1):", "",
                  _table(["Metric", "Value"], [[FOLD_NAMES.get(k, k), _value(v)]
                                               for k, v in record["tune_metrics"].items()]), ""]
    cv = record.get("cv")
    if cv:
        lines += [f"## Cross-validation ({cv['cv']}, {cv['n_folds']} folds)", ""]
        names = list(cv["summary"])
        rows = [[FOLD_NAMES.get(n, n), _value(s["mean"]), _value(s["std"]), _value(s["min"]),
                 _value(s["max"]), _value(cv["pooled"].get(n))] for n, s in cv["summary"].items()]
        lines += [_table(["Metric", "mean", "std over folds", "min", "max", "pooled"], rows), "",
                  _table(["Fold", "train", "held out", *[FOLD_NAMES.get(n, n) for n in names]],
                         [[f["fold"], f["n_train"], f["n_test"], *[_value(f[n]) for n in names]]
                          for f in cv["folds"]]), "",
                  "Out-of-fold predictions: `cv_predictions.csv` (rescore with `emoeval score`).",
                  ""]
    lines += ["## Efficiency", "", _table(["Measure", "Value"], efficiency_rows(record)), ""]
    if d.get("n_errors"):
        lines += [f"## Errors", "", f"{d['n_errors']} samples could not be embedded and were "
                  "left out:", ""]
        lines += [f"- {_code(e['id'])}: {e['error']}" for e in d.get("errors", [])] + [""]
    if record.get("command"):
        lines += ["Command:", "", "```", record["command"], "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_train_report(out: str, record: dict[str, Any]) -> str:
    path = os.path.join(out, "train_report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_train_report(record))
    return path
