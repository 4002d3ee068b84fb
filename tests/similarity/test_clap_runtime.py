"""``clap:`` under ``--runtime onnx|onnx-int8|torch-bf16``: both towers run as embedding graphs
through the ONNX export / verify / verdict path (emoeval.onnx.encoders)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from emoeval.adapters.base import load_adapter
from emoeval.api import EvaluationConfig, evaluate
from emoeval.onnx.verdicts import read_verdicts


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(path))
    return path


def test_clap_towers_under_each_runtime(tiny_clap, audio_csv, tmp_path, cache_dir):
    torch_run = evaluate(EvaluationConfig(model=f"clap:{tiny_clap}", dataset=f"csv:{audio_csv}",
                                          out=str(tmp_path / "torch"), n_resamples=20))
    for runtime in ("onnx", "onnx-int8", "torch-bf16"):
        results = evaluate(EvaluationConfig(
            model=f"clap:{tiny_clap}", dataset=f"csv:{audio_csv}", runtime=runtime,
            out=str(tmp_path / runtime), n_resamples=20, reference=str(tmp_path / "torch")))
        assert results["n_errors"] == 3 and results["model"]["runtime"] == runtime
        assert results["model"]["fingerprint"] != torch_run["model"]["fingerprint"]
        assert results["reference"]["n_compared"] == 12
    onnx = json.loads((tmp_path / "onnx" / "results.json").read_text())["reference"]
    assert onnx["label_agreement"] == 1.0 and onnx["max_abs_score_difference"] < 1e-4
    verdicts = [v for folder in (cache_dir / "onnx").iterdir()
                for v in read_verdicts(str(folder)).values()]
    towers = {(v["verification"]["precision"], v["verification"]["n_inputs"])
              for v in verdicts}
    # the audio tower on the 12 clips that decode, the text tower on 4 prompts + 10 sentences
    assert {("fp32", 12), ("fp32", 14), ("int8", 12), ("int8", 14), ("bf16", 12),
            ("bf16", 14)} <= towers
    assert all(v["verification"]["passed"] for v in verdicts)

    # an adapter built directly trusts the passed verdicts of the same files
    clips = [sf.read(audio_csv.parent / "clips" / f"c{i}.wav", dtype="float32")[0]
             for i in range(4)]
    fp32 = load_adapter(f"clap:{tiny_clap}", device="cpu")
    onnx = load_adapter(f"clap:{tiny_clap}", runtime="onnx")
    assert np.abs(onnx.embed_audio(clips) - fp32.embed_audio(clips)).max() < 1e-4
    texts = ["speech in which the speaker expresses anger", "sad"]
    assert np.abs(onnx.embed_text(texts) - fp32.embed_text(texts)).max() < 1e-4
    after = sum(len(read_verdicts(str(folder))) for folder in (cache_dir / "onnx").iterdir())
    assert after == len(verdicts)  # nothing verified again
