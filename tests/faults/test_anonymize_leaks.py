"""``emoeval anonymize`` under attack: names hidden in free text, e-mails, other spellings and
capitalisations, numeric ids, a Latin-1 file, a map inside the published folder, and the
final scan that refuses to publish a leak. Every name here is synthetic."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emoeval.annotations import anonymise, anonymise_files
from emoeval.cli import app
from emoeval.errors import EmoevalError

RATERS = ("rater.one", "RATER.TWO", "zq_tester", "17", "ab")
HEADER = ["file_name", "user", "rating", "comment"]


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def names_left(folder: Path, names) -> list[str]:
    """Every (file, name) where a name still appears, any case, as a whole token, with its
    parts joined by any separator: an independent re-statement of the rule being tested."""
    found = []
    for path in folder.rglob("*"):
        text = path.read_text(encoding="utf-8").lower()
        for name in names:
            parts = re.split(r"[ ._-]+", name.lower())
            if re.search(r"(?<![a-z0-9])" + r"[ ._-]+".join(map(re.escape, parts))
                         + r"(?![a-z0-9])", text):
                found.append(f"{path.name}:{name}")
    return found


@pytest.fixture
def raw(tmp_path) -> Path:
    return write(tmp_path / "raw" / "ratings.csv", [
        ["a.wav", "rater.one", "yes", "second pass by rater.one"],
        ["a.wav", "RATER.TWO", "no", "RATER.TWO re-rated; ask Rater One or rater_two"],
        ["b.wav", "zq_tester", "yes", "mail rater.one@lab.example, cc Zq.Tester@lab.example"],
        ["b.wav", "17", "17", "age 17, rated by 17"],
        ["c.wav", "ab", "no", "abc absolutely fine; zq_testers is another word"],
    ])


def test_names_in_free_text_emails_and_spellings_are_replaced(tmp_path, raw):
    result = anonymise_files(str(raw), str(tmp_path / "anon" / "ratings.csv"),
                             str(tmp_path / "raw" / "map.csv"), ["user"])
    assert result["n_raters"] == len(RATERS)
    mapping = {row["raw_name"]: row["anonymous_id"] for row in read(tmp_path / "raw" / "map.csv")}
    rows = read(tmp_path / "anon" / "ratings.csv")
    assert [row["user"] for row in rows] == [mapping[name] for name in
                                             ("rater.one", "RATER.TWO", "zq_tester", "17", "ab")]
    one, two, tester = mapping["rater.one"], mapping["RATER.TWO"], mapping["zq_tester"]
    assert rows[0]["comment"] == f"second pass by {one}"
    assert rows[1]["comment"] == f"{two} re-rated; ask {one} or {two}"
    assert rows[2]["comment"] == f"mail {one}@lab.example, cc {tester}@lab.example"
    # numeric ids and two-letter names are replaced in the rater column only: a rating of
    # 17, an age and the word "abc" are data, not names
    assert rows[3]["rating"] == "17" and rows[3]["comment"] == "age 17, rated by 17"
    assert rows[4]["comment"] == "abc absolutely fine; zq_testers is another word"
    assert names_left(tmp_path / "anon", ("rater.one", "RATER.TWO", "zq_tester")) == []


def test_a_latin1_file_is_read_and_written_as_utf8(tmp_path):
    raw = write(tmp_path / "raw" / "latin.csv",
                [["a.wav", "josé.núñez", "oui", "noté par José Núñez, très bien"]],
                encoding="latin-1")
    result = anonymise_files(str(raw), str(tmp_path / "anon" / "latin.csv"),
                             str(tmp_path / "raw" / "map.csv"), ["user"])
    assert str(raw) in result["encodings"]
    rows = read(tmp_path / "anon" / "latin.csv")
    assert rows[0]["comment"] == "noté par user_0, très bien"
    assert read(tmp_path / "raw" / "map.csv")[0]["raw_name"] == "josé.núñez"


def test_undetectable_encoding_is_one_line(tmp_path, monkeypatch):
    raw = tmp_path / "raw" / "bad.csv"
    raw.parent.mkdir()
    raw.write_bytes(b"file_name,user\na.wav,r\xe9ter\n")
    import charset_normalizer

    class Nothing(list):
        def best(self):
            return None

    monkeypatch.setattr(charset_normalizer, "from_bytes", lambda raw: Nothing())
    with pytest.raises(EmoevalError, match=r"not UTF-8 \(byte 0xe9 at offset 22\)"):
        anonymise_files(str(raw), str(tmp_path / "anon" / "bad.csv"), str(tmp_path / "m.csv"),
                        ["user"])


def test_a_map_inside_the_output_folder_is_refused(tmp_path, raw):
    with pytest.raises(EmoevalError, match="inside the output folder"):
        anonymise_files(str(raw), str(tmp_path / "anon" / "ratings.csv"),
                        str(tmp_path / "anon" / "private" / "map.csv"), ["user"])
    assert not (tmp_path / "anon").exists()


def test_the_final_scan_fails_and_removes_what_it_wrote(tmp_path, raw, monkeypatch):
    # a replacement that misses free text (the bug the scan is there for)
    monkeypatch.setattr(anonymise, "_anonymised_rows",
                        lambda rows, positions, mapping, matcher: [
                            [mapping[c.strip()] if i in positions else c
                             for i, c in enumerate(row)] for row in rows])
    out = tmp_path / "anon" / "deep" / "ratings.csv"
    with pytest.raises(EmoevalError, match="a rater name remains on line 2"):
        anonymise_files(str(raw), str(out), str(tmp_path / "raw" / "map.csv"), ["user"])
    assert not (tmp_path / "anon").exists()
    assert not (tmp_path / "raw" / "map.csv").exists()


def test_cli_mistakes_are_one_line(tmp_path, raw):
    runner = CliRunner()
    for args in (
        [str(raw), "--out", str(tmp_path / "anon" / "r.csv"), "--map",
         str(tmp_path / "anon" / "map.csv")],
        [str(tmp_path / "none.csv"), "--out", str(tmp_path / "anon" / "r.csv"), "--map",
         str(tmp_path / "m.csv")],
    ):
        result = runner.invoke(app, ["anonymize", *args])
        assert result.exit_code != 0
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    ok = runner.invoke(app, ["anonymize", str(raw), "--out", str(tmp_path / "anon" / "r.csv"),
                             "--map", str(tmp_path / "m.csv")])
    assert ok.exit_code == 0, ok.output
    assert names_left(tmp_path / "anon", ("rater.one", "rater.two", "zq_tester")) == []
