"""What every command shares: the consoles, the one-line failure, the progress bar, the
command line as typed, and :func:`reads_dataset`, the one declaration of the dataset and
label flags that every command reading a dataset takes.
"""

from __future__ import annotations

import functools
import inspect
import shlex
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import EmoevalError
from ..options import (
    AudioColOption,
    IdColOption,
    KeepLabelsOption,
    LabelColOption,
    LabelGroupOption,
    LabelMapOption,
    LabelSepOption,
    LabelsOption,
    MergeOption,
    SpeakerColOption,
    SplitColOption,
    TargetColsOption,
    TextColOption,
)

console = Console(stderr=True)
out_console = Console()


def _split_list(value: Optional[str]) -> Optional[list[str]]:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _command_line() -> str:
    return "emoeval " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _fail(exc: EmoevalError) -> None:
    # escape: messages hold literal brackets (pip install 'emoeval[ray]') that are not markup
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                    transient=False)


@dataclass(frozen=True)
class LabelOptions:
    """The label flags of a dataset-reading command, parsed (a,b,c -> a list)."""

    labels: list[str] | None = None
    keep_labels: list[str] | None = None
    merge: list[str] = field(default_factory=list)
    label_map: str | None = None


# name -> (annotation, default) of the flags reads_dataset adds; the annotations carry the
# flag's help and panel (emoeval.options), declared once there
_COLUMN_FLAGS: dict[str, tuple[object, object]] = {
    "id_col": (IdColOption, None),
    "text_col": (TextColOption, None),
    "audio_col": (AudioColOption, None),
    "label_col": (LabelColOption, None),
    "split_col": (SplitColOption, None),
    "speaker_col": (SpeakerColOption, None),
    "label_sep": (LabelSepOption, None),
    "target_cols": (TargetColsOption, None),
    "label_group": (LabelGroupOption, None),
}
_LABEL_FLAGS: dict[str, tuple[object, object]] = {
    "labels": (LabelsOption, None),
    "keep_labels": (KeepLabelsOption, None),
    "merge": (MergeOption, []),
    "label_map": (LabelMapOption, None),
}
_LIST_FLAGS = {"target_cols", "labels", "keep_labels"}  # a,b,c on the command line


def reads_dataset(command: Callable | None = None, *, labels: bool = True) -> Callable:
    """Give ``command`` every dataset-column flag (``--id-col`` ... ``--label-group``) and,
    unless ``labels=False``, the label flags (``--labels``, ``--keep-labels``, ``--merge``,
    ``--label-map``), collected into its ``dataset_options``
    (:class:`emoeval.datasets.base.DatasetOptions`) and ``label_options``
    (:class:`LabelOptions`) parameters, so no command re-lists them or forgets one.

    Used as ``@reads_dataset`` or ``@reads_dataset(labels=False)``."""
    if command is None:
        return functools.partial(reads_dataset, labels=labels)
    from ..datasets.base import DatasetOptions

    flags_added = {**(_LABEL_FLAGS if labels else {}), **_COLUMN_FLAGS}
    collected = ("dataset_options", "label_options")
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name not in collected]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                               default=default)
             for name, (annotation, default) in flags_added.items()]

    @functools.wraps(command)
    def with_dataset_flags(**given):
        flags = {name: given.pop(name) for name in flags_added}
        for name in _LIST_FLAGS & set(flags):
            flags[name] = _split_list(flags[name])
        if labels:
            given["label_options"] = LabelOptions(**{name: flags[name]
                                                     for name in _LABEL_FLAGS})
        return command(**given, dataset_options=DatasetOptions(
            **{name: flags[name] for name in _COLUMN_FLAGS}))

    parameters = own + added
    with_dataset_flags.__signature__ = inspect.Signature(parameters)
    # typer reads type hints too: the evaluated annotations, not the wrapped function's
    with_dataset_flags.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_dataset_flags


def _headline(results: dict, out: str) -> None:
    """One line a person reads first; tasks other than classification print their own,
    with how many samples were answered beside it."""
    from ..answers.coverage import answered_text

    answered = answered_text(results.get("coverage"), results.get("n_samples") or 0)
    if results.get("headline"):
        headline = results["headline"]
        if answered and "answered " not in headline:
            headline += f"; {answered}"
        out_console.print(f"{headline} -> {out}/report.md", highlight=False)
        return
    from ..reports.format import metric_with_ci

    m, ci = results["metrics"], results.get("ci") or {}

    def cell(key: str) -> str:
        return metric_with_ci(m[key], ci.get(key))

    policy = (results.get("protocol") or {}).get("unanswered_policy")
    answered = f"{answered} (--unanswered {policy}), " if answered and policy else (
        f"{answered}, " if answered else "")
    model = results["model"].get("name") or results["model"]["spec"]
    below = " (below chance)" if (results.get("chance") or {}).get("below_chance") else ""
    out_console.print(f"{model} on {results['dataset']['spec']}: "
                      f"accuracy (WA) {cell('accuracy')}, balanced accuracy (UA) "
                      f"{cell('balanced_accuracy')}{below}, macro F1 {cell('f1_macro')}; "
                      f"{answered}{results['n_scored']}/{results['n_samples']} scored, "
                      f"{results['n_errors']} errors -> {out}/report.md", highlight=False)
