"""The runner records every bad input per sample and keeps going."""

import numpy as np
import pytest

from emoeval.adapters.base import ModelAdapter, load_adapter
from emoeval.datasets.base import Row
from emoeval.runner import ABSTAINED, plan_batches, run
from emoeval.store import PredictionStore

MANIFEST = {"model_fingerprint": "m", "dataset_fingerprint": "d"}


def text_rows(texts):
    return [Row(id=f"t{i}", label="happy", text=t) for i, t in enumerate(texts)]


def test_bad_text_inputs_become_per_sample_errors(tmp_path):
    adapter = load_adapter("python:toy_models:keyword_scores")
    adapter.modality = "text"
    adapter.set_candidate_labels(["happy", "sad"])
    rows = text_rows(["so happy", "", "   ", "a nan here", "please abstain", "boom now",
                      "I cry"])
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        run(adapter, rows, store, batch_size=3)
        errors = {r.id: store.records[r.id].error for r in rows}
        assert errors["t0"] is None and errors["t6"] is None
        assert errors["t1"] == errors["t2"] == "empty text"
        assert errors["t3"].startswith("NaN")
        assert errors["t4"] == ABSTAINED
        # the crash is isolated: its batch-mates still got predictions
        assert errors["t5"].startswith("model error: RuntimeError")
        assert store.records["t6"].scores["sad"] == pytest.approx(0.65)


def test_bad_audio_files_become_per_sample_errors(tmp_path, audio_model):
    from builders import write_wav

    good = write_wav(tmp_path / "good.wav", seconds=0.4)
    stereo44 = write_wav(tmp_path / "stereo.wav", seconds=0.4, rate=44100, channels=2)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFFxxxxWAVEjunk")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    rows = [Row(id=n, label="sad", audio=str(p)) for n, p in
            [("good", good), ("stereo", stereo44), ("corrupt", corrupt), ("empty", empty),
             ("missing", tmp_path / "nope.wav")]]
    adapter = load_adapter(f"hf:{audio_model}")
    with PredictionStore(str(tmp_path / "out"), MANIFEST) as store:
        run(adapter, rows, store, batch_size=4)
        err = {r.id: store.records[r.id].error for r in rows}
    assert err["good"] is None and err["stereo"] is None  # downmixed and resampled
    assert "unreadable audio file" in err["corrupt"]
    assert "empty audio file" in err["empty"]
    assert "missing audio file" in err["missing"]


def test_finished_samples_are_not_redone(tmp_path):
    calls = []

    class Counting(ModelAdapter):
        modality = "text"
        labels = ["happy", "sad"]

        def predict(self, inputs):
            calls.extend(inputs)
            return np.tile([0.7, 0.3], (len(inputs), 1))

    rows = text_rows(["a", "b", "c", "d"])
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        run(Counting("counting"), rows[:2], store)
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        run(Counting("counting"), rows, store)
    assert sorted(calls) == ["a", "b", "c", "d"]


def test_batches_group_similar_sizes():
    rows = text_rows(["x" * n for n in (50, 1, 30, 2, 40, 3)])
    batches = plan_batches(rows, 3)
    assert [[len(r.text) for r in b] for b in batches] == [[1, 2, 3], [30, 40, 50]]
