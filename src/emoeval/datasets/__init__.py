"""Dataset sources: each yields rows of (id, input, label, split, metadata)."""

from .base import Dataset, DatasetOptions, Row, load_dataset

__all__ = ["Dataset", "DatasetOptions", "Row", "load_dataset"]
