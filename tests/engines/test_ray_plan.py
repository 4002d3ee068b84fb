"""Sizing the Ray actor pool, and ``--engine ray`` without Ray installed (no Ray started)."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.datasets.base import Row
from emoeval.engines.ray_cluster import INSTALL_HINT, plan_pool
from emoeval.engines.ray_engine import run_with_ray
from emoeval.errors import EmoevalError
from emoeval.store import PredictionStore


def test_two_actors_on_two_cpus_leave_a_cpu_for_decoding():
    # the case that hung with whole-CPU actors: two actors share one CPU, decoding the other
    plan = plan_pool(total_cpus=2, total_gpus=0, node_cpus=[2], workers=2)
    assert plan.cpus_per_decode_task == 1.0
    assert plan.workers * plan.cpus_per_worker + plan.cpus_per_decode_task <= 2
    assert plan.cpus_per_worker == 0.5 and plan.threads_per_worker == 1


def test_threads_are_the_cores_divided_among_the_workers():
    assert plan_pool(16, 0, [16], workers=4).threads_per_worker == 4
    assert plan_pool(16, 0, [16], workers=1).threads_per_worker == 16
    # an actor never asks for more CPUs than its largest node has
    plan = plan_pool(32, 0, [8, 8, 8, 8], workers=2)
    assert plan.cpus_per_worker <= 8 and plan.threads_per_worker <= 8
    # two 1-CPU nodes: the actor takes one node, decoding the other
    plan = plan_pool(2, 0, [1, 1], workers=1)
    assert plan.cpus_per_worker == 1.0 and plan.cpus_per_decode_task == 1.0


def test_gpu_actors_leave_the_other_cpus_to_decoding():
    plan = plan_pool(32, 4, [32], workers=4, gpus_per_worker=1)
    assert plan.cpus_per_worker == 1.0 and plan.gpus_per_worker == 1.0


@pytest.mark.parametrize("cpus,nodes,gpus,gpus_per_worker,expected", [
    (8, [8], 0, None, 1),         # CPU only: one actor per node
    (32, [16, 16], 0, None, 2),
    (16, [16], 4, 1, 4),          # one actor per GPU share
    (16, [16], 4, 0.5, 8),
])
def test_default_workers(cpus, nodes, gpus, gpus_per_worker, expected):
    plan = plan_pool(cpus, gpus, nodes, gpus_per_worker=gpus_per_worker)
    assert plan.workers == expected
    assert plan.gpus_per_worker == (gpus_per_worker or 0)


@pytest.mark.parametrize("kwargs,message", [
    ({"gpus_per_worker": 1}, "the Ray cluster has 0 GPUs"),
    ({"workers": 0}, "--workers 0: give 1 or more"),
    ({"workers": 3, "gpus_per_worker": 1, "total_gpus": 2}, "needs 3 GPUs"),
    ({"gpus_per_worker": -1}, "give 0 or more"),
    ({"total_cpus": 0}, "no CPUs"),
])
def test_impossible_pools_are_refused_before_anything_runs(kwargs, message):
    arguments = {"total_cpus": 4, "total_gpus": 0, "node_cpus": [4], **kwargs}
    with pytest.raises(EmoevalError, match=message):
        plan_pool(**arguments)


@pytest.fixture
def without_ray(monkeypatch):
    """As if the extra were not installed: ``import ray`` fails."""
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)


def test_engine_without_ray_says_how_to_install_it(without_ray, tmp_path):
    rows = [Row(id="a", label="happy", text="so happy")]
    manifest = {"model_fingerprint": "m", "dataset_fingerprint": "d"}
    with PredictionStore(str(tmp_path), manifest) as store:
        with pytest.raises(EmoevalError, match="pip install 'emoeval\\[ray\\]'"):
            run_with_ray("python:toy_models:keyword_label", {}, rows, store)


def test_cli_engine_ray_without_ray_is_a_one_line_error(without_ray, tmp_path):
    (tmp_path / "texts.csv").write_text("id,text,label\na,so happy,happy\nb,I cry,sad\n")
    result = CliRunner().invoke(app, [
        "evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
        f"csv:{tmp_path / 'texts.csv'}", "--out", str(tmp_path / "run"), "--engine", "ray"])
    assert result.exit_code == 2, result.output
    assert INSTALL_HINT in result.output and "Traceback" not in result.output
