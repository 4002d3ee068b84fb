"""Fixtures for the ONNX tests; the builders live in onnx_builders.py beside this file."""

from __future__ import annotations

from pathlib import Path

import pytest

from onnx_builders import (build_fitted_audio_classifier,
                           build_fitted_text_classifier, write_tone_csv)


@pytest.fixture(scope="session")
def fitted_audio_model(tmp_path_factory) -> Path:
    return build_fitted_audio_classifier(tmp_path_factory.mktemp("w2v_fitted"))


@pytest.fixture(scope="session")
def fitted_text_model(tmp_path_factory) -> Path:
    return build_fitted_text_classifier(tmp_path_factory.mktemp("bert_fitted"))


@pytest.fixture(scope="session")
def tone_csv(tmp_path_factory) -> Path:
    """16 tone clips (4 per label) plus a corrupt and a missing file."""
    return write_tone_csv(tmp_path_factory.mktemp("tones"), per_label=4, seed=1,
                          bad_files=True)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A private ``$EMOEVAL_CACHE_DIR`` per test."""
    path = tmp_path / "cache"
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models: a second torch thread only adds waiting on a shared 2-core machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_sentence_model(tmp_path_factory) -> Path:
    """A tiny sentence-transformers model: BERT -> mean pooling -> normalise."""
    from embedding_builders import build_tiny_sentence_model

    return build_tiny_sentence_model(tmp_path_factory.mktemp("tiny_st"))
