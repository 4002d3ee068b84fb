"""``emoeval serve``: a classifier behind the contract, hardening, batching, and the
client and server against each other on loopback."""

from __future__ import annotations

import base64
import concurrent.futures as futures
import os

import httpx
import numpy as np
import pandas as pd
import pytest
from builders import write_wav
from loopback import serve

from emoeval.adapters.base import load_adapter
from emoeval.audio import load_audio
from emoeval.serve import create_app
from emoeval.similarity import SimilarityConfig, run_similarity
from emoeval.similarity.pair_scoring import load_pair_scorer

SAD = "Speech audio in which the speaker expresses or conveys Sadness."


def b64(path) -> str:
    return base64.standard_b64encode(open(path, "rb").read()).decode("ascii")


@pytest.fixture(scope="module")
def served(emotion_classifier, tmp_path_factory):
    """A classifier server with a data folder holding a clip, a symlink that leads outside,
    and a clip outside the folder."""
    root = tmp_path_factory.mktemp("served")
    data = root / "data"
    write_wav(data / "Sad" / "clip_a.wav", seconds=0.6, seed=1)
    write_wav(data / "clip_b.wav", seconds=0.5, seed=2)
    outside = write_wav(root / "secret" / "outside.wav", seconds=0.5, seed=3)
    os.symlink(outside, data / "link.wav")
    scorer = load_pair_scorer(f"hf:{emotion_classifier}")
    app = create_app(scorer, data_dir=str(data), max_request_bytes=64_000, max_batch=8,
                     batch_window_ms=150)
    with serve(app) as url:
        yield {"url": url, "data": data, "outside": outside, "root": root}


def post(served, body=None, **kw) -> httpx.Response:
    return httpx.post(served["url"] + "/v1/similarity", json=body, timeout=30, **kw)


def test_classifier_score_is_the_probability_of_the_named_emotion(served, emotion_classifier):
    clip = served["data"] / "Sad" / "clip_a.wav"
    reply = post(served, {"text": SAD, "audio_filename": "clip_a.wav",
                          "audio_base64": b64(clip)})
    assert reply.status_code == 200, reply.text
    adapter = load_adapter(f"hf:{emotion_classifier}")
    probabilities = adapter.predict([load_audio(str(clip), adapter.sampling_rate)])[0]
    assert reply.json()["score"] == pytest.approx(probabilities[adapter.labels.index("sad")],
                                                  abs=1e-5)
    assert reply.json()["emotion"] == "sad" and reply.json()["stem"] == "clip_a"
    by_stem = post(served, {"text": SAD, "audio_stem": "clip_a"})
    assert by_stem.status_code == 200
    assert by_stem.json()["score"] == pytest.approx(reply.json()["score"], abs=1e-5)
    # two emotions named: the sum of both probabilities
    both = post(served, {"text": "conveys Anger / Sadness.", "audio_stem": "clip_a"}).json()
    assert both["score"] == pytest.approx(probabilities[adapter.labels.index("sad")]
                                          + probabilities[adapter.labels.index("ang")], abs=1e-5)
    health = httpx.get(served["url"] + "/health").json()
    assert health["status"] == "ok" and health["response_key"] == "score"


@pytest.mark.parametrize("text,fragment", [
    ("Speech audio in which the speaker expresses or conveys Zorb.", "names no known emotion"),
    ("Speech audio in which the speaker expresses or conveys Fear.", "cannot predict fear"),
    ("   ", "non-empty"),
])
def test_texts_the_model_cannot_score_get_422(served, text, fragment):
    reply = post(served, {"text": text, "audio_stem": "clip_a"})
    assert reply.status_code == 422 and fragment in reply.json()["error"]


def test_bad_requests_get_json_errors(served):
    assert post(served, content=b"{not json",
                headers={"content-type": "application/json"}).status_code == 400
    assert post(served, {"text": SAD, "audio_base64": "@@@ not base64"}).status_code == 400
    garbage = base64.standard_b64encode(b"RIFF\x00\x00\x00\x00WAVEjunk" * 20).decode()
    reply = post(served, {"text": SAD, "audio_filename": "x.wav", "audio_base64": garbage})
    assert reply.status_code == 422 and "undecodable audio" in reply.json()["error"]
    assert post(served, {"text": SAD, "audio_stem": 5}).status_code == 422
    assert post(served, {"text": SAD, "audio_stem": "no_such_clip"}).status_code == 404


def test_oversize_requests_get_413(served, tmp_path):
    big = write_wav(tmp_path / "big.wav", seconds=3.0)  # ~96 kB, over the 64 kB limit
    reply = post(served, {"text": SAD, "audio_filename": "big.wav", "audio_base64": b64(big)})
    assert reply.status_code == 413 and "limit" in reply.json()["error"]

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(10):
            yield b" " * 10_000

    streamed = httpx.post(served["url"] + "/v1/similarity", content=chunks(), timeout=30,
                          headers={"content-type": "application/json"})
    assert streamed.status_code == 413


@pytest.mark.parametrize("body", [
    {"audio_filename": "../secret/outside.wav"},
    {"audio_filename": "Sad/../../secret/outside.wav"},
    {"audio_filename": "/etc/passwd"},
    {"audio_filename": "C:\\Windows\\win.ini"},
    {"audio_filename": "link.wav"},
    {"audio_stem": "../secret/outside"},
])
def test_file_names_never_escape_the_data_folder(served, body):
    reply = post(served, {"text": SAD, **body})
    assert reply.status_code == 403, reply.text
    assert "error" in reply.json()


def test_symlinked_clips_are_not_indexed_by_stem(served):
    # the link inside the folder points outside: its stem is not served either
    reply = post(served, {"text": SAD, "audio_stem": "link"})
    assert reply.status_code == 404


def test_concurrent_requests_are_batched(served):
    body = {"text": SAD, "audio_stem": "clip_b"}
    with futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: post(served, body), range(8)))
    assert all(r.status_code == 200 for r in replies)
    values = {round(r.json()["score"], 6) for r in replies}
    assert len(values) == 1
    assert httpx.get(served["url"] + "/health").json()["largest_batch"] > 1


def test_server_without_data_dir_needs_the_audio(emotion_classifier):
    app = create_app(load_pair_scorer(f"hf:{emotion_classifier}"))
    with serve(app) as url:
        reply = httpx.post(url + "/v1/similarity", json={"text": SAD, "audio_stem": "clip_a"})
    assert reply.status_code == 422 and "--data-dir" in reply.json()["error"]


def test_client_and_server_agree_item_for_item(emolia, emotion_classifier, tmp_path):
    spec = f"hf:{emotion_classifier}"
    base = dict(items=str(emolia["items"]), audio_dir=str(emolia["audio"]), n_resamples=20)
    local = run_similarity(SimilarityConfig(out=str(tmp_path / "local"), model=spec, **base))
    app = create_app(load_pair_scorer(spec), data_dir=str(emolia["audio"]))
    with serve(app) as url:
        remote = run_similarity(SimilarityConfig(out=str(tmp_path / "remote"),
                                                 endpoint=url + "/v1/similarity", **base))
        by_name = run_similarity(SimilarityConfig(out=str(tmp_path / "by_name"),
                                                  endpoint=url + "/v1/similarity",
                                                  send_audio=False, **base))
    tables = {name: pd.read_csv(tmp_path / name / "predictions.csv", dtype=str,
                                keep_default_na=False) for name in ("local", "remote", "by_name")}
    reference = tables["local"]
    assert local["response_keys"] == remote["response_keys"] == ["score"]
    for name in ("remote", "by_name"):
        table = tables[name]
        assert table["ok"].tolist() == reference["ok"].tolist()
        ok = reference["ok"] == "True"
        np.testing.assert_allclose(table.loc[ok, "similarity"].astype(float),
                                   reference.loc[ok, "similarity"].astype(float), atol=1e-5)
    # Fear items: the model has no fear label (422 from the server, the same error locally)
    fear = reference["queried_emotion"] == "Fear"
    assert (reference.loc[fear, "ok"] == "False").all()
    assert reference.loc[fear, "error"].str.contains("cannot predict fear").all()
    assert tables["remote"].loc[fear, "error"].str.startswith("HTTP 422").all()
    assert local["threshold"] == 0.5 and local["mode"] == "local_model"


def test_local_model_records_bad_clips_per_item(emotion_classifier, tmp_path, items_csv):
    audio = tmp_path / "clips"
    write_wav(audio / "good.wav", seconds=0.5)
    (audio / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00not audio at all")
    (audio / "meta_only.json").write_text("{}")  # emolia-bench keeps some clips as json only
    items = items_csv(tmp_path / "items.csv", [
        {"file_name": f"{name}.mp3", "queried_emotion": emotion, "majority_present": present}
        for name in ("good", "corrupt", "meta_only", "absent")
        for emotion, present in (("Sadness", 1), ("Anger", 0))])
    summary = run_similarity(SimilarityConfig(items=str(items), audio_dir=str(audio),
                                              model=f"hf:{emotion_classifier}",
                                              out=str(tmp_path / "run"), n_resamples=10))
    table = pd.read_csv(tmp_path / "run" / "predictions.csv", dtype=str, keep_default_na=False)
    errors = dict(zip(table["file_name"], table["error"]))
    assert errors["good.mp3"] == "" and "unreadable audio file" in errors["corrupt.mp3"]
    assert errors["meta_only.mp3"].startswith("no audio file")
    assert errors["absent.mp3"] == "audio_missing"
    assert summary["errors_by_kind"] == {"audio_unusable": 4, "audio_missing": 2}
    assert summary["rows_evaluated_ok"] == 2
