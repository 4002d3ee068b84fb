"""From the input files to one row per sample with its word sets and outcome kind.

Inputs: MER2024's two CSVs (``name,openset``: ``--truth``, ``--predictions``) or one table
with ``id``, ``label`` (the truth set) and ``prediction`` (the predicted set). Outcome kinds
(contracts section 1): an empty or unreadable truth set is ``input``; a failed request
recorded in an ``error`` column, or a sample the synonym source has no answer for, is
``transport``; an empty or unreadable predicted set, or a judge answer that cannot be read
as groups, is ``unanswered`` (scored under the policy); the rest ``ok``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pandas as pd

from ..errors import EmoevalError
from .sets import (SetParseError, is_missing, parse_groups, parse_groups_mer2024, parse_words,
                   parse_words_mer2024)

MER_COLUMNS = ("name", "openset")
OK, UNANSWERED, INPUT, TRANSPORT = "ok", "unanswered", "input", "transport"


def read_mer_csv(path: str, role: str) -> pd.DataFrame:
    if not os.path.isfile(path):
        raise EmoevalError(f"--{role} {path}: no such file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise EmoevalError(f"--{role} {path}: not a readable CSV ({exc})") from None
    missing = [c for c in MER_COLUMNS if c not in table.columns]
    if missing:
        raise EmoevalError(f"--{role} {path}: needs the columns name,openset (MER2024's "
                           f"layout); has {', '.join(map(str, table.columns))}")
    dupes = table["name"][table["name"].duplicated()].unique()
    if len(dupes):
        raise EmoevalError(f"--{role} {path}: duplicate names {', '.join(dupes[:5])}")
    return table


def read_mer_pair(truth: str, predictions: str) -> tuple[pd.DataFrame, list[str]]:
    """MER's truth and prediction CSVs as one ``id, label, prediction`` table (the truth's
    rows and order; a sample the predictions lack has an empty prediction), and warnings."""
    gold, predicted = read_mer_csv(truth, "truth"), read_mer_csv(predictions, "predictions")
    answers = dict(zip(predicted["name"], predicted["openset"]))
    warnings = []
    stray = sorted(set(answers) - set(gold["name"]))
    if stray:
        warnings.append(f"{len(stray)} predictions have no truth row and were ignored "
                        f"(first: {stray[0]})")
    absent = [n for n in gold["name"] if n not in answers]
    if absent:
        warnings.append(f"{len(absent)} samples have no prediction row; they count as empty "
                        f"answers (first: {absent[0]})")
    table = pd.DataFrame({"id": gold["name"].astype(str), "label": gold["openset"],
                          "prediction": [answers.get(n, "") for n in gold["name"]]})
    return table, warnings


def read_words(value: Any, protocol: str) -> tuple[list[str], str]:
    """(words, format) with the protocol's parser; raises SetParseError."""
    if protocol == "mer2024":
        try:
            fmt = parse_words(value)[1]
        except SetParseError:
            fmt = "unreadable"
        return parse_words_mer2024(value), fmt
    return parse_words(value)


def read_groups(text: str, protocol: str) -> list[list[str]]:
    if protocol == "mer2024":
        # MER's rule reads any text; a judge answer without a bracket holds no grouping
        groups = [g for g in parse_groups_mer2024(text) if g] if "[" in str(text) else []
        if not groups:
            raise SetParseError(f"no synonym groups in {str(text)[:80]!r}")
        return groups
    return parse_groups(text)


def parsers_disagree(value: Any) -> bool:
    """Whether the robust and the MER2024 parsers read a cell as different word sets."""
    try:
        mer = {w.lower() for w in parse_words_mer2024(value)}
    except SetParseError:
        mer = None
    try:
        robust = {w.lower() for w in parse_words(value)[0]}
    except SetParseError:
        robust = None
    return mer != robust


def prepare_rows(table: pd.DataFrame, protocol: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parse both sets of every row. Adds ``truth_words``, ``predicted_words`` (lists),
    ``kind`` and ``detail``; returns the table and a parsing summary (formats detected per
    column, rows the two parsers read differently)."""
    for col in ("id", "label", "prediction"):
        if col not in table.columns:
            raise EmoevalError(f"predictions table has no {col!r} column (columns: "
                               f"{', '.join(map(str, table.columns))}); --task open-vocabulary "
                               "needs id, label (truth set), prediction (predicted set), or "
                               "--truth and --predictions")
    rows = table.reset_index(drop=True).copy()
    rows["id"] = rows["id"].astype(str)
    formats = {"label": Counter(), "prediction": Counter()}
    truth_words, predicted_words, kinds, details, disagree = [], [], [], [], []
    errors = rows["error"] if "error" in rows.columns else [None] * len(rows)
    for label, prediction, error in zip(rows["label"], rows["prediction"], errors):
        kind, detail = OK, ""
        try:
            truth, fmt = read_words(label, protocol)
            formats["label"][fmt] += 1
        except SetParseError as exc:
            truth, kind, detail = [], INPUT, f"truth set unreadable: {exc}"
        if kind == OK and not truth:
            kind, detail = INPUT, "empty truth set"
        try:
            predicted, fmt = read_words(prediction, protocol)
            formats["prediction"][fmt] += 1
        except SetParseError as exc:
            predicted = []
            if kind == OK:
                kind, detail = UNANSWERED, f"predicted set unreadable: {exc}"
        if kind == OK and not is_missing(error) and str(error).strip():
            kind, detail = TRANSPORT, str(error).strip()
        if kind == OK and not predicted:
            kind, detail = UNANSWERED, "empty predicted set"
        disagree.append(parsers_disagree(label) or parsers_disagree(prediction))
        truth_words.append(truth)
        predicted_words.append(predicted)
        kinds.append(kind)
        details.append(detail)
    rows["truth_words"], rows["predicted_words"] = truth_words, predicted_words
    rows["kind"], rows["detail"] = kinds, details
    differing = rows.loc[disagree, "id"].tolist()
    summary = {"protocol": protocol,
               "formats": {col: dict(counts) for col, counts in formats.items()},
               "n_parser_disagreements": len(differing),
               "parser_disagreement_ids": differing[:20]}
    return rows, summary


def as_json_list(values: Any) -> str:
    return json.dumps(sorted(values) if isinstance(values, set) else list(values),
                      ensure_ascii=False)
