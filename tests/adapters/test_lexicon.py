"""``lexicon:nrc``: the NRC lexicon with emoeval's own tokenizer and negation rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emoeval.adapters.base import load_adapter
from emoeval.adapters.lexicon import NRC_EMOTIONS, LexiconAdapter, tokenize
from emoeval.datasets.base import load_dataset
from emoeval.errors import EmoevalError
from emoeval.labels import build_mapping

DEMO_LABELS = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


@pytest.fixture(scope="module")
def adapter() -> LexiconAdapter:
    return load_adapter("lexicon:nrc")


def fresh(labels: list[str] | None) -> LexiconAdapter:
    a = LexiconAdapter("nrc")
    if labels is not None:
        a.set_candidate_labels(labels)
    return a


def hits(adapter: LexiconAdapter, text: str) -> dict[str, int]:
    return {k: v for k, v in adapter.counts(text).items() if v}


def test_tokenizer_keeps_inner_apostrophes():
    assert tokenize("I DON\u2019T know, it's 'fine'!") == ["i", "don't", "know", "it's", "fine"]


@pytest.mark.parametrize("text, emotion", [
    ("I am furious", "anger"),
    ("he spoke furiously", "anger"),      # direct entry
    ("crying all night", "sadness"),      # crying -> cry
    ("I was sobbing", "sadness"),         # sobbing -> sob
    ("so scared", "fear"),                # scared -> scare
    ("what a disgusting smell", "disgust"),
    ("I am happy", "joy"),
    ("I was surprised", "surprise"),
])
def test_known_words_hit_their_class(adapter, text, emotion):
    counts = adapter.counts(text)
    assert counts[emotion] >= 1
    assert counts[emotion] == max(counts.values())


def test_negation_drops_hits_within_three_tokens(adapter):
    assert "joy" not in hits(adapter, "I am not happy")
    assert "joy" not in hits(adapter, "I don't love it")
    assert "joy" not in hits(adapter, "never really that happy")  # 3rd token after never
    assert "joy" in hits(adapter, "not at all, but later happy")  # 4th token: counts again
    assert "joy" in hits(adapter, "I am happy")


def test_labels_with_and_without_neutral():
    assert fresh(None).labels == list(NRC_EMOTIONS)
    assert fresh(["happy", "sad"]).labels == list(NRC_EMOTIONS)
    # neutral is exposed under the dataset's own name for it
    assert fresh(["hap", "neu", "sad"]).labels == list(NRC_EMOTIONS) + ["neu"]
    assert fresh(DEMO_LABELS).labels == list(NRC_EMOTIONS) + ["neutral"]


def test_no_hit_is_neutral_when_available_else_abstention():
    text = ["The table is next to the window."]
    with_neutral = fresh(DEMO_LABELS).predict(text)
    assert with_neutral.shape == (1, 7)
    assert with_neutral[0, -1] == 1.0 and with_neutral[0, :-1].sum() == 0
    without = fresh(["happy", "sad"]).predict(text)
    assert without.shape == (1, 6)
    assert not without.any()  # all-zero row = abstention


def test_scores_are_normalised_counts():
    a = fresh(DEMO_LABELS)
    scores = a.predict(["I am furious", "happy happy joy", "", "the chair"])
    assert scores.shape == (4, 7)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    furious = dict(zip(a.labels, scores[0]))
    assert furious["anger"] == pytest.approx(0.5) and furious["disgust"] == pytest.approx(0.5)
    assert scores[2, -1] == 1.0  # empty text: no hit -> neutral


def test_unknown_lexicon_lists_the_known_ones():
    with pytest.raises(EmoevalError, match="lexicon:nrc"):
        load_adapter("lexicon:vader")


def test_fingerprint_and_efficiency(adapter):
    parts = adapter.fingerprint_parts()
    assert parts[0].startswith("lexicon:") and len(parts) == 2
    assert adapter.fingerprint() == LexiconAdapter("nrc").fingerprint()
    eff = adapter.efficiency()
    assert eff["n_parameters"] is None and eff["size_bytes"] > 100_000


def test_maps_onto_demo_labels_and_beats_chance():
    rows = load_dataset("demo:en").rows()
    labels = sorted({r.label for r in rows})
    a = fresh(labels)
    mapping = build_mapping(a.labels, labels)
    assert not mapping.unmapped_model_labels and not mapping.unpredictable_dataset_labels
    scores = a.predict([r.text for r in rows])
    answered = scores.sum(axis=1) > 0
    assert answered.all()  # neutral is available, so nothing abstains
    predicted = mapping.predict(scores)
    accuracy = np.mean([p == r.label for p, r in zip(predicted, rows)])
    chance = 1 / len(labels)
    # chance + 4 binomial standard errors: a model that guesses passes with p < 1e-4
    assert accuracy > chance + 4 * math.sqrt(chance * (1 - chance) / len(rows))
