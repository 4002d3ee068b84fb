"""emoeval train -> evaluate probe:<dir>, single- and multi-label, text and audio."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
from builders import build_audio_classifier, build_text_classifier, write_wav
from typer.testing import CliRunner

from emoeval import api
from emoeval.adapters.base import load_adapter
from emoeval.cli import app
from emoeval.datasets.base import load_dataset
from emoeval.errors import EmoevalError
from emoeval.probe.backbones import load_backbone
from emoeval.probe.train import TrainConfig, train_probe

HOOKED = "check_rows" in inspect.getsource(api.evaluate)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """probe: evaluations cache embeddings under $EMOEVAL_CACHE_DIR: keep them per test."""
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(tmp_path / "emoeval-cache"))


@pytest.fixture(scope="module")
def demo_split_csv(tmp_path_factory) -> Path:
    """demo:en with a split column: every 7th and every 11th sentence held out as test."""
    import pandas as pd

    rows = load_dataset("demo:en").rows()
    table = pd.DataFrame({"id": [r.id for r in rows], "text": [r.text for r in rows],
                          "label": [r.label for r in rows],
                          "split": ["test" if i % 7 == 0 or i % 11 == 0 else "train"
                                    for i in range(len(rows))]})
    path = tmp_path_factory.mktemp("demo") / "demo_split.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def minilm_probe(demo_split_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("probe")
    cache = tmp_path_factory.mktemp("cache")
    train_probe(TrainConfig(backbone="zeroshot:minilm", dataset=f"csv:{demo_split_csv}",
                            out=str(out), cache_dir=str(cache), c=1.0))
    return out


def test_minilm_probe_round_trip(minilm_probe, demo_split_csv, tmp_path):
    record = json.loads((minilm_probe / "probe.json").read_text())
    assert record["data"]["train_split"] == "train" and record["task"] == "classification"
    assert record["data"]["n_train"] == len(load_dataset(f"csv:{demo_split_csv}").rows("train"))
    results = api.evaluate(api.EvaluationConfig(
        model=f"probe:{minilm_probe}", dataset=f"csv:{demo_split_csv}", split="test",
        out=str(tmp_path / "eval"), n_resamples=50))
    n_test = len(load_dataset(f"csv:{demo_split_csv}").rows("test"))
    assert results["n_scored"] == results["n_samples"] == n_test
    # a MiniLM probe on these sentences is far above chance (1/7); not a tuned figure
    assert results["metrics"]["balanced_accuracy"] > 0.5
    assert results["efficiency"]["training_s"] == record["timing"]["training_s"]
    assert results["efficiency"]["n_parameters"] > 22_000_000
    assert results["efficiency"]["embeddings_from_cache"] == 0  # test was never embedded
    assert (minilm_probe / "train_report.md").read_text().count("Training time") == 1


def test_refuses_training_samples(minilm_probe, demo_split_csv, tmp_path):
    adapter = load_adapter(f"probe:{minilm_probe}")
    dataset = load_dataset(f"csv:{demo_split_csv}")
    adapter.check_rows(dataset.rows("test"))  # held out: fine
    with pytest.raises(EmoevalError, match="refusing to evaluate .* trained or tuned on"):
        adapter.check_rows(dataset.rows("train"))
    if not HOOKED:
        pytest.skip("api.evaluate does not call adapter.check_rows yet (lead's hook)")
    with pytest.raises(EmoevalError, match="refusing to evaluate"):
        api.evaluate(api.EvaluationConfig(model=f"probe:{minilm_probe}",
                                          dataset=f"csv:{demo_split_csv}", split="train",
                                          out=str(tmp_path / "refused")))


def test_fingerprint_follows_the_head_file(minilm_probe, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(minilm_probe, copy)
    before = load_adapter(f"probe:{copy}").fingerprint()
    data = dict(np.load(copy / "head.npz"))
    data["n0_b0"] = data["n0_b0"] + 1.0
    np.savez(copy / "head.npz", **data)
    assert load_adapter(f"probe:{copy}").fingerprint() != before


def test_sentence_layer_equals_sentence_transformers_encode():
    backbone = load_backbone("zeroshot:minilm")
    texts = ["I am so happy today", "what a terrible, awful day this was"]
    expected = backbone.st_model.encode(texts, normalize_embeddings=True)
    assert np.allclose(backbone.embed(texts), expected, atol=1e-5)
    stacked = load_backbone("zeroshot:minilm", layer="sentence,-2").embed(texts)
    assert stacked.shape == (2, 768) and np.allclose(stacked[:, :384], expected, atol=1e-5)
    with pytest.raises(EmoevalError, match="--layer 'x'"):
        load_backbone("zeroshot:minilm", layer="x")
    with pytest.raises(EmoevalError, match="--backbone"):
        load_backbone("minilm")


def write_multilabel_csv(path: Path) -> Path:
    import pandas as pd

    rng = np.random.default_rng(0)
    words = {"joy": "happy glad smile love", "anger": "angry furious hate mad",
             "fear": "afraid scared bad cry"}
    rows = []
    for i in range(90):
        labels = [l for l in words if rng.random() < 0.4] or ["joy"]
        text = " ".join(rng.choice(" ".join(words[l] for l in labels).split(), size=5))
        rows.append({"id": f"r{i}", "text": f"i am {text}", "labels": json.dumps(labels),
                     "split": ["train", "train", "dev", "test"][i % 4]})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.skipif(not HOOKED, reason="per-class tuning in evaluate needs the lead's api hook")
def test_multilabel_probe_with_tuned_thresholds_in_evaluate(tmp_path):
    model = build_text_classifier(tmp_path / "bert", ["x", "y"])
    data = write_multilabel_csv(tmp_path / "ml.csv")
    out = tmp_path / "probe"
    train_probe(TrainConfig(backbone=f"hf:{model}", dataset=f"csv:{data}", out=str(out),
                            cache_dir=str(tmp_path / "cache")))
    results = api.evaluate(api.EvaluationConfig(
        model=f"probe:{out}", dataset=f"csv:{data}", split="test", out=str(tmp_path / "e"),
        n_resamples=20, task_options={"threshold": "per-class"}))
    assert results["threshold"]["tune_split"] == "dev" and results["n_samples"] == 22


def test_multilabel_probe_train_and_score(tmp_path):
    model = build_text_classifier(tmp_path / "bert", ["x", "y"])
    data = write_multilabel_csv(tmp_path / "ml.csv")
    out = tmp_path / "probe"
    record = train_probe(TrainConfig(backbone=f"hf:{model}", dataset=f"csv:{data}",
                                     out=str(out), layer="-1,-2", pooling="cls",
                                     cache_dir=str(tmp_path / "cache")))
    assert record["task"] == "multilabel" and record["labels"] == ["anger", "fear", "joy"]
    assert record["data"]["tune_split"] == "dev" and record["head"]["c_search"]
    assert record["timing"]["n_embedded"] == 68  # train + dev rows
    results = api.evaluate(api.EvaluationConfig(
        model=f"probe:{out}", dataset=f"csv:{data}", split="test", out=str(tmp_path / "e"),
        n_resamples=20))
    assert results["task"] == "multilabel" and results["n_scored"] == 22
    assert set(results["strategies"]) >= {"0.5", "top-k:1"}
    # a second training run reads every embedding from the cache
    again = train_probe(TrainConfig(backbone=f"hf:{model}", dataset=f"csv:{data}",
                                    out=str(tmp_path / "probe2"), layer="-1,-2", pooling="cls",
                                    cache_dir=str(tmp_path / "cache")))
    assert again["timing"]["n_embedded"] == 0 and again["timing"]["n_from_cache"] == 68
    with pytest.raises(EmoevalError, match="--tune-split 'train' is the training split"):
        train_probe(TrainConfig(backbone=f"hf:{model}", dataset=f"csv:{data}",
                                out=str(tmp_path / "p3"), tune_split="train"))


def test_audio_probe_loso_cross_validation_from_the_cli(tmp_path):
    model = build_audio_classifier(tmp_path / "w2v", ["a", "b"])
    lines = ["id,path,label,speaker"]
    for i in range(16):
        write_wav(tmp_path / "clips" / f"c{i}.wav", seconds=0.2 + 0.1 * (i % 2), seed=i)
        lines.append(f"c{i},clips/c{i}.wav,{['angry', 'sad'][i % 2]},spk{i % 4}")
    (tmp_path / "clips" / "broken.wav").write_bytes(b"RIFF not audio")
    lines.append("bad,clips/broken.wav,sad,spk0")
    (tmp_path / "audio.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "probe"
    result = CliRunner().invoke(app, ["train", "--backbone", f"hf:{model}", "--dataset",
                                      f"csv:{tmp_path / 'audio.csv'}", "--out", str(out),
                                      "--cv", "loso", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())  # rich wraps long lines
    assert "loso UA" in printed and "over 4 folds" in printed
    cv = json.loads((out / "cv_results.json").read_text())
    assert [f["fold"] for f in cv["folds"]] == [f"speaker spk{i}" for i in range(4)]
    assert cv["summary"]["balanced_accuracy"]["std"] is not None
    record = json.loads((out / "probe.json").read_text())
    assert record["data"]["n_errors"] == 1 and record["data"]["errors"][0]["id"] == "bad"
    report = (out / "train_report.md").read_text()
    assert "std over folds" in report and "could not be embedded" in report
    assert (out / "cv_predictions.csv").read_text().count("\n") == 17


def test_opensmile_egemaps_backbone(tmp_path):
    pytest.importorskip("opensmile")
    from emoeval.audio import load_audio

    backbone = load_backbone("opensmile:egemaps")
    clip = load_audio(str(write_wav(tmp_path / "a.wav", seconds=1.0)), backbone.sampling_rate)
    features = backbone.embed([clip, clip])
    assert features.shape == (2, 88) and backbone.modality == "audio"
    assert np.allclose(features[0], features[1])
    with pytest.raises(EmoevalError, match="unknown feature set"):
        load_backbone("opensmile:mfcc")
    with pytest.raises(EmoevalError, match="--layer does not apply"):
        load_backbone("opensmile:egemaps", layer="-1")


def test_train_errors(tmp_path, demo_split_csv):
    with pytest.raises(EmoevalError, match="--split 'validation': no such split"):
        train_probe(TrainConfig(backbone="zeroshot:minilm", dataset=f"csv:{demo_split_csv}",
                                out=str(tmp_path / "x"), split="validation"))
    result = CliRunner().invoke(app, ["train", "--backbone", "opensmile:egemaps", "--dataset",
                                      f"csv:{demo_split_csv}", "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "takes audio" in result.output
    missing = CliRunner().invoke(app, ["evaluate", "--model", f"probe:{tmp_path / 'none'}",
                                       "--dataset", "demo:en", "--out", str(tmp_path / "z")])
    assert missing.exit_code == 2 and "no such folder" in missing.output
