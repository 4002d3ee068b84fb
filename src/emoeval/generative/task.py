"""The generative task: a model answers in free text, the answer is matched to a label."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..answers.policies import SINGLE_LABEL_POLICIES
from ..task import INVALID_POLICY_HELP, UNANSWERED_FLAG, Task, option
from .scoring import check_options, response_table, score_generative


@dataclass(frozen=True)
class GenerativeOptions:
    invalid_policy: str | None = option(INVALID_POLICY_HELP, flag=UNANSWERED_FLAG)
    mention: str | None = option("generative: only | first | last")


class GenerativeTask(Task):
    name = "generative"
    description = "free-text answers: id, label, response; --invalid-policy, --mention"
    options = GenerativeOptions
    policies = SINGLE_LABEL_POLICIES
    scorer = staticmethod(score_generative)
    table_builder = staticmethod(response_table)
    renderer = "emoeval.generative.report:render"

    def matches(self, adapter: Any, rows: list) -> bool:
        return adapter.output == "text"

    def check_values(self, options: Any, labels: list[str]) -> None:
        check_options(labels=list(labels), **self.given_options(options))


TASK = GenerativeTask()
