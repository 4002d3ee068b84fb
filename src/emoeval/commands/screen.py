"""``emoeval screen``: triage candidate models before evaluating them."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command()(screen)


def screen(
    candidates: str = typer.Argument(..., help="YAML list of model specs or "
                                     "{spec, language, task, notes, label_map} entries"),
    out: str = typer.Option(..., help="Output folder (screening.json, screening.md, "
                            "candidates.usable.yaml); rerunning reuses finished candidates"),
    probe_dataset: Optional[str] = typer.Option(None, help="Dataset spec to probe each model "
                                                "with, e.g. urdu:../shared/data/urdu"),
    probe_size: int = typer.Option(40, help="Probe samples (seeded, stratified by label)"),
    probe_split: Optional[str] = typer.Option(None, help="Split of the probe dataset"),
    timeout: float = typer.Option(600.0, help="Seconds per candidate (load + probe) before "
                                  "it is stopped"),
    jobs: Optional[int] = typer.Option(None, help="Candidates screened at a time (default: "
                                       "from CPU cores and free memory)"),
    seed: int = typer.Option(0, help="Seed of the probe sample"),
    batch_size: int = typer.Option(8, help="Probe samples per forward pass"),
    fresh: bool = typer.Option(False, help="Screen every candidate again, ignoring earlier "
                               "findings in --out"),
) -> None:
    """Screen candidate models: status, recommendation and evidence for each."""
    from ._shared import _command_line, _fail, console, out_console
    from ..errors import EmoevalError
    from ..extras import require_all
    from ..screening import ScreeningConfig
    from ..screening import screen as run_screening

    cfg = ScreeningConfig(candidates=candidates, out=out, probe_dataset=probe_dataset,
                          probe_size=probe_size, probe_split=probe_split, timeout=timeout,
                          jobs=jobs, seed=seed, batch_size=batch_size, fresh=fresh,
                          command=_command_line())
    done = [0]

    def on_result(entry: dict) -> None:
        done[0] += 1
        reused = " (reused)" if entry["evidence"].get("worker", {}).get("reused") else ""
        console.print(f"[{done[0]}] {entry['spec']}: {entry['status']} -> "
                      f"{entry['recommendation']}{reused}", highlight=False, soft_wrap=True)

    try:
        # candidates are transformers models, loaded and run with PyTorch
        require_all((("torch", "hf"), ("transformers", "hf")), "emoeval screen")
        entries = run_screening(cfg, on_result=on_result)
    except EmoevalError as exc:
        _fail(exc)
    kept = sum(e["recommendation"] == "keep" for e in entries)
    retry = sum(e["recommendation"] == "retry" for e in entries)
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    out_console.print(f"{len(entries)} candidates screened ({summary}); {kept} kept -> "
                      f"{out}/screening.md, {out}/candidates.usable.yaml"
                      + (f"; {retry} to retry -> {out}/candidates.retry.yaml" if retry else ""),
                      highlight=False)
