"""Fixtures for the comparison tests; the builders live in compare_synthetic.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from compare_synthetic import run_maker  # noqa: E402


@pytest.fixture
def make_run(tmp_path: Path):
    """``make_run(name, ids, truth, predictions, ...)`` -> a run folder (see run_maker)."""
    return run_maker(tmp_path)
