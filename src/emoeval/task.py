"""What a task is: the one shape every task package exports (a :class:`Task` spec).

``emoeval evaluate`` runs the same steps for every task (read rows -> adapter -> store ->
table -> score -> report) and calls the task's hooks where tasks differ; it never branches
on a task's name. A task package (``emoeval.classification``, ``emoeval.multilabel``, ...)
subclasses :class:`Task`, declares its own options once as a dataclass (:func:`option`
fields carry the CLI flag and its help), and is registered by one line in
:data:`emoeval.registry.TASKS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import pandas as pd

from .errors import EmoevalError
from .labels import build_mapping


def option(help: str, *, flag: str | None = None, default: Any = None) -> Any:
    """A task option: its CLI flag (``--<field-name>`` unless given) and help, declared once.

    The default ``None`` means "not given": the task's scorer applies its own default."""
    return field(default=default, metadata={"flag": flag, "help": help})


def option_flag(options_type: type, name: str) -> str:
    """The CLI flag of an option field (or of any key, spelled as the CLI spells it)."""
    fields = {f.name: f for f in dataclasses.fields(options_type)}
    declared = fields[name].metadata.get("flag") if name in fields else None
    return declared or "--" + name.replace("_", "-")


#: flag and help of --unanswered (alias --invalid-policy), an option of every task
UNANSWERED_FLAG = "--unanswered"
INVALID_POLICY_HELP = ("how unanswered samples are scored: wrong | exclude | "
                       "fallback:<label> (classification, generative); wrong | exclude "
                       "(multilabel, open-vocabulary); exclude | midpoint (dimensional)")


@dataclass(frozen=True)
class NoOptions:
    """A task without options of its own."""


@dataclass
class TaskSetup:
    """What a task's ``prepare`` hook settled before any prediction is made."""

    #: the task's options as the scorer gets them (e.g. completed from the dataset)
    options: Any
    #: rows predicted beside the reported ones (e.g. a tuning split), in the same store
    extra_rows: list = field(default_factory=list)
    #: keyword arguments of ``build_table`` (e.g. the dimensional value range)
    table_options: dict[str, Any] = field(default_factory=dict)
    #: (names, value range) given to ``adapter.set_dimensions``: remote workers repeat it
    dimensions: tuple[list[str], tuple[float, float] | None] | None = None


class Task:
    """One task: its options, how it recognises its runs, and run -> table -> score -> report.

    Subclasses set ``name``, ``description``, ``options``, ``scorer``, ``table_builder`` and
    ``renderer``; every hook has a default that suits label tasks and may be overridden.
    """

    name: ClassVar[str] = ""
    #: one line for listings and ``emoeval score --task`` (what the predictions file holds)
    description: ClassVar[str] = ""
    #: the dataclass of the task's own options (its CLI flags, declared once)
    options: ClassVar[type] = NoOptions
    #: picked when no other task recognises a run (classification)
    fallback: ClassVar[bool] = False
    #: the scorer: ``(table, *, labels, slice_by, seed, n_resamples, **options)`` ->
    #: (results part, table as scored); set as ``staticmethod(fn)``
    scorer: ClassVar[Callable[..., tuple[dict[str, Any], pd.DataFrame]] | None] = None
    #: the detailed table from the store: ``(rows, store, model_labels, labels, label_map,
    #: unmapped, **table_options)``; set as ``staticmethod(fn)``
    table_builder: ClassVar[Callable[..., pd.DataFrame] | None] = None
    #: ``"module:function(results, out_dir) -> paths"``, imported only to render (plots)
    renderer: ClassVar[str] = ""
    #: what the detailed table holds per sample, which decides how runs are compared
    #: paired: "label" (one label and one prediction), "label_set" or "values" (continuous)
    sample_layout: ClassVar[str] = "label"
    #: the metric comparisons rank by unless --rank-by says otherwise
    rank_by: ClassVar[str] = "balanced_accuracy"
    #: metrics are shares in [0, 1], so differences read as percentage points
    metrics_are_shares: ClassVar[bool] = True
    #: ``"module:function(runs, out, *, rank_by, force, seed, n_resamples)"`` for a task
    #: whose runs need their own paired comparison; empty: ``compare_runs`` by sample layout
    comparer: ClassVar[str] = ""
    #: the unanswered policies the task takes (contracts-v2 section 2; an
    #: :class:`emoeval.answers.policies.PolicyChoices`), checked before any model runs
    policies: ClassVar[Any] = None

    # ------------------------------------------------------------------ options

    def parse_options(self, given: Mapping[str, Any] | None) -> Any:
        """The options dataclass from a ``task_options`` dict; ``None`` values are "not
        given", and an option the task does not take is an error naming its flag."""
        given = {k: v for k, v in (given or {}).items() if v is not None}
        accepted = {f.name for f in dataclasses.fields(self.options)}
        foreign = [k for k in given if k not in accepted]
        if foreign:
            flags = ", ".join(option_flag(self.options, k) for k in foreign)
            raise EmoevalError(f"{flags} does not apply to --task {self.name}")
        return self.options(**given)

    def check_values(self, options: Any, labels: list[str]) -> None:
        """Refuse a bad option value (a policy, a threshold) before any model runs; the
        default has nothing to check."""

    def check_policy(self, options: Any, labels: list[str] | None = None) -> Any:
        """The unanswered policy given in ``options`` (its default when not given), checked
        against the task's choices: a value the task does not take is a one-line error
        naming the allowed ones. None for a task without policies."""
        if self.policies is None:
            return None
        return self.policies.parse(getattr(options, "invalid_policy", None), labels or None)

    @staticmethod
    def given_options(options: Any) -> dict[str, Any]:
        """The options that were given (not ``None``), as scorer keyword arguments."""
        return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
                if getattr(options, f.name) is not None}

    # ------------------------------------------------------------------ evaluate hooks

    def matches(self, adapter: Any, rows: list) -> bool:
        """Whether a run of ``adapter`` on ``rows`` is this task (see ``fallback``)."""
        return False

    def check_adapter(self, adapter: Any, model_spec: str, dataset_spec: str) -> None:
        """Refuse a model this task cannot score: by default a regression model."""
        if adapter.output == "values":
            raise EmoevalError(
                f"{model_spec} is a regression model (outputs "
                f"{', '.join(adapter.labels) or 'unnamed'}: continuous values) and "
                f"{dataset_spec} has class labels; evaluate it on continuous targets "
                "(--target-cols, or a preset such as emobank:)")

    def prepare(self, dataset: Any, rows: list, labels: list[str], adapter: Any,
                selection: Any, options: Any) -> TaskSetup:
        """Configure the adapter for this run and settle the task's options; by default
        nothing to do."""
        return TaskSetup(options=options)

    def mapping(self, adapter: Any, model_labels: list[str], labels: list[str],
                label_map: dict[str, str | None], unmapped: str) -> Any:
        """Model labels -> dataset labels (a :class:`emoeval.labels.LabelMapping`)."""
        return build_mapping(model_labels, labels, label_map, unmapped)

    def build_table(self, rows: list, store: Any, mapping: Any, *, model_labels: list[str],
                    labels: list[str], label_map: dict[str, str | None], unmapped: str,
                    **table_options: Any) -> pd.DataFrame:
        """The detailed table (``detailed_results.csv``) from the prediction store."""
        return self.table_builder(rows, store, model_labels, labels, label_map, unmapped,
                                  **table_options)

    def score(self, table: pd.DataFrame, *, labels: list[str] | None,
              slice_by: list[str] | None, seed: int, n_resamples: int, options: Any,
              mapping: Any = None
              ) -> tuple[dict[str, Any], pd.DataFrame]:
        """The results part and the table as scored; ``mapping`` is None for ``score``."""
        return self.scorer(table, labels=labels, slice_by=slice_by, seed=seed,
                           n_resamples=n_resamples, **self.given_options(options))

    def render(self, results: Mapping[str, Any], out_dir: str) -> list[str]:
        """Write the task's report files into ``out_dir``; return their paths."""
        from .registry import load_class

        return load_class(self.renderer)(results, out_dir)
