"""The multi-label task: a set of labels per sample, scores thresholded per label."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..task import Task, TaskSetup, option
from .scoring import multilabel_table, score_multilabel, tuning_split_rows


@dataclass(frozen=True)
class MultilabelOptions:
    threshold: str | float | None = option("multilabel: <float> | per-class | top-k:<k>")
    tune_split: str | None = option("multilabel: split to tune on")
    target_precision: float | None = option(
        "multilabel: per-class thresholds reach this precision")
    label_sep: str | None = option("multilabel: separator in 'labels'")


class MultilabelTask(Task):
    name = "multilabel"
    description = "multi-label: id, labels, score_<label>; --threshold"
    options = MultilabelOptions

    def matches(self, adapter: Any, rows: list) -> bool:
        return any(isinstance(r.label, list) for r in rows)

    def prepare(self, dataset: Any, rows: list, labels: list[str], adapter: Any,
                selection: Any, options: Any) -> TaskSetup:
        # per-class thresholds are tuned on another split: predict its rows too (marked by
        # split; the scorer tunes on them and reports only the requested split)
        extra, tune = tuning_split_rows(dataset, rows, labels, selection, options.threshold,
                                        options.tune_split)
        if extra:
            options = dataclasses.replace(options, tune_split=tune)
        return TaskSetup(options=options, extra_rows=extra)

    def build_table(self, rows: list, store: Any, mapping: Any, *, model_labels: list[str],
                    labels: list[str], label_map: dict[str, str | None], unmapped: str,
                    **table_options: Any) -> pd.DataFrame:
        return multilabel_table(rows, store, model_labels, labels, label_map, unmapped,
                                **table_options)

    def score(self, table: pd.DataFrame, *, labels: list[str] | None,
              slice_by: list[str] | None, seed: int, n_resamples: int, options: Any,
              mapping: Any = None
              ) -> tuple[dict[str, Any], pd.DataFrame]:
        return score_multilabel(table, labels=labels, slice_by=slice_by, seed=seed,
                                n_resamples=n_resamples, **self.given_options(options))

    def render(self, results: Mapping[str, Any], out_dir: str) -> list[str]:
        from .report import render

        return render(results, out_dir)


TASK = MultilabelTask()
