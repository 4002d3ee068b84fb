"""Time scoring plus bootstrap intervals on 1,000,000 synthetic predictions.

Target: classification_summary + bootstrap_ci (1,000 resamples) in well under 5 s on a
2-core CPU, both row-level and with 2,000 speaker groups.

    .venv/bin/python benchmarks/score_ci.py [--rows 1000000] [--speakers 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from emoeval.metrics import bootstrap_ci, classification_summary

LABELS = ["neutral", "angry", "happy", "sad", "fear", "disgust", "surprise"]
TARGET_SECONDS = 5.0


def synthetic_predictions(n_rows: int, n_speakers: int, seed: int = 0):
    """Imbalanced 7-class truth, speaker-dependent accuracy, 1% predictions outside labels.

    Arrays of Python strings (dtype object), as they come out of a pandas column.
    """
    rng = np.random.default_rng(seed)
    label_array = np.array(LABELS, dtype=object)
    y_true = label_array[rng.choice(len(LABELS), size=n_rows,
                                    p=[0.3, 0.15, 0.15, 0.15, 0.1, 0.05, 0.1])]
    speakers = rng.integers(0, n_speakers, size=n_rows)
    speaker_accuracy = rng.uniform(0.4, 0.95, size=n_speakers)
    y_pred = label_array[rng.integers(0, len(LABELS), size=n_rows)]
    hits = rng.random(n_rows) < speaker_accuracy[speakers]
    y_pred[hits] = y_true[hits]
    y_pred[rng.random(n_rows) < 0.01] = "<calm>"
    speaker_ids = np.array([f"speaker_{index:04d}" for index in range(n_speakers)],
                           dtype=object)[speakers]
    return y_true, y_pred, speaker_ids


def time_run(y_true, y_pred, groups, repeats: int) -> tuple[float, dict]:
    """Best-of-``repeats`` wall time of summary + 1,000-resample bootstrap."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        summary = classification_summary(y_true, y_pred, LABELS)
        intervals = bootstrap_ci(y_true, y_pred, LABELS, groups=groups, n_resamples=1000,
                                 seed=0)
        best = min(best, time.perf_counter() - start)
    return best, {"summary": summary, "intervals": intervals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--speakers", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()

    y_true, y_pred, speakers = synthetic_predictions(arguments.rows, arguments.speakers)
    print(f"{arguments.rows:,} rows, {len(LABELS)} classes, {os.cpu_count()} CPUs, "
          f"best of {arguments.repeats}")
    for name, groups in [("by sample", None), (f"by speaker ({arguments.speakers:,})", speakers)]:
        seconds, result = time_run(y_true, y_pred, groups, arguments.repeats)
        accuracy = result["summary"]["metrics"]["accuracy"]
        interval = result["intervals"]["accuracy"]
        print(f"  {name:<22} {seconds:6.3f} s   {seconds / TARGET_SECONDS:6.1%} of the "
              f"{TARGET_SECONDS:.0f} s target   accuracy {accuracy:.4f} "
              f"[{interval['low']:.4f}, {interval['high']:.4f}]")


if __name__ == "__main__":
    main()
