"""A table of rating answers: the answer columns of a dimensional detailed table, the
unanswered policy applied to them, and the ``answers`` block of results.json.

Under ``exclude`` an unusable answer's ``<D>_pred`` cells are empty and its ``error`` says
``unusable answer (<status>): <detail>``, so the dimensional scorer leaves the row out and
counts it by that kind; under ``midpoint`` every ``<D>_pred`` is the middle of the scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from .policies import DIMENSIONAL_POLICIES, EXCLUDE, FLAG, MIDPOINT
from .ratings import PIPELINE_VERSION, STATUSES, STEPS, UNUSABLE, parse_dimension_answer
from .statuses import OK, UNANSWERED
from .text import as_text, is_blank, shorten

PRED_SUFFIX = "_pred"
#: the error text of an unusable answer under ``exclude``; its part before ":" is the
#: error kind results.json counts (``unusable answer (incomplete)``)
UNUSABLE_ERROR = "unusable answer ({status}): {detail}"
MAX_UNUSABLE_LISTED = 100


def parse_answer_policy(text: str | None) -> str:
    """``exclude`` (default) or ``midpoint``: what an unusable rating answer counts as."""
    return str(DIMENSIONAL_POLICIES.parse(text))


def dimensional_answer_columns(texts: Sequence[Any], errors: Sequence[Any],
                               dimensions: Sequence[str],
                               value_range: tuple[float, float] | None = None,
                               policy: str | None = None) -> pd.DataFrame:
    """The answer columns of a dimensional detailed table, one row per answer in input
    order (index 0..n-1): ``response``, ``status``, ``extracted``, ``status_detail``,
    ``<D>_pred`` per dimension and ``error``, with ``policy`` applied
    (:func:`apply_answer_policy`): scoring them with ``score_dimensional`` leaves exactly
    the failed requests (and, under ``exclude``, the unusable answers) out.

    ``texts``: the answers (None where the request failed); ``errors``: the failure per
    answer (None or "" where it was answered).
    """
    if len(texts) != len(errors):
        raise ValueError(f"{len(texts)} answers but {len(errors)} error cells")
    dimensions = list(dimensions)
    answers = [parse_dimension_answer(text, dimensions, value_range, error=error)
               for text, error in zip(texts, errors)]
    table = pd.DataFrame({
        "response": [as_text(t) if not isinstance(t, BaseException) else "" for t in texts],
        "status": [a.status for a in answers],
        "extracted": [a.extracted for a in answers],
        "status_detail": [a.detail for a in answers],
    })
    for dimension in dimensions:
        table[f"{dimension}{PRED_SUFFIX}"] = [
            a.values[dimension] if a.values is not None else np.nan for a in answers]
    table["error"] = [a.detail.removeprefix("transport: ") if a.status == "error" else ""
                      for a in answers]
    return apply_answer_policy(table, dimensions, policy, value_range)


def apply_answer_policy(table: pd.DataFrame, dimensions: Sequence[str], policy: str | None,
                        value_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """A copy of ``table`` (``status``, ``<D>_pred``, ``error``; ``status_detail`` when
    there) with the unusable answers' predictions and errors set by ``policy``:

    * ``exclude``: ``<D>_pred`` empty and ``error`` = ``unusable answer (<status>):
      <detail>``, so the scorer leaves the row out and counts it by that kind;
    * ``midpoint``: every ``<D>_pred`` is the middle of ``value_range`` and ``error`` empty.

    Rows with status ``valid`` or ``error`` are left as they are, so applying a policy to a
    table written under another one (a detailed_results.csv) gives the same table as
    reading the answers under it.
    """
    policy = DIMENSIONAL_POLICIES.parse(policy)
    missing = [c for c in ("status", *(f"{d}{PRED_SUFFIX}" for d in dimensions))
               if c not in table.columns]
    if missing:
        raise EmoevalError(f"the answer table lacks columns {', '.join(missing)}")
    table = table.copy()
    errors = table["error"] if "error" in table.columns else pd.Series("", index=table.index)
    table["error"] = errors.map(lambda v: "" if is_blank(v) else str(v)).astype(object)
    unusable = table["status"].isin(UNUSABLE).to_numpy()
    if not unusable.any():
        return table
    # every other row keeps its cells (a valid answer, or a failed request and its error)
    outcome = policy.apply(np.where(unusable, UNANSWERED, OK))
    if policy.name == MIDPOINT:
        if value_range is None:
            raise EmoevalError(f"{FLAG} midpoint needs the scale of the ratings; "
                               "give it with --target-range lo,hi (e.g. --target-range 1,5)")
        middle = (float(value_range[0]) + float(value_range[1])) / 2
        for dimension in dimensions:
            table[f"{dimension}{PRED_SUFFIX}"] = table[f"{dimension}{PRED_SUFFIX}"].astype(object)
            table.loc[outcome.substituted, f"{dimension}{PRED_SUFFIX}"] = middle
        table.loc[outcome.substituted, "error"] = ""
        return table
    excluded = outcome.excluded
    details = (table["status_detail"] if "status_detail" in table.columns
               else pd.Series([""] * len(table), index=table.index))
    for dimension in dimensions:
        table[f"{dimension}{PRED_SUFFIX}"] = table[f"{dimension}{PRED_SUFFIX}"].astype(object)
        table.loc[excluded, f"{dimension}{PRED_SUFFIX}"] = np.nan
    table.loc[excluded, "error"] = [
        UNUSABLE_ERROR.format(status=s, detail=d if not is_blank(d) else s)
        for s, d in zip(table.loc[excluded, "status"], details[excluded])]
    return table


def answer_summary(table: pd.DataFrame, policy: str | None = None) -> dict[str, Any]:
    """results.json ``answers``: the pipeline, the count per status, the valid-answer rate
    (valid answers over answers received; failed requests are no answer) and the unusable
    answers (id, status, detail, response; the first :data:`MAX_UNUSABLE_LISTED` in table
    order, all of them in detailed_results.csv).

    ``table``: ``id``, ``status``; ``status_detail`` and ``response`` when there.
    """
    policy = parse_answer_policy(policy)
    statuses = table["status"].astype(str)
    by_status = {s: int((statuses == s).sum()) for s in STATUSES}
    n_answers = int(len(table)) - by_status["error"]
    rows = table[statuses.isin(UNUSABLE).to_numpy()]
    listed = []
    for _, row in rows.head(MAX_UNUSABLE_LISTED).iterrows():
        listed.append({"id": str(row["id"]), "status": row["status"],
                       "detail": str(row.get("status_detail", "") or ""),
                       "response": shorten(" ".join(str(row.get("response", "") or "").split()))})
    return {
        "pipeline": PIPELINE_VERSION,
        "steps": list(STEPS),
        "statuses": list(STATUSES),
        "policy": policy,
        "by_status": by_status,
        "n_answers": n_answers,
        "n_unusable": int(len(rows)),
        "valid_answer_rate": by_status["valid"] / n_answers if n_answers else None,
        "unusable": listed,
    }


def account_answers(answers: Iterable[tuple[str, Any]], dimensions: Sequence[str],
                    value_range: tuple[float, float] | None = None,
                    policy: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``(id, answer text or the exception of a failed request)`` pairs -> the answer
    columns with ``id`` first (:func:`dimensional_answer_columns`) and their
    :func:`answer_summary`."""
    pairs = list(answers)
    ids = [str(i) for i, _ in pairs]
    texts = [None if isinstance(a, BaseException) else a for _, a in pairs]
    errors = [str(a) if isinstance(a, BaseException) else None for _, a in pairs]
    table = dimensional_answer_columns(texts, errors, dimensions, value_range, policy)
    table.insert(0, "id", ids)
    return table, answer_summary(table, policy)


def answers_headline(summary: dict[str, Any]) -> str:
    """``valid answers 95/100 (95.0%), unusable 5 (incomplete 3, ambiguous 2) excluded``."""
    by_status = summary["by_status"]
    rate = summary["valid_answer_rate"]
    shown = f" ({100 * rate:.1f}%)" if rate is not None else ""
    kinds = ", ".join(f"{s} {by_status[s]}" for s in UNUSABLE if by_status[s])
    treated = "excluded" if summary["policy"] == EXCLUDE else "rated the midpoint"
    unusable = f"unusable {summary['n_unusable']}" + (f" ({kinds}) {treated}" if kinds else "")
    return f"valid answers {by_status['valid']}/{summary['n_answers']}{shown}, {unusable}"
