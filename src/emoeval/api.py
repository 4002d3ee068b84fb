"""The Python API: everything the CLI does, callable from code.

This module is the public facade: it only re-exports. The work lives below it
(:mod:`emoeval.evaluation`, :mod:`emoeval.selection`, :mod:`emoeval.results_io`, ...), and
nothing inside the package imports this module except the CLI layer (``cli.py``,
``commands/``), so layers only point down.
"""

from __future__ import annotations

from .classification.table import detailed_table
from .evaluation import (
    EvaluationConfig,
    dataset_warnings,
    efficiency_block,
    evaluate,
    evaluate_models,
    evaluation_task,
    model_fingerprint,
    render_reports,
    score_file,
    score_task,
    task_mapping,
    task_scorer,
)
from .results import SCHEMA_VERSION
from .results_io import (
    DETAILED_FILE,
    RESULTS_FILE,
    load_results,
    read_predictions_file,
    run_block,
    strict_json,
    write_results,
)
from .selection import (
    RowSelection,
    all_label_names,
    prepare_dimensional_rows,
    prepare_rows,
    stratified_limit,
)

__all__ = [
    "DETAILED_FILE", "RESULTS_FILE", "SCHEMA_VERSION", "EvaluationConfig", "RowSelection",
    "all_label_names", "dataset_warnings", "detailed_table", "efficiency_block", "evaluate",
    "evaluate_models", "evaluation_task", "load_results", "model_fingerprint",
    "prepare_dimensional_rows", "prepare_rows", "read_predictions_file", "render_reports",
    "run_block", "score_file", "score_task", "strict_json", "stratified_limit", "task_mapping",
    "task_scorer", "write_results",
]
