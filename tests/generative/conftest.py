"""Puts this folder on sys.path: the scripted chat server and the seed 002 answers builder
are importable as ``generative_llm_server`` and ``generative_seed002``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
