"""``emoeval anonymize``: stable ids, one map for several files, and no name ever leaks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from annotation_builders import RAW_NAMES, simulate_ratings, write_csv
from typer.testing import CliRunner

from emoeval.annotations import AgreementOptions, anonymise_files, run_agreement
from emoeval.cli import app
from emoeval.errors import EmoevalError

HEADER = ["file_name", "queried_emotion", "task_type", "user", "rating"]


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_no_name_leaks(folder: Path, names) -> int:
    """Scan every file under ``folder`` (bytes, case-insensitive) for every raw name."""
    scanned = 0
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace").lower()
            for name in names:
                assert name.lower() not in text, f"{name!r} leaked into {path}"
            scanned += 1
    assert scanned > 0
    return scanned


def test_ids_follow_sorted_names_and_one_map_serves_every_file(tmp_path, raw_binary, raw_users):
    out = tmp_path / "anon"
    result = anonymise_files(str(raw_binary), str(out / "annotations.csv"),
                             str(tmp_path / "raw" / "_anon_map.csv"), ["user"],
                             [str(raw_users)])
    assert result["n_raters"] == len(RAW_NAMES) and result["new_raters"] == len(RAW_NAMES)
    mapping = {row["raw_name"]: row["anonymous_id"]
               for row in read_rows(tmp_path / "raw" / "_anon_map.csv")}
    assert mapping == {name: f"user_{index}" for index, name in enumerate(sorted(RAW_NAMES))}
    raw_rows, anonymous_rows = read_rows(raw_binary), read_rows(out / "annotations.csv")
    assert len(raw_rows) == len(anonymous_rows)
    for raw, anonymous in zip(raw_rows, anonymous_rows):
        assert anonymous["user"] == mapping[raw["user"]]
        assert {k: v for k, v in anonymous.items() if k != "user"} == \
            {k: v for k, v in raw.items() if k != "user"}
    users = read_rows(out / "users.csv")
    assert [row["user"] for row in users] == [mapping[name] for name in RAW_NAMES]
    assert_no_name_leaks(out, RAW_NAMES)

    # the anonymised pair feeds the agreement report, demographics included
    summary = run_agreement(str(out / "annotations.csv"), str(tmp_path / "agreement"),
                            AgreementOptions(item_cols=["file_name", "queried_emotion",
                                                        "task_type"], scale="binary",
                                             n_resamples=10, rater_info=str(out / "users.csv")))
    assert summary["rater_info"]["gender"] == {"female": 3, "male": 3}
    assert summary["rater_coverage"]["anonymised"] is True
    assert "## Annotators" in (tmp_path / "agreement" / "report.md").read_text()
    assert_no_name_leaks(tmp_path / "agreement", RAW_NAMES)


def test_rerun_with_new_raters_keeps_ids_and_never_leaks(tmp_path, raw_binary, raw_users):
    map_file = tmp_path / "raw" / "_anon_map.csv"
    anonymise_files(str(raw_binary), str(tmp_path / "anon" / "annotations.csv"), str(map_file),
                    ["user"], [str(raw_users)])
    first = {row["raw_name"]: row["anonymous_id"] for row in read_rows(map_file)}

    # a new batch: two new raters, one sorting before everyone else
    newcomers = ("aaron", "zoe.q")
    rows = [row for row in simulate_ratings(n_files=10, raters=(*RAW_NAMES, *newcomers), seed=4)]
    batch = write_csv(tmp_path / "raw" / "batch2.csv", HEADER, rows)
    result = anonymise_files(str(batch), str(tmp_path / "anon" / "batch2.csv"), str(map_file),
                             ["user"])
    second = {row["raw_name"]: row["anonymous_id"] for row in read_rows(map_file)}
    assert result["new_raters"] == len({r[3] for r in rows} - set(RAW_NAMES))
    assert {name: second[name] for name in first} == first  # old ids unchanged
    assert [second[name] for name in sorted(newcomers) if name in second] == \
        [f"user_{len(RAW_NAMES) + i}" for i in range(result["new_raters"])]

    out = tmp_path / "agreement"
    run_agreement(str(tmp_path / "anon" / "batch2.csv"), str(out), AgreementOptions(
        item_cols=["file_name", "queried_emotion", "task_type"], scale="binary",
        expected_raters=3, n_resamples=20))
    assert_no_name_leaks(tmp_path / "anon", (*RAW_NAMES, *newcomers))
    assert_no_name_leaks(out, (*RAW_NAMES, *newcomers))
    assert (out / "per_user_summary.csv").read_text().count("user_") > 0


def test_a_name_in_another_column_is_refused_before_anything_is_written(tmp_path, raw_users):
    raw = write_csv(tmp_path / "raw.csv", ["file_name", "user", "reviewer", "rating"],
                    [["a.wav", "alice.smith", "bob_k", "yes"], ["a.wav", "bob_k", "", "no"]])
    with pytest.raises(EmoevalError, match="reviewer"):
        anonymise_files(str(raw), str(tmp_path / "out" / "raw.csv"), str(tmp_path / "map.csv"),
                        ["user"])
    assert not (tmp_path / "out").exists() and not (tmp_path / "map.csv").exists()
    anonymise_files(str(raw), str(tmp_path / "out" / "raw.csv"), str(tmp_path / "map.csv"),
                    ["user", "reviewer"])
    assert_no_name_leaks(tmp_path / "out", RAW_NAMES)
    assert read_rows(tmp_path / "out" / "raw.csv")[0]["reviewer"] == "user_1"


def test_bad_invocations_are_one_line_errors(tmp_path, raw_binary):
    map_file = tmp_path / "map.csv"
    with pytest.raises(EmoevalError, match="overwrite a raw input"):
        anonymise_files(str(raw_binary), str(raw_binary), str(map_file), ["user"])
    with pytest.raises(EmoevalError, match="no column 'annotator'|no column annotator"):
        anonymise_files(str(raw_binary), str(tmp_path / "anon" / "o.csv"), str(map_file),
                        ["annotator"])
    map_file.write_text("name,id\nalice.smith,user_0\n")
    with pytest.raises(EmoevalError, match="raw_name,anonymous_id"):
        anonymise_files(str(raw_binary), str(tmp_path / "anon" / "o.csv"), str(map_file),
                        ["user"])
    # feeding an anonymised file back in would renumber the ids: refused
    good_map = tmp_path / "good_map.csv"
    anonymise_files(str(raw_binary), str(tmp_path / "anon" / "anon.csv"), str(good_map),
                    ["user"])
    with pytest.raises(EmoevalError, match="already holds anonymous ids"):
        anonymise_files(str(tmp_path / "anon" / "anon.csv"),
                        str(tmp_path / "anon" / "again.csv"), str(good_map), ["user"])


def test_cli_anonymize(tmp_path, raw_binary, raw_users):
    runner = CliRunner()
    result = runner.invoke(app, ["anonymize", str(raw_binary), "--rater-col", "user", "--out",
                                 str(tmp_path / "anon" / "annotations.csv"), "--map",
                                 str(tmp_path / "map.csv"), "--also", str(raw_users)])
    assert result.exit_code == 0, result.output
    assert "6 raters" in result.output
    assert_no_name_leaks(tmp_path / "anon", RAW_NAMES)
    failed = runner.invoke(app, ["anonymize", str(tmp_path / "missing.csv"), "--out",
                                 str(tmp_path / "x.csv"), "--map", str(tmp_path / "map.csv")])
    assert failed.exit_code == 2 and "not found" in failed.output
