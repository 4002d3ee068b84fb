"""A run's agreement with a reference run, sample by sample (contracts section 6: a run of
reduced precision reports its agreement whenever a reference exists: ``evaluate --reference
DIR``, and the PyTorch run inside ``quantize``).

Both runs' ``detailed_results.csv`` are read; the samples both scored without an error are
compared on their predicted label (``prediction``), and, where both tables hold the same
score columns (``score_<label>``), on the largest absolute score difference.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError

#: differing sample ids kept in the block (the count is always complete)
MAX_IDS = 20


def read_table(run_dir: str, detailed_file: str) -> pd.DataFrame:
    path = os.path.join(run_dir, detailed_file)
    if not os.path.isfile(path):
        raise EmoevalError(f"--reference {run_dir}: no {detailed_file} there; give the folder "
                           "of a finished evaluate run")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def check_reference(reference_dir: str, detailed_file: str) -> None:
    """Refuse a reference folder that holds no finished run, before anything runs."""
    read_table(reference_dir, detailed_file)


def agreement(table: pd.DataFrame, reference: pd.DataFrame) -> dict[str, Any]:
    """Predicted labels (and scores) of ``table`` against ``reference``, on the samples both
    scored."""
    if "prediction" not in table.columns or "prediction" not in reference.columns:
        return {"n_compared": 0, "note": "these runs have no predicted labels to compare"}
    both = table.astype(str).merge(reference.astype(str), on="id", suffixes=("", "_reference"))
    if "error" in both.columns:
        both = both[(both["error"] == "") & (both["error_reference"] == "")]
    differ = both[both["prediction"] != both["prediction_reference"]]
    n = len(both)
    block: dict[str, Any] = {
        "n_compared": n, "n_equal": n - len(differ),
        "label_agreement": (n - len(differ)) / n if n else None,
        "differing_ids": differ["id"].tolist()[:MAX_IDS]}
    scores = [c for c in table.columns if c.startswith("score_") and c in reference.columns]
    if scores and n:
        ours = both[scores].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        theirs = both[[f"{c}_reference" for c in scores]].apply(
            pd.to_numeric, errors="coerce").to_numpy(float)
        block["max_abs_score_difference"] = float(np.nanmax(np.abs(ours - theirs)))
    return block


def reference_agreement(table: pd.DataFrame, reference_dir: str, detailed_file: str
                        ) -> dict[str, Any]:
    """The ``reference`` block of ``results.json``: this run's detailed table against the
    reference run in ``reference_dir``."""
    # as written to and read from the CSV, so both sides compare alike (empty errors, text)
    written = pd.read_csv(io.StringIO(table.to_csv(index=False)), dtype=str,
                          keep_default_na=False)
    block = agreement(written, read_table(reference_dir, detailed_file))
    return {"dir": os.path.abspath(reference_dir), **block}


def describe(block: dict[str, Any]) -> str:
    """One line: 'same label as <dir> on 63/64 samples (98.4%)'."""
    if not block.get("n_compared"):
        return f"reference {block.get('dir')}: {block.get('note', 'no sample in common')}"
    share = block["label_agreement"]
    text = (f"same label as the reference {block['dir']} on {block['n_equal']}/"
            f"{block['n_compared']} samples ({100 * share:.1f}%)")
    if block.get("max_abs_score_difference") is not None:
        text += f", max |score difference| {block['max_abs_score_difference']:.3g}"
    return text
