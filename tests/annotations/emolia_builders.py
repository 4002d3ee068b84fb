"""emolia-bench annotation files in their exact layout (``annotations/<subset>/``), small.

Columns as in LAION-AI/emolia-bench ``annotations/emolia-emo/annotations.csv`` and
``annotations/emolia-dim/annotations.csv``, ``users.csv`` and ``emolia-dim/flags.csv``.
The rows hold what their rules must survive: binary ties (two raters disagreeing), ordinal
three-way splits, single raters, a fourth rater, duplicate ratings with timestamps, flags,
the same ``sample_NN.mp3`` in many dim folders and a non-integer level (``LANG/European``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
from annotation_builders import write_csv as _write

EMO_HEADER = ["annotation_id", "username", "source_emotion", "queried_emotion", "task_type",
              "file_name", "rating", "reaction_time_ms", "sample_time_ms", "created_at"]
DIM_HEADER = ["annotation_id", "username", "dimension", "level", "polarity", "file_name",
              "rating", "reaction_time_ms", "sample_time_ms", "created_at"]
FLAG_HEADER = ["flag_id", "username", "dimension", "level", "polarity", "file_name", "reason",
               "created_at"]
USERS_HEADER = ["username", "age", "gender", "languages", "listening_setup", "expertise"]
EMO_LEVELS = ("not_present", "weakly_present", "strongly_present")
EMOTIONS = ("Sadness", "Anger", "Jealousy___Envy", "Contentment", "Fear")
TASKS = ("affirmative", "contrastive_1", "ultimate")
DIMENSIONS = (("BKGN", ("1", "2")), ("TEMP", ("0", "5")), ("LANG", ("European", "Asian")))
USERS = ("user_0", "user_1", "user_2", "user_3")


def _uid(rng) -> str:
    return str(uuid.UUID(int=int(rng.integers(2**63)) << 64 | int(rng.integers(2**63))))


def _time(minute: int) -> str:
    return f"2026-05-03 10:{minute // 60:02d}:{minute % 60:02d}"


def _raters(rng, index: int) -> list[str]:
    """Mostly three raters, some one or two, a few four (the fourth rater joins late)."""
    n = (3, 3, 1, 2, 3, 4, 2)[index % 7]
    return sorted(rng.choice(USERS[:3] if n < 4 else USERS, n, replace=False).tolist())


def write_emo(root: Path, seed: int = 0) -> Path:
    """``root/annotations/emolia-emo/{annotations,users}.csv``; returns annotations.csv."""
    rng = np.random.default_rng(seed)
    rows, clock = [], 0
    for index in range(24):
        file_name = f"EN_B{index:05d}_S{index * 7:05d}_W000000.mp3"
        emotion = EMOTIONS[index % len(EMOTIONS)]
        task = TASKS[index % len(TASKS)]
        queried = emotion if task == "affirmative" else EMOTIONS[(index + 2) % len(EMOTIONS)]
        raters = _raters(rng, index)
        split = index % 5 == 0 and len(raters) == 3  # a three-way ordinal split
        for position, user in enumerate(raters):
            level = position if split else int(rng.integers(3))
            clock += 7
            rows.append([_uid(rng), user, emotion, queried, task, file_name, EMO_LEVELS[level],
                         int(rng.integers(300, 9000)), int(rng.integers(2000, 30000)),
                         _time(clock)])
        if index % 6 == 1:  # the rater changed their mind later: the later rating wins
            first = rows[-1]
            rows.insert(len(rows) - 1, [_uid(rng), *first[1:6], EMO_LEVELS[(EMO_LEVELS.index(
                first[6]) + 1) % 3], 1234, 5678, _time(1)])
    base = root / "annotations" / "emolia-emo"
    _users(base)
    return _write(base / "annotations.csv", EMO_HEADER, rows)


def write_dim(root: Path, seed: int = 1) -> Path:
    """``root/annotations/emolia-dim/{annotations,users,flags}.csv``; returns annotations.csv."""
    rng = np.random.default_rng(seed)
    rows, flags, clock, index = [], [], 0, 0
    for dimension, levels in DIMENSIONS:
        for level in levels:
            for polarity in ("positive", "negative"):
                for sample in (0, 1, 2):  # the same sample_NN.mp3 in every folder
                    file_name = f"sample_{sample:02d}.mp3"
                    raters = _raters(rng, index)
                    for user in raters:
                        clock += 5
                        rows.append([_uid(rng), user, dimension, level, polarity, file_name,
                                     "yes" if rng.random() < 0.5 else "no",
                                     int(rng.integers(300, 9000)),
                                     int(rng.integers(2000, 30000)), _time(clock)])
                    if index % 5 == 2:  # a duplicate, the later one (listed first) wins
                        latest = rows[-1]
                        rows.insert(len(rows) - 1, [_uid(rng), *latest[1:6],
                                                    "no" if latest[6] == "yes" else "yes",
                                                    111, 222, _time(clock + 900)])
                    if index % 9 == 4:
                        flags.append([_uid(rng), raters[0], dimension, level, polarity,
                                      file_name, "no speech, just silence", _time(clock)])
                    index += 1
    base = root / "annotations" / "emolia-dim"
    _users(base)
    _write(base / "flags.csv", FLAG_HEADER, flags)
    return _write(base / "annotations.csv", DIM_HEADER, rows)


def _users(base: Path) -> None:
    rows = [[user, 20 + 5 * i, ("female", "male")[i % 2], "en", "headphones", i + 1]
            for i, user in enumerate(USERS)]
    _write(base / "users.csv", USERS_HEADER, rows)
