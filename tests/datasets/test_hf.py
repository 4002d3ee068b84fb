"""hf: datasets from the Hub cache, a local data folder, or save_to_disk; offline errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from emoeval.datasets import load_dataset
from emoeval.datasets.hf import HFDataset
from emoeval.errors import EmoevalError

datasets = pytest.importorskip("datasets")


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """No network, and every cache inside tmp_path."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(tmp_path / "emoeval_cache"))


def wav_bytes(seconds: float = 0.1) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.random.default_rng(0).normal(0, 0.1, int(16000 * seconds)), 16000,
             format="WAV")
    return buf.getvalue()


def test_offline_error_is_one_line():
    ds = load_dataset("hf:nobody-here/no-such-emotion-set")
    assert isinstance(ds, HFDataset)
    with pytest.raises(EmoevalError) as err:
        ds.rows()
    msg = str(err.value)
    assert "could not fetch dataset 'nobody-here/no-such-emotion-set'" in msg
    assert "csv:" in msg and "audiofolder:" in msg and "\n" not in msg


def test_missing_local_folder(tmp_path):
    with pytest.raises(EmoevalError, match="local folder .* not found"):
        load_dataset(f"hf:{tmp_path}/nope").rows()


def test_revision_is_parsed():
    ds = HFDataset("user/set@v1.0")
    assert (ds.dataset_name, ds.revision) == ("user/set", "v1.0")
    assert HFDataset("user/set").revision is None


def test_saved_dataset_with_audio_bytes_and_classlabel(tmp_path):
    data = wav_bytes()
    ds = datasets.Dataset.from_dict({
        "audio": [{"bytes": data, "path": "clip1.wav"}, {"bytes": data, "path": None}],
        "label": [0, 1], "speaker": ["m1", "f2"]})
    ds = ds.cast_column("audio", datasets.Audio()).cast_column(
        "label", datasets.ClassLabel(names=["angry", "sad"]))
    datasets.DatasetDict({"test": ds, "train": ds}).save_to_disk(str(tmp_path / "saved"))

    source = load_dataset(f"hf:{tmp_path / 'saved'}")
    assert sorted(source.splits()) == ["test", "train"]
    rows = source.rows()  # default: the test split
    assert [(r.id, r.label, r.split) for r in rows] == [("test-1", "angry", "test"),
                                                       ("test-2", "sad", "test")]
    assert [r.metadata for r in rows] == [{"speaker": "m1"}, {"speaker": "f2"}]
    cache = tmp_path / "emoeval_cache" / "hf_audio"
    for r in rows:  # bytes written once to the cache, content-addressed
        path = Path(r.audio)
        assert path.is_file() and cache in path.parents and path.suffix == ".wav"
        assert path.read_bytes() == data
    assert rows[0].audio == rows[1].audio  # same content, same file
    assert [r.id for r in source.rows("train")] == ["train-1", "train-2"]
    with pytest.raises(EmoevalError, match="unknown split 'dev'"):
        source.rows("dev")


def test_local_data_folder_text_splits(tmp_path):
    folder = tmp_path / "tweets"
    folder.mkdir()
    (folder / "train.csv").write_text("text,label\nyay,joy\nugh,anger\n", encoding="utf-8")
    (folder / "test.csv").write_text("text,label\nmeh,sadness\n", encoding="utf-8")
    source = load_dataset(f"hf:{folder}")
    rows = source.rows()
    assert [(r.id, r.text, r.label, r.split) for r in rows] == [("test-1", "meh", "sadness",
                                                                 "test")]
    assert [r.label for r in source.rows("train")] == ["joy", "anger"]
    with pytest.raises(EmoevalError, match="unknown split 'validation'"):
        load_dataset(f"hf:{folder}").rows("validation")


def test_local_audio_path_is_used_in_place(tmp_path, make_wav):
    folder = tmp_path / "corpus"
    wav = make_wav(folder / "clips" / "a.wav")
    (folder / "test.csv").write_text("file,label\nclips/a.wav,calm\n", encoding="utf-8")
    (row,) = load_dataset(f"hf:{folder}").rows()
    # a path relative to a local data folder, used where it lies: nothing copied
    assert (row.id, row.label, row.audio) == ("test-1", "calm", str(wav))
    assert not (tmp_path / "emoeval_cache").exists()


def test_saved_single_dataset_without_splits(tmp_path, make_wav):
    wav = make_wav(tmp_path / "clips" / "a.wav")
    ds = datasets.Dataset.from_dict({"audio": [str(wav)], "emotion": ["calm"], "id": ["utt-a"]})
    ds.cast_column("audio", datasets.Audio()).save_to_disk(str(tmp_path / "saved"))
    source = load_dataset(f"hf:{tmp_path / 'saved'}")
    assert source.splits() == []
    (row,) = source.rows()
    assert (row.id, row.label, row.split) == ("utt-a", "calm", None)
    # save_to_disk embedded the file: its bytes come back through the cache
    assert Path(row.audio).read_bytes() == wav.read_bytes()
