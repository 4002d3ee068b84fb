"""Seed 002 (Emotion-LLaMA on MER2023 test3, 834 clips) rebuilt as per-sample answers.

The published confusion matrix (rows true, columns predicted, after the seed's script turned
the one answer "doubt" into "neutral") is :data:`MATRIX`. The true class of the "doubt"
answer is not published; it is placed in a neutral -> neutral cell, the reading under which
"auto-corrected to neutral" changed no published number's meaning. Any cell of the neutral
column gives the same matrix under ``fallback:neutral``, which is what the seed reported.

The wording follows Emotion-LLaMA's prompt ("Answer the emotion label in lower-case"): mostly
a bare lower-case label, now and then with a full stop, capitalised or in a sentence.

Run as a script it writes the answers file used in docs/generative.md:
``python tests/generative/generative_seed002.py answers.csv``.
"""

from __future__ import annotations

import sys

import pandas as pd

LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
MATRIX = [[179, 1, 2, 1, 0, 0],
          [2, 154, 7, 3, 2, 1],
          [10, 10, 134, 6, 2, 4],
          [2, 2, 1, 250, 0, 2],
          [1, 0, 3, 1, 6, 3],
          [5, 1, 3, 2, 1, 33]]
PUBLISHED = {"accuracy": 90.65, "precision_weighted": 90.44, "recall_weighted": 90.65,
             "f1_weighted": 90.45}
PUBLISHED_CLASS_ACCURACY = {"neutral": 97.81, "sad": 97.28, "angry": 91.12, "happy": 80.72,
                            "surprise": 73.33, "worried": 42.86}
OUT_OF_TAXONOMY_ANSWER = "doubt"


def wording(label: str, index: int) -> str:
    style = index % 20
    if style < 14:
        return label
    if style < 16:
        return f"{label}."
    if style < 18:
        return label.capitalize()
    return f"The emotion is {label}."


def seed_002_answers() -> pd.DataFrame:
    """834 rows: id, label, response, prediction_published (what the seed's script scored)."""
    rows = []
    for t, true in enumerate(LABELS):
        for p, predicted in enumerate(LABELS):
            for _ in range(MATRIX[t][p]):
                rows.append({"id": f"sample_{len(rows):05d}", "label": true,
                             "response": wording(predicted, len(rows)),
                             "prediction_published": predicted})
    # the last neutral -> neutral answer was "doubt" (the seed's "notable error")
    last_neutral = max(i for i, r in enumerate(rows)
                       if r["label"] == "neutral" and r["prediction_published"] == "neutral")
    rows[last_neutral]["response"] = OUT_OF_TAXONOMY_ANSWER
    return pd.DataFrame(rows)


if __name__ == "__main__":
    seed_002_answers().drop(columns=["prediction_published"]).to_csv(sys.argv[1], index=False)
