"""List-valued labels in the generic sources and the goemotions preset."""

from __future__ import annotations

import json

import pytest
from builders import shared_data

from emoeval.datasets.base import DatasetOptions, load_dataset
from emoeval.datasets.columns import label_value
from emoeval.errors import EmoevalError


def test_label_value_forms():
    assert label_value('["joy", "love"]') == ["joy", "love"]
    assert label_value(["joy", " love ", "joy"]) == ["joy", "love"]
    assert label_value("joy|love", "|") == ["joy", "love"]
    assert label_value("joy") == "joy"
    assert label_value("[]") == []
    assert label_value("") is None and label_value(None) is None
    assert label_value("[not json") == "[not json"


def test_csv_with_json_lists_and_separator(tmp_path):
    (tmp_path / "a.csv").write_text('text,labels\nhi,"[""joy"", ""love""]"\nho,"[""anger""]"\n')
    rows = load_dataset(f"csv:{tmp_path / 'a.csv'}").rows()
    assert [r.label for r in rows] == [["joy", "love"], ["anger"]]
    (tmp_path / "b.csv").write_text("text,label\nhi,joy;love\nho,anger\n")
    rows = load_dataset(f"csv:{tmp_path / 'b.csv'}", DatasetOptions(label_sep=";")).rows()
    assert [r.label for r in rows] == [["joy", "love"], ["anger"]]
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "x", "label": ["fear"]}) + "\n")
    assert load_dataset(f"jsonl:{tmp_path / 'c.jsonl'}").rows()[0].label == ["fear"]


def write_goemotions(root, lines_by_split, labels=("joy", "anger", "neutral")):
    root.mkdir(parents=True, exist_ok=True)
    (root / "labels.txt").write_text("\n".join(labels) + "\n")
    (root / "ekman_mapping.json").write_text(json.dumps({"joy": ["joy"], "anger": ["anger"]}))
    (root / "sentiment_dict.json").write_text(json.dumps({"positive": ["joy"],
                                                          "negative": ["anger"]}))
    for split, lines in lines_by_split.items():
        (root / f"{split}.tsv").write_text("".join(f"{l}\n" for l in lines))
    return root


def test_goemotions_preset_on_a_small_copy(tmp_path):
    root = write_goemotions(tmp_path / "ge", {
        "train": ["so happy\t0\tc1", "grr\t1,0\tc2"], "dev": ["meh\t2\tc3"],
        "test": ["ok then\t2,0\tc4"]})
    ds = load_dataset(f"goemotions:{root}")
    assert ds.splits() == ["train", "dev", "test"]
    rows = ds.rows()  # test by default
    assert [(r.id, r.label, r.split) for r in rows] == [("c4", ["joy", "neutral"], "test")]
    assert [r.label for r in ds.rows("train")] == [["joy"], ["anger", "joy"]]
    grouped = load_dataset(f"goemotions:{root}", DatasetOptions(label_group="sentiment"))
    assert grouped.rows("train")[1].label == ["negative", "positive"]
    with pytest.raises(EmoevalError, match="--label-group 'plutchik' is not known"):
        load_dataset(f"goemotions:{root}", DatasetOptions(label_group="plutchik")).rows()
    with pytest.raises(EmoevalError, match="unknown split 'val'"):
        ds.rows("val")
    bad = write_goemotions(tmp_path / "bad", {"test": ["x\t7\tc9"]})
    with pytest.raises(EmoevalError, match="label id '7' is not an index"):
        load_dataset(f"goemotions:{bad}").rows()
    with pytest.raises(EmoevalError, match="not found"):
        load_dataset(f"goemotions:{tmp_path / 'nowhere'}").rows()


def test_goemotions_shared_files():
    root = shared_data("goemotions")
    ds = load_dataset(f"goemotions:{root}")
    counts = {s: len(ds.rows(s)) for s in ds.splits()}
    assert counts == {"train": 43410, "dev": 5426, "test": 5427}
    test = ds.rows("test")
    names = {n for r in test for n in r.label}
    assert len(names) == 28 and "neutral" in names
    assert sum("neutral" in r.label for r in test) == 1787  # the data README's count
    ekman = load_dataset(f"goemotions:{root}", DatasetOptions(label_group="ekman")).rows("test")
    assert {n for r in ekman for n in r.label} == {"anger", "disgust", "fear", "joy",
                                                   "sadness", "surprise", "neutral"}
    # a grouped row is the union of its labels' groups
    by_id = {r.id: r.label for r in test}
    for row in ekman[:200]:
        assert ("neutral" in row.label) == ("neutral" in by_id[row.id])
