"""The packaged ``demo:en`` text set."""

from __future__ import annotations

import re
from collections import Counter
from importlib.resources import files

import pytest

from emoeval.datasets.base import load_dataset
from emoeval.datasets.demo import DemoDataset
from emoeval.errors import EmoevalError
from emoeval.labels import canonical

LABELS = {"neutral", "happy", "sad", "angry", "fear", "disgust", "surprise"}
STYLES = {"chat", "review", "diary", "news", "message"}


@pytest.fixture(scope="module")
def rows():
    return load_dataset("demo:en").rows()


def test_packaged_files_exist():
    data = files("emoeval") / "data"
    assert (data / "demo_en.csv").is_file()
    assert (data / "DEMO_DATA.md").is_file()


def test_350_rows_50_per_label(rows):
    assert len(rows) == 350
    assert Counter(r.label for r in rows) == {label: 50 for label in LABELS}


def test_labels_are_canonical_names(rows):
    assert all(canonical(r.label) == r.label for r in rows)


def test_ids_unique_and_from_id_column(rows):
    ids = [r.id for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"demo-\d{4}", i) for i in ids)
    assert ids[0] == "demo-0001" and ids[-1] == "demo-0350"


def test_text_rows_no_empty_text_no_duplicates(rows):
    assert all(r.modality == "text" and r.audio is None for r in rows)
    assert all(r.text and r.text.strip() for r in rows)
    normalised = [" ".join(re.findall(r"\w+", r.text.lower())) for r in rows]
    assert len(set(normalised)) == len(normalised)
    assert all(3 <= len(r.text.split()) <= 30 for r in rows)


def test_source_style_metadata(rows):
    assert {r.metadata["source_style"] for r in rows} == STYLES
    assert all(r.metadata["language"] == "en" for r in rows)


def test_no_splits():
    ds = DemoDataset("en")
    assert ds.splits() == []
    assert len(ds.rows()) == 350
    with pytest.raises(EmoevalError, match="no splits"):
        ds.rows("test")


def test_unknown_argument_is_an_error():
    with pytest.raises(EmoevalError, match="demo:en"):
        load_dataset("demo:fr")
    with pytest.raises(EmoevalError):
        load_dataset("demo:")


def test_fingerprint_is_stable():
    a, b = load_dataset("demo:en"), load_dataset("demo:en")
    assert a.fingerprint(a.rows()) == b.fingerprint(b.rows())
