"""``quantize.json`` and ``quantize.md``: what INT8 costs and gains, from the three runs'
own files (``results.json``, ``detailed_results.csv``, the prediction store); nothing here
runs a model or recomputes a metric.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd

from ..results_io import DETAILED_FILE, load_results, write_json, write_text
from ..store import MANIFEST_FILE, PredictionStore
from .speed import describe_ratio

RUN_NAMES = ("torch", "onnx-fp32", "onnx-int8")
RUN_TITLES = {"torch": "PyTorch FP32", "onnx-fp32": "ONNX FP32", "onnx-int8": "ONNX INT8"}
HEADLINE = ("accuracy", "balanced_accuracy", "f1_macro")
METRIC_TITLES = {"accuracy": "accuracy (WA)", "balanced_accuracy": "balanced accuracy (UA)",
                 "f1_macro": "macro F1"}
#: (later, earlier): the differences reported
PAIRS = (("onnx-fp32", "torch"), ("onnx-int8", "torch"), ("onnx-int8", "onnx-fp32"))
JSON_FILE = "quantize.json"
MARKDOWN_FILE = "quantize.md"


def store_latencies(run_dir: str) -> dict[str, float]:
    """Per-sample model latency (ms) from the run's prediction store."""
    with open(os.path.join(run_dir, MANIFEST_FILE), encoding="utf-8") as f:
        manifest = json.load(f)
    with PredictionStore(run_dir, manifest) as store:
        return {sample_id: record.latency_ms for sample_id, record in store.records.items()
                if record.latency_ms is not None and not record.error}


def read_detailed(run_dir: str) -> pd.DataFrame:
    return pd.read_csv(os.path.join(run_dir, DETAILED_FILE), dtype=str, keep_default_na=False)


def run_summary(run_dir: str, durations: dict[str, float]) -> dict[str, Any]:
    """Headline metrics with CIs (from results.json) and speed (from the store)."""
    results = load_results(run_dir)
    table = read_detailed(run_dir)
    scored = table.loc[table["error"] == "", "id"].tolist()
    latency_by_id = store_latencies(run_dir)
    latencies = np.array([latency_by_id[i] for i in scored if i in latency_by_id], dtype=float)
    ci = results.get("ci") or {}
    metrics = {name: {"value": results["metrics"].get(name),
                      "low": (ci.get(name) or {}).get("low"),
                      "high": (ci.get(name) or {}).get("high")} for name in HEADLINE}
    timed = [i for i in scored if i in latency_by_id and i in durations]
    audio_total = float(sum(durations[i] for i in timed))
    processing = float(sum(latency_by_id[i] for i in timed)) / 1000
    return {
        "dir": run_dir, "model": results["model"]["spec"],
        "n_samples": results["n_samples"], "n_scored": results["n_scored"],
        "n_errors": results["n_errors"], "metrics": metrics,
        "latency_ms_p50": float(np.percentile(latencies, 50)) if latencies.size else None,
        "latency_ms_p95": float(np.percentile(latencies, 95)) if latencies.size else None,
        "latency_ms_mean": float(latencies.mean()) if latencies.size else None,
        "samples_per_s": float(1000 * latencies.size / latencies.sum())
        if latencies.size and latencies.sum() > 0 else None,
        "audio_seconds": audio_total if timed else None,
        "real_time_factor": processing / audio_total if audio_total > 0 else None,
        "size_bytes": (results.get("efficiency") or {}).get("size_bytes"),
    }


def disagreement(later: pd.DataFrame, earlier: pd.DataFrame) -> dict[str, Any]:
    """Share of samples scored by both whose predicted labels differ."""
    both = later.merge(earlier, on="id", suffixes=("_a", "_b"))
    both = both[(both["error_a"] == "") & (both["error_b"] == "")]
    differ = both[both["prediction_a"] != both["prediction_b"]]
    n = len(both)
    return {"n_compared": n, "n_differ": len(differ),
            "share": len(differ) / n if n else None,
            "ids": differ["id"].tolist()[:20]}


def compare_runs(out: str, durations: dict[str, float]) -> dict[str, Any]:
    """Metrics, deltas, label disagreement and speed of the three runs in ``out``."""
    runs = {name: run_summary(os.path.join(out, name), durations) for name in RUN_NAMES}
    tables = {name: read_detailed(os.path.join(out, name)) for name in RUN_NAMES}
    deltas = {}
    for later, earlier in PAIRS:
        deltas[f"{later} - {earlier}"] = {
            name: (runs[later]["metrics"][name]["value"] - runs[earlier]["metrics"][name]["value"]
                   if runs[later]["metrics"][name]["value"] is not None
                   and runs[earlier]["metrics"][name]["value"] is not None else None)
            for name in HEADLINE}
    agreement = {f"{later} vs {earlier}": disagreement(tables[later], tables[earlier])
                 for later, earlier in PAIRS}
    torch_mean = runs["torch"]["latency_ms_mean"]
    speedup = {name: (torch_mean / runs[name]["latency_ms_mean"]
                      if torch_mean and runs[name]["latency_ms_mean"] else None)
               for name in RUN_NAMES}
    fp32_mean = runs["onnx-fp32"]["latency_ms_mean"]
    int8_mean = runs["onnx-int8"]["latency_ms_mean"]
    return {"runs": runs, "deltas": deltas, "disagreement": agreement,
            "speedup_vs_torch": speedup,
            "int8_speedup_vs_onnx_fp32": (fp32_mean / int8_mean
                                          if fp32_mean and int8_mean else None)}


def write_outputs(out: str, summary: dict[str, Any]) -> list[str]:
    os.makedirs(out, exist_ok=True)
    json_path = os.path.join(out, JSON_FILE)
    write_json(json_path, summary)
    md_path = os.path.join(out, MARKDOWN_FILE)
    write_text(md_path, render_markdown(summary))
    return [json_path, md_path]


# --- markdown ----------------------------------------------------------------------------

def megabytes(value: Any) -> str:
    return f"{value / 1e6:.1f} MB" if value is not None else "n/a"


def percent(value: Any, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%" if value is not None else "n/a"


def signed_points(value: Any) -> str:
    return f"{100 * value:+.1f} pt" if value is not None else "n/a"


def number(value: Any, fmt: str = ".1f") -> str:
    return format(value, fmt) if value is not None else "n/a"


def with_ci(metric: dict[str, Any]) -> str:
    text = percent(metric["value"])
    if metric.get("low") is not None and metric.get("high") is not None:
        text += f" [{100 * metric['low']:.1f}, {100 * metric['high']:.1f}]"
    return text


def render_markdown(summary: dict[str, Any]) -> str:
    model, sizes, quant = summary["model"], summary["sizes"], summary["quantization"]
    lines = [f"# ONNX and INT8: {model['spec']}", ""]
    for warning in summary.get("warnings", []):
        lines += [f"> **Warning:** {warning}", ""]
    lines += ["## Files", "",
              "| model | files | size |", "|---|---|---|",
              f"| PyTorch FP32 | weights of {model['spec']} | {megabytes(sizes['torch_bytes'])} |",
              f"| ONNX FP32 | {', '.join(sizes['onnx_fp32_files'])} | "
              f"{megabytes(sizes['onnx_fp32_bytes'])} |",
              f"| ONNX INT8 | {', '.join(sizes['onnx_int8_files'])} | "
              f"{megabytes(sizes['onnx_int8_bytes'])} |", "",
              f"INT8 is {percent(sizes['int8_to_fp32'])} of the FP32 ONNX size "
              f"({percent(sizes['reduction'])} smaller). Folder: `{summary['export']['folder']}`; "
              f"evaluate either file with `--model onnx:<file>`.", "",
              "## Quantization", "",
              f"- mode: {quant['mode']}; weights {quant['weight_type']}, activations "
              f"{quant['activation_type']}",
              f"- op types quantized: {quant['op_types']}",
              f"- why: {quant['reason']}"]
    note = quant.get("calibration")
    if note:
        lines += [f"- calibration: {note['n_decoded']} inputs decoded of {note['n_sampled']} "
                  f"sampled (seeded, stratified) from {note['spec']}"
                  + (f" split {note['split']}" if note.get("split") else ""), ""]
    else:
        lines.append("")
    lines += ["| candidate | op types | size | median latency / input | vs ONNX FP32 | "
              "verification | quantized nodes |", "|---|---|---|---|---|---|---|"]
    for c in quant["candidates"]:
        check = c["verification"]
        nodes = ", ".join(f"{k} {v}" for k, v in c["quantized_nodes"].items()) or "none"
        lines.append(f"| {c['name']}{' (kept)' if c['name'] == quant['chosen'] else ''} | "
                     f"{c['op_types']} | {megabytes(c['size_bytes'])} | "
                     f"{c['latency_ms_median']:.1f} ms | "
                     f"{describe_ratio(c.get('speedup_vs_fp32_spread'))} | "
                     f"{'passed' if check['passed'] else 'FAILED'}: same label "
                     f"{percent(check['label_agreement'])} | {nodes} |")
    lines += ["", "Candidates are timed with the ONNX FP32 model on the verification inputs "
              "(batch 1) in alternating repeats: median speed ratio and its interquartile "
              "range over the repeats.", ""]
    lines += render_speed(summary.get("speed"))
    lines += ["## Verification against PyTorch", ""]
    for precision in ("fp32", "int8"):
        v = summary["verification"][precision]
        lines.append(f"- {precision.upper()}: {'passed' if v['passed'] else 'FAILED'} on "
                     f"{v['inputs']}: max |logit difference| {v['max_abs_logit_diff']:.3g}, "
                     f"same label on {percent(v['label_agreement'])} "
                     f"({v['n_label_disagreements']} differ); needs {v['criterion']}")
    lines.append("")
    comparison = summary.get("comparison")
    if comparison:
        lines += render_comparison(summary, comparison)
    else:
        lines += ["No `--dataset` was given: accuracy, disagreement and speed on real samples "
                  "are not measured.", ""]
    env = summary["environment"]
    lines += ["## Definitions", "",
              "- **Accuracy (WA)**: share of samples predicted correctly. **Balanced accuracy "
              "(UA)**: mean per-class recall. **Macro F1**: mean per-class F1. Brackets: 95% "
              "bootstrap CI from each run's results.json.",
              "- **Delta**: difference in percentage points between two runs on the same "
              "samples.",
              "- **Disagreement**: share of samples scored by both runs whose predicted labels "
              "differ (from detailed_results.csv).",
              "- **Latency**: model time per sample (forward pass and preprocessing, amortised "
              "over its batch), from the prediction store; **throughput** = samples / summed "
              "latency; **real-time factor** = processing seconds per second of audio "
              "(below 1: faster than real time).",
              f"- Measured on {env['cpu_count']} CPU cores (torch threads "
              f"{env['torch_threads']}, onnxruntime {env['onnxruntime']}); every runtime runs on "
              "CPU. Verification runs each input alone (batch 1).", ""]
    return "\n".join(lines)


def render_speed(speed: dict[str, Any] | None) -> list[str]:
    if not speed:
        return []
    lines = ["## Speed ratios", "",
             f"Each runtime on the {speed['n_inputs']} verification inputs, one input per "
             f"call, in {speed['repeats']} alternating repeats (the order rotates each repeat).",
             "", "| runtime | median latency / input |", "|---|---|"]
    for name, value in speed["latency_ms_median"].items():
        lines.append(f"| {RUN_TITLES.get(name, name)} | {value:.1f} ms |")
    lines += ["", "| ratio | median (IQR over repeats) |", "|---|---|"]
    for pair, ratio in speed["ratios"].items():
        faster, baseline = pair.split(" vs ")
        lines.append(f"| {RUN_TITLES.get(faster, faster)} / {RUN_TITLES.get(baseline, baseline)}"
                     f" | {describe_ratio(ratio)} |")
    return lines + [""]


def render_comparison(summary: dict[str, Any], comparison: dict[str, Any]) -> list[str]:
    data, runs = summary["dataset"], comparison["runs"]
    lines = [f"## Accuracy on {data['spec']}"
             + (f" (split {data['split']})" if data.get("split") else ""), "",
             f"{data['n_samples']} samples" + (f" (--limit {data['limit']}, seed {data['seed']})"
                                               if data.get("limit") else "")
             + f", batch size {data['batch_size']}.", "",
             "| runtime | " + " | ".join(METRIC_TITLES[m] for m in HEADLINE)
             + " | scored | errors |",
             "|---|" + "---|" * (len(HEADLINE) + 2)]
    for name in RUN_NAMES:
        run = runs[name]
        lines.append(f"| {RUN_TITLES[name]} | "
                     + " | ".join(with_ci(run["metrics"][m]) for m in HEADLINE)
                     + f" | {run['n_scored']}/{run['n_samples']} | {run['n_errors']} |")
    lines += ["", "| difference | " + " | ".join(METRIC_TITLES[m] for m in HEADLINE)
              + " | labels differ |", "|---|" + "---|" * (len(HEADLINE) + 1)]
    for later, earlier in PAIRS:
        key = f"{later} - {earlier}"
        agree = comparison["disagreement"][f"{later} vs {earlier}"]
        lines.append(f"| {RUN_TITLES[later]} - {RUN_TITLES[earlier]} | "
                     + " | ".join(signed_points(comparison["deltas"][key][m]) for m in HEADLINE)
                     + f" | {percent(agree['share'])} ({agree['n_differ']}/"
                     f"{agree['n_compared']}) |")
    lines += ["", "## Speed in the evaluations", "",
              "| runtime | latency p50 | latency p95 | throughput | real-time factor |",
              "|---|---|---|---|---|"]
    for name in RUN_NAMES:
        run = runs[name]
        lines.append(f"| {RUN_TITLES[name]} | {number(run['latency_ms_p50'])} ms | "
                     f"{number(run['latency_ms_p95'])} ms | "
                     f"{number(run['samples_per_s'], '.2f')} samples/s | "
                     f"{number(run['real_time_factor'], '.3f')} |")
    lines += ["", "Each evaluation ran once, one after the other, so a change of load between "
              "them moves these figures; the speed ratios above are the ones to compare.", ""]
    return lines
