"""Shared fixtures; builders live in helpers/builders.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HELPERS = Path(__file__).parent / "helpers"
if str(HELPERS) not in sys.path:
    sys.path.insert(0, str(HELPERS))

from builders import build_audio_classifier, build_text_classifier, write_wav  # noqa: E402


@pytest.fixture(scope="session")
def urdu_labels() -> list[str]:
    return ["angry", "happy", "neutral", "sad"]


@pytest.fixture(scope="session")
def audio_model(tmp_path_factory, urdu_labels) -> Path:
    return build_audio_classifier(tmp_path_factory.mktemp("w2v_mask"), urdu_labels, True)


@pytest.fixture(scope="session")
def audio_model_nomask(tmp_path_factory, urdu_labels) -> Path:
    return build_audio_classifier(tmp_path_factory.mktemp("w2v_group"), urdu_labels, False)


@pytest.fixture(scope="session")
def text_model(tmp_path_factory) -> Path:
    return build_text_classifier(tmp_path_factory.mktemp("bert"),
                                 ["joy", "sadness", "anger", "fear"])


@pytest.fixture
def audio_csv(tmp_path) -> Path:
    """A csv dataset of 12 short clips (3 per label) with speakers, plus bad files:
    a corrupt file, an empty file and a missing one."""
    rows = ["id,path,label,speaker"]
    labels = ["angry", "happy", "neutral", "sad"]
    for i in range(12):
        write_wav(tmp_path / "clips" / f"c{i}.wav", seconds=0.3 + 0.05 * (i % 3), seed=i)
        rows.append(f"c{i},clips/c{i}.wav,{labels[i % 4]},spk{i % 3}")
    (tmp_path / "clips" / "corrupt.wav").write_bytes(b"RIFF\x00\x00not really a wav file")
    (tmp_path / "clips" / "empty.wav").write_bytes(b"")
    rows += ["bad1,clips/corrupt.wav,angry,spk0", "bad2,clips/empty.wav,sad,spk1",
             "bad3,clips/missing.wav,happy,spk2"]
    (tmp_path / "audio.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "audio.csv"
