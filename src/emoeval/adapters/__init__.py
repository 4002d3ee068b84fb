"""Model adapters: each predicts a batch into scores over its own label space."""

from .base import ModelAdapter, load_adapter

__all__ = ["ModelAdapter", "load_adapter"]
