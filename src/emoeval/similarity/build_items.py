"""``emoeval similarity-items``: benchmark items from any labelled audio corpus.

Each clip gives one positive item (its own emotion, ``task_type`` ``affirmative``) and one
negative item per other emotion of the corpus (``contrastive``), or ``negatives`` of them
drawn with the seed. ``split`` is ``dev`` or ``test``, drawn per emotion with the seed and
grouped by audio file (all items of a clip share a split), so a tuned threshold never sees a
reported clip. ``file_name`` is the clip's path relative to the corpus folder printed in the
summary (pass that folder as ``--audio-dir``); ``true_emotion`` and the corpus metadata
(speaker, gender, ...) follow.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ..datasets.base import DatasetOptions, load_dataset
from ..errors import EmoevalError
from ..results_io import write_csv

DEV = "dev"
TEST = "test"


def assign_splits(files_by_label: dict[str, list[str]], dev_fraction: float,
                  seed: int) -> dict[str, str]:
    """File -> dev/test, a seeded share of each emotion's files in dev."""
    rng = np.random.default_rng(seed)
    split: dict[str, str] = {}
    for label in sorted(files_by_label):
        files = sorted(set(files_by_label[label]))
        order = rng.permutation(len(files))
        n_dev = int(round(dev_fraction * len(files)))
        for rank, index in enumerate(order):
            split[files[index]] = DEV if rank < n_dev else TEST
    return split


def build_items(dataset: str, out: str, *, split: str | None = None,
                dev_fraction: float = 0.3, negatives: int | None = None, seed: int = 0,
                options: DatasetOptions | None = None) -> dict[str, Any]:
    """Write the items CSV to ``out``; returns counts and the audio root."""
    if not 0.0 <= dev_fraction < 1.0:
        raise EmoevalError(f"--dev-fraction {dev_fraction}: give a share in [0, 1)")
    if negatives is not None and negatives < 0:
        raise EmoevalError(f"--negatives {negatives}: give 0 or more")
    source = load_dataset(dataset, options)
    rows = source.rows(split)
    if not rows:
        raise EmoevalError(f"{dataset} has no rows" + (f" in split {split!r}" if split else ""))
    if any(r.audio is None for r in rows):
        raise EmoevalError(f"{dataset} holds text; similarity items need audio clips")
    if any(not isinstance(r.label, str) or not r.label for r in rows):
        raise EmoevalError(f"{dataset}: every clip needs one emotion label")
    emotions = sorted({r.label for r in rows})
    if len(emotions) < 2:
        raise EmoevalError(f"{dataset} has one emotion ({emotions[0]}): negatives need two")
    root = os.path.commonpath([os.path.dirname(os.path.abspath(r.audio)) for r in rows])
    relative = {r.id: os.path.relpath(os.path.abspath(r.audio), root).replace(os.sep, "/")
                for r in rows}
    by_label: dict[str, list[str]] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(relative[r.id])
    splits = assign_splits(by_label, dev_fraction, seed)
    rng = np.random.default_rng(seed + 1)
    meta_keys = sorted({k for r in rows for k in r.metadata})
    records = []
    for r in rows:
        others = [e for e in emotions if e != r.label]
        if negatives is not None and negatives < len(others):
            others = sorted(rng.choice(others, size=negatives, replace=False).tolist())
        for queried in [r.label, *others]:
            present = int(queried == r.label)
            records.append({
                "file_name": relative[r.id], "queried_emotion": queried,
                "majority_present": present,
                "task_type": "affirmative" if present else "contrastive",
                "split": splits[relative[r.id]], "true_emotion": r.label,
                **{k: r.metadata.get(k, "") for k in meta_keys}})
    table = pd.DataFrame.from_records(records)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_csv(out, table)
    return {"items": len(table), "clips": len(rows), "emotions": emotions,
            "positives": int(table["majority_present"].sum()),
            "dev_items": int((table["split"] == DEV).sum()),
            "test_items": int((table["split"] == TEST).sum()), "audio_dir": root, "out": out}
