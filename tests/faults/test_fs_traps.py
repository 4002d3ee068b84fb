"""File-system traps: a symlink loop in an ``audiofolder:`` tree (and in the folders that
``similarity`` and ``serve`` index) ends and is reported; similarity items naming absolute or
``..`` paths are refused before any clip is read or sent."""

from __future__ import annotations

import csv
import os
import threading

import pytest
from builders import write_wav
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.datasets import load_dataset
from emoeval.datasets.files import list_audio
from emoeval.errors import EmoevalError
from emoeval.similarity.items import AudioIndex, read_items


def looped_tree(root):
    write_wav(root / "angry" / "a1.wav", seconds=0.2)
    write_wav(root / "happy" / "deep" / "h1.wav", seconds=0.2)
    os.symlink(root, root / "happy" / "deep" / "back_to_root")  # a loop through the root
    os.symlink(root / "angry", root / "angry" / "self")  # a folder linking to itself
    os.symlink(root / "angry", root / "happy" / "angry_too")  # no loop: followed once
    return root


def bounded(call, seconds: float = 20.0):
    """Run ``call`` in a thread; fail (instead of hanging the suite) past ``seconds``."""
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still walking after {seconds} s: a symlink loop was followed"
    return result["value"]


def test_a_symlink_loop_is_skipped_and_reported(tmp_path):
    root = looped_tree(tmp_path / "corpus")
    loops: list[str] = []
    found = bounded(lambda: list_audio(root, loops))
    assert sorted(p.relative_to(root).as_posix() for p in found) == [
        "angry/a1.wav", "happy/angry_too/a1.wav", "happy/deep/h1.wav"]
    assert sorted(loop.split(" -> ")[0] for loop in loops) == [
        "angry/self", "happy/angry_too/self", "happy/deep/back_to_root"]


def test_audiofolder_with_a_loop_loads_and_warns(tmp_path):
    root = looped_tree(tmp_path / "corpus")
    with pytest.warns(UserWarning, match="symlink loop skipped"):
        rows = bounded(lambda: load_dataset(f"audiofolder:{root}").rows())
    assert {(r.id, r.label) for r in rows} == {
        ("angry/a1.wav", "angry"), ("happy/angry_too/a1.wav", "happy"),
        ("happy/deep/h1.wav", "happy")}


def test_similarity_audio_index_survives_a_loop(tmp_path):
    root = looped_tree(tmp_path / "clips")
    with pytest.warns(UserWarning, match="symlink loop skipped"):
        index = bounded(lambda: AudioIndex(str(root)))
    assert index.resolve("h1.mp3").endswith("h1.wav")


def write_items(path, names):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "queried_emotion", "majority_present"])
        writer.writerows([name, "Sadness", 1] for name in names)
    return path


@pytest.mark.parametrize("name", ["/etc/passwd", "../secret/outside.wav",
                                  "clips/../../secret/outside.wav", "C:\\secret.wav",
                                  "..\\secret\\outside.wav"])
def test_items_leaving_the_audio_dir_are_refused(tmp_path, name):
    items = write_items(tmp_path / "items.csv", ["ok.wav", name])
    with pytest.raises(EmoevalError, match="line 3: file_name .*refused"):
        read_items(str(items), "{label}")


def test_similarity_cli_refuses_them_in_one_line(tmp_path):
    audio = tmp_path / "audio"
    write_wav(audio / "ok.wav", seconds=0.2)
    secret = write_wav(tmp_path / "secret" / "outside.wav", seconds=0.2)
    items = write_items(tmp_path / "items.csv", ["ok.wav", str(secret)])
    result = CliRunner().invoke(app, ["similarity", "--items", str(items), "--audio-dir",
                                      str(audio), "--sham", "--out", str(tmp_path / "run")])
    assert result.exit_code != 0
    assert "absolute paths are refused" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
