"""Fixtures for the similarity benchmark: an emolia-bench-style folder, items, tiny models."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from builders import build_audio_classifier, write_wav

EMOTIONS = ("Sadness", "Anger", "Happiness", "Fear")


def write_items(path: Path, rows: list[dict]) -> Path:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def items_csv():
    """``items_csv(path, rows)`` writes an items CSV (union of the rows' keys as columns)."""
    return write_items


@pytest.fixture
def emolia(tmp_path) -> dict:
    """emolia-bench's layout: clips in per-emotion folders (``<Emotion>_best/<stem>.wav``),
    items naming them as ``<stem>.mp3`` (found by stem), with ties, a flagged item, a
    2-rater item, a missing clip, dev/test splits and unanimous buckets."""
    audio = tmp_path / "dataset"
    rows = []
    for clip in range(12):
        emotion = EMOTIONS[clip % 4]
        stem = f"EN_B{clip:05d}_S00001_W000000"
        write_wav(audio / f"{emotion}_best" / f"{stem}.wav", seconds=0.4 + 0.05 * (clip % 3),
                  seed=clip)
        for queried in (emotion, EMOTIONS[(clip + 1) % 4]):
            present = int(queried == emotion) if clip % 5 else int(queried != emotion)
            unanimous = clip % 3 != 0
            rows.append({
                "file_name": f"{stem}.mp3", "queried_emotion": queried,
                "task_type": "affirmative" if queried == emotion else "contrastive_1",
                "n_raters": 2 if clip == 7 else 3,
                "majority_present": present,
                "benchmark_bucket": (("unanimous_" if unanimous else "majority_")
                                     + ("present" if present else "absent")),
                "flagged": "true" if clip == 4 and queried == emotion else "false",
                "split": "dev" if clip < 5 else "test",
            })
    rows.append({"file_name": "EN_B09999_S00001_W000000.mp3", "queried_emotion": "Anger",
                 "task_type": "affirmative", "n_raters": 3, "majority_present": 1,
                 "benchmark_bucket": "unanimous_present", "flagged": "false", "split": "test"})
    rows.append({"file_name": "EN_B00001_S00001_W000000.mp3",
                 "queried_emotion": "Anger___Frustration", "task_type": "contrastive_2",
                 "n_raters": 2, "majority_present": "", "benchmark_bucket": "tie",
                 "flagged": "false", "split": "test"})
    items = write_items(tmp_path / "benchmark_labels.csv", rows)
    return {"root": tmp_path, "audio": audio, "items": items, "rows": rows}


@pytest.fixture
def human_summary(tmp_path) -> Path:
    path = tmp_path / "agreement_summary.json"
    path.write_text(json.dumps({
        "human_upper_bound_binary": 0.62, "human_accuracy_binary": 0.62,
        "human_balanced_accuracy_binary": 0.6, "human_loo_accuracy_binary": 0.66,
        "human_loo_balanced_accuracy_binary": 0.64, "human_loo_n_annotations": 120}))
    return path


@pytest.fixture(scope="session")
def emotion_classifier(tmp_path_factory) -> Path:
    """A tiny wav2vec2 classifier whose labels use corpus spellings (alias matching)."""
    return build_audio_classifier(tmp_path_factory.mktemp("sim_w2v"),
                                  ["ang", "hap", "neu", "sad"], attention_mask=True, seed=3)


@pytest.fixture(scope="session")
def tiny_clap(tmp_path_factory) -> Path:
    """A tiny CLAP model (random weights) with its processor, saved like a Hub folder."""
    import torch
    from transformers import (ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor,
                              RobertaTokenizer)

    folder = tmp_path_factory.mktemp("tiny_clap")
    words = ("speech audio in which the speaker expresses or conveys sadness anger happiness "
             "fear angry happy sad neutral frustration / .").split()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    for word in words:
        vocab.setdefault("\u0120" + word, len(vocab))
        vocab.setdefault(word, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    extractor = ClapFeatureExtractor(feature_size=16, sampling_rate=16000, hop_length=320,
                                     max_length_s=1, fft_window_size=512, frequency_max=8000,
                                     truncation="rand_trunc")
    torch.manual_seed(0)
    config = ClapConfig(
        text_config=dict(vocab_size=len(vocab) + 2, hidden_size=16, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=32,
                         max_position_embeddings=64),
        audio_config=dict(num_mel_bins=16, spec_size=32, window_size=4, patch_size=4,
                          patch_stride=[4, 4], depths=[1, 1], num_attention_heads=[1, 2],
                          patch_embeds_hidden_size=8, hidden_size=16, projection_hidden_size=16,
                          enable_fusion=False),
        projection_dim=8)
    ClapModel(config).eval().save_pretrained(folder)
    ClapProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder
