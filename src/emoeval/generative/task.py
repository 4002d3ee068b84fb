"""The generative task: a model answers in free text, the answer is matched to a label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..task import INVALID_POLICY_HELP, Task, option
from .scoring import response_table, score_generative


@dataclass(frozen=True)
class GenerativeOptions:
    invalid_policy: str | None = option(INVALID_POLICY_HELP)
    mention: str | None = option("generative: only | first | last")


class GenerativeTask(Task):
    name = "generative"
    description = "free-text answers: id, label, response; --invalid-policy, --mention"
    options = GenerativeOptions

    def matches(self, adapter: Any, rows: list) -> bool:
        return adapter.output == "text"

    def build_table(self, rows: list, store: Any, mapping: Any, *, model_labels: list[str],
                    labels: list[str], label_map: dict[str, str | None], unmapped: str,
                    **table_options: Any) -> pd.DataFrame:
        return response_table(rows, store, model_labels, labels, label_map, unmapped,
                              **table_options)

    def score(self, table: pd.DataFrame, *, labels: list[str] | None,
              slice_by: list[str] | None, seed: int, n_resamples: int, options: Any,
              mapping: Any = None
              ) -> tuple[dict[str, Any], pd.DataFrame]:
        return score_generative(table, labels=labels, slice_by=slice_by, seed=seed,
                                n_resamples=n_resamples, **self.given_options(options))

    def render(self, results: Mapping[str, Any], out_dir: str) -> list[str]:
        from .report import render

        return render(results, out_dir)


TASK = GenerativeTask()
