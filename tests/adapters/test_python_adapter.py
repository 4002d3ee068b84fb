"""``python:<module>:<callable>`` on text and on audio."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from emoeval.adapters.base import load_adapter
from emoeval.cli import app
from emoeval.errors import EmoevalError


def test_label_strings_become_one_hot_scores():
    adapter = load_adapter("python:toy_models:keyword_label")
    adapter.set_candidate_labels(["happy", "sad"])
    scores = adapter.predict(["so happy", "the bus", "I cry"])
    assert adapter.labels == ["happy", "sad", "neutral"]  # grows with what the model says
    np.testing.assert_array_equal(scores, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


@pytest.mark.parametrize("spec,message", [
    ("python:nomodule_here:fn", "cannot import"),
    ("python:toy_models:absent", "no callable"),
    ("python:just_a_name", "<module>:<callable>"),
])
def test_bad_specs(spec, message):
    with pytest.raises(EmoevalError, match=message):
        load_adapter(spec)


def test_audio_dataset_gives_decoded_arrays(tmp_path, audio_csv, monkeypatch):
    module = tmp_path / "loudness_model.py"
    module.write_text(
        "import numpy as np\n"
        "def predict(clips):\n"
        "    assert all(c.dtype == np.float32 and c.ndim == 1 for c in clips)\n"
        "    return [{'angry': float(np.abs(c).mean()), 'sad': 0.05} for c in clips]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["evaluate", "--model", "python:loudness_model:predict",
                                      "--dataset", f"csv:{audio_csv}", "--out", str(out)])
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert res["n_scored"] == 12 and res["n_errors"] == 3
    assert res["label_mapping"]["how"] == {label: "exact" for label in res["labels"]}
    # the function scores only angry and sad: every prediction is one of the two
    assert res["per_class"]["happy"]["predicted"] == res["per_class"]["neutral"]["predicted"] == 0
