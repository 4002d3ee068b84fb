"""render_all: files written, valid PNGs, and re-rendering from results.json alone."""

from __future__ import annotations

import os

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from emoeval.reports import render_all, render_markdown
from emoeval.reports.plots import OTHER, confusion_data
from emoeval.scoring import score_table


def read_png(path: str) -> np.ndarray:
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image


def test_render_all_writes_report_and_pngs(full_results, tmp_path):
    paths = render_all(full_results, str(tmp_path))
    names = [os.path.basename(p) for p in paths]
    assert names == ["report.md", "confusion_matrix.png", "per_class_metrics.png"]
    assert all(os.path.isfile(p) for p in paths)
    assert all(os.path.dirname(p) == str(tmp_path) for p in paths)
    cm = read_png(str(tmp_path / "confusion_matrix.png"))
    bars = read_png(str(tmp_path / "per_class_metrics.png"))
    assert cm.shape[1] > cm.shape[0]  # two panels side by side
    assert cm.shape[0] > 300 and bars.shape[0] > 300
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report == render_markdown(full_results)
    assert "](confusion_matrix.png)" in report and "](per_class_metrics.png)" in report


def test_render_all_creates_out_dir(score_results, tmp_path):
    out = tmp_path / "nested" / "run"
    paths = render_all(score_results, str(out))
    assert len(paths) == 3 and all(os.path.isfile(p) for p in paths)


def test_other_column_only_when_used(full_results, score_results):
    labels, columns, counts = confusion_data(full_results)
    assert columns == [*labels, OTHER] and counts.shape == (4, 5)
    assert counts[:, -1].tolist() == full_results["confusion_matrix"]["other"]
    labels, columns, counts = confusion_data(score_results)
    assert columns == labels and counts.shape == (4, 4)


def test_without_plot_data_only_the_report_is_written(tmp_path):
    (tmp_path / "confusion_matrix.png").write_bytes(b"stale")
    paths = render_all({"metrics": {"accuracy": 0.5}}, str(tmp_path))
    assert [os.path.basename(p) for p in paths] == ["report.md"]
    assert not (tmp_path / "confusion_matrix.png").exists()  # no stale plot left behind
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert ".png" not in report
    assert "| Accuracy (WA) | 50.0% | n/a |" in report


def test_many_classes_scale_the_figure(tmp_path):
    labels = [f"emotion_{i:02d}" for i in range(28)]
    rng = np.random.default_rng(1)
    truth = rng.choice(labels, size=1400)
    prediction = np.where(rng.random(1400) < 0.5, truth, rng.choice(labels, size=1400))
    table = pd.DataFrame({"id": range(1400), "label": truth, "prediction": prediction})
    results = score_table(table, labels, n_resamples=50)
    paths = render_all(results, str(tmp_path))
    assert len(paths) == 3
    cm = read_png(str(tmp_path / "confusion_matrix.png"))
    bars = read_png(str(tmp_path / "per_class_metrics.png"))
    assert cm.shape[0] > 1200 and cm.shape[1] > 2400  # ~45 px per cell
    assert bars.shape[1] > 1800
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert all(f"| {label} |" in md for label in labels)


def test_render_reports_reads_results_json(full_results, tmp_path):
    """``emoeval.api.render_reports`` re-renders from results.json on disk."""
    api = pytest.importorskip("emoeval.api")
    api.write_results(str(tmp_path), full_results, pd.DataFrame({"id": ["a"]}))
    paths = api.render_reports(str(tmp_path))
    assert sorted(os.path.basename(p) for p in paths) == [
        "confusion_matrix.png", "per_class_metrics.png", "report.md"]
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == \
        render_markdown(full_results)
