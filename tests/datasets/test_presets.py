"""Corpus presets on synthetic trees that follow each corpus' documented naming."""

from __future__ import annotations

from pathlib import Path

import pytest

from emoeval.datasets import load_dataset
from emoeval.datasets.presets.cremad import CremaDDataset
from emoeval.datasets.presets.emodb import EmoDBDataset
from emoeval.datasets.presets.ravdess import RavdessDataset
from emoeval.datasets.presets.savee import SaveeDataset
from emoeval.datasets.presets.tess import TessDataset
from emoeval.datasets.presets.tweeteval import TweetEvalDataset
from emoeval.datasets.presets.urdu import UrduDataset
from emoeval.errors import EmoevalError


def summary(rows, *keys):
    """(id, label, metadata[k]...) per row, keys missing -> None."""
    return [(r.id, r.label, *(r.metadata.get(k) for k in keys)) for r in rows]


def test_ravdess(tmp_path, make_tree):
    make_tree(tmp_path, ["Actor_01/03-01-01-01-01-01-01.wav",
                         "Actor_02/03-01-08-02-02-01-02.wav",
                         "Actor_24/03-01-06-01-01-02-24.wav",
                         "Actor_01/03-02-03-01-01-01-01.wav",  # song
                         "Actor_01/README.wav"])
    ds = load_dataset(f"ravdess:{tmp_path}")
    assert isinstance(ds, RavdessDataset)
    rows = ds.rows()
    assert summary(rows, "speaker", "gender", "intensity", "language") == [
        ("Actor_01/03-01-01-01-01-01-01.wav", "neutral", "01", "male", "normal", "en"),
        ("Actor_02/03-01-08-02-02-01-02.wav", "surprised", "02", "female", "strong", "en"),
        ("Actor_24/03-01-06-01-01-02-24.wav", "fearful", "24", "female", "normal", "en")]
    assert rows[2].metadata["repetition"] == "02" and rows[1].metadata["statement"] == "02"
    assert all(Path(r.audio).is_file() for r in rows)
    assert ds.skipped == ["Actor_01/README.wav"]
    assert ds.excluded == ["Actor_01/03-02-03-01-01-01-01.wav"]

    ds.include_song = True
    song = [r for r in ds.rows() if r.metadata["vocal_channel"] == "song"]
    assert summary(song) == [("Actor_01/03-02-03-01-01-01-01.wav", "happy")]


def test_cremad_with_and_without_demographics(tmp_path, make_tree):
    make_tree(tmp_path, ["AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1002_IEO_HAP_HI.wav",
                         "AudioWAV/1002_IEO_XYZ_HI.wav"])
    rows = load_dataset(f"crema-d:{tmp_path}").rows()
    assert summary(rows, "speaker", "sentence", "intensity", "gender") == [
        ("AudioWAV/1001_DFA_ANG_XX.wav", "anger", "1001", "DFA", "unspecified", None),
        ("AudioWAV/1002_IEO_HAP_HI.wav", "happy", "1002", "IEO", "high", None)]
    (tmp_path / "VideoDemographics.csv").write_text(
        '"ActorID","Age","Sex"\n1001,51,"Male"\n1002,21,"Female"\n', encoding="utf-8")
    ds = load_dataset(f"crema-d:{tmp_path}")
    assert isinstance(ds, CremaDDataset)
    assert [r.metadata["gender"] for r in ds.rows()] == ["male", "female"]
    assert ds.skipped == ["AudioWAV/1002_IEO_XYZ_HI.wav"]


def test_emodb(tmp_path, make_tree):
    make_tree(tmp_path, ["wav/03a01Fa.wav", "wav/16b10Tb.wav", "wav/09a05Lc.wav",
                         "wav/notes.wav"])
    ds = load_dataset(f"emodb:{tmp_path}")
    assert isinstance(ds, EmoDBDataset)
    assert summary(ds.rows(), "speaker", "gender", "text_code", "language") == [
        ("wav/03a01Fa.wav", "happiness", "03", "male", "a01", "de"),
        ("wav/09a05Lc.wav", "boredom", "09", "female", "a05", "de"),
        ("wav/16b10Tb.wav", "sadness", "16", "female", "b10", "de")]
    assert ds.skipped == ["wav/notes.wav"]


def test_tess(tmp_path, make_tree):
    make_tree(tmp_path, ["OAF_Pleasant_surprise/OAF_back_ps.wav",
                         "YAF_angry/YAF_dog_angry.wav", "YAF_fear/YAF_bean_fear.wav",
                         "OAF_neutral/OAF_back_bored.wav"])
    ds = load_dataset(f"tess:{tmp_path}")
    assert isinstance(ds, TessDataset)
    assert summary(ds.rows(), "speaker", "gender", "word") == [
        ("OAF_Pleasant_surprise/OAF_back_ps.wav", "pleasant surprise", "OAF", "female",
         "back"),
        ("YAF_angry/YAF_dog_angry.wav", "angry", "YAF", "female", "dog"),
        ("YAF_fear/YAF_bean_fear.wav", "fear", "YAF", "female", "bean")]
    assert ds.skipped == ["OAF_neutral/OAF_back_bored.wav"]


def test_savee_both_layouts(tmp_path, make_tree):
    make_tree(tmp_path, ["AudioData/DC/a01.wav", "AudioData/JE/sa02.wav",
                         "AudioData/JK/su15.wav", "AudioData/JK/d03.wav", "flat/KL_h04.wav",
                         "flat/n01.wav", "AudioData/DC/x01.wav"])
    ds = load_dataset(f"savee:{tmp_path}")
    assert isinstance(ds, SaveeDataset)
    assert summary(ds.rows(), "speaker", "gender", "sentence", "language") == [
        ("AudioData/DC/a01.wav", "anger", "DC", "male", "01", "en"),
        ("AudioData/JE/sa02.wav", "sadness", "JE", "male", "02", "en"),
        ("AudioData/JK/d03.wav", "disgust", "JK", "male", "03", "en"),
        ("AudioData/JK/su15.wav", "surprise", "JK", "male", "15", "en"),
        ("flat/KL_h04.wav", "happiness", "KL", "male", "04", "en")]
    # no speaker anywhere / unknown prefix
    assert ds.skipped == ["AudioData/DC/x01.wav", "flat/n01.wav"]


def test_urdu(tmp_path, make_tree):
    make_tree(tmp_path, ["Angry/SM1_F10_A010.wav", "Sad/SF3_F2_S05.wav",
                         "Neutral/SM27_F1_N01.wav", "Happy/bad_name.wav"])
    ds = load_dataset(f"urdu:{tmp_path}")
    assert isinstance(ds, UrduDataset)
    assert summary(ds.rows(), "speaker", "gender", "language") == [
        ("Angry/SM1_F10_A010.wav", "angry", "M1", "male", "ur"),
        ("Neutral/SM27_F1_N01.wav", "neutral", "M27", "male", "ur"),
        ("Sad/SF3_F2_S05.wav", "sad", "F3", "female", "ur")]
    assert ds.skipped == ["Happy/bad_name.wav"]


@pytest.mark.parametrize("preset,naming", [("ravdess", "03-01-EE-II-SS-RR-AA.wav"),
                                           ("crema-d", "AAAA_SSS_EEE_LL.wav"),
                                           ("emodb", "03a01Fa.wav"), ("tess", "OAF_back_ps"),
                                           ("savee", "DC/a01.wav"), ("urdu", "SM1_F10_A010")])
def test_preset_errors(tmp_path, make_tree, preset, naming):
    with pytest.raises(EmoevalError, match="not found") as err:
        load_dataset(f"{preset}:{tmp_path / 'missing'}").rows()
    assert naming in str(err.value)  # the error says what the folder should hold
    make_tree(tmp_path / "other", ["song.wav", "deep/clip.flac"])
    with pytest.raises(EmoevalError, match="no audio files named") as err:
        load_dataset(f"{preset}:{tmp_path / 'other'}").rows()
    assert naming in str(err.value) and "2 other audio files" in str(err.value)
    with pytest.raises(EmoevalError, match="no splits"):
        load_dataset(f"{preset}:{tmp_path / 'other'}").rows("test")


def write_tweeteval(root: Path, splits: dict[str, tuple[list[str], list[str]]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "mapping.txt").write_text("0\tanger\n1\tjoy\n2\toptimism\n3\tsadness",
                                      encoding="utf-8")
    for split, (texts, labels) in splits.items():
        (root / f"{split}_text.txt").write_text("".join(t + "\n" for t in texts),
                                                encoding="utf-8")
        (root / f"{split}_labels.txt").write_text("".join(f"{x}\n" for x in labels),
                                                  encoding="utf-8")
    return root


def test_tweeteval_splits_and_default(tmp_path):
    root = write_tweeteval(tmp_path / "emotion", {
        "train": (["so mad", "yay"], ["0", "1"]),
        "val": (["sigh"], ["3"]),
        # U+2028 inside a tweet must not split it into two rows
        "test": (["great day\u2028ahead", ""], ["2", "0"])})
    ds = load_dataset(f"tweeteval:{root}")
    assert isinstance(ds, TweetEvalDataset)
    assert ds.splits() == ["train", "val", "test"]
    rows = ds.rows()  # default: test
    assert [(r.id, r.text, r.label, r.split) for r in rows] == [
        ("test-1", "great day\u2028ahead", "optimism", "test"), ("test-2", "", "anger", "test")]
    assert [(r.id, r.label) for r in ds.rows("train")] == [("train-1", "anger"),
                                                           ("train-2", "joy")]
    (root / "test_text.txt").unlink()
    assert [r.id for r in ds.rows()] == ["val-1"]  # no test: val
    with pytest.raises(EmoevalError, match="unknown split 'test'.*train, val"):
        ds.rows("test")


def test_tweeteval_errors(tmp_path):
    root = write_tweeteval(tmp_path / "a", {"val": (["a", "b"], ["0"])})
    with pytest.raises(EmoevalError, match="2 lines but val_labels.txt has 1"):
        load_dataset(f"tweeteval:{root}").rows()
    root = write_tweeteval(tmp_path / "b", {"val": (["a"], ["7"])})
    with pytest.raises(EmoevalError, match="label id '7' is not in mapping.txt"):
        load_dataset(f"tweeteval:{root}").rows()
    empty = tmp_path / "c"
    empty.mkdir()
    with pytest.raises(EmoevalError, match="no split files"):
        load_dataset(f"tweeteval:{empty}").rows()
    with pytest.raises(EmoevalError, match="not found"):
        load_dataset(f"tweeteval:{tmp_path / 'd'}").rows()
