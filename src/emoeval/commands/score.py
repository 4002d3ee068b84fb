"""``emoeval score``: score a predictions file without any model (``--task`` picks the
scorer)."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import EmoevalError
from ..options import (
    LABELS_PANEL,
    MULTILABEL_PANEL,
    OPEN_VOCABULARY_PANEL,
    RUN_PANEL,
    InvalidPolicyOption,
    MentionOption,
    PredRangeOption,
    TargetColsOption,
    TargetPrecisionOption,
    TargetRangeOption,
    ThresholdOption,
    TuneSplitOption,
)
from ._shared import _command_line, _fail, _headline, _split_list


def register(app: typer.Typer) -> None:
    app.command()(score)


def score(
    file: Optional[str] = typer.Argument(None, help="Predictions file (CSV, TSV, JSONL or "
                                         "Parquet); open-vocabulary: or --truth/--predictions"),
    out: str = typer.Option(..., help="Output folder", rich_help_panel=RUN_PANEL),
    task: str = typer.Option("classification",
                             help="classification | generative | multilabel | dimensional "
                             "| open-vocabulary", rich_help_panel=RUN_PANEL),
    labels: Optional[str] = typer.Option(None, help="Label set and order a,b,c",
                                         rich_help_panel=LABELS_PANEL),
    slice_by: list[str] = typer.Option([], help="Column to report metrics by",
                                       rich_help_panel=RUN_PANEL),
    seed: int = typer.Option(0, help="Bootstrap seed", rich_help_panel=RUN_PANEL),
    invalid_policy: InvalidPolicyOption = None,
    mention: MentionOption = None,
    threshold: ThresholdOption = None,
    tune_split: TuneSplitOption = None,
    target_precision: TargetPrecisionOption = None,
    label_sep: Optional[str] = typer.Option(None, help="multilabel: separator in 'labels'",
                                            rich_help_panel=MULTILABEL_PANEL),
    target_cols: TargetColsOption = None,
    pred_range: PredRangeOption = None,
    target_range: TargetRangeOption = None,
    truth: Optional[str] = typer.Option(None, help="open-vocabulary: MER truth CSV name,openset",
                                        rich_help_panel=OPEN_VOCABULARY_PANEL),
    predictions: Optional[str] = typer.Option(None, help="open-vocabulary: MER predictions CSV",
                                              rich_help_panel=OPEN_VOCABULARY_PANEL),
    synonyms: Optional[str] = typer.Option(None, help="open-vocabulary: .npy folder/zip, synonym "
                                           "file, or judge:llm:<url>#<model>",
                                           rich_help_panel=OPEN_VOCABULARY_PANEL),
    protocol: Optional[str] = typer.Option(None, help="open-vocabulary: default | mer2024",
                                           rich_help_panel=OPEN_VOCABULARY_PANEL),
    to_taxonomy: Optional[str] = typer.Option(None, help="open-vocabulary: also score as "
                                              "classes a,b,c",
                                              rich_help_panel=OPEN_VOCABULARY_PANEL),
    judge_cache: Optional[str] = typer.Option(None, help="open-vocabulary: judge answer cache",
                                              rich_help_panel=OPEN_VOCABULARY_PANEL),
    name: Optional[str] = typer.Option(None, help="Model name for titles and files "
                                       "(default: file:<predictions file>)",
                                       rich_help_panel=RUN_PANEL),
) -> None:
    """Score an existing predictions file without any model (``--task`` picks the scorer)."""
    from ..api import score_file

    if file is None and truth is None:
        _fail(EmoevalError("give a predictions FILE (open-vocabulary: or --truth and "
                           "--predictions)"))
    try:
        results = score_file(file, out, task=task, labels=_split_list(labels),
                             slice_by=slice_by, seed=seed, command=_command_line(),
                             invalid_policy=invalid_policy, mention=mention,
                             threshold=threshold, tune_split=tune_split,
                             target_precision=target_precision, label_sep=label_sep,
                             target_cols=_split_list(target_cols), pred_range=pred_range,
                             target_range=target_range, truth=truth,
                             predictions=predictions, synonyms=synonyms, protocol=protocol,
                             to_taxonomy=to_taxonomy, judge_cache=judge_cache, name=name)
    except EmoevalError as exc:
        _fail(exc)
    _headline(results, out)
