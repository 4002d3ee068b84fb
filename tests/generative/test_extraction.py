"""The answer-extraction pipeline on a table of real-looking answers."""

from __future__ import annotations

import pytest

from emoeval.errors import EmoevalError
from emoeval.answers.labels import STATUSES, AnswerExtractor
from emoeval.answers.text import word_forms

LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise"]

# (answer as a model wrote it, status, label) under the default --mention only
ANSWERS = [
    # exact labels, as Emotion-LLaMA answers ("Answer the emotion label in lower-case")
    ("sad", "valid", "sad"),
    ("Sad.", "valid", "sad"),
    ("  neutral\n", "valid", "neutral"),
    ("**Worried**", "valid", "worried"),
    ("Emotion: surprise", "valid", "surprise"),
    ("The emotion expressed in the video is happy.", "valid", "happy"),
    # alias families of emoeval.labels and inflections
    ("sadness", "valid", "sad"),
    ("The speaker speaks angrily.", "valid", "angry"),
    ("surprised!", "valid", "surprise"),
    ("worry", "valid", "worried"),
    ("She sounds anxious about the result.", "valid", "worried"),
    ("anger", "valid", "angry"),
    ("The tone is joyful.", "valid", "happy"),
    ("He is happier than before.", "valid", "happy"),
    ("She was saddened by the news.", "valid", "sad"),
    ("a pleasant surprise", "valid", "surprise"),
    ("neu", "valid", "neutral"),  # a corpus code counts as a whole answer only
    # the same label named twice is still one label
    ("Sad. The speaker is clearly sad.", "valid", "sad"),
    # negated mentions do not count
    ("The speaker is not angry but sad.", "valid", "sad"),
    ("Happy, not sad.", "valid", "happy"),
    ("sad rather than angry", "valid", "sad"),
    ("No doubt, the speaker is angry.", "valid", "angry"),
    ("not angry", "invalid", None),
    ("She is neither happy nor sad.", "invalid", None),
    ("I don't think the speaker is angry.", "invalid", None),
    # two different emotions: ambiguous
    ("sad or angry", "ambiguous", None),
    ("The speaker seems happy and a little surprised.", "ambiguous", None),
    ("happy and excited", "ambiguous", None),  # excited is an emotion too, outside the set
    # known emotions outside the taxonomy keep their raw value
    ("doubt", "out_of_taxonomy", None),
    ("contempt", "out_of_taxonomy", None),
    ("The speaker feels frustrated.", "out_of_taxonomy", None),
    ("fear", "out_of_taxonomy", None),
    ("disappointed", "out_of_taxonomy", None),
    # empty and refused answers
    ("", "invalid", None),
    ("   ", "invalid", None),
    ("I'm sorry, but I cannot determine the emotion from this clip.", "invalid", None),
    ("Sadly, I can't tell.", "invalid", None),  # a sentence adverb is not a mention
    ("The speaker talks about the weather.", "invalid", None),
    # JSON answers, also fenced, after text, or cut off
    ('{"emotion": "happy"}', "valid", "happy"),
    ('{"Emotion": "Sadness", "confidence": 0.8}', "valid", "sad"),
    ('```json\n{"emotion": "angry"}\n```', "valid", "angry"),
    ('Sure! Here is my answer: {"label": "worried"}', "valid", "worried"),
    ('{"emotion": "doubt"}', "out_of_taxonomy", None),
    ('{"emotion": ["sad", "angry"]}', "ambiguous", None),
    ('{"emotion": null}', "invalid", None),
    ('{"reasoning": "The voice trembles.", "score": 3}', "invalid", None),
    ('{"emotion": "angry"', "valid", "angry"),  # malformed JSON is read as text
    ('"sad"', "valid", "sad"),
]


@pytest.mark.parametrize("answer,status,label", ANSWERS)
def test_real_looking_answers(answer, status, label):
    result = AnswerExtractor(LABELS).extract(answer)
    assert (result.status, result.label) == (status, label), result.detail
    assert result.status in STATUSES and result.detail


def test_out_of_taxonomy_keeps_the_raw_value_and_ambiguous_names_both():
    extractor = AnswerExtractor(LABELS)
    assert extractor.extract("doubt").extracted == "doubt"
    assert extractor.extract("The speaker feels frustrated.").extracted == "frustrated"
    assert extractor.extract("sad or angry").extracted == "sad|angry"
    assert extractor.extract("He speaks angrily").extracted == "angrily"


def test_transport_failure_is_an_error_whatever_the_text():
    result = AnswerExtractor(LABELS).extract("sad", error="HTTP 500: internal error")
    assert result.status == "error" and result.label is None
    assert "HTTP 500" in result.detail
    # NaN and empty errors are no error (a CSV cell read by pandas)
    assert AnswerExtractor(LABELS).extract("sad", error=float("nan")).status == "valid"


@pytest.mark.parametrize("mode,answer,status,label", [
    ("first", "At first happy, then angry, and finally sad.", "valid", "happy"),
    ("last", "At first happy, then angry, and finally sad.", "valid", "sad"),
    ("only", "At first happy, then angry, and finally sad.", "ambiguous", None),
    ("first", "doubt, or maybe worried", "out_of_taxonomy", None),
    ("last", "doubt, or maybe worried", "valid", "worried"),
    ("last", "Not sad. Angry.", "valid", "angry"),  # negated mentions are skipped
    ("first", "not sad", "invalid", None),
])
def test_mention_first_and_last_relax_the_one_label_rule(mode, answer, status, label):
    result = AnswerExtractor(LABELS, mode).extract(answer)
    assert (result.status, result.label) == (status, label), result.detail


def test_a_label_set_without_the_family_makes_it_outside():
    # 4 classes: worried and surprise are known emotions, but outside this taxonomy
    extractor = AnswerExtractor(["angry", "happy", "neutral", "sad"])
    assert extractor.extract("anxious").status == "out_of_taxonomy"
    assert extractor.extract("surprised").status == "out_of_taxonomy"
    # the dataset's own label names are matched first, aliases map onto them
    corpus = AnswerExtractor(["anger", "happiness", "sadness", "neutral"])
    assert corpus.extract("The speaker is angry.").label == "anger"
    assert corpus.extract("happily").label == "happiness"
    assert corpus.extract("sad").label == "sadness"


def test_labels_outside_the_vocabulary_are_matched_by_name():
    extractor = AnswerExtractor(["neutral", "doubt", "contempt"])
    assert extractor.extract("doubtful").label == "doubt"
    assert extractor.extract("The look is contemptuous").label == "contempt"
    assert AnswerExtractor(LABELS).extract("contemptuous").status == "out_of_taxonomy"
    assert extractor.extract("sad").status == "out_of_taxonomy"


def test_inflections():
    assert {"angrily", "angrier", "angriest"} <= word_forms("angry")
    assert {"surprised", "surprising", "surprises"} <= word_forms("surprise")
    assert {"sadly", "sadness", "sadder", "saddest", "saddened"} <= word_forms("sad")
    assert {"worried", "worries", "worrying"} <= word_forms("worry")
    assert "neutrality" in word_forms("neutral")
    assert word_forms("pleasant surprise") == {"pleasant surprise"}


def test_bad_options_are_one_line_errors():
    with pytest.raises(EmoevalError, match="--mention 'most'"):
        AnswerExtractor(LABELS, "most")
    with pytest.raises(EmoevalError, match="--labels"):
        AnswerExtractor([])
