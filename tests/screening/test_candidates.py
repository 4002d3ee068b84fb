"""The candidates file (input and candidates.usable.yaml) and model slugs."""

from __future__ import annotations

import re

import pytest

from emoeval.errors import EmoevalError
from emoeval.screening import Candidate, model_slug, read_candidates, write_candidates


def write(tmp_path, text: str):
    path = tmp_path / "candidates.yaml"
    path.write_text(text)
    return path


def test_strings_and_mappings_with_every_field(tmp_path):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "korean.csv").write_text("source,target\nLABEL_0,angry\nLABEL_1,\n")
    path = write(tmp_path, """
- superb/wav2vec2-base-superb-er
- onnx:models/ser.onnx
- spec: hf:jungjongho/korean-wav2vec2-xlsr-emotions
  language: KO
  task: classification
  notes: trained on Korean
  label_map: maps/korean.csv
- spec: python:mymodels:predict
  label_map: {neu: neutral, other: null}
""")
    candidates = read_candidates(str(path))
    assert [c.spec for c in candidates] == [
        "hf:superb/wav2vec2-base-superb-er",  # a bare hub id is a transformers model
        "onnx:models/ser.onnx", "hf:jungjongho/korean-wav2vec2-xlsr-emotions",
        "python:mymodels:predict"]
    korean = candidates[2]
    assert (korean.language, korean.task, korean.notes) == ("ko", "classification",
                                                           "trained on Korean")
    # a label-map file is read relative to the candidates file, as --label-map reads it
    assert korean.label_map == {"LABEL_0": "angry", "LABEL_1": None}
    assert candidates[3].label_map == {"neu": "neutral", "other": None}
    assert candidates[0].language is None and candidates[0].label_map is None


def test_written_file_reads_back_the_same(tmp_path):
    candidates = [Candidate("hf:superb/wav2vec2-base-superb-er", language="en",
                            notes="best so far: 0.645"),
                  Candidate("python:m:f", label_map={"LABEL_0": "sad", "LABEL_1": None})]
    path = tmp_path / "usable.yaml"
    write_candidates(str(path), candidates, comments=["usable: fine", ""],
                     header="two kept")
    assert read_candidates(str(path)) == candidates
    assert path.read_text().startswith("# two kept\n# usable: fine\n- spec: hf:superb/")


@pytest.mark.parametrize("text,message", [
    ("", "lists no candidates"),
    ("[]", "lists no candidates"),
    ("spec: hf:a/b", "must hold a YAML list"),
    ("- [1, 2]", "entry 1: expected a model spec"),
    ("- spec: hf:a/b\n  langauge: en", "unknown field\\(s\\) langauge"),
    ("- language: en", "entry 1: no 'spec'"),
    ("- hf:a/b\n- spec: a/b", "listed twice \\(entries 1 and 2\\)"),
    ("- spec: hf:a/b\n  label_map: [a, b]", "label_map must be a mapping"),
    ("- spec: hf:a/b\n  label_map: absent.yaml", "--label-map .*absent.yaml: file not found"),
    ("- spec: hf:a/b\n   bad: indent", "not valid YAML"),
])
def test_malformed_files_get_one_line_errors(tmp_path, text, message):
    with pytest.raises(EmoevalError, match=message):
        read_candidates(str(write(tmp_path, text)))


def test_missing_file(tmp_path):
    with pytest.raises(EmoevalError, match="not found"):
        read_candidates(str(tmp_path / "nope.yaml"))


def test_slug_reads_like_the_spec():
    assert model_slug("hf:superb/wav2vec2-base-superb-er") == "hf_superb_wav2vec2-base-superb-er"


@pytest.mark.parametrize("specs", [
    ["hf:a/b", "hf:a_b", "hf:a:b", "hf:a b", "hf:A/b"],
    ["python:models:predict", "python:models/predict", "python_models_predict"],
    ["hf:./models/x", "hf:models/x", "hf:/models/x", "hf:.models/x"],
])
def test_slugs_are_unique_and_filesystem_safe(specs):
    slugs = [model_slug(s) for s in specs]
    assert len(set(slugs)) == len(specs)
    for slug in slugs:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", slug), slug


def test_long_specs_give_bounded_distinct_slugs():
    base = "hf:/data/" + "very-long-folder-name/" * 10
    first, second = model_slug(base + "one"), model_slug(base + "two")
    assert first != second and len(first) <= 90 and len(second) <= 90
