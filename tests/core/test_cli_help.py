"""``--help`` of every command, its option panels, and the one declaration of the dataset
flags that every dataset-reading command takes (issue 16)."""

from __future__ import annotations

import dataclasses

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.datasets.base import DatasetOptions

runner = CliRunner()
COMMANDS = sorted(get_command(app).commands)
#: every flag of DatasetOptions and of the label choices, as the CLI spells them
DATASET_FLAGS = ["--id-col", "--text-col", "--audio-col", "--label-col", "--split-col",
                 "--speaker-col", "--label-sep", "--target-cols", "--label-group",
                 "--perspective", "--labels", "--keep-labels", "--merge", "--label-map"]


def options_of(name: str) -> set[str]:
    command = get_command(app).commands[name]
    return {flag for param in command.params for flag in (*param.opts, *param.secondary_opts)}


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_works(name):
    result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("name, panels", [
    ("evaluate", ["Dataset", "Labels", "Model", "Run", "Engine", "LLM server",
                  "Generative answers", "Multi-label", "Dimensional"]),
    ("score", ["Labels", "Run", "Generative answers", "Multi-label", "Dimensional",
               "Open vocabulary"]),
    ("quantize", ["Dataset", "Labels", "Model", "Run"]),
    ("train", ["Dataset", "Labels", "Model", "Run"]),
])
def test_options_are_grouped_in_panels(name, panels):
    result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    titles = [line.strip("╭─ ╮").split(" ─")[0].strip()
              for line in result.output.splitlines() if line.startswith("╭─")]
    for panel in panels:
        assert any(title.startswith(panel) for title in titles), (panel, titles)


@pytest.mark.parametrize("name", ["evaluate", "quantize", "train"])
def test_every_dataset_reading_command_takes_every_dataset_flag(name):
    assert set(DATASET_FLAGS) <= options_of(name)


def test_similarity_items_takes_every_column_flag_but_no_label_choice():
    # it writes every emotion of the corpus: label choices would be flags that do nothing
    flags = options_of("similarity-items")
    assert set(DATASET_FLAGS[:10]) <= flags
    assert not {"--labels", "--keep-labels", "--merge", "--label-map"} & flags


def test_dataset_flags_cover_every_dataset_option():
    # a new DatasetOptions field must become a flag of every dataset-reading command
    flags = {"--" + f.name.replace("_", "-") for f in dataclasses.fields(DatasetOptions)}
    assert flags <= set(DATASET_FLAGS)


def test_quantize_passes_label_group_and_target_cols_on(monkeypatch, tmp_path):
    seen = {}

    def fake_run_quantize(cfg, log=None, on_progress=None):
        seen["cfg"] = cfg
        raise SystemExit(0)

    monkeypatch.setattr("emoeval.onnx.pipeline.run_quantize", fake_run_quantize)
    runner.invoke(app, ["quantize", "--model", "hf:x", "--out", str(tmp_path / "q"),
                        "--dataset", "emobank:x", "--perspective", "reader",
                        "--target-cols", "V, A", "--labels", "a,b", "--merge", "x=y",
                        "--label-sep", ";", "--text-col", "sentence"])
    cfg = seen["cfg"]
    assert cfg.dataset_options == DatasetOptions(text_col="sentence", label_sep=";",
                                                 target_cols=["V", "A"],
                                                 label_group="reader")
    assert (cfg.labels, cfg.keep_labels, cfg.merge, cfg.label_map) == (["a", "b"], None,
                                                                       ["x=y"], None)
