"""The ``clap:`` adapter on a tiny CLAP model built in the test (random weights)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from builders import write_wav
from typer.testing import CliRunner

from emoeval.adapters.base import load_adapter
from emoeval.audio import load_audio
from emoeval.cli import app
from emoeval.errors import EmoevalError

TEXTS = ["Speech audio in which the speaker expresses or conveys Sadness.",
         "Speech audio in which the speaker expresses or conveys Anger.",
         "happy"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clap_clips")
    return [load_audio(str(write_wav(folder / f"c{i}.wav", seconds=0.4 + 0.2 * i, seed=i,
                                     rate=22050)), 16000) for i in range(3)]


def test_pair_similarity_is_the_models_own_cosine(tiny_clap, clips):
    """Against ClapModel.forward: logits_per_audio / exp(logit_scale_a) is the cosine."""
    from transformers import ClapModel, ClapProcessor

    adapter = load_adapter(f"clap:{tiny_clap}", device="cpu")
    ours = adapter.pair_similarity(clips, TEXTS)
    model = ClapModel.from_pretrained(tiny_clap).eval()
    processor = ClapProcessor.from_pretrained(tiny_clap)
    features = processor.feature_extractor(clips, sampling_rate=16000, return_tensors="pt")
    tokens = processor.tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        output = model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"],
                       input_features=features["input_features"],
                       is_longer=features["is_longer"])
        cosine = (output.logits_per_audio / model.logit_scale_a.exp()).numpy()
    np.testing.assert_allclose(ours, np.diag(cosine), atol=1e-5)
    assert np.all(np.abs(ours) <= 1.0 + 1e-9)


def test_batching_and_repeats_do_not_change_scores(tiny_clap, clips):
    batched = load_adapter(f"clap:{tiny_clap}", device="cpu", batch_size=8)
    single = load_adapter(f"clap:{tiny_clap}", device="cpu", batch_size=1)
    # one clip with several prompts (the benchmark's pattern) and several clips
    pairs_audio = [clips[0], clips[0], clips[1], clips[2], clips[2]]
    pairs_text = [TEXTS[0], TEXTS[1], TEXTS[0], TEXTS[2], TEXTS[0]]
    together = batched.pair_similarity(pairs_audio, pairs_text)
    apart = np.array([single.pair_similarity([a], [t])[0]
                      for a, t in zip(pairs_audio, pairs_text)])
    np.testing.assert_allclose(together, apart, atol=1e-5)


def test_long_clips_are_cropped_reproducibly(tiny_clap, tmp_path):
    adapter = load_adapter(f"clap:{tiny_clap}", device="cpu")
    long_clip = load_audio(str(write_wav(tmp_path / "long.wav", seconds=2.5, seed=7)), 16000)
    first = adapter.embed_audio([long_clip])
    np.random.seed(123)  # the global generator's state must not matter
    np.testing.assert_allclose(adapter.embed_audio([long_clip]), first)


def test_zero_shot_predict_for_evaluate(tiny_clap, clips):
    adapter = load_adapter(f"clap:{tiny_clap}", device="cpu")
    adapter.set_candidate_labels(["angry", "sad", "neutral"])
    scores = adapter.predict(clips)
    assert scores.shape == (3, 3) and adapter.labels == ["angry", "sad", "neutral"]
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    assert adapter.efficiency()["n_parameters"] > 0 and len(adapter.fingerprint()) == 16


def test_not_a_clap_folder_is_a_clear_error(emotion_classifier, tmp_path):
    with pytest.raises(EmoevalError, match="not CLAP"):
        load_adapter(f"clap:{emotion_classifier}")
    with pytest.raises(EmoevalError, match="does not exist"):
        load_adapter(f"clap:{tmp_path / 'nothing'}")


def test_similarity_command_with_a_clap_model(tiny_clap, emolia, tmp_path):
    out = tmp_path / "clap_run"
    result = CliRunner().invoke(app, [
        "similarity", "--items", str(emolia["items"]), "--audio-dir", str(emolia["audio"]),
        "--model", f"clap:{tiny_clap}", "--out", str(out), "--threshold", "tune"])
    assert result.exit_code == 0, result.output
    assert "balanced accuracy" in result.output
    table = pd.read_csv(out / "predictions.csv", dtype=str, keep_default_na=False)
    ok = table[table["ok"] == "True"]
    assert len(ok) == len(table) - 1 and (ok["response_key"] == "similarity").all()
    # same clip and prompt scored by the adapter directly gives the stored value
    adapter = load_adapter(f"clap:{tiny_clap}", device="cpu")
    row = ok.iloc[0]
    audio = load_audio(row["audio_path"], adapter.sampling_rate)
    assert float(row["similarity"]) == pytest.approx(
        adapter.pair_similarity([audio], [row["prompt"]])[0], abs=1e-5)


def test_clap_as_a_zero_shot_classifier_in_evaluate(tiny_clap, audio_csv, tmp_path):
    from emoeval.api import EvaluationConfig, evaluate

    results = evaluate(EvaluationConfig(model=f"clap:{tiny_clap}", dataset=f"csv:{audio_csv}",
                                        out=str(tmp_path / "run"), n_resamples=20))
    assert results["n_samples"] == 15 and results["n_errors"] == 3  # corrupt, empty, missing
    assert results["label_mapping"]["shared_labels"] == ["angry", "happy", "neutral", "sad"]
