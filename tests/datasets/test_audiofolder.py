"""audiofolder: one sub-folder per label, optionally below split folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from emoeval.datasets import load_dataset
from emoeval.datasets.audiofolder import AudioFolderDataset
from emoeval.errors import EmoevalError


def test_label_folders(tmp_path, make_tree):
    make_tree(tmp_path, ["angry/a1.wav", "angry/session2/a2.FLAC", "Happy/h1.ogg",
                         "Happy/._h1.ogg", "__MACOSX/angry/x.wav", "loose.wav"])
    (tmp_path / "angry" / "notes.txt").write_text("not audio")
    ds = load_dataset(f"audiofolder:{tmp_path}")
    assert isinstance(ds, AudioFolderDataset)
    rows = ds.rows()
    assert [(r.id, r.label) for r in rows] == [
        ("Happy/h1.ogg", "Happy"), ("angry/a1.wav", "angry"),
        ("angry/session2/a2.FLAC", "angry")]
    assert all(Path(r.audio).is_file() and Path(r.audio).is_absolute() for r in rows)
    assert all(r.split is None for r in rows)
    assert ds.skipped == ["loose.wav"]  # no label folder above it
    assert ds.splits() == []
    with pytest.raises(EmoevalError, match="no train/test"):
        ds.rows("test")


def test_split_level(tmp_path, make_tree):
    make_tree(tmp_path, ["train/sad/1.wav", "train/joy/2.wav", "test/sad/3.wav",
                         "test/joy/4.mp3"])
    ds = load_dataset(f"audiofolder:{tmp_path}")
    assert sorted(ds.splits()) == ["test", "train"]
    default = ds.rows()  # no --split: the test split
    assert [(r.id, r.label, r.split) for r in default] == [
        ("test/joy/4.mp3", "joy", "test"), ("test/sad/3.wav", "sad", "test")]
    assert [r.label for r in ds.rows("train")] == ["joy", "sad"]
    with pytest.raises(EmoevalError, match="unknown split 'dev'"):
        ds.rows("dev")


def test_split_names_only_when_all_top_folders_are_splits(tmp_path, make_tree):
    make_tree(tmp_path, ["test/a.wav", "neutral/b.wav"])
    rows = load_dataset(f"audiofolder:{tmp_path}").rows()
    assert sorted(r.label for r in rows) == ["neutral", "test"]


@pytest.mark.parametrize("setup,message", [("missing", "not found"), ("empty", "no audio files"),
                                           ("flat", "no audio files inside label folders")])
def test_errors(tmp_path, make_tree, setup, message):
    root = tmp_path / "data"
    if setup != "missing":
        root.mkdir()
    if setup == "flat":
        make_tree(root, ["a.wav"])
    with pytest.raises(EmoevalError, match=message):
        load_dataset(f"audiofolder:{root}").rows()
