"""Thread plan of the runner: decoders keep their cores on big machines, torch keeps every
core on small ones, and a user's OMP_NUM_THREADS is left alone. Results do not change."""

from __future__ import annotations

from builders import build_audio_classifier, write_wav

from emoeval.adapters.base import load_adapter
from emoeval.datasets.base import Row
from emoeval.runner import default_decode_workers, run, torch_thread_count
from emoeval.store import PredictionStore


def test_throughput_thread_plan():
    assert default_decode_workers(2) == 2 and default_decode_workers(64) == 4
    assert torch_thread_count(2, default_decode_workers(2)) is None
    assert torch_thread_count(16, 4) == 12
    assert torch_thread_count(6, 2) == 4


def test_throughput_threads_restored_and_user_choice_kept(tmp_path, monkeypatch):
    import torch

    import emoeval.runner as runner

    folder = build_audio_classifier(tmp_path / "w2v", ["angry", "happy"])
    adapter = load_adapter(f"hf:{folder}")
    rows = [Row(id=f"c{i}", label="happy",
                audio=str(write_wav(tmp_path / f"c{i}.wav", seconds=0.3, seed=i)))
            for i in range(3)]
    seen = []
    real_predict = adapter.predict
    monkeypatch.setattr(adapter, "predict",
                        lambda inputs: (seen.append(torch.get_num_threads()),
                                        real_predict(inputs))[1])
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 16)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    manifest = {"model_fingerprint": adapter.fingerprint(), "dataset_fingerprint": "d"}
    with PredictionStore(str(tmp_path / "a"), manifest) as store:
        run(adapter, rows, store, batch_size=2)
        first = {k: r.scores for k, r in store.records.items()}
    assert set(seen) == {12} and torch.get_num_threads() == before
    seen.clear()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with PredictionStore(str(tmp_path / "b"), manifest) as store:
        run(adapter, rows, store, batch_size=2)
        second = {k: r.scores for k, r in store.records.items()}
    assert set(seen) == {before}
    for key, scores in first.items():
        assert all(abs(scores[label] - second[key][label]) < 1e-5 for label in scores)
