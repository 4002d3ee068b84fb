"""``emoeval compare RUN_DIR... --out DIR``: a thin layer over
:func:`emoeval.compare.compare_runs`."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def compare(
        run_dirs: list[str] = typer.Argument(..., help="Run folders written by `emoeval "
                                             "evaluate` or `emoeval score`"),
        out: str = typer.Option(..., help="Output folder for the comparison"),
        rank_by: Optional[str] = typer.Option(
            None, help="Metric to rank and test by (default: balanced_accuracy, f1_macro for "
                       "multilabel, ccc for dimensional)"),
        force: bool = typer.Option(False, help="Compare runs on one dataset whose label sets "
                                               "or true labels differ"),
        seed: int = typer.Option(0, help="Bootstrap seed"),
        n_resamples: int = typer.Option(2000, help="Paired bootstrap resamples"),
        common_samples: Optional[bool] = typer.Option(
            None, "--common-samples/--no-common-samples",
            help="Rank every run on the samples all runs of its dataset scored (default: "
                 "on when their scored samples differ)"),
    ) -> None:
        """Compare runs: leaderboard with CIs, paired tests with Holm, verdicts, HTML report."""
        from ._shared import _fail, console, out_console
        from ..compare import compare_runs
        from ..compare.runs import load_runs
        from ..errors import EmoevalError
        from ..registry import known_task, load_class

        options = {"rank_by": rank_by, "force": force, "seed": seed, "n_resamples": n_resamples}
        try:
            runs = load_runs(list(run_dirs))
            spec = known_task(runs[0].task)
            own = spec.comparer if spec is not None else ""  # a task's own paired comparison
            comparison = (load_class(own)(runs, out, **options) if own
                          else compare_runs(run_dirs, out, common_samples=common_samples,
                                            **options))
        except EmoevalError as exc:
            _fail(exc)
        for line in comparison["warnings"]:
            console.print(f"warning: {line}", highlight=False, soft_wrap=True)
        for line in comparison["verdicts"]:
            out_console.print(line, highlight=False, soft_wrap=True)
        out_console.print(f"-> {out}/compare.html, {out}/compare.md, {out}/leaderboard.csv",
                          highlight=False)
