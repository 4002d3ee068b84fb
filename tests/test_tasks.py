"""Task specs and the one registry: lazy entries, did-you-mean, collisions refused, a task
picked from the run (never from a name branch), and evaluate() leaving its config alone."""

from __future__ import annotations

import copy
import dataclasses
import json
import sys

import pandas as pd
import pytest

from emoeval.api import EvaluationConfig, evaluate
from emoeval.errors import EmoevalError
from emoeval.registry import DATASET_SOURCES, MODEL_ADAPTERS, TASKS, Registry, pick_task
from emoeval.task import Task, option_flag


def test_registry_loads_lazily_and_keeps_the_object(monkeypatch):
    registry = Registry("widget", {"json": ("json:dumps", "the json encoder")})
    assert list(registry) == ["json"] and registry["json"] == ("json:dumps", "the json encoder")
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    registry.register("hls", "colorsys:rgb_to_hls", "colour spaces")
    assert "colorsys" not in sys.modules  # registering imports nothing
    assert registry.load("hls") is registry.load("hls")
    assert "colorsys" in sys.modules


def test_registry_refuses_collisions_and_suggests_names():
    registry = Registry("widget", {"json": ("json:dumps", "")})
    with pytest.raises(ValueError, match="already registered"):
        registry.register("json", "pickle:dumps")
    with pytest.raises(ValueError, match="module:object"):
        registry.register("bad", "no_colon_here")
    with pytest.raises(EmoevalError, match="unknown widget 'jsno'; did you mean 'json'"):
        registry.load("jsno")
    with pytest.raises(EmoevalError, match="did you mean 'json'"):
        registry.parse("jsn:x")


def test_adapters_datasets_and_tasks_share_the_registry_class():
    for registry in (MODEL_ADAPTERS, DATASET_SOURCES, TASKS):
        assert isinstance(registry, Registry)
    assert MODEL_ADAPTERS.parse("lexicon:nrc").argument == "nrc"
    with pytest.raises(EmoevalError, match="did you mean 'classification'"):
        TASKS.load("clasification")


def test_every_task_spec_has_the_one_shape():
    for name in TASKS:
        spec = TASKS.load(name)
        assert isinstance(spec, Task) and spec.name == name
        assert dataclasses.is_dataclass(spec.options)
        for field in dataclasses.fields(spec.options):
            # each option declares its help once, for the CLI to generate the flag from
            assert field.metadata["help"] and field.default is None
            # the unanswered policy's flag is --unanswered for every task (issue 19; the
            # field keeps its old name, --invalid-policy stays an alias on the CLI)
            expected = ("--unanswered" if field.name == "invalid_policy"
                        else "--" + field.name.replace("_", "-"))
            assert option_flag(spec.options, field.name) == expected
        # run -> table -> score -> report: each step is the task's own
        assert spec.renderer.count(":") == 1, name
        assert spec.scorer is not None or type(spec).score is not Task.score, name
        assert spec.table_builder is not None or type(spec).build_table is not Task.build_table
    assert sum(TASKS.load(name).fallback for name in TASKS) == 1


def test_task_options_refuse_what_the_task_does_not_take():
    classification = TASKS.load("classification")
    # classification takes the unanswered policy (issue 19), not a threshold or --mention
    assert classification.parse_options({"invalid_policy": "exclude"}).invalid_policy == \
        "exclude"
    with pytest.raises(EmoevalError, match="--mention does not apply to --task "
                                           "classification"):
        classification.parse_options({"mention": "first", "threshold": None})
    multilabel = TASKS.load("multilabel")
    options = multilabel.parse_options({"threshold": "per-class", "mention": None})
    assert multilabel.given_options(options) == {"threshold": "per-class"}


class FakeAdapter:
    def __init__(self, output):
        self.output = output


class FakeRow:
    def __init__(self, label, targets=None):
        self.label, self.targets = label, targets


@pytest.mark.parametrize("output, rows, expected", [
    ("scores", [FakeRow("joy")], "classification"),
    ("scores", [FakeRow(["joy", "anger"])], "multilabel"),
    ("text", [FakeRow("joy")], "generative"),
    ("text", [FakeRow(["joy"])], "generative"),
    ("values", [FakeRow(None, {"V": 1.0})], "dimensional"),
    ("text", [FakeRow(None, {"V": 1.0})], "dimensional"),
])
def test_the_task_is_picked_from_the_rows_and_the_model(output, rows, expected):
    assert pick_task(FakeAdapter(output), rows).name == expected


def multilabel_csv(path):
    texts = ["happy glad day", "sad cry night", "angry furious", "happy and sad", "plain"]
    truth = [["happy"], ["sad"], ["angry"], ["happy", "sad"], ["happy"]]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(15)],
                          "text": [texts[i % 5] for i in range(15)],
                          "labels": [json.dumps(truth[i % 5]) for i in range(15)],
                          "split": [["train", "dev", "test"][i % 3] for i in range(15)]})
    frame.to_csv(path, index=False)
    return path


def test_evaluate_leaves_the_callers_config_unchanged(tmp_path):
    data = multilabel_csv(tmp_path / "ml.csv")
    cfg = EvaluationConfig(model="python:toy_models:keyword_scores", dataset=f"csv:{data}",
                           out=str(tmp_path / "run"), split="test", n_resamples=20,
                           task_options={"threshold": "per-class", "tune_split": None,
                                         "invalid_policy": None},
                           adapter_options={"prompt": None})
    before = copy.deepcopy(cfg)
    results = evaluate(cfg)
    assert results["task"] == "multilabel"
    # the tuning split was found and used (the scorer got it), yet the config is as given
    assert json.loads((tmp_path / "run" / "results.json").read_text())["threshold"][
        "tune_split"] == "dev"
    assert cfg == before

