"""The classification detailed table: one row per sample from the prediction store."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..datasets.base import Row, metadata_keys
from ..labels import LabelMapping
from ..store import PredictionStore


def detailed_table(rows: list[Row], store: PredictionStore, mapping: LabelMapping
                   ) -> pd.DataFrame:
    """One row per sample in the ``detailed_results.csv`` layout."""
    records = []
    meta_keys = metadata_keys(rows)
    for r in rows:
        rec = store.records[r.id]
        out: dict[str, Any] = {"id": r.id, "label": r.label, "prediction": "",
                               "confidence": np.nan, "error": rec.error or "",
                               "kind": rec.kind}
        if rec.scores is not None and not rec.error:
            vector = np.array([rec.scores.get(m, 0.0) for m in mapping.model_labels], dtype=float)
            dataset_scores = mapping.project(vector[None, :])[0]
            prediction = mapping.predict(vector[None, :])[0]
            out["prediction"] = prediction
            out["confidence"] = (float(dataset_scores[mapping.dataset_labels.index(prediction)])
                                 if prediction in mapping.dataset_labels else float(vector.max()))
            for label, value in zip(mapping.dataset_labels, dataset_scores):
                out[f"score_{label}"] = float(value)
        for k in meta_keys:
            out[k] = r.metadata.get(k, "")
        records.append(out)
    table = pd.DataFrame.from_records(records)
    score_cols = [f"score_{label}" for label in mapping.dataset_labels]
    for col in score_cols:
        if col not in table.columns:
            table[col] = np.nan
    return table[["id", "label", "prediction", "confidence", "error", "kind", *score_cols,
                  *meta_keys]]
