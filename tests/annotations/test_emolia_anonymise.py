"""``emoeval anonymize`` on emolia-bench's raw layout reads and writes their
``_anon_map.csv`` and, on a first run, writes what their ``anonymize.py`` writes (checked
against its rule re-implemented here); ids stay stable when a rater joins."""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd
from emolia_builders import write_dim
from typer.testing import CliRunner

from emoeval.cli import app

RAW_NAMES = {"user_0": "zoe.k", "user_1": "alice", "user_2": "Bob_M", "user_3": "chen"}


def raw_subset(root: Path) -> Path:
    """annotations_raw/emolia-dim/{annotations,users,flags}.csv with raw usernames."""
    write_dim(root / "tmp")
    raw = root / "annotations_raw" / "emolia-dim"
    raw.mkdir(parents=True)
    for name in ("annotations.csv", "users.csv", "flags.csv"):
        frame = pd.read_csv(root / "tmp" / "annotations" / "emolia-dim" / name, dtype=str,
                            keep_default_na=False)
        frame["username"] = frame["username"].map(RAW_NAMES)
        frame.to_csv(raw / name, index=False)
    return raw


def their_anonymize(raw: Path) -> dict[str, pd.DataFrame]:
    """anonymize.py build_username_map + anonymize_subset: ids by sorted raw name over
    users, annotations and flags; users sorted by id; map rows by raw name."""
    frames = {name: pd.read_csv(raw / name, dtype=str, keep_default_na=False)
              for name in ("annotations.csv", "users.csv", "flags.csv")}
    names = sorted(set().union(*(set(f["username"]) for f in frames.values())))
    mapping = {name: f"user_{i}" for i, name in enumerate(names)}
    for frame in frames.values():
        frame["username"] = frame["username"].map(mapping)
    frames["users.csv"] = frames["users.csv"].sort_values("username").reset_index(drop=True)
    frames["_anon_map.csv"] = pd.DataFrame(sorted(mapping.items()),
                                           columns=["raw_username", "anon_username"])
    return frames


def readme_command() -> str:
    readme = (Path(__file__).parents[2] / "docs" / "agreement.md").read_text(encoding="utf-8")
    start = readme.index("emoeval anonymize annotations_raw/emolia-dim")
    lines = []
    for line in readme[start:].splitlines():
        lines.append(line.rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    return " ".join(lines)


def test_readme_anonymize_writes_what_their_anonymize_writes(tmp_path, monkeypatch):
    raw = raw_subset(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = their_anonymize(raw)
    result = CliRunner().invoke(app, shlex.split(readme_command())[1:])
    assert result.exit_code == 0, result.output
    out = tmp_path / "annotations" / "emolia-dim"
    for name in ("annotations.csv", "users.csv", "flags.csv"):
        ours = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(ours, expected[name], check_dtype=False)
    ours_map = pd.read_csv(raw / "_anon_map.csv", dtype=str)
    pd.testing.assert_frame_equal(ours_map, expected["_anon_map.csv"])

    # a rater joins whose name sorts first: their ids would shift, ours stay
    annotations = pd.read_csv(raw / "annotations.csv", dtype=str, keep_default_na=False)
    joined = pd.concat([annotations, annotations.head(3).assign(username="aaron")])
    joined.to_csv(raw / "annotations.csv", index=False)
    result = CliRunner().invoke(app, shlex.split(readme_command())[1:])
    assert result.exit_code == 0, result.output
    after = pd.read_csv(raw / "_anon_map.csv", dtype=str).set_index("raw_username")
    before = expected["_anon_map.csv"].set_index("raw_username")
    assert (after.loc[before.index, "anon_username"] == before["anon_username"]).all()
    assert after.loc["aaron", "anon_username"] == f"user_{len(before)}"
    assert list(after.index) == sorted(after.index)  # their row order
