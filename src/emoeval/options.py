"""CLI options shared by several commands, declared once (typer ``Annotated`` aliases).

Used as ``def cmd(id_col: IdColOption = None, ...)``; every command that reads a dataset or
scores a task takes these flags with the same names and help.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

# label handling
LabelsOption = Annotated[Optional[str], typer.Option(
    help="Expected label set a,b,c (others: error)")]
KeepLabelsOption = Annotated[Optional[str], typer.Option(
    help="Keep only rows with these labels (named after --merge)")]
MergeOption = Annotated[list[str], typer.Option(help="Merge classes, e.g. --merge exc=happy")]
LabelMapOption = Annotated[Optional[str], typer.Option(
    help="YAML/JSON/CSV label map, overrides all")]

# dataset columns
IdColOption = Annotated[Optional[str], typer.Option(help="Column with unique sample ids")]
TextColOption = Annotated[Optional[str], typer.Option(help="Column with the text")]
AudioColOption = Annotated[Optional[str], typer.Option(
    help="Column with audio paths (relative to the file)")]
LabelColOption = Annotated[Optional[str], typer.Option(help="Column with the label")]
SplitColOption = Annotated[Optional[str], typer.Option(help="Column with the split name")]
SpeakerColOption = Annotated[Optional[str], typer.Option(help="Column with the speaker id")]
LabelSepOption = Annotated[Optional[str], typer.Option(
    help="Multi-label: separator in the label cell")]
LabelGroupOption = Annotated[Optional[str], typer.Option(
    "--label-group", "--perspective",
    help="Preset grouping: goemotions ekman|sentiment; emobank perspective "
         "reader|writer|combined")]
TargetColsOption = Annotated[Optional[str], typer.Option(
    help="Dimensional: columns with continuous targets, e.g. V,A,D")]

# task options of `evaluate` and `score`
InvalidPolicyOption = Annotated[Optional[str], typer.Option(
    "--unanswered", "--invalid-policy",
    help="How a sample the model gave no usable answer for is scored: classification, "
         "generative: wrong (default) | exclude | fallback:<label>; multilabel, "
         "open-vocabulary: wrong (the empty set) | exclude; dimensional: exclude (default) | "
         "midpoint. --invalid-policy is an alias")]
MentionOption = Annotated[Optional[str], typer.Option(help="generative: only | first | last")]
ThresholdOption = Annotated[Optional[str], typer.Option(
    help="multilabel: <float> | per-class | top-k:<k>")]
TuneSplitOption = Annotated[Optional[str], typer.Option(help="multilabel: split to tune on")]
TargetPrecisionOption = Annotated[Optional[float], typer.Option(
    help="multilabel: per-class thresholds reach this precision")]
PredRangeOption = Annotated[Optional[str], typer.Option(
    help="dimensional: scale of the predictions lo,hi (with --target-range: mapped onto it)")]
TargetRangeOption = Annotated[Optional[str], typer.Option(
    help="dimensional: scale of the targets lo,hi")]

# model options
OutputNamesOption = Annotated[Optional[str], typer.Option(
    help="Regression heads: names of the outputs in order, e.g. arousal,dominance,valence")]
