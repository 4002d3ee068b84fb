"""Fixtures for the annotation tests; the builders live in annotation_builders.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation_builders import RAW_NAMES, simulate_ratings, write_csv


@pytest.fixture
def raw_binary(tmp_path) -> Path:
    rows = simulate_ratings()
    # bad input as annotation exports have it: an empty rating, an answer off the scale,
    # and a rater who submitted the same item twice
    rows.append([rows[0][0], rows[0][1], rows[0][2], "farid99", ""])
    rows.append([rows[3][0], rows[3][1], rows[3][2], "eva-m", "maybe"])
    rows.append(list(rows[5]))
    return write_csv(tmp_path / "raw" / "annotations.csv",
                     ["file_name", "queried_emotion", "task_type", "user", "rating"], rows)


@pytest.fixture
def raw_users(tmp_path) -> Path:
    rows = [[name, band, gender] for name, band, gender in
            zip(RAW_NAMES, ["18-24", "25-34", "25-34", "35-44", "45-54", "25-34"],
                ["female", "male", "male", "female", "female", "male"])]
    return write_csv(tmp_path / "raw" / "users.csv", ["user", "age_band", "gender"], rows)
