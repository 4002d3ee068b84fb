"""The classification task: one label per sample, scores or a predicted label per model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..answers.policies import SINGLE_LABEL_POLICIES
from ..scoring import score_classification, score_table, with_kinds
from ..task import INVALID_POLICY_HELP, UNANSWERED_FLAG, Task, option
from .table import detailed_table


@dataclass(frozen=True)
class ClassificationOptions:
    invalid_policy: str | None = option(INVALID_POLICY_HELP, flag=UNANSWERED_FLAG)


class ClassificationTask(Task):
    name = "classification"
    description = "single-label: id, label, prediction (+ score_<label>)"
    fallback = True  # a run no other task recognises is single-label classification
    renderer = "emoeval.reports:render_classification"
    options = ClassificationOptions
    policies = SINGLE_LABEL_POLICIES

    def build_table(self, rows: list, store: Any, mapping: Any, **_: Any) -> pd.DataFrame:
        return detailed_table(rows, store, mapping)

    def score(self, table: pd.DataFrame, *, labels: list[str] | None,
              slice_by: list[str] | None, seed: int, n_resamples: int, options: Any,
              mapping: Any = None
              ) -> tuple[dict[str, Any], pd.DataFrame]:
        if mapping is None:  # a predictions file: its label order comes from the table
            return score_classification(table, labels=labels, slice_by=slice_by, seed=seed,
                                        n_resamples=n_resamples,
                                        invalid_policy=options.invalid_policy)
        # a model run also reports the metrics on the labels model and dataset share
        policy = SINGLE_LABEL_POLICIES.parse(options.invalid_policy, labels)
        table = with_kinds(table)
        return score_table(table, list(labels or []), slice_by=slice_by,
                           shared_labels=mapping.shared_labels, n_resamples=n_resamples,
                           seed=seed, policy=policy), table


TASK = ClassificationTask()
