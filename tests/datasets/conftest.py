"""Fixtures for the dataset-source tests: tiny wav files and the shared real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

# the real labelled data lives beside the repository, never inside it
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture
def make_wav():
    """make_wav(path) writes 0.1 s of noise at 16 kHz (creating folders) and returns path."""
    import soundfile as sf

    rng = np.random.default_rng(0)

    def write(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, rng.normal(0, 0.1, 1600).astype(np.float32), 16000,
                 format="WAV")
        return path

    return write


@pytest.fixture
def make_tree(make_wav):
    """make_tree(root, [relative paths]) writes a wav at each path under root."""

    def write(root: Path, paths: list[str]) -> Path:
        for p in paths:
            make_wav(root / p)
        return root

    return write


@pytest.fixture
def shared_data():
    """The shared data folder, or skip when this checkout has none."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA.resolve()
