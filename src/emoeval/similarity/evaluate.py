"""``emoeval similarity``: items -> scores (sham, endpoint or local model) -> decisions ->
metrics against the human majority -> the seed tool's output files.

Decisions: ``present`` when the score >= the threshold. The threshold is a number, or
``tune`` (the balanced-accuracy-optimal threshold on the ``split == dev`` items, after which
only the other items are reported), or by default set by the response key: similarity 0.0,
score 0.5, logit 0.0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from ..http import ClientOptions
from ..metrics.similarity import BINARY_LABELS, binary_metrics, roc_auc, roc_auc_ci
from ..metrics.resampling import Resampling, check_ci_unit, resolve_ci_unit
from ..metrics.stats import bootstrap_ci
from ..metrics.thresholds import best_threshold, parse_threshold
from ..results import SCHEMA_VERSION
from ..store import PredictionStore
from . import backends
from .items import (UNANIMOUS_PREFIX, Item, attach_audio, file_digest, filter_items,
                    read_items)
from .prompts import DEFAULT_TEMPLATE, check_template
from .report import render_report

DEFAULT_THRESHOLDS = {"similarity": 0.0, "score": 0.5, "logit": 0.0}
SLICE_COLUMNS = ("task_type", "polarity", "queried_emotion", "benchmark_bucket")
SLICE_METRICS = ("n", "accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc")
HUMAN_KEYS = ("human_upper_bound_binary", "human_accuracy_binary",
              "human_balanced_accuracy_binary", "human_loo_accuracy_binary",
              "human_loo_balanced_accuracy_binary", "human_loo_n_annotations")
DEV = "dev"


@dataclass
class SimilarityConfig:
    """Everything ``emoeval similarity`` takes, with the CLI's defaults."""

    items: str
    out: str
    audio_dir: str | None = None
    endpoint: str | None = None
    sham: bool = False
    model: str | None = None
    threshold: str | None = None
    prompt_template: str = DEFAULT_TEMPLATE
    min_raters: int | None = None
    exclude_flagged: bool = False
    unanimous_only: bool = False
    limit: int | None = None
    send_audio: bool = True
    client: ClientOptions = field(default_factory=ClientOptions)
    batch_size: int = 8
    human_summary: str | None = None
    seed: int = 0
    n_resamples: int = 1000
    #: what intervals resample: auto (speaker, else audio clip) | sample | <column>
    ci_unit: str = "auto"
    command: str = ""


def read_human_summary(path: str | None) -> dict[str, Any]:
    """The human numbers of the agreement command's summary.json (None where absent)."""
    if not path:
        return {key: None for key in HUMAN_KEYS}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise EmoevalError(f"--human-summary {path}: file not found (the summary.json of "
                           "`emoeval agreement`)") from None
    except (OSError, ValueError) as exc:
        raise EmoevalError(f"--human-summary {path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EmoevalError(f"--human-summary {path}: expected a JSON object")
    numbers = {}
    for key in HUMAN_KEYS:
        value = data.get(key)
        numbers[key] = float(value) if isinstance(value, (int, float)) else None
    if all(v is None for v in numbers.values()):
        raise EmoevalError(f"--human-summary {path} holds none of {', '.join(HUMAN_KEYS)}")
    return numbers


def check_backend(cfg: SimilarityConfig) -> str:
    chosen = [name for name, on in (("endpoint", cfg.endpoint), ("sham", cfg.sham),
                                    ("model", cfg.model)) if on]
    if len(chosen) != 1:
        raise EmoevalError("give exactly one of --endpoint URL, --sham or --model SPEC")
    if cfg.endpoint and not cfg.endpoint.startswith(("http://", "https://")):
        raise EmoevalError(f"--endpoint {cfg.endpoint!r}: give a full http(s) URL, e.g. "
                           "http://127.0.0.1:8765/v1/similarity")
    if cfg.model and not cfg.audio_dir:
        raise EmoevalError("--model reads the audio: give --audio-dir")
    if cfg.endpoint and cfg.send_audio and not cfg.audio_dir:
        raise EmoevalError("--endpoint sends the audio: give --audio-dir, or --no-audio-send "
                           "when the server reads its own files")
    if cfg.limit is not None and cfg.limit < 1:
        raise EmoevalError(f"--limit {cfg.limit}: give a positive number")
    return chosen[0]


def select_items(cfg: SimilarityConfig) -> list[Item]:
    from ..selection import stratified_limit

    check_template(cfg.prompt_template)
    items = read_items(cfg.items, cfg.prompt_template)
    columns = list(items[0].columns)
    # before any scoring: a --ci-unit naming no item column is a one-line error
    check_ci_unit(cfg.ci_unit, [*columns, "stem"])
    items = filter_items(items, min_raters=cfg.min_raters, exclude_flagged=cfg.exclude_flagged,
                         unanimous_only=cfg.unanimous_only, columns=columns)
    if not items:
        raise EmoevalError(f"no items left in {cfg.items} after the filters")
    items = stratified_limit(items, cfg.limit, cfg.seed)
    attach_audio(items, cfg.audio_dir)
    return items


def check_tuning(items: list[Item]) -> None:
    """``--threshold tune`` needs dev items to tune on and other items to report."""
    dev = [i for i in items if i.split == DEV and not i.is_tie]
    if not dev:
        raise EmoevalError("--threshold tune tunes on items with split == dev and there are "
                           "none; add a split column (e.g. `emoeval similarity-items` writes "
                           "one) or give a fixed --threshold")
    if not [i for i in items if i.split != DEV and not i.is_tie]:
        raise EmoevalError("--threshold tune: every item is in split dev, so nothing would be "
                           "reported; keep some items out of dev")


def store_manifest(cfg: SimilarityConfig, backend: str, backend_fingerprint: str
                   ) -> dict[str, Any]:
    # the decision threshold is not part of the key: re-thresholding never re-scores
    identity = json.dumps({"backend": backend, "model": backend_fingerprint,
                           "template": cfg.prompt_template, "send_audio": cfg.send_audio},
                          sort_keys=True)
    return {"model_spec": cfg.endpoint or cfg.model or "sham",
            "model_fingerprint": hashlib.sha256(identity.encode()).hexdigest()[:16],
            "dataset_spec": os.path.abspath(cfg.items),
            "dataset_fingerprint": file_digest(cfg.items)}


def predictions_table(items: list[Item], store: PredictionStore) -> pd.DataFrame:
    records = []
    for item in items:
        record = store.records.get(item.id)
        scores = record.scores if record is not None and not record.error else None
        key, value = next(iter(scores.items())) if scores else (None, np.nan)
        records.append({**item.columns, "audio_path": item.audio_path or "",
                        "prompt": item.prompt,
                        "similarity": np.nan if value is None else float(value),
                        "response_key": key or "",
                        "ok": scores is not None and value is not None,
                        "error": "" if scores else (record.error if record else "not scored"),
                        "item_id": item.id, "tie": item.is_tie,
                        "majority_present_binary": item.majority_present,
                        "split_name": item.split or "", "bucket": item.bucket,
                        "stem": item.stem})
    return pd.DataFrame.from_records(records)


def decide_threshold(table: pd.DataFrame, spec: str | None) -> tuple[pd.Series, dict]:
    """Per-row threshold and a description of how it was chosen."""
    keys = sorted(set(table.loc[table["ok"], "response_key"]))
    if spec is None or spec == "":
        thresholds = table["response_key"].map(DEFAULT_THRESHOLDS).fillna(0.0)
        value = DEFAULT_THRESHOLDS[keys[0]] if len(keys) == 1 else None
        return thresholds, {"threshold": value, "threshold_strategy": "default for "
                            + (", ".join(keys) or "similarity"), "threshold_tuned_on": None}
    strategy = parse_threshold(spec, allowed=("fixed", "tune"))
    if strategy.kind == "fixed":
        return (pd.Series(strategy.value, index=table.index),
                {"threshold": strategy.value, "threshold_strategy": "fixed",
                 "threshold_tuned_on": None})
    if len(keys) > 1:
        raise EmoevalError(f"--threshold tune: the responses mix keys ({', '.join(keys)}); "
                           "one threshold cannot serve both")
    dev = table[table["ok"] & ~table["tie"] & (table["split_name"] == DEV)]
    truth = dev["majority_present_binary"].astype(int).to_numpy()
    if dev.empty or truth.min() == truth.max():
        raise EmoevalError("--threshold tune: the dev items that were scored hold "
                           f"{len(dev)} rows and not both classes; cannot tune")
    value = best_threshold(truth, dev["similarity"].to_numpy(dtype=float),
                           objective="balanced_accuracy")
    dev_pred = (dev["similarity"].to_numpy(dtype=float) >= value).astype(int)
    return (pd.Series(value, index=table.index),
            {"threshold": value, "threshold_strategy": "tuned",
             "threshold_tuned_on": {"split": DEV, "n": int(len(dev)),
                                    "balanced_accuracy_dev":
                                        binary_metrics(truth, dev_pred)["balanced_accuracy"]}})


#: ``--ci-unit auto``: the speaker when every item names one, else the audio clip (the
#: items of one clip share its audio, so they are not independent)
AUTO_UNITS = {"speaker": "speaker", "stem": "audio clip"}


def resampling_of(rows: pd.DataFrame, ci_unit: str = "auto") -> Resampling:
    """What the intervals of ``rows`` resample (see :mod:`emoeval.metrics.resampling`)."""
    if "speaker" in rows.columns:  # a blank speaker is an unknown one, not a shared one
        rows = rows.assign(speaker=rows["speaker"].map(
            lambda v: None if v is None or not str(v).strip() or str(v) == "nan" else v))
    return resolve_ci_unit(rows, ci_unit, auto_units=AUTO_UNITS)


def metric_block(rows: pd.DataFrame, *, seed: int, n_resamples: int,
                 with_ci: bool, ci_unit: str = "auto") -> dict[str, Any]:
    truth = rows["majority_present_binary"].astype(int).to_numpy()
    predicted = rows["pred_present"].astype(int).to_numpy()
    scores = rows["similarity"].to_numpy(dtype=float)
    block: dict[str, Any] = binary_metrics(truth, predicted)
    block["roc_auc"] = roc_auc(truth, scores) if len(rows) else float("nan")
    if with_ci:
        groups, unit, n_groups = resampling_of(rows, ci_unit)
        names = np.array(BINARY_LABELS)
        intervals = bootstrap_ci(names[truth], names[predicted], BINARY_LABELS, groups=groups,
                                 n_resamples=n_resamples, seed=seed, unit=unit)
        block["ci"] = {"balanced_accuracy": intervals["balanced_accuracy"],
                       "accuracy": intervals["accuracy"],
                       "roc_auc": roc_auc_ci(truth, scores, groups=groups,
                                             n_resamples=n_resamples, seed=seed, unit=unit)}
        for interval in block["ci"].values():
            interval["n_groups"] = n_groups
    return block


def slice_table(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    parts = []
    for value, group in rows.groupby(column, sort=True):
        block = metric_block(group, seed=0, n_resamples=1, with_ci=False)
        parts.append({column: value, **{k: block[k] for k in SLICE_METRICS}})
    return pd.DataFrame(parts, columns=[column, *SLICE_METRICS])


def run_similarity(cfg: SimilarityConfig, on_progress: Callable[[int, int], None] | None = None
                   ) -> dict[str, Any]:
    """Run the benchmark into ``cfg.out``; resumes from the store there. Returns summary.json."""
    from ..results_io import run_block, strict_json

    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    backend = check_backend(cfg)
    if cfg.threshold not in (None, ""):
        parse_threshold(cfg.threshold, allowed=("fixed", "tune"))  # fail before scoring
    items = select_items(cfg)
    tuning = str(cfg.threshold or "").strip().lower() == "tune"
    if tuning:
        check_tuning(items)
    human = read_human_summary(cfg.human_summary)
    scorer = None
    if backend == "model":
        from .pair_scoring import load_pair_scorer

        scorer = load_pair_scorer(cfg.model, batch_size=cfg.batch_size)
        fingerprint = scorer.fingerprint()
    else:
        fingerprint = cfg.endpoint or "sham-v1"
    manifest = store_manifest(cfg, backend, fingerprint)
    with PredictionStore(cfg.out, manifest) as store:
        done = [len(items) - len(backends.items_to_score(items, store))]

        def progress(n: int) -> None:
            done[0] += n
            if on_progress:
                on_progress(done[0], len(items))

        progress(0)
        if backend == "sham":
            backends.score_sham(items, store, cfg.audio_dir, progress)
        elif backend == "endpoint":
            backends.score_endpoint(items, store, cfg.endpoint, cfg.client,
                                    audio_dir=cfg.audio_dir, send_audio=cfg.send_audio,
                                    on_progress=progress)
        else:
            backends.score_model(items, store, scorer, cfg.batch_size, progress)
        table = predictions_table(items, store)
    thresholds, threshold_info = decide_threshold(table, cfg.threshold)
    ok = table["ok"]
    decisions = (table["similarity"] >= thresholds).astype(int)
    table["pred_present"] = [int(d) if good else "" for d, good in zip(decisions, ok)]
    headline_mask = ok & ~table["tie"]
    if tuning:
        headline_mask &= table["split_name"] != DEV
    table["in_headline"] = headline_mask
    headline = table[headline_mask].copy()
    headline["pred_present"] = headline["pred_present"].astype(int)
    unanimous = headline[headline["bucket"].str.startswith(UNANIMOUS_PREFIX)]
    summary = summarise(cfg, backend, table, headline, unanimous, threshold_info, human)
    summary["run"] = run_block(cfg.command, started, t0)
    write_outputs(cfg.out, table, headline, summary)
    return strict_json(summary)


def summarise(cfg: SimilarityConfig, backend: str, table: pd.DataFrame, headline: pd.DataFrame,
              unanimous: pd.DataFrame, threshold_info: dict, human: dict) -> dict[str, Any]:
    errors = table.loc[~table["ok"], "error"].map(backends.error_kind).value_counts()
    missing = int(errors.get("audio_missing", 0))
    positive_rate = float(headline["majority_present_binary"].mean()) if len(headline) else 0.5
    overall = metric_block(headline, seed=cfg.seed, n_resamples=cfg.n_resamples, with_ci=True,
                           ci_unit=cfg.ci_unit)
    scores = table.loc[table["ok"], "similarity"].to_numpy(dtype=float)
    ratio = {}
    for name, key in (("headline_over_human_upper_bound", "human_upper_bound_binary"),
                      ("headline_over_human_loo_balanced_accuracy",
                       "human_loo_balanced_accuracy_binary")):
        ratio[name] = (overall["balanced_accuracy"] / human[key]
                       if human.get(key) and len(headline) else None)
    slices = [c for c in SLICE_COLUMNS if c in table.columns]
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "mode": {"sham": "sham_hash", "endpoint": "remote", "model": "local_model"}[backend],
        "endpoint": cfg.endpoint, "model": cfg.model,
        **threshold_info,
        "response_keys": sorted(set(table.loc[table["ok"], "response_key"])),
        "rows_total": int(len(table)),
        "rows_evaluated_ok": int(table["ok"].sum()),
        "missing_audio": missing,
        "evaluation_errors": int((~table["ok"]).sum()) - missing,
        "errors_by_kind": {str(k): int(v) for k, v in errors.items()},
        "ties": int(table["tie"].sum()),
        "rows_in_headline": int(len(headline)),
        "reported_rows": ("items outside split dev, ties left out"
                          if threshold_info["threshold_strategy"] == "tuned"
                          else "all items, ties left out"),
        "majority_present_rate": positive_rate,
        "majority_baseline": max(positive_rate, 1.0 - positive_rate),
        **human,
        **ratio,
        "labels_path": os.path.abspath(cfg.items),
        "audio_dir": os.path.abspath(cfg.audio_dir) if cfg.audio_dir else None,
        "prompt_template": cfg.prompt_template,
        "filters": {"min_raters": cfg.min_raters, "exclude_flagged": cfg.exclude_flagged,
                    "unanimous_only": cfg.unanimous_only, "limit": cfg.limit,
                    "send_audio": cfg.send_audio},
        "similarity_distribution": ({"min": float(scores.min()),
                                     "median": float(np.median(scores)),
                                     "max": float(scores.max())} if scores.size else None),
        "overall": overall,
        "unanimous_subset": metric_block(unanimous, seed=cfg.seed, n_resamples=cfg.n_resamples,
                                         with_ci=True, ci_unit=cfg.ci_unit),
        "slices": slices,
    }
    for column in slices:
        summary[f"by_{column}"] = (slice_table(headline, column).to_dict(orient="records")
                                   if len(headline) else [])
    return summary


#: helper columns of the predictions table that stay out of predictions.csv
INTERNAL_COLUMNS = ("majority_present_binary", "split_name", "bucket", "stem")


def write_outputs(out: str, table: pd.DataFrame, headline: pd.DataFrame,
                  summary: dict[str, Any]) -> None:
    from ..results_io import strict_json, write_csv, write_json, write_text

    os.makedirs(out, exist_ok=True)
    leading = [c for c in table.columns if c not in INTERNAL_COLUMNS and c not in (
        "audio_path", "prompt", "similarity", "pred_present", "ok", "error", "response_key",
        "item_id", "tie", "in_headline")]
    ordered = [*leading, "audio_path", "prompt", "similarity", "pred_present", "ok", "error",
               "response_key", "item_id", "tie", "in_headline"]
    write_csv(os.path.join(out, "predictions.csv"), table[ordered])
    for column in summary["slices"]:
        rows = summary.get(f"by_{column}") or []
        if rows:
            write_csv(os.path.join(out, f"metrics_by_{column}.csv"),
                      pd.DataFrame(rows, columns=[column, *SLICE_METRICS]))
    clean = strict_json(summary)
    write_json(os.path.join(out, "summary.json"), clean)
    write_text(os.path.join(out, "report.md"), render_report(clean))
