"""compare.html opened offline in headless Chromium shows the leaderboard and the plots."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from compare_synthetic import LABELS, balanced_truth, hits_with_rate, predictions_from_hits

from emoeval.compare import compare_runs

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


class RenderedTables(HTMLParser):
    """Cell texts of every table with an id, and the image sources, from a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id"):
            self._table = attributes["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "img":
            self.images.append(attributes.get("src") or "")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None


def test_leaderboard_renders_in_headless_chromium(make_run, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium on this machine (make test installs Debian's chromium)")
    ids = [f"s{i}" for i in range(200)]
    truth = balanced_truth(200)
    runs = [make_run(name, ids, truth, predictions_from_hits(
        truth, hits_with_rate(200, rate, seed), LABELS, seed))
        for name, rate, seed in (("alpha", 0.55, 1), ("beta", 0.8, 2))]
    out = tmp_path / "cmp"
    comparison = compare_runs(runs, str(out), n_resamples=500)
    page = out / "compare.html"
    profile = tmp_path / "chromium-profile"  # never the user's profile
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                          "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    parsed = RenderedTables()
    parsed.feed(dom)
    board = parsed.tables["leaderboard"]
    assert board[0][:3] == ["rank", "run", "model"]
    assert [row[1] for row in board[1:]] == [r["run"] for r in comparison["leaderboard"]]
    assert board[1][3].startswith(f"{100 * comparison['leaderboard'][0]['balanced_accuracy']:.1f}%")
    assert len(parsed.images) == 2
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
