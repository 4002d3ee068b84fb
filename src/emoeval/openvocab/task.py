"""The open-vocabulary task: sets of free emotion words scored against annotated sets after
grouping synonyms (MER2024's open-vocabulary track). Scored from files (``emoeval score``);
no model run produces word sets yet, so it never claims an ``evaluate`` run."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EmoevalError
from ..answers.policies import OPEN_VOCABULARY_POLICIES
from ..task import Task, option
from .scoring import score_open_vocabulary


@dataclass(frozen=True)
class OpenVocabularyOptions:
    truth: str | None = option("open-vocabulary: MER truth CSV name,openset")
    predictions: str | None = option("open-vocabulary: MER predictions CSV")
    synonyms: str | None = option(
        "open-vocabulary: .npy folder/zip, synonym file, or judge:llm:<url>#<model>")
    protocol: str | None = option("open-vocabulary: default | mer2024")
    invalid_policy: str | None = option("open-vocabulary: wrong | exclude", flag="--unanswered")
    unanswered: str | None = option("open-vocabulary: wrong | exclude")
    to_taxonomy: str | None = option("open-vocabulary: also score as a classifier over a,b,c")
    judge_cache: str | None = option("open-vocabulary: judge answer cache folder")


class OpenVocabularyTask(Task):
    name = "open-vocabulary"
    description = ("sets of free emotion words: id, label, prediction or --truth/"
                   "--predictions (MER2024); --synonyms, --protocol, --to-taxonomy")
    options = OpenVocabularyOptions
    policies = OPEN_VOCABULARY_POLICIES
    scorer = staticmethod(score_open_vocabulary)
    renderer = "emoeval.openvocab.report:render"
    sample_layout = "word_sets"
    rank_by = "accuracy_recall_mean"
    comparer = "emoeval.openvocab.compare:compare_open_vocabulary"

    def build_table(self, *args, **kwargs):
        """No model adapter answers with word sets yet: these runs come from files."""
        raise EmoevalError("open-vocabulary answers are scored from files: `emoeval score "
                           "--task open-vocabulary` (no model run produces word sets yet)")


TASK = OpenVocabularyTask()
