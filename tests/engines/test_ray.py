"""``--engine ray`` on a local Ray instance (2 CPUs, started once for this module): the same
records as the local engine, sample by sample; resume; a killed actor; one task per
candidate."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray
from ray.util.queue import Queue
from ray_test_models import CALLS_LOG, HANDED_OVER, MAILBOX, TEST_DIR_ENV
from typer.testing import CliRunner

from emoeval.adapters.base import load_adapter
from emoeval.cli import app
from emoeval.datasets.base import Row, load_dataset
from emoeval.engines.ray_cluster import map_candidates
from emoeval.engines.ray_engine import run_with_ray
from emoeval.errors import EmoevalError
from emoeval.runner import run
from emoeval.store import PREDICTIONS_FILE, PredictionStore

MANIFEST = {"model_fingerprint": "m", "dataset_fingerprint": "d"}
BAD_AND_GOOD_TEXTS = ["so happy", "", "   ", "a nan here", "please abstain", "boom now",
                      "I cry", "furious and angry", "the bus leaves at nine", "glad today",
                      "what a sad day", "nothing much"]


@pytest.fixture(scope="module")
def models_folder(tmp_path_factory) -> Path:
    """Where the test models log their calls; handed to every worker at ray.init."""
    folder = tmp_path_factory.mktemp("ray_models")
    ray.init(num_cpus=2, include_dashboard=False,
             runtime_env={"env_vars": {TEST_DIR_ENV: str(folder)}})
    yield folder
    ray.shutdown()


@pytest.fixture
def calls(models_folder) -> Path:
    """A fresh calls.log for one test."""
    for name in (CALLS_LOG, HANDED_OVER):
        (models_folder / name).unlink(missing_ok=True)
    return models_folder / CALLS_LOG


def text_rows(texts: list[str]) -> list[Row]:
    return [Row(id=f"t{i}", label="happy" if i % 2 else "sad", text=t)
            for i, t in enumerate(texts)]


def local_records(spec: str, rows: list[Row], out: Path, batch_size: int) -> dict:
    """The local engine's records, with the adapter prepared as api.evaluate prepares it."""
    adapter = load_adapter(spec)
    if adapter.modality is None:
        adapter.modality = rows[0].modality
    adapter.set_candidate_labels(sorted({r.label for r in rows}))
    with PredictionStore(str(out), MANIFEST) as store:
        run(adapter, rows, store, batch_size=batch_size)
        return dict(store.records)


def ray_records(spec: str, rows: list[Row], out: Path, batch_size: int, **options) -> dict:
    with PredictionStore(str(out), MANIFEST) as store:
        run_with_ray(spec, {}, rows, store, batch_size=batch_size, **options)
        return dict(store.records)


def assert_same_records(local: dict, remote: dict) -> None:
    """Same samples, same errors, same predicted label, scores within 1e-5."""
    assert remote.keys() == local.keys()
    for sample_id, expected in local.items():
        got = remote[sample_id]
        assert got.error == expected.error, sample_id
        assert got.text == expected.text, sample_id
        if expected.scores is None:
            assert got.scores is None, sample_id
            continue
        assert set(got.scores) == set(expected.scores), sample_id
        labels = list(expected.scores)
        np.testing.assert_allclose([got.scores[k] for k in labels],
                                   [expected.scores[k] for k in labels], atol=1e-5,
                                   err_msg=sample_id)
        if expected.error is None:
            assert max(got.scores, key=got.scores.get) == \
                max(expected.scores, key=expected.scores.get), sample_id


def stored_ids(out: Path) -> list[str]:
    """Every sample id written to the store file, duplicates included."""
    lines = (out / PREDICTIONS_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines]


def test_hf_text_model_matches_local(models_folder, text_model, tmp_path):
    texts = ["i am so happy today", "this is a sad day", "", "angry and furious",
             "i love this", "what a bad day", "not good", "i am scared", "the news",
             "glad", "i hate this very very bad day", "smile"]
    rows = text_rows(texts)
    spec = f"hf:{text_model}"
    local = local_records(spec, rows, tmp_path / "local", batch_size=4)
    # as api.evaluate passes them from its own adapter (the audio test leaves them out)
    remote = ray_records(spec, rows, tmp_path / "ray", batch_size=4, workers=1,
                         modality="text", candidate_labels=["happy", "sad"])
    assert_same_records(local, remote)
    assert remote["t2"].error == "empty text"


def test_hf_audio_model_with_corrupt_files_matches_local(models_folder, audio_model,
                                                         audio_csv, tmp_path):
    rows = load_dataset(f"csv:{audio_csv}").rows()
    spec = f"hf:{audio_model}"
    local = local_records(spec, rows, tmp_path / "local", batch_size=4)
    remote = ray_records(spec, rows, tmp_path / "ray", batch_size=4, workers=2)
    assert_same_records(local, remote)
    errors = {sample_id: record.error for sample_id, record in remote.items()}
    assert "unreadable audio file" in errors["bad1"]
    assert "empty audio file" in errors["bad2"]
    assert "missing audio file" in errors["bad3"]
    assert all(errors[f"c{i}"] is None for i in range(12))


def test_resume_predicts_only_what_the_store_lacks(models_folder, calls, tmp_path):
    rows = text_rows([f"glad news number {i}" for i in range(10)])
    spec = "python:ray_test_models:logged_keywords"
    out = tmp_path / "run"
    local_records(spec, rows[:4], out, batch_size=2)  # an earlier, interrupted run
    calls.unlink(missing_ok=True)
    done = []
    with PredictionStore(str(out), MANIFEST) as store:
        timing = run_with_ray(spec, {}, rows, store, batch_size=2, workers=2,
                              on_progress=done.append)
    predicted = [line.split("\t", 1)[1] for line in calls.read_text().splitlines()]
    assert sorted(predicted) == sorted(r.text for r in rows[4:])
    assert timing["n_predicted"] == 6 and timing["model_seconds"] > 0
    assert sum(done) == len(rows)
    assert sorted(stored_ids(out)) == sorted(r.id for r in rows)
    # everything is stored now: nothing runs, nothing is written
    with PredictionStore(str(out), MANIFEST) as store:
        timing = run_with_ray(spec, {}, rows, store, batch_size=2, workers=2)
    assert timing == {"model_seconds": 0.0, "n_predicted": 0, "n_from_store": len(rows),
                      "n_refreshed": 0, "n_retried": 0}
    assert len(stored_ids(out)) == len(rows)


def test_killed_actor_loses_and_duplicates_no_sample(models_folder, calls, tmp_path):
    rows = text_rows([f"{word} message {i}" for i, word in
                      enumerate(["happy", "sad", "angry", "calm"] * 4)])
    mailbox = Queue(actor_options={"name": MAILBOX, "num_cpus": 0})
    killed = []

    def kill_first_handed_over_actor() -> None:
        actor = mailbox.get(timeout=120)
        ray.kill(actor, no_restart=False)  # as a lost node would: Ray restarts it
        killed.append(actor)

    killer = threading.Thread(target=kill_first_handed_over_actor, daemon=True)
    killer.start()
    out = tmp_path / "run"
    try:
        remote = ray_records("python:ray_test_models:handing_over_keywords", rows, out,
                             batch_size=2, workers=2)
    finally:
        killer.join(timeout=5)
        mailbox.shutdown()
    assert killed, "no actor was killed"
    seen = [line.split("\t", 1)[1] for line in calls.read_text().splitlines()]
    # the killed actor's batch was given to the model again after the kill ...
    assert len(seen) > len(rows) and set(seen) == {r.text for r in rows}
    # ... and every sample is stored exactly once, with the model's answer
    assert sorted(stored_ids(out)) == sorted(r.id for r in rows)
    from toy_models import keyword_label

    for row in rows:
        scores = remote[row.id].scores
        assert max(scores, key=scores.get) == keyword_label([row.text])[0]


def test_cli_engine_ray_writes_the_local_results(models_folder, tmp_path):
    """Bad inputs included (empty text, NaN, abstention, a crash): the same detailed table
    and the same metrics as the local engine."""
    table = pd.DataFrame([{"id": f"s{i}", "label": ["happy", "sad", "angry"][i % 3],
                           "text": text, "speaker": f"p{i % 4}"}
                          for i, text in enumerate(BAD_AND_GOOD_TEXTS * 2)])
    table.to_csv(tmp_path / "texts.csv", index=False)
    common = ["evaluate", "--model", "python:toy_models:keyword_scores", "--dataset",
              f"csv:{tmp_path / 'texts.csv'}", "--batch-size", "3"]
    runner = CliRunner()
    local = runner.invoke(app, [*common, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(app, [*common, "--out", str(tmp_path / "ray"), "--engine", "ray",
                                 "--workers", "2"])
    assert remote.exit_code == 0, remote.output
    detailed = {name: pd.read_csv(tmp_path / name / "detailed_results.csv")
                for name in ("local", "ray")}
    pd.testing.assert_frame_equal(detailed["ray"], detailed["local"])
    errors = dict(zip(detailed["ray"]["id"], detailed["ray"]["error"].fillna("")))
    assert errors["s1"] == "empty text" and errors["s5"].startswith("model error")
    results = {name: json.loads((tmp_path / name / "results.json").read_text())
               for name in ("local", "ray")}
    for key in ("metrics", "ci", "per_class", "confusion_matrix", "errors", "n_errors"):
        assert results["ray"][key] == results["local"][key], key
    # every sample once in the store
    assert sorted(stored_ids(tmp_path / "ray")) == sorted(table["id"])


def test_worker_that_cannot_load_the_model_is_one_line_error(models_folder, tmp_path):
    rows = text_rows(["so happy", "so sad"])
    # the driver never imports this module here, so only the workers find it missing
    with pytest.raises(EmoevalError, match="^on the Ray workers: cannot import module "
                                           "'no_such_module_here'") as caught:
        ray_records("python:no_such_module_here:predict", rows, tmp_path / "run",
                    batch_size=2, workers=1)
    assert "\n" not in str(caught.value)


def test_map_candidates_runs_one_task_each_in_order(models_folder):
    from ray_test_models import describe_candidate

    specs = [f"python:candidate_{i}" for i in range(5)]
    answers = map_candidates(describe_candidate, specs)
    assert [answer["spec"] for answer in answers] == specs
    assert all(answer["in_ray_worker"] for answer in answers)


def test_map_candidates_raises_the_functions_own_error(models_folder):
    from ray_test_models import describe_candidate

    with pytest.raises(EmoevalError, match="^cannot load missing:model$"):
        map_candidates(describe_candidate, ["python:fine", "missing:model"])
