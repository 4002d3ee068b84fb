"""Tiny transformers models built here, loaded through the real ``hf:`` path."""

import numpy as np
import pytest

from emoeval.adapters.base import load_adapter
from emoeval.errors import EmoevalError


@pytest.mark.parametrize("fixture", ["audio_model", "audio_model_nomask"])
def test_audio_batched_equals_unbatched(request, fixture):
    adapter = load_adapter(f"hf:{request.getfixturevalue(fixture)}")
    assert adapter.modality == "audio" and adapter.sampling_rate == 16000
    rng = np.random.default_rng(0)
    clips = [0.1 * rng.standard_normal(n).astype(np.float32) for n in (4000, 5600, 4000, 7100)]
    batched = adapter.predict(clips)
    single = np.vstack([adapter.predict([c]) for c in clips])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, atol=1e-6)


def test_text_classifier_labels_and_batching(text_model):
    adapter = load_adapter(f"hf:{text_model}")
    assert adapter.modality == "text"
    assert adapter.labels == ["joy", "sadness", "anger", "fear"]
    texts = ["i am so happy today", "sad", "this is not a very good day at all i hate it"]
    batched = adapter.predict(texts)
    single = np.vstack([adapter.predict([t]) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    info = adapter.efficiency()
    assert info["n_parameters"] > 0 and info["size_bytes"] > 0


def test_fingerprint_changes_with_weights(tmp_path, urdu_labels):
    from builders import build_audio_classifier

    a = build_audio_classifier(tmp_path / "a", urdu_labels, seed=1)
    b = build_audio_classifier(tmp_path / "b", urdu_labels, seed=2)
    fa, fb = load_adapter(f"hf:{a}").fingerprint(), load_adapter(f"hf:{b}").fingerprint()
    assert fa != fb
    assert load_adapter(f"hf:{a}").fingerprint() == fa


def test_missing_local_model_and_offline_hub_id_are_one_line_errors(tmp_path):
    with pytest.raises(EmoevalError, match="does not exist"):
        load_adapter(f"hf:{tmp_path}/nothing-here")
    with pytest.raises(EmoevalError, match="Hugging Face Hub"):
        load_adapter("hf:some-org/some-model-that-is-not-cached")


def test_unknown_adapter_suggests_a_name():
    with pytest.raises(EmoevalError, match="did you mean 'hf'"):
        load_adapter("hff:model")
