"""The documentation stays true: the results-schema page is the generated one, every job page
has a runnable example, and every example marked runnable runs (offline, on shipped data or
files the example writes itself)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from emoeval.results_schema import render

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: `<!-- runnable -->` (or `<!-- runnable slow -->`) right before a ```bash block marks it
RUNNABLE = re.compile(r"<!-- runnable( slow)? -->\n```bash\n(.*?)\n```", re.DOTALL)
#: pages that include other files or are reference, not a job: no example required
NO_EXAMPLE = {"benchmarks.md", "demo-data.md"}


def runnable_blocks() -> list:
    found = []
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for number, match in enumerate(RUNNABLE.finditer(page.read_text(encoding="utf-8"))):
            marks = [pytest.mark.slow]
            found.append(pytest.param(match.group(2), id=f"{page.name}-{number}", marks=marks))
    return found


def test_the_results_schema_page_is_the_generated_one():
    committed = (DOCS / "results-schema.md").read_text(encoding="utf-8")
    assert committed == render(), ("docs/results-schema.md is stale: run "
                                   "`python -m emoeval.results_schema > docs/results-schema.md`")


def test_every_page_has_a_runnable_example():
    pages = [page.name for page in DOCS.glob("*.md") if page.name not in NO_EXAMPLE]
    assert len(pages) >= 16
    lacking = [name for name in pages if not RUNNABLE.search((DOCS / name).read_text())]
    assert not lacking, f"pages without a <!-- runnable --> example: {lacking}"


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [page.name for page in DOCS.glob("*.md") if f" {page.name}" not in nav]
    assert not missing


@pytest.mark.parametrize("script", runnable_blocks())
def test_runnable_example_runs(script: str, tmp_path: Path):
    # `emoeval` and `python` on PATH are this checkout's, whatever is installed
    bin_dir = tmp_path / "_bin"
    bin_dir.mkdir()
    for name, command in (("emoeval", f'"{sys.executable}" -m emoeval.cli'),
                          ("python", f'"{sys.executable}"')):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(tmp_path)]),
           "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"example failed:\n{script}\n--- stderr:\n{done.stderr[-3000:]}"


def test_the_readme_stays_short_and_links_every_job_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250, "README.md: move the detail into a docs/ page"
    job_pages = [page.name for page in DOCS.glob("*.md") if page.name not in NO_EXAMPLE
                 and page.name != "index.md" and page.name != "install.md"]
    unlinked = [name for name in job_pages if f"](docs/{name})" not in readme]
    assert not unlinked, f"README.md's jobs table lacks {unlinked}"
