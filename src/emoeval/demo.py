"""``emoeval demo``: the embedded default, offline and in well under two minutes.

Evaluates ``lexicon:nrc`` and ``zeroshot:minilm`` on ``demo:en`` (English sentences written
for emoeval and shipped inside the package), prints a side-by-side headline table and
writes one full report per model.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

DEMO_DATASET = "demo:en"
DEMO_MODELS = ("lexicon:nrc", "zeroshot:minilm")
HEADLINE = (("accuracy", "accuracy (WA)"), ("balanced_accuracy", "balanced acc. (UA)"),
            ("f1_macro", "macro F1"))


def run_demo(out: str, console: Console | None = None,
             progress_factory: Callable[[], Any] | None = None) -> list[dict[str, Any]]:
    from .api import EvaluationConfig, evaluate
    from .reports.format import metric_with_ci

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    console = console or Console()
    all_results = []
    for spec in DEMO_MODELS:
        cfg = EvaluationConfig(model=spec, dataset=DEMO_DATASET,
                               out=os.path.join(out, spec.replace(":", "_")),
                               slice_by=["source_style"], batch_size=32,
                               command=f"emoeval demo --out {out}")
        if progress_factory:
            with progress_factory() as progress:
                task = progress.add_task(spec, total=None)
                all_results.append(evaluate(cfg, on_progress=lambda d, t: progress.update(
                    task, completed=d, total=t)))
        else:
            all_results.append(evaluate(cfg))
    table = Table(title=f"emoeval demo: {DEMO_DATASET} ({all_results[0]['n_samples']} "
                        "sentences), 95% CIs")
    table.add_column("model")
    for _, title in HEADLINE:
        table.add_column(title, justify="right")
    table.add_column("errors", justify="right")
    table.add_column("samples/s", justify="right")
    for spec, res in zip(DEMO_MODELS, all_results):
        cells = []
        for key, _ in HEADLINE:
            cells.append(metric_with_ci(res["metrics"][key], res["ci"].get(key)))
        speed = (res.get("efficiency") or {}).get("samples_per_s")
        table.add_row(spec, *cells, str(res["n_errors"]), f"{speed:.0f}" if speed else "-")
    console.print(table)
    for spec in DEMO_MODELS:
        console.print(f"report: {os.path.join(out, spec.replace(':', '_'), 'report.md')}")
    return all_results
