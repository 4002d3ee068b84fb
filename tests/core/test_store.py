import json

import pytest

from emoeval.errors import EmoevalError
from emoeval.store import PREDICTIONS_FILE, PredictionStore, Record

MANIFEST = {"model_spec": "m", "model_fingerprint": "abc", "dataset_spec": "d",
            "dataset_fingerprint": "xyz"}


def test_records_survive_reopen(tmp_path):
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        store.add_batch([Record("a", {"happy": 0.9, "sad": 0.1}, None, 1.5),
                         Record("b", None, "empty text")])
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        assert set(store.records) == {"a", "b"}
        assert store.records["a"].scores == {"happy": 0.9, "sad": 0.1}
        assert store.records["b"].error == "empty text"


def test_partial_last_line_is_cut_and_appending_continues(tmp_path):
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        store.add_batch([Record("a", {"happy": 1.0}, None)])
    path = tmp_path / PREDICTIONS_FILE
    with open(path, "a") as f:
        f.write('{"key": "abc", "id": "b", "sco')  # what kill -9 mid-write leaves
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        assert set(store.records) == {"a"}
        store.add_batch([Record("b", {"sad": 1.0}, None)])
    lines = path.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]


@pytest.mark.parametrize("field", ["model_fingerprint", "dataset_fingerprint"])
def test_other_model_or_dataset_is_refused(tmp_path, field):
    PredictionStore(str(tmp_path), MANIFEST).close()
    other = dict(MANIFEST, **{field: "different"})
    with pytest.raises(EmoevalError, match="another --out"):
        PredictionStore(str(tmp_path), other)


def test_nan_scores_are_stored_as_null(tmp_path):
    with PredictionStore(str(tmp_path), MANIFEST) as store:
        store.add_batch([Record("a", {"happy": float("nan")}, "NaN or infinite score")])
    obj = json.loads((tmp_path / PREDICTIONS_FILE).read_text())
    assert obj["scores"] == {"happy": None}
