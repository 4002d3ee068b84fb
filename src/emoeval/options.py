"""CLI options shared by several commands, declared once (typer ``Annotated`` aliases), each
in its ``--help`` panel.

Used as ``def cmd(threshold: ThresholdOption = None, ...)``; the dataset and label flags are
added to every command that reads a dataset by ``commands._shared.reads_dataset``, so they
keep the same names and help everywhere.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

# the panels of `--help`: what an option is about, so a command with many reads by group
DATASET_PANEL = "Dataset"
LABELS_PANEL = "Labels"
MODEL_PANEL = "Model"
LLM_PANEL = "LLM server (llm: models)"
ENGINE_PANEL = "Engine"
RUN_PANEL = "Run"
GENERATIVE_PANEL = "Generative answers"
MULTILABEL_PANEL = "Multi-label"
DIMENSIONAL_PANEL = "Dimensional"
OPEN_VOCABULARY_PANEL = "Open vocabulary"

# label handling
LabelsOption = Annotated[Optional[str], typer.Option(
    help="Expected label set a,b,c (others: error)",
    rich_help_panel=LABELS_PANEL)]
KeepLabelsOption = Annotated[Optional[str], typer.Option(
    help="Keep only rows with these labels (named after --merge)",
    rich_help_panel=LABELS_PANEL)]
MergeOption = Annotated[list[str], typer.Option(
    help="Merge classes, e.g. --merge exc=happy",
    rich_help_panel=LABELS_PANEL)]
LabelMapOption = Annotated[Optional[str], typer.Option(
    help="YAML/JSON/CSV label map, overrides all",
    rich_help_panel=LABELS_PANEL)]

# dataset columns
IdColOption = Annotated[Optional[str], typer.Option(
    help="Column with unique sample ids",
    rich_help_panel=DATASET_PANEL)]
TextColOption = Annotated[Optional[str], typer.Option(
    help="Column with the text",
    rich_help_panel=DATASET_PANEL)]
AudioColOption = Annotated[Optional[str], typer.Option(
    help="Column with audio paths (relative to the file)",
    rich_help_panel=DATASET_PANEL)]
LabelColOption = Annotated[Optional[str], typer.Option(
    help="Column with the label",
    rich_help_panel=DATASET_PANEL)]
SplitColOption = Annotated[Optional[str], typer.Option(
    help="Column with the split name",
    rich_help_panel=DATASET_PANEL)]
SpeakerColOption = Annotated[Optional[str], typer.Option(
    help="Column with the speaker id",
    rich_help_panel=DATASET_PANEL)]
LabelSepOption = Annotated[Optional[str], typer.Option(
    help="Multi-label: separator in the label cell",
    rich_help_panel=DATASET_PANEL)]
LabelGroupOption = Annotated[Optional[str], typer.Option(
    "--label-group", "--perspective",
    help="Preset grouping: goemotions ekman|sentiment; emobank perspective "
         "reader|writer|combined",
    rich_help_panel=DATASET_PANEL)]
TargetColsOption = Annotated[Optional[str], typer.Option(
    help="Dimensional: columns with continuous targets, e.g. V,A,D",
    rich_help_panel=DATASET_PANEL)]

# task options of `evaluate` and `score`
InvalidPolicyOption = Annotated[Optional[str], typer.Option(
    "--unanswered", "--invalid-policy",
    help="How a sample the model gave no usable answer for is scored: classification, "
         "generative: wrong (default) | exclude | fallback:<label>; multilabel, "
         "open-vocabulary: wrong (the empty set) | exclude; dimensional: exclude (default) | "
         "midpoint. --invalid-policy is an alias",
    rich_help_panel=RUN_PANEL)]
MentionOption = Annotated[Optional[str], typer.Option(
    help="generative: only | first | last",
    rich_help_panel=GENERATIVE_PANEL)]
ThresholdOption = Annotated[Optional[str], typer.Option(
    help="multilabel: <float> | per-class | top-k:<k>",
    rich_help_panel=MULTILABEL_PANEL)]
TuneSplitOption = Annotated[Optional[str], typer.Option(
    help="multilabel: split to tune on",
    rich_help_panel=MULTILABEL_PANEL)]
TargetPrecisionOption = Annotated[Optional[float], typer.Option(
    help="multilabel: per-class thresholds reach this precision",
    rich_help_panel=MULTILABEL_PANEL)]
PredRangeOption = Annotated[Optional[str], typer.Option(
    help="dimensional: scale of the predictions lo,hi (with --target-range: mapped onto it)",
    rich_help_panel=DIMENSIONAL_PANEL)]
TargetRangeOption = Annotated[Optional[str], typer.Option(
    help="dimensional: scale of the targets lo,hi",
    rich_help_panel=DIMENSIONAL_PANEL)]

# model options
OutputNamesOption = Annotated[Optional[str], typer.Option(
    help="Regression heads: names of the outputs in order, e.g. arousal,dominance,valence",
    rich_help_panel=MODEL_PANEL)]
