"""Screening: which candidate models are usable, before evaluating them.

``screen(ScreeningConfig(...))`` runs each candidate of a YAML file in its own process under a
time limit and gives each a status (see :data:`verdict.STATUS_ORDER`), a recommendation, a
reason and the evidence. ``read_candidates`` and ``model_slug`` are what
``emoeval evaluate --models`` uses to read ``candidates.usable.yaml``.
"""

from .candidates import Candidate, model_slug, read_candidates, write_candidates
from .screen import ScreeningConfig, screen
from .verdict import STATUS_ORDER

__all__ = ["Candidate", "STATUS_ORDER", "ScreeningConfig", "model_slug", "read_candidates",
           "screen", "write_candidates"]
