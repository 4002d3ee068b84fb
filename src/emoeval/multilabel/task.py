"""The multi-label task: a set of labels per sample, scores thresholded per label."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..answers.policies import MULTI_LABEL_POLICIES
from ..task import INVALID_POLICY_HELP, UNANSWERED_FLAG, Task, TaskSetup, option
from .scoring import score_multilabel, tuning_split_rows
from .small_tuning import check_options
from .table import multilabel_table


@dataclass(frozen=True)
class MultilabelOptions:
    threshold: str | float | None = option("multilabel: <float> | per-class | top-k:<k>")
    tune_split: str | None = option("multilabel: split to tune on")
    target_precision: float | None = option(
        "multilabel: per-class thresholds reach this precision")
    label_sep: str | None = option("multilabel: separator in 'labels'")
    invalid_policy: str | None = option(INVALID_POLICY_HELP, flag=UNANSWERED_FLAG)


class MultilabelTask(Task):
    name = "multilabel"
    description = "multi-label: id, labels, score_<label>; --threshold"
    options = MultilabelOptions
    policies = MULTI_LABEL_POLICIES
    scorer = staticmethod(score_multilabel)
    table_builder = staticmethod(multilabel_table)
    renderer = "emoeval.multilabel.report:render"
    sample_layout = "label_set"
    rank_by = "f1_macro"

    def matches(self, adapter: Any, rows: list) -> bool:
        return any(isinstance(r.label, list) for r in rows)

    def check_values(self, options: Any, labels: list[str]) -> None:
        check_options(labels=list(labels), **self.given_options(options))

    def prepare(self, dataset: Any, rows: list, labels: list[str], adapter: Any,
                selection: Any, options: Any) -> TaskSetup:
        # per-class thresholds are tuned on another split: predict its rows too (marked by
        # split; the scorer tunes on them and reports only the requested split)
        extra, tune = tuning_split_rows(dataset, rows, labels, selection, options.threshold,
                                        options.tune_split)
        if extra:
            options = dataclasses.replace(options, tune_split=tune)
        return TaskSetup(options=options, extra_rows=extra)


TASK = MultilabelTask()
