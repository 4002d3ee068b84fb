"""Reading word sets: the robust parser (formats detected) and MER2024's quote-split rule."""

from __future__ import annotations

import math

import pytest

from emoeval.openvocab.sets import (SetParseError, mapped_set, parse_groups,
                                    parse_groups_mer2024, parse_words, parse_words_mer2024,
                                    word_map)


@pytest.mark.parametrize("cell, words, fmt", [
    ("['happy', 'sad']", ["happy", "sad"], "python-literal"),
    ('["happy", " sad "]', ["happy", "sad"], "json"),
    ("happy, sad; relaxed", ["happy", "sad", "relaxed"], "delimited"),
    ("[happy, sad]", ["happy", "sad"], "delimited"),
    ("happy | calm", ["happy", "calm"], "delimited"),
    ("", [], "empty"),
    (float("nan"), [], "empty"),
    ("[]", [], "json"),
    ("['it\\'s fine', 'sad']", ["it's fine", "sad"], "python-literal"),
])
def test_robust_parser_reads_each_format_and_names_it(cell, words, fmt):
    assert parse_words(cell) == (words, fmt)


def test_robust_parser_refuses_non_words():
    with pytest.raises(SetParseError):
        parse_words("[1, 2]")


def test_mer2024_rule_keeps_spaces_and_splits_on_quotes():
    # the words are not stripped: ' happy' (from a stray space inside the quotes) stays
    assert parse_words_mer2024("[' happy', 'sad']") == [" happy", "sad"]
    # an apostrophe inside a word is a quote character to MER2024: the word is cut
    assert parse_words_mer2024('["it\'s fine", "sad"]') == ["it", "s fine", "sad"]
    # only the text up to the first ']' counts
    assert parse_words_mer2024("['a'] ['b']") == ["a"]
    assert parse_words_mer2024("") == []
    assert parse_words_mer2024(math.nan) == []
    with pytest.raises(SetParseError):
        parse_words_mer2024("happy, sad")


def test_group_parsers():
    text = "[['Joyful', 'happy'], ['worried', \"anxious \"]]"
    assert parse_groups_mer2024(text) == [["Joyful", "happy"], ["worried", "anxious "]]
    assert parse_groups(text) == [["Joyful", "happy"], ["worried", "anxious"]]
    assert parse_groups('Sure! ```json\n[["a", "b"], ["c"]]\n```') == [["a", "b"], ["c"]]
    assert parse_groups('{"happy": ["joyful"], "sad": "down"}') == [["happy", "joyful"],
                                                                   ["sad", "down"]]
    with pytest.raises(SetParseError):
        parse_groups("I cannot group these words.")


def test_mapping_lower_cases_and_maps_to_the_first_word():
    mapping = word_map([["Joyful", "happy"], ["worried", "anxious"]])
    assert mapped_set(["HAPPY", "anxious", "calm"], mapping) == {"joyful", "worried", "calm"}
