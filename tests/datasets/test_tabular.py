"""csv: / jsonl: / parquet: sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emoeval.datasets import DatasetOptions, load_dataset
from emoeval.datasets.tabular import TabularDataset
from emoeval.errors import EmoevalError


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_text_defaults_ids_and_metadata(tmp_path):
    f = write_csv(tmp_path / "d.csv",
                  "sentence,emotion,speaker_id,Gender,source\n"
                  "I am glad,joy,s1,female,web\n"
                  ",anger,s2,male,web\n")
    ds = load_dataset(f"csv:{f}")
    assert isinstance(ds, TabularDataset) and ds.name == "csv"
    rows = ds.rows()
    assert [r.id for r in rows] == ["all-1", "all-2"]
    assert [r.label for r in rows] == ["joy", "anger"]
    assert rows[0].text == "I am glad" and rows[0].audio is None
    assert rows[1].text == ""  # empty text is still a row; the runner records the error
    assert rows[0].metadata == {"source": "web", "speaker": "s1", "gender": "female"}
    assert rows[0].split is None and ds.splits() == []


def test_csv_bom_and_tsv(tmp_path):
    f = tmp_path / "d.csv"
    f.write_bytes("\ufefftext,label\nhi,joy\n".encode("utf-8"))
    assert load_dataset(f"csv:{f}").rows()[0].text == "hi"  # BOM not part of "text"
    t = write_csv(tmp_path / "d.tsv", "text\tlabel\nhello, you\tsad\n")
    row = load_dataset(f"csv:{t}").rows()[0]
    assert (row.text, row.label) == ("hello, you", "sad")


def test_explicit_columns(tmp_path):
    f = write_csv(tmp_path / "d.csv",
                  "key,utt,gold,text,label,who\nk1,hello,happy,other,x,ann\n")
    opts = DatasetOptions(id_col="key", text_col="utt", label_col="gold", speaker_col="who")
    row = load_dataset(f"csv:{f}", opts).rows()[0]
    assert (row.id, row.text, row.label) == ("k1", "hello", "happy")
    # unused default-named columns stay as metadata
    assert row.metadata == {"text": "other", "label": "x", "speaker": "ann"}


@pytest.mark.parametrize("option,flag", [("label_col", "--label-col"), ("text_col", "--text-col"),
                                         ("id_col", "--id-col"), ("split_col", "--split-col")])
def test_missing_named_column(tmp_path, option, flag):
    f = write_csv(tmp_path / "d.csv", "text,label\nhi,joy\n")
    ds = load_dataset(f"csv:{f}", DatasetOptions(**{option: "nope"}))
    with pytest.raises(EmoevalError) as err:
        ds.rows()
    msg = str(err.value)
    assert flag in msg and "'nope'" in msg and "available columns: text, label" in msg
    assert "\n" not in msg


def test_missing_label_and_input_columns(tmp_path):
    f = write_csv(tmp_path / "d.csv", "text,score\nhi,1\n")
    with pytest.raises(EmoevalError, match="no label column.*--label-col"):
        load_dataset(f"csv:{f}").rows()
    g = write_csv(tmp_path / "g.csv", "body,label\nhi,joy\n")
    with pytest.raises(EmoevalError, match="--text-col or --audio-col.*body, label"):
        load_dataset(f"csv:{g}").rows()


def test_missing_file(tmp_path):
    with pytest.raises(EmoevalError, match="not found"):
        load_dataset(f"csv:{tmp_path / 'nope.csv'}").rows()


def test_split_filtering_and_stable_ids(tmp_path):
    f = write_csv(tmp_path / "d.csv",
                  "text,label,split\na,joy,train\nb,sad,test\nc,joy,test\n")
    ds = load_dataset(f"csv:{f}")
    assert ds.splits() == ["train", "test"]
    assert [r.id for r in ds.rows()] == ["train-1", "test-2", "test-3"]
    test = ds.rows("test")
    assert [(r.id, r.text, r.split) for r in test] == [("test-2", "b", "test"),
                                                      ("test-3", "c", "test")]
    assert "split" not in test[0].metadata
    with pytest.raises(EmoevalError, match="unknown split 'dev'.*train, test"):
        ds.rows("dev")


def test_split_without_split_column(tmp_path):
    f = write_csv(tmp_path / "d.csv", "text,label\na,joy\n")
    with pytest.raises(EmoevalError, match="no split column"):
        load_dataset(f"csv:{f}").rows("test")


def test_duplicate_ids(tmp_path):
    f = write_csv(tmp_path / "d.csv", "id,text,label\n1,a,joy\n1,b,sad\n")
    ds = load_dataset(f"csv:{f}")
    assert len(ds.load_rows(None)) == 2  # the check lives in rows()
    with pytest.raises(EmoevalError, match="duplicate sample ids.*--id-col"):
        ds.rows()


def test_relative_audio_paths(tmp_path, make_wav):
    make_wav(tmp_path / "clips" / "a.wav")
    absolute = make_wav(tmp_path / "elsewhere" / "b.wav")
    sub = tmp_path / "meta"
    sub.mkdir()
    f = write_csv(sub / "d.csv",
                  f"file_name,label,transcript\n../clips/a.wav,angry,hi\n{absolute},sad,yo\n")
    rows = load_dataset(f"csv:{f}").rows()
    # audio wins over the transcript because the values are audio paths
    assert rows[0].audio == str(tmp_path / "clips" / "a.wav") and rows[0].text is None
    assert Path(rows[0].audio).is_file() and rows[1].audio == str(absolute)
    assert [r.id for r in rows] == ["../clips/a.wav", "../elsewhere/b.wav"]
    assert rows[0].metadata == {"transcript": "hi"}


def test_text_kept_when_file_column_is_not_audio(tmp_path):
    f = write_csv(tmp_path / "d.csv", "text,file,label\nhello,doc1.txt,joy\n")
    row = load_dataset(f"csv:{f}").rows()[0]
    assert row.text == "hello" and row.audio is None and row.metadata == {"file": "doc1.txt"}


def test_jsonl(tmp_path):
    f = tmp_path / "d.jsonl"
    lines = [{"id": "x", "text": "hi", "label": 1, "tags": ["a"]},
             {"text": None, "label": 0, "speaker": 7}]
    f.write_text(json.dumps(lines[0]) + "\n\n" + json.dumps(lines[1]) + "\n", encoding="utf-8")
    rows = load_dataset(f"jsonl:{f}").rows()
    assert [r.id for r in rows] == ["x", "all-2"]  # missing id falls back to the row number
    assert [r.label for r in rows] == ["1", "0"]
    assert rows[1].text == "" and rows[1].metadata["speaker"] == "7"
    assert rows[0].metadata["tags"] == '["a"]'


def test_jsonl_bad_line(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text('{"text": "a", "label": "x"}\n{oops\n', encoding="utf-8")
    with pytest.raises(EmoevalError, match="line 2: not valid JSON"):
        load_dataset(f"jsonl:{f}").rows()


def test_format_from_prefix_and_suffix(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    assert load_dataset(f"jsonl:{f}").rows()[0].text == "a"  # the prefix decides
    g = tmp_path / "d.jsonl"
    g.write_text('{"text": "b", "label": "y"}\n', encoding="utf-8")
    assert TabularDataset(str(g)).format == "jsonl"  # no known prefix: the suffix decides


def test_parquet_audio(tmp_path, make_wav):
    import pyarrow as pa
    import pyarrow.parquet as pq

    make_wav(tmp_path / "wav" / "a.wav")
    make_wav(tmp_path / "wav" / "b.wav")
    table = pa.table({"audio": ["wav/a.wav", "wav/b.wav"], "label": ["happy", "sad"],
                      "speaker": ["m1", "f1"], "split": ["test", "train"],
                      "duration": [0.1, None]})
    pq.write_table(table, tmp_path / "d.parquet")
    ds = load_dataset(f"parquet:{tmp_path / 'd.parquet'}")
    rows = ds.rows()
    assert [r.id for r in rows] == ["wav/a.wav", "wav/b.wav"]
    assert all(Path(r.audio).is_absolute() and Path(r.audio).is_file() for r in rows)
    assert rows[0].metadata == {"duration": "0.1", "speaker": "m1"}
    assert rows[1].metadata["duration"] == ""  # null -> empty string
    assert [r.id for r in ds.rows("train")] == ["wav/b.wav"]
