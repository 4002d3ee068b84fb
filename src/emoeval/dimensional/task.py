"""The dimensional task: continuous targets (valence, arousal, ...) per sample."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..datasets.base import has_targets
from ..answers.policies import DIMENSIONAL_POLICIES
from ..task import INVALID_POLICY_HELP, UNANSWERED_FLAG, Task, TaskSetup, option
from .names import DimensionMapping
from .scoring import dimensional_table, parse_range, range_mapping, score_dimensional


@dataclass(frozen=True)
class DimensionalOptions:
    target_cols: list[str] | None = option(
        "Dimensional: columns with continuous targets, e.g. V,A,D")
    pred_range: str | None = option(
        "dimensional: scale of the predictions lo,hi (with --target-range: mapped onto it)")
    target_range: str | None = option("dimensional: scale of the targets lo,hi")
    invalid_policy: str | None = option(INVALID_POLICY_HELP, flag=UNANSWERED_FLAG)


class DimensionalTask(Task):
    name = "dimensional"
    description = ("continuous targets: id, <dim>_true, <dim>_pred; --pred-range, "
                   "--target-range")
    options = DimensionalOptions
    policies = DIMENSIONAL_POLICIES
    scorer = staticmethod(score_dimensional)
    table_builder = staticmethod(dimensional_table)
    renderer = "emoeval.dimensional.report:render"
    sample_layout = "values"
    rank_by = "ccc"
    metrics_are_shares = False

    def matches(self, adapter: Any, rows: list) -> bool:
        return has_targets(rows)

    def check_adapter(self, adapter: Any, model_spec: str, dataset_spec: str) -> None:
        """Regression models and text answers both read continuous targets."""

    def prepare(self, dataset: Any, rows: list, labels: list[str], adapter: Any,
                selection: Any, options: Any) -> TaskSetup:
        range_mapping(options.pred_range, options.target_range)
        value_range = (parse_range(options.target_range, "--target-range")
                       or dataset.target_range)
        if value_range is not None and not options.target_range:
            # the corpus's scale reaches the scorer too (midpoint of unusable answers)
            options = dataclasses.replace(
                options, target_range=f"{value_range[0]:g},{value_range[1]:g}")
        dimensions = (list(labels), value_range)
        adapter.set_dimensions(*dimensions)
        return TaskSetup(options=options, table_options={"value_range": value_range},
                         dimensions=dimensions)

    def mapping(self, adapter: Any, model_labels: list[str], labels: list[str],
                label_map: dict[str, str | None], unmapped: str) -> DimensionMapping:
        """Model outputs -> dimensions (a DimensionMapping, with a LabelMapping's face)."""
        return DimensionMapping(adapter.output, model_labels, labels)


TASK = DimensionalTask()
