"""``hf:`` regression heads: tiny models built here, loaded through the real ``hf:`` path.

A head with ``problem_type "regression"`` predicts continuous values: its raw outputs, named
by ``id2label`` or ``output_names``; a regression head missing from the checkpoint is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from builders import build_audio_classifier, build_text_classifier, write_wav
from emoeval.adapters.base import load_adapter
from emoeval.datasets.base import Row
from emoeval.errors import EmoevalError
from emoeval.runner import run
from emoeval.store import PredictionStore

MSP_OUTPUTS = ["arousal", "dominance", "valence"]
MANIFEST = {"model_fingerprint": "m", "dataset_fingerprint": "d"}
TEXTS = ["i am so happy today", "sad", "this is not a very good day at all i hate it",
         "what news", "i love this"]


def make_regression(folder: Path, problem_type: str | None = "regression") -> Path:
    """Mark a saved classifier's head as a regression head (weights unchanged)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(folder)
    config.problem_type = problem_type
    config.save_pretrained(folder)
    return folder


def strip_head(folder: Path) -> Path:
    """Replace a saved model's weights by its bare base model's (no head), keeping the
    config (problem_type, id2label) and preprocessing, as a base checkpoint is published."""
    from transformers import AutoConfig, AutoModel

    AutoModel.from_config(AutoConfig.from_pretrained(folder)).save_pretrained(folder)
    return folder


def clips(lengths=(4000, 5600, 4000, 7100)) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [0.1 * rng.standard_normal(n).astype(np.float32) for n in lengths]


@pytest.fixture(scope="module")
def audio_regressor(tmp_path_factory) -> Path:
    folder = build_audio_classifier(tmp_path_factory.mktemp("w2v_reg"), MSP_OUTPUTS, seed=3)
    return make_regression(folder)


@pytest.fixture(scope="module")
def text_regressor(tmp_path_factory) -> Path:
    folder = build_text_classifier(tmp_path_factory.mktemp("bert_reg"), ["V", "A", "D"], seed=4)
    return make_regression(folder)


def test_audio_regression_head_returns_its_raw_outputs_named_by_id2label(audio_regressor):
    import torch
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    adapter = load_adapter(f"hf:{audio_regressor}")
    assert adapter.output == "values" and adapter.modality == "audio"
    assert adapter.labels == MSP_OUTPUTS
    model = Wav2Vec2ForSequenceClassification.from_pretrained(audio_regressor).eval()
    extractor = Wav2Vec2FeatureExtractor.from_pretrained(audio_regressor)
    for clip in clips()[:2]:
        with torch.no_grad():
            logits = model(**extractor(clip, sampling_rate=16000, return_tensors="pt")).logits
        np.testing.assert_allclose(adapter.predict([clip]), logits.numpy(), atol=1e-5)


def test_text_regression_head_returns_its_raw_outputs(text_regressor):
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    adapter = load_adapter(f"hf:{text_regressor}")
    assert adapter.output == "values" and adapter.modality == "text"
    assert adapter.labels == ["V", "A", "D"]
    model = BertForSequenceClassification.from_pretrained(text_regressor).eval()
    tokenizer = AutoTokenizer.from_pretrained(text_regressor)
    with torch.no_grad():
        logits = model(**tokenizer(TEXTS, return_tensors="pt", padding=True)).logits
    np.testing.assert_allclose(adapter.predict(TEXTS), logits.numpy(), atol=1e-5)


def test_audio_values_are_the_same_batched_and_one_by_one_through_the_runner(
        tmp_path, audio_regressor):
    adapter = load_adapter(f"hf:{audio_regressor}")
    rows = [Row(id=f"c{i}", label="dimensional",
                audio=str(write_wav(tmp_path / f"c{i}.wav", seconds=s, seed=i)))
            for i, s in enumerate((0.25, 0.35, 0.25, 0.44, 0.3))]
    values = {}
    for batch_size in (4, 1):
        with PredictionStore(str(tmp_path / f"out{batch_size}"), MANIFEST) as store:
            run(adapter, rows, store, batch_size=batch_size)
            values[batch_size] = {r.id: store.records[r.id] for r in rows}
    for row in rows:
        batched, single = values[4][row.id], values[1][row.id]
        assert batched.error is None and single.error is None
        assert list(batched.scores) == MSP_OUTPUTS
        np.testing.assert_allclose([batched.scores[k] for k in MSP_OUTPUTS],
                                   [single.scores[k] for k in MSP_OUTPUTS], atol=1e-5)


def test_text_values_are_the_same_batched_and_one_by_one(text_regressor):
    adapter = load_adapter(f"hf:{text_regressor}")
    batched = adapter.predict(TEXTS)
    single = np.vstack([adapter.predict([t]) for t in TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-5)


@pytest.mark.parametrize("names", [["valence", "arousal", "dominance"],
                                   "valence, arousal,dominance"])
def test_output_names_rename_the_outputs_and_enter_the_fingerprint(text_regressor, names):
    plain = load_adapter(f"hf:{text_regressor}")
    renamed = load_adapter(f"hf:{text_regressor}", output_names=names)
    assert renamed.labels == ["valence", "arousal", "dominance"]
    np.testing.assert_allclose(renamed.predict(TEXTS), plain.predict(TEXTS), atol=1e-6)
    assert renamed.fingerprint() != plain.fingerprint()
    assert load_adapter(f"hf:{text_regressor}", output_names=names).fingerprint() == \
        renamed.fingerprint()
    other = load_adapter(f"hf:{text_regressor}", output_names=["arousal", "valence", "dominance"])
    assert other.fingerprint() != renamed.fingerprint()


@pytest.mark.parametrize("names, message", [
    (["valence", "arousal"], "gives 2 names .* has 3 outputs"),
    ("valence,arousal,dominance,extra", "gives 4 names .* has 3 outputs"),
    ("valence,,dominance", "empty name"),
    (["valence", "valence", "dominance"], "names valence more than once"),
])
def test_bad_output_names_are_clear_errors(text_regressor, names, message):
    with pytest.raises(EmoevalError, match=message):
        load_adapter(f"hf:{text_regressor}", output_names=names)


def test_output_names_on_a_classification_head_are_refused(text_model):
    with pytest.raises(EmoevalError, match="--output-names applies to regression heads"):
        load_adapter(f"hf:{text_model}", output_names="valence,arousal,dominance,x")


def test_generic_output_names_stay_as_they_are(tmp_path):
    folder = build_text_classifier(tmp_path / "bert", ["LABEL_0", "LABEL_1", "LABEL_2"])
    adapter = load_adapter(f"hf:{make_regression(folder)}")
    assert adapter.output == "values"
    assert adapter.labels == ["LABEL_0", "LABEL_1", "LABEL_2"]


def test_a_single_output_head_without_problem_type_is_a_regression(tmp_path):
    # softmax over one output is always 1: the head can only be a regression
    folder = build_text_classifier(tmp_path / "bert", ["valence"])
    adapter = load_adapter(f"hf:{make_regression(folder, problem_type=None)}")
    assert adapter.output == "values"
    assert not np.allclose(adapter.predict(TEXTS), 1.0)


def test_classifiers_keep_scores(text_model):
    adapter = load_adapter(f"hf:{text_model}")
    assert adapter.output == "scores"
    np.testing.assert_allclose(adapter.predict(TEXTS).sum(axis=1), 1.0, atol=1e-6)


def test_zero_values_are_values_and_nan_is_an_error_in_the_store(tmp_path, text_regressor):
    import torch

    adapter = load_adapter(f"hf:{text_regressor}")
    rows = [Row(id=f"t{i}", label="dimensional", text=t) for i, t in enumerate(TEXTS)]
    with torch.no_grad():
        adapter.model.classifier.weight.zero_()
        adapter.model.classifier.bias.zero_()
    with PredictionStore(str(tmp_path / "zeros"), MANIFEST) as store:
        run(adapter, rows, store, batch_size=2)
        records = [store.records[r.id] for r in rows]
    assert all(r.error is None and r.scores == {"V": 0.0, "A": 0.0, "D": 0.0} for r in records)
    with torch.no_grad():
        adapter.model.classifier.bias.fill_(float("nan"))
    with PredictionStore(str(tmp_path / "nan"), MANIFEST) as store:
        run(adapter, rows, store, batch_size=2)
        errors = [store.records[r.id].error for r in rows]
    assert all(e == "NaN or infinite value from the model" for e in errors)


@pytest.mark.parametrize("kind", ["audio", "text", "pretraining"])
def test_a_regression_head_missing_from_the_checkpoint_is_refused(tmp_path, kind):
    from emoeval.adapters.hf import FreshHeadError

    if kind == "text":
        folder = strip_head(make_regression(build_text_classifier(tmp_path / "bert",
                                                                  ["V", "A", "D"])))
        head = "classifier.bias"
    else:
        folder = make_regression(build_audio_classifier(tmp_path / "w2v", MSP_OUTPUTS))
        head = "classifier.weight"
        if kind == "audio":
            strip_head(folder)
        else:  # a pretraining checkpoint: its unused quantizer is no head of another layout
            from transformers import AutoConfig, Wav2Vec2ForPreTraining

            Wav2Vec2ForPreTraining(AutoConfig.from_pretrained(folder)).save_pretrained(folder)
    with pytest.raises(FreshHeadError, match="no trained head for its regression outputs") as err:
        load_adapter(f"hf:{folder}")
    assert head in str(err.value) and "base model" in str(err.value)
    assert not err.value.needs_custom_loader  # a transformers base class: no custom code


def test_a_fresh_classification_head_still_loads_for_screening(tmp_path):
    # screening loads base checkpoints through hf: and judges their random head itself
    folder = strip_head(build_text_classifier(tmp_path / "bert", ["joy", "sadness"]))
    adapter = load_adapter(f"hf:{folder}")
    assert adapter.output == "scores"
    assert "classifier.weight" in adapter.loading_info["missing_keys"]


def build_custom_regression_model(folder: Path) -> Path:
    """A checkpoint laid out as audeering's msp-dim model: a wav2vec2 body and the model
    card's own head (``classifier.dense``, ``classifier.out_proj``) under a class that
    transformers does not know, with problem_type regression in its config."""
    import torch
    from transformers import AutoConfig
    from transformers.models.wav2vec2.modeling_wav2vec2 import (Wav2Vec2Model,
                                                                Wav2Vec2PreTrainedModel)

    class RegressionHead(torch.nn.Module):
        def __init__(self, config):
            super().__init__()
            self.dense = torch.nn.Linear(config.hidden_size, config.hidden_size)
            self.out_proj = torch.nn.Linear(config.hidden_size, config.num_labels)

    class EmotionModel(Wav2Vec2PreTrainedModel):
        def __init__(self, config):
            super().__init__(config)
            self.wav2vec2 = Wav2Vec2Model(config)
            self.classifier = RegressionHead(config)
            self.post_init()

    build_audio_classifier(folder, MSP_OUTPUTS)
    config = AutoConfig.from_pretrained(make_regression(folder))
    EmotionModel(config).save_pretrained(folder)
    return folder


def test_a_custom_regression_class_is_refused_with_the_custom_loader_hint(tmp_path):
    from emoeval.adapters.hf import FreshHeadError

    folder = build_custom_regression_model(tmp_path / "msp_dim_like")
    with pytest.raises(FreshHeadError) as err:
        load_adapter(f"hf:{folder}", output_names="arousal,dominance,valence")
    message = str(err.value)
    assert "no trained head" in message and "arousal, dominance, valence" in message
    assert "classifier.dense.weight" in message and "EmotionModel" in message
    assert "custom loader" in message and "python:" in message and "\n" not in message
    assert err.value.needs_custom_loader


def test_a_text_longer_than_the_model_s_positions_is_truncated_not_an_error(text_regressor):
    # the tiny tokenizer declares no limit and the model has 64 positions
    adapter = load_adapter(f"hf:{text_regressor}")
    long_text = " ".join(["i am so happy today"] * 40)
    values = adapter.predict([long_text, "sad"])
    assert values.shape == (2, 3) and np.all(np.isfinite(values))


def test_evaluate_an_audio_regression_head_on_a_csv_of_clips(tmp_path, audio_regressor):
    """The whole path: CSV of audio paths + A,D,V targets -> hf: regression head -> CCC;
    a corrupt clip is one sample's error and the run finishes."""
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from emoeval.adapters.base import load_adapter
    from emoeval.audio import load_audio
    from emoeval.cli import app
    from sklearn.metrics import mean_absolute_error

    rows = []
    rng = np.random.default_rng(5)
    for i in range(12):
        write_wav(tmp_path / f"clip{i}.wav", seconds=0.3 + 0.05 * i, seed=i)
        rows.append({"path": f"clip{i}.wav", "A": rng.uniform(1, 5), "D": rng.uniform(1, 5),
                     "V": rng.uniform(1, 5), "speaker": f"s{i % 3}"})
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really audio")
    rows.append({"path": "broken.wav", "A": 3.0, "D": 3.0, "V": 3.0, "speaker": "s0"})
    pd.DataFrame(rows).to_csv(tmp_path / "clips.csv", index=False)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["evaluate", "--model", f"hf:{audio_regressor}",
                                      "--dataset", f"csv:{tmp_path / 'clips.csv'}",
                                      "--target-cols", "A,D,V", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["task"] == "dimensional" and results["n_errors"] == 1
    assert results["label_mapping"]["dimension_to_output"] == {
        "A": "arousal", "D": "dominance", "V": "valence"}
    adapter = load_adapter(f"hf:{audio_regressor}")
    values = np.vstack([adapter.predict([load_audio(str(tmp_path / r["path"]), 16000)])
                        for r in rows[:-1]])
    truth = pd.DataFrame(rows[:-1])
    for j, dim in enumerate(("A", "D", "V")):
        expected = mean_absolute_error(truth[dim].to_numpy(), values[:, j])
        assert results["metrics"][dim]["mae"] == pytest.approx(expected, rel=1e-5)
    detailed = pd.read_csv(out / "detailed_results.csv")
    assert detailed.loc[detailed["id"] == "broken.wav", "error"].iloc[0] != ""
