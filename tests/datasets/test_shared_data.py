"""Presets on the real corpora in ../shared/data (skipped when that folder is absent)."""

from __future__ import annotations

import csv
from collections import Counter

from emoeval.datasets import load_dataset


def read_labels(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {r["path"]: r for r in csv.DictReader(f)}


def test_urdu_matches_labels_csv(shared_data):
    ds = load_dataset(f"urdu:{shared_data / 'urdu'}")
    rows = ds.rows()
    truth = read_labels(shared_data / "urdu" / "labels.csv")
    assert len(rows) == 400 and ds.skipped == []
    assert Counter(r.label for r in rows) == {"angry": 100, "happy": 100, "neutral": 100,
                                              "sad": 100}
    assert {r.id for r in rows} == set(truth)
    for r in rows:
        t = truth[r.id]
        assert (r.label, r.metadata["speaker"], r.metadata["gender"]) == (
            t["emotion"], t["speaker_id"], t["speaker_gender"]), r.id


def test_emodb_matches_labels_csv(shared_data):
    rows = load_dataset(f"emodb:{shared_data / 'emodb'}").rows()
    truth = read_labels(shared_data / "emodb" / "labels.csv")
    assert len(rows) == 535
    assert {r.id for r in rows} == set(truth)
    for r in rows:
        t = truth[r.id]
        assert (r.label, r.metadata["speaker"], r.metadata["text_code"]) == (
            t["emotion"], t["speaker"], t["text_code"]), r.id
    assert {r.metadata["gender"] for r in rows} == {"male", "female"}
    assert len({r.metadata["speaker"] for r in rows}) == 10


def test_tweeteval_emotion(shared_data):
    ds = load_dataset(f"tweeteval:{shared_data / 'tweeteval_emotion'}")
    assert ds.splits() == ["train", "val"]
    val = ds.rows()  # no test split here: the default is val
    assert len(val) == 374 and {r.split for r in val} == {"val"}
    assert [r.id for r in val[:2]] == ["val-1", "val-2"]
    assert {r.label for r in val} == {"anger", "joy", "optimism", "sadness"}
    assert all(r.text for r in val)
    assert len(ds.rows("train")) == 3257
