"""`emoeval evaluate` on the real speech in ../shared/data with a locally built model.

The models are tiny and random: these tests check the whole path on real files (decoding
44.1/22.05 kHz wav, resampling, presets, speaker-clustered CIs), not model quality.
"""

from __future__ import annotations

import json

import pandas as pd
from builders import build_audio_classifier, shared_data
from typer.testing import CliRunner

from emoeval.cli import app

EMODB_LABELS = ["anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"]


def evaluate(*args) -> dict:
    result = CliRunner().invoke(app, ["evaluate", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_urdu_preset_real_speech(tmp_path, audio_model):
    root = shared_data("urdu")
    out = tmp_path / "urdu"
    evaluate("--model", f"hf:{audio_model}", "--dataset", f"urdu:{root}", "--out", out,
             "--limit", "40", "--slice-by", "gender", "--batch-size", "8")
    res = json.loads((out / "results.json").read_text())
    assert res["labels"] == ["angry", "happy", "neutral", "sad"]
    assert res["n_samples"] == 40 and res["n_errors"] == 0
    assert res["ci"]["balanced_accuracy"]["unit"] == "speaker"
    assert set(res["slices"]["gender"]) <= {"male", "female"}
    detailed = pd.read_csv(out / "detailed_results.csv")
    assert detailed["label"].value_counts().tolist() == [10, 10, 10, 10]
    truth = pd.read_csv(root / "labels.csv").set_index("path")["emotion"]
    assert (detailed.set_index("id")["label"] == truth.loc[detailed["id"]].values).all()


def test_emodb_preset_real_speech_with_a_group_norm_model(tmp_path):
    root = shared_data("emodb")
    model = build_audio_classifier(tmp_path / "model", EMODB_LABELS, attention_mask=False)
    out = tmp_path / "emodb"
    evaluate("--model", f"hf:{model}", "--dataset", f"emodb:{root}", "--out", out,
             "--limit", "35", "--batch-size", "8")
    res = json.loads((out / "results.json").read_text())
    assert res["labels"] == EMODB_LABELS
    assert res["n_samples"] == 35 and res["n_errors"] == 0
    assert res["label_mapping"]["how"] == {label: "exact" for label in EMODB_LABELS}
    assert sum(c["support"] for c in res["per_class"].values()) == 35
    assert res["ci"]["accuracy"]["unit"] == "speaker"
