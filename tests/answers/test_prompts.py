"""The shipped prompt templates (emoeval/answers/prompts/*.txt) and their placeholders."""

from __future__ import annotations

import pytest

from emoeval.answers.prompts import (
    answer_format,
    default_prompt,
    label_prompt,
    rating_prompt,
    scale_definitions,
)


@pytest.mark.parametrize("modality", ["text", "audio"])
def test_every_shipped_prompt_fills_without_a_placeholder_left(modality):
    text = "I lost my keys again." if modality == "text" else None
    classes = label_prompt(default_prompt(modality), ["angry", "sad"], text)
    assert "angry, sad" in classes and "{" not in classes
    ratings = rating_prompt(default_prompt(modality, dimensional=True), ["V", "A"], (1.0, 5.0),
                            text)
    assert "valence (V), arousal (A)" in ratings and "1 to 5" in ratings
    assert '{"valence": <number>, "arousal": <number>}' in ratings
    assert ratings.count("{") == 1  # only the JSON object the answer is asked for
    if text is not None:
        assert text in classes and text in ratings


def test_rating_placeholders_name_each_dimension_once():
    assert answer_format(["valence", "V"]) == '{"valence": <number>, "V": <number>}'
    lines = scale_definitions(["V", "intensity"], (0.0, 1.0)).splitlines()
    assert lines == ["- valence (V): 0 = very negative or unpleasant, "
                     "1 = very positive or pleasant",
                     "- intensity: 0 = lowest, 1 = highest"]
