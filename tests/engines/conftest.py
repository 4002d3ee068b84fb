"""The Ray engine tests import their models from this folder, on the driver and (through
the driver's import path, which the engine forwards) on the Ray workers."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
