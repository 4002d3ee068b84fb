"""Fixtures for the comparison tests; the builders live in compare_synthetic.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from compare_synthetic import run_maker


@pytest.fixture
def make_run(tmp_path: Path):
    """``make_run(name, ids, truth, predictions, ...)`` -> a run folder (see run_maker)."""
    return run_maker(tmp_path)
