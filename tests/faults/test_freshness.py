"""Issue 17, failure 2: changed inputs kept stale results, and failures were never asked again.

Each record carries a digest of its input; a rerun predicts a sample again when its input
changed and counts it. Failed requests (kind ``transport``) are asked again under every
engine (one resume rule), ``--retry-errors`` also re-asks ``unanswered`` records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from types import SimpleNamespace

from typer.testing import CliRunner

from emoeval import freshness
from emoeval.adapters.base import load_adapter
from emoeval.cli import app
from emoeval.datasets.base import Row
from emoeval.engines import ray_engine
from emoeval.freshness import plan_resume
from emoeval.runner import predict_prepared
from emoeval.store import PredictionStore, Record

LOUDNESS_MODEL = (
    "import numpy as np\n"
    "def predict(clips):\n"
    "    return [{'angry': float(np.abs(c).mean()), 'sad': 0.05} for c in clips]\n")

MANIFEST = {"model_spec": "m", "model_fingerprint": "abc", "dataset_spec": "d",
            "dataset_fingerprint": "xyz"}


def write_wav(path, seconds: float = 0.3, seed: int = 0, amplitude: float = 0.1):
    import numpy as np
    import soundfile as sf

    samples = amplitude * np.random.default_rng(seed).standard_normal(int(seconds * 16000))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples.astype(np.float32), 16000)


def _audio_run(tmp_path, monkeypatch):
    (tmp_path / "loudness_model.py").write_text(LOUDNESS_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    clips = tmp_path / "clips"
    for i in range(4):
        write_wav(clips / f"c{i}.wav", seconds=0.3, seed=i, amplitude=0.01)
    (clips / "bad.wav").write_bytes(b"RIFF\x00\x00not really a wav file")
    (tmp_path / "audio.csv").write_text(
        "id,path,label\n" + "".join(f"c{i},clips/c{i}.wav,{'sad' if i % 2 else 'angry'}\n"
                                    for i in range(4)) + "bad,clips/bad.wav,angry\n")
    out = tmp_path / "run"
    args = ["evaluate", "--model", "python:loudness_model:predict", "--dataset",
            f"csv:{tmp_path / 'audio.csv'}", "--out", str(out)]

    def run():
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        return json.loads((out / "results.json").read_text()), result.output

    return clips, out, run


def _detailed(out):
    import pandas as pd

    return pd.read_csv(out / "detailed_results.csv", keep_default_na=False).set_index("id")


def test_a_fixed_clip_is_predicted_again(tmp_path, monkeypatch):
    clips, out, run = _audio_run(tmp_path, monkeypatch)
    first, _ = run()
    assert first["n_errors"] == 1
    write_wav(clips / "bad.wav", seconds=0.3, seed=9)  # the user fixes the corrupt file
    second, console = run()
    assert second["n_errors"] == 0 and _detailed(out).loc["bad", "error"] == ""
    assert second["store"]["n_refreshed"] == 1
    assert "1 samples whose input changed" in console


def test_a_replaced_clip_gets_a_new_prediction(tmp_path, monkeypatch):
    clips, out, run = _audio_run(tmp_path, monkeypatch)
    run()
    before = _detailed(out).loc["c0", "score_angry"]
    write_wav(clips / "c0.wav", seconds=0.3, seed=5, amplitude=0.9)  # same path, louder
    second, _ = run()
    after = _detailed(out).loc["c0", "score_angry"]
    assert after > before * 10  # the loud clip's own score, not the stale quiet one
    assert second["store"]["n_refreshed"] == 1 and second["store"]["n_from_store"] == 4


def test_unchanged_files_are_not_hashed_again(tmp_path, monkeypatch):
    (tmp_path / "a.wav").write_bytes(b"abc")
    rows = [Row(id="a", label="x", audio=str(tmp_path / "a.wav"))]
    with PredictionStore(str(tmp_path / "run"), MANIFEST) as store:
        plan_resume(rows, store, "audio")
        hashed = []
        monkeypatch.setattr(freshness, "file_digest",
                            lambda path: hashed.append(path) or "file:x")
        plan_resume(rows, store, "audio")
        assert hashed == []  # size and mtime unchanged: the cached digest
        (tmp_path / "a.wav").write_bytes(b"abcd")
        plan_resume(rows, store, "audio")
        assert hashed == [str(tmp_path / "a.wav")]


CRASHY_MODEL = (
    "import os\n"
    "def predict(texts):\n"
    "    with open(os.environ['CRASHY_LOG'], 'a') as f:\n"
    "        f.write(''.join(t + '\\n' for t in texts))\n"
    "    if any('boom' in t for t in texts) and not os.environ.get('CRASHY_FIXED'):\n"
    "        raise RuntimeError('out of memory')\n"
    "    return [{'happy': 0.9, 'sad': 0.1} if 'glad' in t else {'happy': 0.1, 'sad': 0.9}\n"
    "            for t in texts]\n")


def test_retry_errors_asks_model_crashes_again(tmp_path, monkeypatch):
    (tmp_path / "crashy.py").write_text(CRASHY_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    log = tmp_path / "calls.log"
    monkeypatch.setenv("CRASHY_LOG", str(log))
    (tmp_path / "t.csv").write_text("id,text,label\na,so glad,happy\nb,boom,sad\nc,tears,sad\n")
    out = tmp_path / "run"
    args = ["evaluate", "--model", "python:crashy:predict", "--dataset",
            f"csv:{tmp_path / 't.csv'}", "--out", str(out), "--batch-size", "1"]
    assert CliRunner().invoke(app, args).exit_code == 0
    record = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()
              if json.loads(x)["id"] == "b"][-1]
    assert record["kind"] == "unanswered" and record["error"].startswith("model error:")
    monkeypatch.setenv("CRASHY_FIXED", "1")
    log.write_text("")
    assert CliRunner().invoke(app, args).exit_code == 0
    assert log.read_text() == ""  # a crash is not asked again unless the user says so
    result = CliRunner().invoke(app, args + ["--retry-errors"])
    assert result.exit_code == 0, result.output
    assert log.read_text() == "boom\n"
    results = json.loads((out / "results.json").read_text())
    assert results["n_errors"] == 0 and results["store"]["n_retried"] == 1


def test_the_resume_rule_by_kind(tmp_path):
    rows = [Row(id="a", label="x", text="hello")]
    digest = freshness.text_digest("hello")
    # kind: (asked again by default, asked again with --retry-errors)
    cases = {("ok", None): (False, False), ("input", "empty text"): (False, False),
             ("transport", "HTTP 503 [4 attempts]"): (True, True),
             ("unanswered", "model error: RuntimeError: x"): (False, True)}
    for (kind, error), (by_default, with_retry) in cases.items():
        with PredictionStore(str(tmp_path / kind), MANIFEST) as store:
            store.add_batch([Record("a", None, error, kind=kind, digest=digest)])
            assert bool(plan_resume(rows, store, "text").todo) is by_default, kind
            assert bool(plan_resume(rows, store, "text", retry_errors=True).todo) \
                is with_retry, kind


def test_the_ray_engine_asks_failed_requests_again(tmp_path, monkeypatch):
    """--engine ray skipped every stored sample, so a failed llm: request stayed failed;
    here the Ray plumbing is replaced by a local stand-in around the engine's own code."""
    rows = [Row(id=i, label="happy", text=f"text {i}") for i in ("a", "b")]
    asked: list[str] = []

    class LocalDataset:
        def __init__(self, todo):
            self.todo = todo

        def iter_batches(self, **_):
            adapter = load_adapter("python:toy_models:keyword_label")
            adapter.set_candidate_labels(["happy", "sad"])
            asked.extend(r.id for r in self.todo)
            records = predict_prepared(adapter, [r.id for r in self.todo],
                                       [r.text for r in self.todo])
            yield {"record": [json.dumps(dataclasses.asdict(r)) for r in records]}

    monkeypatch.setattr(ray_engine, "import_ray", lambda: None)
    monkeypatch.setattr(ray_engine, "ray_session", lambda address: contextlib.nullcontext(None))
    monkeypatch.setattr(ray_engine, "_quiet_ray_data", lambda ray: contextlib.nullcontext())
    monkeypatch.setattr(ray_engine, "cluster_pool_plan", lambda *a: SimpleNamespace(threads_per_worker=1))
    monkeypatch.setattr(ray_engine, "_prediction_dataset",
                        lambda ray, todo, *a: LocalDataset(todo))
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        store.add_batch([Record("a", None, "HTTP 503: busy [4 attempts]"),
                         Record("b", None, None, text="happy")])
        timing = ray_engine.run_with_ray("python:toy_models:keyword_label", {}, rows, store,
                                         modality="text", candidate_labels=["happy", "sad"])
        assert asked == ["a"]  # the failed request, not the answered one
        assert store.records["a"].kind == "ok" and store.records["a"].digest is not None
        assert timing["n_retried"] == 1


COUNTING_TEXT_MODEL = (
    "CALLS = []\n"
    "def predict(texts):\n"
    "    CALLS.extend(texts)\n"
    "    return [{'joy': float('happy' in t), 'anger': float('mad' in t)} for t in texts]\n")


def _text_run(tmp_path, monkeypatch, texts):
    """``evaluate`` of a text model on a CSV of ``texts``; the texts the model was asked."""
    import importlib
    import sys

    (tmp_path / "counting_text_model.py").write_text(COUNTING_TEXT_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("counting_text_model", None)
    module = importlib.import_module("counting_text_model")
    rows = "".join(f"t{i},{text},{'joy' if i % 2 == 0 else 'anger'}\n"
                   for i, text in enumerate(texts))
    (tmp_path / "texts.csv").write_text("id,text,label\n" + rows)
    result = CliRunner().invoke(app, ["evaluate", "--model",
                                      "python:counting_text_model:predict", "--dataset",
                                      f"csv:{tmp_path / 'texts.csv'}", "--out",
                                      str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    return list(module.CALLS), json.loads((tmp_path / "run" / "results.json").read_text())


def test_an_edited_text_is_predicted_again_not_refused(tmp_path, monkeypatch):
    """Texts decide freshness like audio bytes: they are not part of the dataset fingerprint,
    so correcting one text reruns that sample only (before, the store was refused as
    holding "another dataset")."""
    texts = ["so happy today", "I am mad", "happy again", "really mad now"]
    asked, _ = _text_run(tmp_path, monkeypatch, texts)
    assert sorted(asked) == sorted(texts)  # batches are ordered by length
    texts[1] = "I am so mad"
    asked, results = _text_run(tmp_path, monkeypatch, texts)
    assert asked == ["I am so mad"]
    assert results["store"]["n_refreshed"] == 1 and results["store"]["n_from_store"] == 3


def test_a_store_with_the_earlier_text_fingerprint_still_resumes(tmp_path, monkeypatch):
    from emoeval.datasets.base import DatasetOptions, load_dataset

    texts = ["so happy today", "I am mad"]
    _text_run(tmp_path, monkeypatch, texts)
    manifest_path = tmp_path / "run" / "store.json"
    manifest = json.loads(manifest_path.read_text())
    dataset = load_dataset(f"csv:{tmp_path / 'texts.csv'}", DatasetOptions())
    legacy = dataset.legacy_fingerprint(dataset.rows(None))
    assert legacy != manifest["dataset_fingerprint"]  # texts are in the earlier one only
    manifest_path.write_text(json.dumps({**manifest, "dataset_fingerprint": legacy}))
    asked, _ = _text_run(tmp_path, monkeypatch, texts)
    assert asked == []  # nothing predicted again
    assert json.loads(manifest_path.read_text())["dataset_fingerprint"] == \
        manifest["dataset_fingerprint"]
