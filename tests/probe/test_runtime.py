"""``emoeval train --runtime onnx|onnx-int8|torch-bf16``: probe backbones (zeroshot: with its
sentence embedding and layers, hf: text and audio with layer selection) as embedding graphs,
verified by cosine to FP32, cached apart from FP32 embeddings, evaluated with the runtime the
probe was trained on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from builders import build_audio_classifier, write_wav
from embedding_builders import build_tiny_sentence_model
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.errors import EmoevalError
from emoeval.probe.backbones import load_backbone

WORDS = {"joy": ["happy", "glad", "smile", "love"], "sadness": ["sad", "cry", "tired"],
         "anger": ["angry", "furious", "hate"], "fear": ["afraid", "scared"]}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(tmp_path / "emoeval-cache"))
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: a second thread only waits on a busy machine
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def sentence_model(tmp_path_factory) -> Path:
    return build_tiny_sentence_model(tmp_path_factory.mktemp("st"))


def write_texts(path: Path, n: int = 32) -> Path:
    rng = np.random.default_rng(0)
    lines = ["id,text,label,split"]
    for i in range(n):
        label = list(WORDS)[i % 4]
        lines.append(f"t{i},i am {rng.choice(WORDS[label])} {rng.choice(['so', 'very', 'not'])}"
                     f" today,{label},{'test' if i % 4 == i % 8 else 'train'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def train(backbone: str, dataset: Path, out: Path, runtime: str, *extra: str):
    return CliRunner().invoke(app, ["train", "--backbone", backbone, "--dataset",
                                    f"csv:{dataset}", "--out", str(out), "--runtime", runtime,
                                    "--cache-dir", str(out.parent / "cache"), *extra])


def test_int8_probe_on_a_sentence_model_from_train_to_evaluate(sentence_model, tmp_path):
    dataset = write_texts(tmp_path / "texts.csv")
    backbone = f"zeroshot:{sentence_model}"
    for runtime in ("torch", "onnx-int8"):
        result = train(backbone, dataset, tmp_path / runtime, runtime, "--layer",
                       "sentence,1", "--split", "train")
        assert result.exit_code == 0, result.output
    records = {r: json.loads((tmp_path / r / "probe.json").read_text())
               for r in ("torch", "onnx-int8")}
    assert records["onnx-int8"]["backbone"]["runtime"] == "onnx-int8"
    fp32_key = records["torch"]["backbone"]["fingerprint"]
    int8_key = records["onnx-int8"]["backbone"]["fingerprint"]
    assert fp32_key != int8_key  # the embedding cache keeps them apart
    assert {p.name for p in (tmp_path / "cache").iterdir()} == {fp32_key, int8_key}
    # the same key as before this change for FP32 (old caches stay valid)
    assert load_backbone(backbone, "sentence,1").fingerprint() == fp32_key

    result = CliRunner().invoke(app, ["evaluate", "--model", f"probe:{tmp_path / 'onnx-int8'}",
                                      "--dataset", f"csv:{dataset}", "--split", "test",
                                      "--out", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert results["n_scored"] == 16


def test_backbone_runtimes_match_fp32_embeddings(sentence_model, tmp_path):
    texts = [f"i am {w} today" for words in WORDS.values() for w in words]
    fp32 = load_backbone(f"zeroshot:{sentence_model}", "sentence,-2").embed(texts)
    for runtime, closeness in (("onnx", 1e-4), ("onnx-int8", None), ("torch-bf16", None)):
        backbone = load_backbone(f"zeroshot:{sentence_model}", "sentence,-2", runtime=runtime)
        vectors = backbone.embed(texts)
        assert vectors.shape == fp32.shape
        if closeness:
            assert np.abs(vectors - fp32).max() < closeness
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        cosine = np.einsum("ij,ij->i", unit, fp32 / np.linalg.norm(fp32, axis=1, keepdims=True))
        assert cosine.min() > 0.95
        # the sentence block stays a unit vector under every runtime
        width = fp32.shape[1] // 2
        assert np.allclose(np.linalg.norm(vectors[:, :width], axis=1), 1.0, atol=1e-5)
    # onnx-int8: one input per call, so a text's embedding ignores its batch mates
    int8 = load_backbone(f"zeroshot:{sentence_model}", "sentence,-2", runtime="onnx-int8")
    assert np.array_equal(int8.embed(texts)[:3], int8.embed(texts[:3]))


def test_audio_backbone_with_layer_selection_under_onnx(tmp_path):
    model = build_audio_classifier(tmp_path / "w2v", ["a", "b"], attention_mask=False)
    lines = ["id,path,label"]
    for i in range(8):
        write_wav(tmp_path / "clips" / f"c{i}.wav", seconds=0.2 + 0.1 * (i % 3), seed=i)
        lines.append(f"c{i},clips/c{i}.wav,{['angry', 'sad'][i % 2]}")
    (tmp_path / "audio.csv").write_text("\n".join(lines) + "\n")
    result = train(f"hf:{model}", tmp_path / "audio.csv", tmp_path / "probe", "onnx",
                   "--layer", "1,-1", "--c", "1")
    assert result.exit_code == 0, result.output
    import soundfile as sf

    clips = [sf.read(tmp_path / "clips" / f"c{i}.wav", dtype="float32")[0] for i in range(8)]
    fp32 = load_backbone(f"hf:{model}", "1,-1").embed(clips)
    onnx = load_backbone(f"hf:{model}", "1,-1", runtime="onnx").embed(clips)
    assert fp32.shape == onnx.shape == (8, 64) and np.abs(onnx - fp32).max() < 1e-3


def test_runtime_errors_are_one_line(tmp_path, sentence_model):
    with pytest.raises(EmoevalError, match="applies to zeroshot: and hf: backbones"):
        load_backbone("opensmile:egemaps", runtime="onnx")
    with pytest.raises(EmoevalError, match="not one of torch, onnx"):
        load_backbone(f"zeroshot:{sentence_model}", runtime="tensorrt")
    result = train(f"zeroshot:{sentence_model}", write_texts(tmp_path / "t.csv"),
                   tmp_path / "out", "fp8")
    assert result.exit_code == 2 and "Traceback" not in result.output
