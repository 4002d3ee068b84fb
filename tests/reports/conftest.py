"""Results dicts built by the real scoring path (``score_table``), as ``evaluate`` builds them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emoeval.labels import build_mapping
from emoeval.scoring import score_table

LABELS = ["angry", "happy", "neutral", "sad"]


def predictions_table(n: int = 240, *, n_errors: int = 0, other: bool = False,
                      seed: int = 0) -> pd.DataFrame:
    """A detailed table: 8 speakers, imbalanced classes, ~65% correct, optional errors and
    predictions outside the label set (``<calm>``, as ``--unmapped wrong`` writes them)."""
    rng = np.random.default_rng(seed)
    weights = np.array([4.0, 3.0, 2.0, 1.0])
    label = rng.choice(LABELS, size=n, p=weights / weights.sum())
    prediction = np.where(rng.random(n) < 0.65, label, rng.choice(LABELS, size=n)).astype(object)
    if other:
        prediction[rng.random(n) < 0.08] = "<calm>"
        prediction[0] = "<calm>"  # at least one, whatever the seed
    error = np.array([""] * n, dtype=object)
    # the outcome kind of each error (contracts-v2 section 1): an undecodable file is the
    # input's fault, a timeout the transport's; both stay out of the metrics (issue 19)
    kind = np.array(["ok"] * n, dtype=object)
    error[np.arange(n_errors) * 3 + 1] = "audio: could not decode"
    kind[np.arange(n_errors) * 3 + 1] = "input"
    if n_errors:
        error[1] = "timeout: model took too long"
        kind[1] = "transport"
    return pd.DataFrame({
        "id": [f"utt{i:04d}" for i in range(n)],
        "label": label,
        "prediction": prediction,
        "error": error,
        "kind": kind,
        "speaker": [f"spk{i % 8}" for i in range(n)],
        "gender": np.where(np.arange(n) % 8 < 4, "female", "male"),
    })


def evaluate_like(table: pd.DataFrame, *, slice_by=None, mapping=None,
                  efficiency: bool = True) -> dict:
    """Wrap score_table the way ``emoeval.api.evaluate`` does, then round-trip via JSON
    (reports are rendered from results.json)."""
    shared = mapping.shared_labels if mapping is not None else None
    results = {
        "schema_version": 2,
        "task": "classification",
        "model": {"spec": "hf:org/emotion-model", "fingerprint": "0123456789abcdef"},
        "dataset": {"spec": "preset:demo_en", "split": "test", "fingerprint": "fedcba9876543210",
                    "limit": None, "seed": 0},
        **score_table(table, LABELS, slice_by=slice_by, shared_labels=shared,
                      n_resamples=200, seed=0),
        "label_mapping": mapping.to_dict() if mapping is not None else None,
        "efficiency": ({"n_parameters": 94_568_711, "size_bytes": 378_274_816,
                        "samples_per_s": 41.234, "latency_ms_p50": 21.5,
                        "latency_ms_p95": 38.25,
                        "note": "model time only (forward passes), measured in this run"}
                       if efficiency else None),
        "run": {"command": "emoeval evaluate --model hf:org/emotion-model --dataset demo_en",
                "versions": {"emoeval": "0.1.0", "python": "3.11.9", "numpy": "2.0.0"},
                "started": "2025-01-01T12:00:00+00:00", "duration_s": 83.4},
    }
    return json.loads(json.dumps(results))


@pytest.fixture
def full_results() -> dict:
    """Everything present: slices, label mapping (sad unpredictable, calm unmapped with
    --unmapped wrong), 25 errors, predictions outside the label set."""
    mapping = build_mapping(["anger", "joy", "neutral", "calm"], LABELS, {}, "wrong")
    return evaluate_like(predictions_table(n_errors=25, other=True), slice_by=["gender"],
                         mapping=mapping)


@pytest.fixture
def score_results() -> dict:
    """What ``emoeval score`` produces: no slices, mapping, efficiency, errors or (other)."""
    results = evaluate_like(predictions_table(), efficiency=False)
    results["model"] = {"spec": "file:preds.csv", "fingerprint": None}
    results["dataset"] = {"spec": "file:preds.csv", "split": None, "fingerprint": None}
    return results


@pytest.fixture
def make_table():
    """``predictions_table`` for tests that build their own variant."""
    return predictions_table


@pytest.fixture
def make_results():
    """``evaluate_like`` for tests that build their own variant."""
    return evaluate_like
