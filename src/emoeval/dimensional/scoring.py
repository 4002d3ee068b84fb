"""The ``dimensional`` task: a table with ``id`` and, per dimension D, ``D_true`` and
``D_pred`` -> CCC, Pearson, Spearman, MAE and RMSE per dimension, each with a bootstrap CI
(speaker-clustered when a ``speaker``/``speaker_id`` column exists).

A row whose ``error`` cell is set, or whose true or predicted value of any dimension is
missing or not a number, is recorded as an error and left out of every dimension's metrics,
so all dimensions are scored on the same rows.

``--pred-range lo,hi`` with ``--target-range lo,hi`` maps predictions linearly onto the target
scale before scoring (a head trained on 0-1, labels on 1-5); the mapping is recorded in
``results.json`` under ``range_mapping`` and the table keeps the raw predictions, so the
file scores again with the same flags.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..answers.coverage import coverage_block, policy_entry
from ..answers.policies import DIMENSIONAL_POLICIES
from ..answers.statuses import INPUT, UNANSWERED
from ..answers.statuses import UNUSABLE as UNUSABLE_STATUSES
from ..errors import EmoevalError
from ..metrics.dimensional import (
    DIMENSIONAL_METRICS,
    bootstrap_dimension_ci,
    dimension_metrics,
    dimension_slice_metrics,
    resample_indices,
)
from ..scoring import (
    check_slice_columns,
    errors_block,
    is_blank,
    require_scored,
    scored_protocol,
    speaker_groups,
    table_kinds,
)
from ..small_samples import mark_small_slices

TRUE_SUFFIX, PRED_SUFFIX = "_true", "_pred"
#: a text-answer model's columns in the detailed table (see emoeval.answers.rating_table)
ANSWER_COLUMNS = ("response", "status", "extracted", "status_detail")


def parse_range(text: str | None, flag: str) -> tuple[float, float] | None:
    """ "1,5" -> (1.0, 5.0); None stays None; anything else is an error naming the flag."""
    if text is None:
        return None
    if isinstance(text, (list, tuple)):
        parts = [str(p) for p in text]
    else:
        parts = str(text).split(",")
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise EmoevalError(f"{flag} {text!r}: expected two numbers 'lo,hi', e.g. {flag} 1,5"
                           ) from None
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise EmoevalError(f"{flag} {text!r}: need finite lo < hi, e.g. {flag} 1,5")
    return low, high


def range_mapping(pred_range: str | None, target_range: str | None) -> dict[str, Any] | None:
    """The linear map from the prediction scale onto the target scale, or None."""
    source = parse_range(pred_range, "--pred-range")
    target = parse_range(target_range, "--target-range")
    if source is not None and target is None:
        raise EmoevalError("--pred-range needs --target-range (the scale to map onto), e.g. "
                           "--pred-range 0,1 --target-range 1,5")
    if source is None:  # --target-range alone declares the scale (rating prompts): no map
        return None
    scale = (target[1] - target[0]) / (source[1] - source[0])
    offset = target[0] - source[0] * scale
    return {"pred_range": list(source), "target_range": list(target), "scale": scale,
            "offset": offset,
            "formula": f"mapped = {offset:g} + {scale:g} * prediction"}


def map_predictions(values: np.ndarray, mapping: dict[str, Any] | None) -> np.ndarray:
    if mapping is None:
        return values
    return mapping["offset"] + mapping["scale"] * values


def dimension_names(table: pd.DataFrame, declared: list[str] | None) -> list[str]:
    """``--target-cols`` when given, else every D with both ``D_true`` and ``D_pred``."""
    columns = [str(c) for c in table.columns]
    if declared:
        missing = [f"{d}{s}" for d in declared for s in (TRUE_SUFFIX, PRED_SUFFIX)
                   if f"{d}{s}" not in columns]
        if missing:
            raise EmoevalError(f"--target-cols names columns the table lacks: "
                               f"{', '.join(missing)} (columns: {', '.join(columns)})")
        return list(declared)
    found = [c[:-len(TRUE_SUFFIX)] for c in columns
             if c.endswith(TRUE_SUFFIX) and c[:-len(TRUE_SUFFIX)] + PRED_SUFFIX in columns]
    if not found:
        raise EmoevalError("the table has no <dim>_true/<dim>_pred column pairs (e.g. V_true, "
                           f"V_pred); columns: {', '.join(columns)}")
    return found


def row_errors(table: pd.DataFrame, dims: list[str]) -> pd.Series:
    """The error text of each row ('' when it scores): the given error, else the first
    missing or non-numeric value."""
    given = (table["error"] if "error" in table.columns
             else pd.Series([""] * len(table), index=table.index))
    errors = given.map(lambda v: "" if is_blank(v) else str(v))
    for dim in dims:
        for suffix, what in ((TRUE_SUFFIX, "no target"), (PRED_SUFFIX, "no prediction")):
            column = f"{dim}{suffix}"
            raw = table[column]
            numbers = pd.to_numeric(raw, errors="coerce")
            blank = raw.map(is_blank)
            bad = (~blank) & ~np.isfinite(numbers.fillna(np.nan).astype(float))
            for index in table.index[(errors == "") & blank]:
                errors[index] = f"{what}: {column} is empty"
            for index in table.index[(errors == "") & bad]:
                errors[index] = f"not a number: {column} = {raw[index]!r}"
    return errors


def _headline(metrics: dict[str, dict], ci: dict[str, dict], n_scored: int, n_samples: int,
              n_errors: int) -> str:
    def cell(dim: str) -> str:
        value = metrics[dim]["ccc"]
        interval = ci[dim]["ccc"]
        band = (f" [{interval['low']:.3f}, {interval['high']:.3f}]"
                if interval.get("low") is not None else "")
        return f"{dim} {value:.3f}{band}"

    return (f"CCC {', '.join(cell(d) for d in metrics)}; {n_scored}/{n_samples} scored, "
            f"{n_errors} errors")


def score_dimensional(table: pd.DataFrame, *, labels: list[str] | None = None,
                      slice_by: list[str] | None = None, seed: int = 0,
                      n_resamples: int = 1000, target_cols: list[str] | None = None,
                      pred_range: str | None = None, target_range: str | None = None,
                      invalid_policy: str | None = None) -> tuple[dict, pd.DataFrame]:
    """Score a dimensional predictions table; returns (results part, detailed table).

    ``labels`` is accepted for the common scorer signature and, when given, names the
    dimensions like ``target_cols``. A table of text answers (a ``status`` column, as
    ``evaluate`` writes for an ``llm:`` model) gets ``invalid_policy`` applied to its
    unusable answers (``exclude``, the default, or ``midpoint`` of ``--target-range``) and an
    ``answers`` block.
    """
    if "id" not in table.columns:
        raise EmoevalError("predictions table has no 'id' column")
    check_slice_columns(table, slice_by)
    dims = dimension_names(table, target_cols or labels)
    mapping = range_mapping(pred_range, target_range)
    answers = "status" in table.columns
    policy = DIMENSIONAL_POLICIES.parse(invalid_policy)
    given = table
    if answers:  # text answers (llm:): the policy decides what an unusable answer counts as
        from ..answers.rating_table import apply_answer_policy

        table = apply_answer_policy(table, dims, invalid_policy,
                                    parse_range(target_range, "--target-range"))
    elif invalid_policy is not None:
        raise EmoevalError("--invalid-policy applies to text answers (a table with a status "
                           "column, as evaluate writes for an llm: model)")
    table = table.copy()
    table["id"] = table["id"].astype(str)
    table["error"] = row_errors(table, dims)
    ok = (table["error"] == "").to_numpy()
    scored = table[ok]
    require_scored(len(scored))
    groups, unit = speaker_groups(scored)
    indices = resample_indices(len(scored), groups, n_resamples, seed) if len(scored) > 1 else None
    truth = np.column_stack([scored[f"{d}{TRUE_SUFFIX}"].astype(float).to_numpy() for d in dims])
    predicted = np.column_stack([map_predictions(scored[f"{d}{PRED_SUFFIX}"].astype(float)
                                                 .to_numpy(), mapping) for d in dims])
    metrics, ci, warnings = {}, {}, []
    for j, dim in enumerate(dims):
        y_true, y_pred = truth[:, j], predicted[:, j]
        metrics[dim] = dimension_metrics(y_true, y_pred)
        ci[dim] = bootstrap_dimension_ci(y_true, y_pred, groups=groups, unit=unit,
                                         n_resamples=n_resamples, seed=seed, indices=indices)
        if np.ptp(y_pred) == 0:
            warnings.append(f"{dim}: every prediction is {y_pred[0]:g} (constant): CCC is 0 "
                            "and correlations are undefined")
        if mapping is None and len(y_pred) > 1:
            outside = np.mean((y_pred < y_true.min()) | (y_pred > y_true.max()))
            if outside > 0.5:
                warnings.append(f"{dim}: {outside:.0%} of predictions lie outside the range of "
                                "the targets; if they are on another scale, give --pred-range "
                                "and --target-range")
    slices = mark_small_slices({col: dimension_slice_metrics(truth, predicted, dims,
                                                             scored[col].to_numpy())
                                for col in slice_by or []})
    errors = table[~ok]
    table["kind"] = dimensional_kinds(table)
    policies = {str(policy): policy_entry(flat_metrics(metrics), int(ok.sum()))}
    if answers:  # the same answers under the task's other policies
        from ..answers.rating_table import apply_answer_policy

        for other in DIMENSIONAL_POLICIES.every():
            if other == policy:
                continue
            try:
                again = apply_answer_policy(given, dims, str(other),
                                            parse_range(target_range, "--target-range"))
            except EmoevalError as exc:  # midpoint without the scale: not computable
                policies[str(other)] = policy_entry(None, 0, note=str(exc))
                continue
            policies[str(other)] = policy_figures(again, dims, mapping)
    part = {
        "labels": dims,
        "n_samples": int(len(table)),
        "n_scored": int(ok.sum()),
        "n_errors": int((~ok).sum()),
        "metrics": metrics,
        "ci": ci,
        "metric_names": list(DIMENSIONAL_METRICS),
        "range_mapping": mapping,
        "slices": slices,
        "warnings": warnings,
        "errors": errors_block(errors),
        "coverage": coverage_block(table["kind"]),
        "policies": policies,
        "protocol": scored_protocol(policy, unit, groups, int(len(table)), int(ok.sum())),
    }
    part["headline"] = _headline(metrics, ci, part["n_scored"], part["n_samples"],
                                 part["n_errors"])
    if answers:  # how many answers were usable, and what the others counted as
        from ..answers.rating_table import answer_summary, answers_headline

        part["answers"] = answer_summary(table, invalid_policy)
        part["headline"] += "; " + answers_headline(part["answers"])
    return part, table


def dimensional_kinds(table: pd.DataFrame) -> list[str]:
    """The outcome kind per row: an unusable text answer is unanswered (whatever the policy
    made of it), a row without a target is an input error, else as the error says."""
    kinds = table_kinds(table)
    statuses = table["status"] if "status" in table.columns else [""] * len(table)
    return [INPUT if str(e).startswith("no target") else
            UNANSWERED if str(s) in UNUSABLE_STATUSES else k
            for k, s, e in zip(kinds, statuses, table["error"])]


def flat_metrics(metrics: dict[str, dict]) -> dict[str, float]:
    """``{dim: {metric: v}}`` -> ``{"<dim> <metric>": v}`` (one row of the policies table)."""
    return {f"{dim} {name}": value for dim, values in metrics.items()
            for name, value in values.items()}


def policy_figures(table: pd.DataFrame, dims: list[str], mapping: Any) -> dict[str, Any]:
    """The per-dimension metrics of a table under one policy (no intervals)."""
    table = table.copy()
    table["error"] = row_errors(table, dims)
    scored = table[(table["error"] == "").to_numpy()]
    if scored.empty:
        return policy_entry(None, 0)
    metrics = {d: dimension_metrics(scored[f"{d}{TRUE_SUFFIX}"].astype(float).to_numpy(),
                                    map_predictions(scored[f"{d}{PRED_SUFFIX}"].astype(float)
                                                    .to_numpy(), mapping)) for d in dims}
    return policy_entry(flat_metrics(metrics), len(scored))


def dimensional_table(rows: list, store, model_labels: list[str], dataset_labels: list[str],
                      label_map: dict[str, str | None], unmapped: str,
                      value_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """``evaluate`` on rows with continuous targets: ``id``, ``<D>_true``, ``<D>_pred`` per
    dimension, ``error`` and the metadata, read from the prediction store.

    A regression model's outputs are matched to the dimensions by name
    (:func:`emoeval.dimensional.names.match_dimensions`); a text answer is read by
    :mod:`emoeval.answers.rating_table`, which adds the :data:`ANSWER_COLUMNS` and turns an
    unusable answer into the row's error. ``label_map`` and ``unmapped`` do not apply.
    """
    from ..datasets.base import metadata_keys
    from .names import match_dimensions

    dims = list(dataset_labels)
    meta_keys = metadata_keys(rows)
    records_by_row = [store.records[row.id] for row in rows]
    answers = any(record.text is not None for record in records_by_row)
    outputs = ({} if answers or not any(r.scores for r in records_by_row)
               else match_dimensions(list(model_labels), dims))
    parsed = None
    if answers:
        from ..answers.rating_table import dimensional_answer_columns

        parsed = dimensional_answer_columns([r.text for r in records_by_row],
                                            [r.error for r in records_by_row], dims,
                                            value_range)
    table_rows = []
    for index, (row, record) in enumerate(zip(rows, records_by_row)):
        out: dict[str, Any] = {"id": row.id}
        targets = row.targets or {}
        for dim in dims:
            out[f"{dim}{TRUE_SUFFIX}"] = targets.get(dim, np.nan)
            if parsed is not None:
                out[f"{dim}{PRED_SUFFIX}"] = parsed[f"{dim}{PRED_SUFFIX}"].iloc[index]
            elif record.scores is not None and not record.error:
                out[f"{dim}{PRED_SUFFIX}"] = record.scores.get(outputs[dim], np.nan)
            else:
                out[f"{dim}{PRED_SUFFIX}"] = np.nan
        out["error"] = (parsed["error"].iloc[index] if parsed is not None
                        else record.error or "")
        if parsed is not None:
            for column in ANSWER_COLUMNS:
                out[column] = parsed[column].iloc[index]
        for key in meta_keys:
            out[key] = row.metadata.get(key, "")
        table_rows.append(out)
    columns = [c for d in dims for c in (f"{d}{TRUE_SUFFIX}", f"{d}{PRED_SUFFIX}")]
    columns = ["id", *columns, "error", *(ANSWER_COLUMNS if parsed is not None else []),
               *meta_keys]
    return pd.DataFrame.from_records(table_rows, columns=columns)
