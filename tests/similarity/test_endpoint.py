"""The client against real loopback servers: faults, resume, thresholds, outputs."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from loopback import serve
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                             precision_score, recall_score, roc_auc_score)

from emoeval.errors import EmoevalError
from emoeval.http import ClientOptions
from emoeval.similarity import SimilarityConfig, run_similarity


def clip_number(body: dict) -> int:
    stem = body.get("audio_stem") or body["audio_filename"].rsplit(".", 1)[0]
    return int(stem[4:9])


def faulty_app(counts: Counter, fail_first: set[int] = frozenset()) -> FastAPI:
    """Clip 0: 500s; 1: too slow; 2: no score key; 3: NaN; 4: not JSON; 5: a list;
    6: a string score; others a valid {"score"}. Clips in ``fail_first`` fail once (503)."""
    app = FastAPI()

    @app.post("/v1/similarity")
    async def similarity(request: Request):
        body = await request.json()
        clip = clip_number(body)
        counts[(clip, body["text"])] += 1
        if clip in fail_first and counts[(clip, body["text"])] == 1:
            return JSONResponse({"error": "warming up"}, status_code=503)
        if clip == 0:
            return JSONResponse({"error": "model crashed"}, status_code=500)
        if clip == 1:
            await asyncio.sleep(1.5)
        if clip == 2:
            return {"probability": 0.3}
        if clip == 3:
            return Response('{"similarity": NaN}', media_type="application/json")
        if clip == 4:
            return PlainTextResponse("hello")
        if clip == 5:
            return JSONResponse([0.5])
        if clip == 6:
            return {"score": "high"}
        return {"score": (clip * 7 + len(body["text"])) % 10 / 10}

    return app


def options(**kw) -> ClientOptions:
    return ClientOptions(**{"concurrency": 4, "timeout": 0.5, "retries": 0, "backoff": 0, **kw})


def test_faulty_server_errors_are_recorded_per_item_and_counted(emolia, tmp_path):
    counts: Counter = Counter()
    with serve(faulty_app(counts)) as url:
        summary = run_similarity(SimilarityConfig(
            items=str(emolia["items"]), audio_dir=str(emolia["audio"]),
            endpoint=url + "/v1/similarity", out=str(tmp_path / "run"), client=options()))
    table = pd.read_csv(tmp_path / "run" / "predictions.csv", dtype=str, keep_default_na=False)
    by_clip = {int(r.file_name[4:9]): r for r in table.itertuples()}
    assert by_clip[0].error.startswith("HTTP 500")
    assert by_clip[1].error.startswith("timeout")
    assert "missing similarity/score/logit" in by_clip[2].error
    assert by_clip[3].error.startswith("non-finite")
    assert by_clip[4].error == "response is not valid JSON"
    assert "expected a JSON object" in by_clip[5].error
    assert "not a number" in by_clip[6].error
    assert by_clip[9999].error == "audio_missing"
    kinds = summary["errors_by_kind"]
    assert kinds == {"http_status": 2, "timeout": 3, "malformed_response": 8, "non_finite": 2,
                     "audio_missing": 1}
    assert summary["missing_audio"] == 1 and summary["evaluation_errors"] == 15
    assert summary["rows_evaluated_ok"] == len(table) - 16
    # "score" answers: the default threshold is 0.5
    assert summary["threshold"] == 0.5 and summary["response_keys"] == ["score"]
    ok = table[table["ok"] == "True"]
    assert len(ok) == 10
    assert (ok["pred_present"].astype(int) == (ok["similarity"].astype(float) >= 0.5)).all()


def test_rerun_resumes_and_retries_only_failures(emolia, tmp_path):
    counts: Counter = Counter()
    base = dict(items=str(emolia["items"]), audio_dir=str(emolia["audio"]),
                out=str(tmp_path / "run"), client=options(timeout=5))
    with serve(faulty_app(counts, fail_first={8, 9})) as url:
        cfg = dict(base, endpoint=url + "/v1/similarity")
        limited = run_similarity(SimilarityConfig(limit=6, **cfg))
        sent_limited = 6 - limited["missing_audio"]  # a missing clip is never sent
        assert sum(counts.values()) == sent_limited
        full = run_similarity(SimilarityConfig(**cfg))
        # 25 items have audio: the run asks only for those not already answered
        assert sum(counts.values()) == sent_limited + 25 - limited["rows_evaluated_ok"]
        before = sum(counts.values())
        again = run_similarity(SimilarityConfig(**cfg))
    # a rerun asks again for exactly the items that failed, and nothing else
    assert sum(counts.values()) - before == full["evaluation_errors"]
    warmed_up = (pd.read_csv(tmp_path / "run" / "predictions.csv", dtype=str, keep_default_na=False)
                 ["file_name"].str[4:9].astype(int).isin([8, 9])).sum()
    assert max(v for (clip, _), v in counts.items() if clip in (8, 9)) == 2
    assert all(v == 1 for (clip, _), v in counts.items() if clip not in (0, 2, 3, 4, 5, 6, 8, 9))
    assert again["rows_evaluated_ok"] == 25 - 12 and warmed_up == 4
    assert "HTTP 503" not in (tmp_path / "run" / "predictions.csv").read_text()
    with pytest.raises(EmoevalError, match="already holds predictions"):
        run_similarity(SimilarityConfig(**dict(base, sham=True)))


def test_outputs_match_sklearn_and_follow_the_seed_layout(emolia, tmp_path, human_summary):
    out = tmp_path / "sham"
    summary = run_similarity(SimilarityConfig(
        items=str(emolia["items"]), audio_dir=str(emolia["audio"]), sham=True, out=str(out),
        human_summary=str(human_summary), n_resamples=200))
    table = pd.read_csv(out / "predictions.csv", dtype=str, keep_default_na=False)
    for column in ("file_name", "queried_emotion", "task_type", "benchmark_bucket", "prompt",
                   "similarity", "pred_present", "ok", "error"):
        assert column in table.columns
    headline = table[table["in_headline"] == "True"]
    truth = headline["majority_present"].astype(int)
    predicted = headline["pred_present"].astype(int)
    scores = headline["similarity"].astype(float)
    overall = summary["overall"]
    assert overall["n"] == len(headline) == len(table) - 2  # missing clip and tie left out
    assert overall["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(truth,
                                                                                 predicted))
    assert overall["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert overall["precision"] == pytest.approx(precision_score(truth, predicted,
                                                                 zero_division=0))
    assert overall["recall"] == pytest.approx(recall_score(truth, predicted))
    assert overall["f1"] == pytest.approx(f1_score(truth, predicted))
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(truth, scores))
    assert overall["ci"]["balanced_accuracy"]["unit"] == "audio clip"
    unanimous = headline[headline["benchmark_bucket"].str.startswith("unanimous_")]
    assert summary["unanimous_subset"]["n"] == len(unanimous)
    assert summary["unanimous_subset"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(unanimous["majority_present"].astype(int),
                                unanimous["pred_present"].astype(int)))
    by_task = pd.read_csv(out / "metrics_by_task_type.csv")
    assert list(by_task.columns[:5]) == ["task_type", "n", "accuracy", "balanced_accuracy",
                                         "f1"]
    for row in by_task.itertuples():
        part = headline[headline["task_type"] == row.task_type]
        assert row.n == len(part)
        assert row.accuracy == pytest.approx(accuracy_score(part["majority_present"].astype(int),
                                                            part["pred_present"].astype(int)))
    for name in ("metrics_by_benchmark_bucket.csv", "metrics_by_queried_emotion.csv",
                 "summary.json", "report.md"):
        assert (out / name).is_file()
    # the human ceiling beside the score
    assert summary["headline_over_human_upper_bound"] == pytest.approx(
        overall["balanced_accuracy"] / 0.62)
    assert summary["headline_over_human_loo_balanced_accuracy"] == pytest.approx(
        overall["balanced_accuracy"] / 0.64)
    report = (out / "report.md").read_text()
    lines = report.splitlines()
    assert lines[2] == "## Score rubric (read me first)"
    assert "## Score rubric (recap" in report and lines[-1].startswith("| Excellent | ≥ 0.85")
    assert "| Pairwise (rater A vs rater B on shared items) | 0.620 | 0.600 |" in report
    saved = json.loads((out / "summary.json").read_text())
    assert saved["overall"]["n"] == overall["n"] and saved["ties"] == 1


def test_threshold_tune_uses_dev_only_and_reports_the_rest(emolia, tmp_path):
    out = tmp_path / "tuned"
    summary = run_similarity(SimilarityConfig(
        items=str(emolia["items"]), audio_dir=str(emolia["audio"]), sham=True, out=str(out),
        threshold="tune", n_resamples=50))
    table = pd.read_csv(out / "predictions.csv", dtype=str, keep_default_na=False)
    assert summary["threshold_strategy"] == "tuned"
    headline = table[table["in_headline"] == "True"]
    assert (headline["split"] != "dev").all() and len(headline) == summary["overall"]["n"]
    # the tuned threshold is optimal on dev: no cut does better (brute force with sklearn)
    dev = table[(table["split"] == "dev") & (table["ok"] == "True") & (table["tie"] == "False")]
    truth, scores = dev["majority_present"].astype(int), dev["similarity"].astype(float)
    best = max(balanced_accuracy_score(truth, scores >= cut)
               for cut in np.concatenate([scores.to_numpy(), [np.inf]]))
    assert balanced_accuracy_score(truth, scores >= summary["threshold"]) == pytest.approx(best)
    assert summary["threshold_tuned_on"]["n"] == len(dev)


def test_threshold_errors(emolia, tmp_path, items_csv):
    no_split = items_csv(tmp_path / "items.csv", [
        {k: v for k, v in row.items() if k != "split"} for row in emolia["rows"]])
    base = dict(audio_dir=str(emolia["audio"]), sham=True, out=str(tmp_path / "x"))
    with pytest.raises(EmoevalError, match="split == dev"):
        run_similarity(SimilarityConfig(items=str(no_split), threshold="tune", **base))
    all_dev = items_csv(tmp_path / "dev.csv", [dict(row, split="dev") for row in emolia["rows"]])
    with pytest.raises(EmoevalError, match="nothing would be reported"):
        run_similarity(SimilarityConfig(items=str(all_dev), threshold="tune", **base))
    with pytest.raises(EmoevalError, match="--threshold"):
        run_similarity(SimilarityConfig(items=str(emolia["items"]), threshold="per-class",
                                        **base))
    fixed = run_similarity(SimilarityConfig(items=str(emolia["items"]), threshold="0.3",
                                            **dict(base, out=str(tmp_path / "fixed"))))
    table = pd.read_csv(tmp_path / "fixed" / "predictions.csv", dtype=str, keep_default_na=False)
    ok = table[table["ok"] == "True"]
    assert len(ok) == 25 and fixed["threshold"] == 0.3
    assert (ok["pred_present"].astype(int) == (ok["similarity"].astype(float) >= 0.3)).all()


def test_filters_and_limit_reach_the_run(emolia, tmp_path):
    summary = run_similarity(SimilarityConfig(
        items=str(emolia["items"]), audio_dir=str(emolia["audio"]), sham=True,
        out=str(tmp_path / "u"), unanimous_only=True, min_raters=3, exclude_flagged=True,
        n_resamples=20))
    table = pd.read_csv(tmp_path / "u" / "predictions.csv", dtype=str, keep_default_na=False)
    assert table["benchmark_bucket"].str.startswith("unanimous_").all()
    assert (table["n_raters"].astype(int) >= 3).all() and (table["flagged"] == "false").all()
    assert summary["unanimous_subset"]["n"] == summary["overall"]["n"]
    limited = run_similarity(SimilarityConfig(
        items=str(emolia["items"]), audio_dir=str(emolia["audio"]), sham=True,
        out=str(tmp_path / "l"), limit=10, n_resamples=20))
    assert limited["rows_total"] == 10
