"""The emobank preset against the shared files (skipped when they are absent)."""

import pandas as pd
import pytest
from builders import shared_data

from emoeval.datasets.base import DatasetOptions, load_dataset
from emoeval.errors import EmoevalError


def test_dim_emobank_splits_and_perspectives():
    root = shared_data("emobank")
    corpus = pd.read_csv(root / "emobank.csv").set_index("id")
    reader = pd.read_csv(root / "reader.csv").set_index("id")
    combined = load_dataset(f"emobank:{root}", DatasetOptions()).rows()
    assert {r.split for r in combined} == {"test"}
    assert len(combined) == (corpus["split"] == "test").sum()
    row = combined[0]
    assert row.label == "dimensional"
    assert row.targets == {d: pytest.approx(corpus.loc[row.id, d]) for d in "VAD"}
    train = load_dataset(f"emobank:{root}", DatasetOptions(label_group="reader")).rows("train")
    assert len(train) == (corpus["split"] == "train").sum()
    assert train[0].targets == {d: pytest.approx(reader.loc[train[0].id, d]) for d in "VAD"}
    assert train[0].metadata["perspective"] == "reader"


def test_dim_emobank_bad_perspective_and_split():
    root = shared_data("emobank")
    with pytest.raises(EmoevalError, match="perspective"):
        load_dataset(f"emobank:{root}", DatasetOptions(label_group="listener")).rows()
    with pytest.raises(EmoevalError, match="unknown split"):
        load_dataset(f"emobank:{root}", DatasetOptions()).rows("validation")


def test_dim_emobank_missing_dir(tmp_path):
    with pytest.raises(EmoevalError, match="emobank"):
        load_dataset(f"emobank:{tmp_path / 'nope'}", DatasetOptions()).rows()
