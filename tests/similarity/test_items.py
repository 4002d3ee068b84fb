"""Items: emolia-bench layout, the agreement output, filters, prompts, similarity-items."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import shared_data, write_wav

from emoeval.errors import EmoevalError
from emoeval.similarity.build_items import build_items
from emoeval.similarity.items import attach_audio, filter_items, read_items
from emoeval.similarity.prompts import (DEFAULT_TEMPLATE, build_prompt, emotions_named,
                                        label_text)


def test_prompt_follows_emolia_bench():
    assert label_text("Anger___Frustration") == "Anger / Frustration"
    assert label_text("Sexual_Lust") == "Sexual Lust"
    assert build_prompt(DEFAULT_TEMPLATE, "Sadness") == (
        "Speech audio in which the speaker expresses or conveys Sadness.")
    assert emotions_named("conveys Anger / Frustration.") == ["angry", "frustrated"]
    assert emotions_named("a pleasant surprise") == ["surprise"]
    assert emotions_named("Speech audio in which the speaker expresses or conveys Zorb.") == []


def test_items_read_ties_and_audio_by_stem(emolia):
    items = read_items(str(emolia["items"]), DEFAULT_TEMPLATE)
    assert len(items) == len(emolia["rows"])
    ties = [i for i in items if i.is_tie]
    assert len(ties) == 1 and ties[0].prompt.endswith("conveys Anger / Frustration.")
    attach_audio(items, str(emolia["audio"]))
    found = [i for i in items if i.audio_path]
    # clips named .mp3 in the items are found as .wav in per-emotion folders
    assert len(found) == len(items) - 1
    assert all("_best/" in i.audio_path and i.audio_path.endswith(".wav") for i in found)


def test_filters(emolia):
    items = read_items(str(emolia["items"]), DEFAULT_TEMPLATE)
    columns = list(items[0].columns)
    assert len(filter_items(items, min_raters=3, columns=columns)) == len(items) - 3
    assert len(filter_items(items, exclude_flagged=True, columns=columns)) == len(items) - 1
    unanimous = filter_items(items, unanimous_only=True, columns=columns)
    assert unanimous and all(i.bucket.startswith("unanimous_") for i in unanimous)
    with pytest.raises(EmoevalError, match="polarity|n_raters"):
        filter_items(items, min_raters=2, columns=["file_name"])


def test_agreement_benchmark_labels_is_valid_as_is(tmp_path, items_csv):
    """The agreement command's layout: votes_*, majority_label, a tie, split."""
    path = items_csv(tmp_path / "benchmark_labels.csv", [
        {"file_name": "a.wav", "queried_emotion": "Sadness", "task_type": "affirmative",
         "n_raters": 3, "votes_present": 3, "votes_absent": 0, "majority_label": "present",
         "majority_present": 1, "all_agree_binary": True,
         "benchmark_bucket": "unanimous_present", "split": "test"},
        {"file_name": "b.wav", "queried_emotion": "Sadness", "task_type": "affirmative",
         "n_raters": 2, "votes_present": 1, "votes_absent": 1, "majority_label": "tie",
         "majority_present": "", "all_agree_binary": False, "benchmark_bucket": "tie",
         "split": "dev"}])
    items = read_items(str(path), DEFAULT_TEMPLATE)
    assert [i.majority_present for i in items] == [1, None]
    assert [i.split for i in items] == ["test", "dev"]


@pytest.mark.parametrize("rows,message", [
    ([{"file_name": "a.wav", "majority_present": 1}], "queried_emotion"),
    ([{"file_name": "a.wav", "queried_emotion": "Fear"}], "majority_present"),
    ([{"file_name": "a.wav", "queried_emotion": "Fear", "majority_present": "maybe"}],
     "line 2"),
    ([{"file_name": "a.wav", "queried_emotion": "Fear", "majority_present": 1}] * 2,
     "same item"),
])
def test_bad_items_are_one_line_errors(tmp_path, items_csv, rows, message):
    path = items_csv(tmp_path / "items.csv", rows)
    with pytest.raises(EmoevalError, match=message):
        read_items(str(path), DEFAULT_TEMPLATE)


def test_text_column_overrides_the_template(tmp_path, items_csv):
    path = items_csv(tmp_path / "items.csv", [
        {"file_name": "a.wav", "text": "A calm voice.", "majority_present": 0}])
    assert read_items(str(path), DEFAULT_TEMPLATE)[0].prompt == "A calm voice."


def test_similarity_items_from_a_labelled_corpus(tmp_path):
    for label in ("angry", "happy", "sad"):
        for k in range(5):
            write_wav(tmp_path / "corpus" / label / f"{label}_{k}.wav", seconds=0.2, seed=k)
    out = tmp_path / "items.csv"
    result = build_items(f"audiofolder:{tmp_path / 'corpus'}", str(out), dev_fraction=0.4)
    table = pd.read_csv(out)
    assert len(table) == 15 * 3 and result["positives"] == 15
    assert set(table["task_type"]) == {"affirmative", "contrastive"}
    # one positive per clip, its own emotion; negatives are the other emotions
    positives = table[table["majority_present"] == 1]
    assert (positives["queried_emotion"] == positives["true_emotion"]).all()
    assert positives["file_name"].is_unique
    # split grouped by clip, seeded, 2 of 5 clips per emotion in dev
    assert table.groupby("file_name")["split"].nunique().max() == 1
    assert (positives.groupby("true_emotion")["split"].apply(lambda s: (s == "dev").sum())
            == 2).all()
    again = tmp_path / "again.csv"
    build_items(f"audiofolder:{tmp_path / 'corpus'}", str(again), dev_fraction=0.4)
    assert again.read_text() == out.read_text()
    limited = tmp_path / "one_negative.csv"
    build_items(f"audiofolder:{tmp_path / 'corpus'}", str(limited), negatives=1)
    assert len(pd.read_csv(limited)) == 30
    # the items read back and find their audio under the reported folder
    items = read_items(str(out), DEFAULT_TEMPLATE)
    attach_audio(items, result["audio_dir"])
    assert all(i.audio_path for i in items)


def test_similarity_items_on_urdu(tmp_path):
    urdu = shared_data("urdu")
    out = tmp_path / "urdu_items.csv"
    result = build_items(f"urdu:{urdu}", str(out))
    table = pd.read_csv(out)
    assert result["clips"] == 400 and len(table) == 1600
    assert table.groupby("file_name")["split"].nunique().max() == 1
    assert table["speaker"].notna().all()
