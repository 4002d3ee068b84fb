"""Builders for the ONNX tests (importable as ``onnx_builders``: this folder is on
pytest's pythonpath): tiny classifiers fitted for a few steps on label-dependent data (a random
head has nearly flat logits, so INT8 label checks on it would be coin flips), and small datasets.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from builders import build_audio_classifier, build_text_classifier
from typer.testing import CliRunner

AUDIO_LABELS = ["angry", "happy", "neutral", "sad"]
#: one tone per label: the tiny convolutional encoder tells them apart after a few steps
TONE_HZ = {"angry": 300.0, "happy": 700.0, "neutral": 1500.0, "sad": 3100.0}
TEXT_LABELS = ["joy", "sadness", "anger", "fear"]
TEXT_WORDS = {"joy": ["happy", "glad", "smile", "love"], "sadness": ["sad", "cry", "tired"],
              "anger": ["angry", "furious", "hate"], "fear": ["afraid", "scared"]}


def tone(label: str, seconds: float, seed: int, rate: int = 16000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    phase = rng.uniform(0, 2 * np.pi)
    clip = 0.3 * np.sin(2 * np.pi * TONE_HZ[label] * t + phase)
    return (clip + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def write_tone_csv(folder: Path, per_label: int, seed: int = 0, bad_files: bool = False
                   ) -> Path:
    """A csv dataset of tone clips (0.3-0.6 s) with speakers; optionally bad files too."""
    import soundfile as sf

    (folder / "clips").mkdir(parents=True, exist_ok=True)
    rows = ["id,path,label,speaker"]
    for i in range(per_label * len(AUDIO_LABELS)):
        label = AUDIO_LABELS[i % len(AUDIO_LABELS)]
        sf.write(folder / "clips" / f"t{i}.wav",
                 tone(label, 0.3 + 0.1 * ((i // 4) % 4), seed * 1000 + i), 16000)
        rows.append(f"t{i},clips/t{i}.wav,{label},spk{i % 3}")
    if bad_files:
        (folder / "clips" / "corrupt.wav").write_bytes(b"RIFF\x00\x00not really a wav file")
        rows += ["bad1,clips/corrupt.wav,angry,spk0", "bad2,clips/missing.wav,sad,spk1"]
    (folder / "tones.csv").write_text("\n".join(rows) + "\n")
    return folder / "tones.csv"


def fit(model, batches: list[tuple[dict, list[int]]], steps: int, lr: float) -> None:
    import torch

    torch.manual_seed(0)
    model.config.apply_spec_augment = False  # its masks draw from numpy's global generator
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny steps: threads only add waiting on a busy machine
    model.train()
    try:
        for step in range(steps):
            inputs, targets = batches[step % len(batches)]
            loss = model(**inputs, labels=torch.tensor(targets)).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()


def build_fitted_audio_classifier(folder: Path) -> Path:
    """wav2vec2-base flavour (group norm, no attention mask), fitted on tone clips."""
    import torch
    from transformers import AutoFeatureExtractor, Wav2Vec2ForSequenceClassification

    build_audio_classifier(folder, AUDIO_LABELS, attention_mask=False)
    model = Wav2Vec2ForSequenceClassification.from_pretrained(folder)
    extractor = AutoFeatureExtractor.from_pretrained(folder)
    batches = []
    for b in range(4):
        clips = [tone(label, 0.3 + 0.15 * b, 10_000 + 10 * b + j)
                 for j, label in enumerate(AUDIO_LABELS)]
        encoded = extractor(clips, sampling_rate=16000, return_tensors="pt")
        batches.append(({"input_values": encoded["input_values"]}, list(range(4))))
    fit(model, batches, steps=60, lr=2e-3)
    model.save_pretrained(folder)
    with torch.inference_mode():  # the fit must have worked, or the label checks mean nothing
        assert model(**batches[0][0]).logits.argmax(-1).tolist() == [0, 1, 2, 3]
    return folder


def build_fitted_text_classifier(folder: Path) -> Path:
    """A tiny BERT fitted on keyword sentences, one keyword family per label."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    build_text_classifier(folder, TEXT_LABELS)
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    texts, targets = text_examples()
    encoded = dict(tokenizer(texts, return_tensors="pt", padding=True))
    fit(model, [(encoded, targets)], steps=60, lr=3e-3)
    model.save_pretrained(folder)
    with torch.inference_mode():
        assert model(**encoded).logits.argmax(-1).tolist() == targets
    return folder


def text_examples() -> tuple[list[str], list[int]]:
    texts, targets = [], []
    for index, label in enumerate(TEXT_LABELS):
        for word in TEXT_WORDS[label]:
            texts += [f"i am so {word} today", f"{word} news this day"]
            targets += [index, index]
    return texts, targets


def evaluate_with_runtime(model: str, dataset: str, out, runtime: str, *extra: str):
    """``emoeval evaluate ... --runtime RUNTIME`` through the CLI; the typer result."""
    from emoeval.cli import app

    return CliRunner().invoke(app, ["evaluate", "--model", model, "--dataset", dataset,
                                    "--out", str(out), "--runtime", runtime, *extra])


def predictions(out) -> pd.DataFrame:
    """The run's predictions and errors by sample id, as strings."""
    table = pd.read_csv(os.path.join(out, "detailed_results.csv"), dtype=str,
                        keep_default_na=False)
    return table.set_index("id")[["prediction", "error"]]
