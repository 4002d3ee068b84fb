"""Rating files for the annotation tests, written the way annotation tools export them.

Importable as ``annotation_builders`` (this folder is on pytest's pythonpath)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

EMOTIONS = ("Amusement", "Anger", "Sadness", "Fear", "Contentment", "Disgust")
RAW_NAMES = ("alice.smith", "bob_k", "chen.wei", "d.okafor", "eva-m", "farid99")


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def simulate_ratings(n_files: int = 40, raters=RAW_NAMES, seed: int = 0,
                     scale: str = "binary", raters_per_item: int = 3) -> list[list[str]]:
    """emolia-bench-like ratings: per audio file, the emotion it was picked for (task_type
    ``target``) and two other emotions (``distractor``), each rated by a few raters of
    different reliability; some items get fewer raters (incomplete)."""
    rng = np.random.default_rng(seed)
    reliability = np.linspace(0.95, 0.7, len(raters))
    rows = []
    for index in range(n_files):
        stem = f"EN_B{index:05d}_S{rng.integers(10_000):05d}_W000000.mp3"
        picked = EMOTIONS[index % len(EMOTIONS)]
        others = [e for e in EMOTIONS if e != picked]
        queried = [(picked, "target"),
                   *[(e, "distractor") for e in rng.choice(others, 2, replace=False)]]
        for emotion, task in queried:
            present = rng.random() < (0.85 if task == "target" else 0.15)
            strength = 2 if present and rng.random() < 0.6 else int(present)
            n = raters_per_item if rng.random() < 0.85 else int(rng.integers(1, raters_per_item))
            for rater in rng.choice(len(raters), n, replace=False):
                right = rng.random() < reliability[rater]
                answer = present if right else not present
                if scale == "binary":
                    value = "yes" if answer else "no"
                else:
                    level = strength if right else (0 if present else int(rng.integers(1, 3)))
                    value = ("not_present", "weakly_present", "strongly_present")[level]
                rows.append([stem, emotion, task, raters[rater], value])
    return rows
