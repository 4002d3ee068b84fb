"""The multi-label detailed table: one row per sample from the prediction store."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..datasets.base import metadata_keys

#: the leading columns of a multi-label detailed table (scores and metadata follow)
TABLE_COLUMNS = ["id", "labels", "prediction", "error", "kind", "split"]


def multilabel_table(rows: list, store: Any, model_labels: list[str],
                     dataset_labels: list[str], label_map: dict[str, str | None],
                     unmapped: str) -> pd.DataFrame:
    """The detailed table of ``emoeval evaluate`` for multi-label rows.

    Each dataset label's score is the **maximum** of the scores of the model labels mapped
    onto it, not their sum as in single-label classification. Multi-label scores are
    independent sigmoids, not one distribution: two model labels at 0.6 would sum to 1.2, no
    longer a probability, and a fixed threshold would fire on two weak scores (0.3 + 0.3).
    The maximum is a probability, and ``max >= t`` exactly when some mapped model label
    passes ``t``: the dataset label is predicted when any of its model labels is, the same
    OR rule that groups the gold labels (GoEmotions' Ekman grouping). A dataset label no
    model label maps to gets an empty score column (never predicted; reported as such).
    ``unmapped`` does not apply: a model label without a counterpart is simply not used.
    """
    from ..labels import build_mapping

    mapping = build_mapping(list(model_labels), list(dataset_labels), label_map, "restrict")
    sources: dict[str, list[str]] = {d: [] for d in dataset_labels}
    for m, d in mapping.model_to_dataset.items():
        if d is not None:
            sources[d].append(m)
    meta_keys = metadata_keys(rows)
    records = []
    for r in rows:
        rec = store.records[r.id]
        names = r.label if isinstance(r.label, list) else [str(r.label)]
        out: dict[str, Any] = {"id": r.id, "labels": json.dumps(list(names), ensure_ascii=False),
                               "prediction": "", "error": rec.error or "", "kind": rec.kind,
                               "split": r.split or ""}
        usable = rec.scores is not None and not rec.error
        for d in dataset_labels:
            values = [float(rec.scores[m]) for m in sources[d]
                      if usable and rec.scores.get(m) is not None
                      and np.isfinite(rec.scores[m])]
            out[f"score_{d}"] = max(values) if values else np.nan
        for k in meta_keys:
            out[k] = r.metadata.get(k, "")
        records.append(out)
    columns = [*TABLE_COLUMNS, *[f"score_{d}" for d in dataset_labels], *meta_keys]
    return pd.DataFrame.from_records(records, columns=columns)
