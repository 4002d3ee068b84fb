"""Ray plumbing shared by the Ray engine: connecting, sizing the actor pool, and running one
Ray task per candidate (``screen`` and ``evaluate --models``).

Ray is the optional extra ``emoeval[ray]``; nothing here imports it before it is needed.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ..errors import EmoevalError
from ..extras import install_line, require

INSTALL_HINT = install_line("ray")
#: restarts of a dead actor and retries of a task lost with its worker (a killed or
#: preempted node); a sample that kills its worker every time fails the run after this many
RETRIES = 5


def import_ray() -> Any:
    """The ``ray`` module (with Ray Data), or a one-line error saying how to install it."""
    ray = require("ray", "ray", "--engine ray")
    require("ray.data", "ray", "--engine ray")  # reads and decodes as a Ray Data dataset
    return ray


@contextlib.contextmanager
def ray_session(address: str | None) -> Iterator[Any]:
    """Ray, connected. A connection this process already has is reused as it is; otherwise
    connect to ``address`` (``auto``: the cluster this machine belongs to; ``ray://host:port``:
    a remote one through Ray Client) or, when it is None, start a local instance. A connection
    made here is closed on the way out."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    try:
        if address is None:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address)
    except Exception as exc:  # ConnectionError, ValueError for a malformed address, ...
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".:")
        where = f"at {address!r}" if address else "locally"
        raise EmoevalError(f"could not start or reach Ray {where}: {first_line}; check "
                           "--address (auto, or ray://host:10001) or start a cluster with "
                           "`ray start --head`") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def import_paths() -> list[str]:
    """The driver's working directory and import path: a ``python:`` model (or a candidate
    function) imports on a worker of a local or shared-filesystem cluster as it does here."""
    paths: list[str] = []
    for path in [os.getcwd(), *sys.path]:
        if path and os.path.isdir(path) and path not in paths:
            paths.append(path)
    return paths


def extend_import_path(paths: list[str]) -> None:
    """On a worker: append the driver's paths that exist on this node (never shadowing)."""
    for path in paths:
        if path not in sys.path and os.path.isdir(path):
            sys.path.append(path)


@dataclass(frozen=True)
class PoolPlan:
    """How the model actors and the decoding tasks share the cluster."""

    workers: int
    #: Ray CPUs reserved per model actor: what is left after room for decoding
    cpus_per_worker: float
    gpus_per_worker: float
    #: torch threads per actor: the cluster's cores divided among the actors
    threads_per_worker: int
    #: Ray CPUs per decoding task; always free, so reading never starves
    cpus_per_decode_task: float


def plan_pool(total_cpus: float, total_gpus: float, node_cpus: list[float],
              workers: int | None = None, gpus_per_worker: float | None = None) -> PoolPlan:
    """Size the actor pool so decoding always has room.

    An actor pool that takes every CPU starves the read tasks feeding it and hangs (seen
    with ``ray.init(num_cpus=2)`` and two 1-CPU actors), so one CPU (half the cluster when
    it has fewer than two) stays for decoding and CPU actors share the rest; GPU actors
    take one CPU each and leave the rest to decoding. Default workers: one per GPU share
    with ``gpus_per_worker``, else one per node.
    """
    gpus = float(gpus_per_worker or 0.0)
    if gpus < 0:
        raise EmoevalError(f"--gpus-per-worker {gpus_per_worker}: give 0 or more")
    if total_cpus <= 0:
        raise EmoevalError("the Ray cluster reports no CPUs; start its nodes with CPUs")
    if gpus > 0 and total_gpus < gpus:
        raise EmoevalError(f"--gpus-per-worker {gpus_per_worker} but the Ray cluster has "
                           f"{total_gpus:g} GPUs; leave it out to run on CPUs")
    if workers is None:
        workers = int(total_gpus // gpus) if gpus > 0 else max(1, len(node_cpus))
    if workers < 1:
        raise EmoevalError(f"--workers {workers}: give 1 or more")
    if gpus > 0 and workers * gpus > total_gpus + 1e-9:
        raise EmoevalError(f"--workers {workers} x --gpus-per-worker {gpus_per_worker} needs "
                           f"{workers * gpus:g} GPUs; the Ray cluster has {total_gpus:g}")
    decode_cpus = min(1.0, total_cpus / 2)
    largest_node = max(node_cpus) if node_cpus else total_cpus
    # an actor fits on one node; on a single node, beside the decoding
    room_on_a_node = largest_node - (decode_cpus if len(node_cpus) <= 1 else 0.0)
    share = min((total_cpus - decode_cpus) / workers, room_on_a_node)
    if gpus > 0:
        # the GPU does the model's work: an actor needs a CPU to feed it, and every other
        # CPU decodes (one core decoded 500 to 1,200 clips/s here; a GPU takes as many)
        share = min(share, 1.0)
    # Ray counts resources in 1/10000ths; round down so the pool always fits
    cpus_per_worker = math.floor(share * 1000) / 1000
    if cpus_per_worker <= 0:
        raise EmoevalError(f"--workers {workers} leaves no CPU share per worker on a cluster "
                           f"of {total_cpus:g} CPUs; give fewer workers")
    threads = max(1, min(int(total_cpus // workers), int(largest_node)))
    return PoolPlan(workers=workers, cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus,
                    threads_per_worker=threads, cpus_per_decode_task=decode_cpus)


def cluster_pool_plan(ray: Any, workers: int | None, gpus_per_worker: float | None
                      ) -> PoolPlan:
    """:func:`plan_pool` for the cluster ``ray`` is connected to."""
    resources = ray.cluster_resources()
    node_cpus = [float(node["Resources"].get("CPU", 0)) for node in ray.nodes()
                 if node.get("Alive") and node["Resources"].get("CPU", 0) > 0]
    return plan_pool(float(resources.get("CPU", 0)), float(resources.get("GPU", 0)),
                     node_cpus, workers, gpus_per_worker)


def _call_candidate(payload: bytes, paths: list[str]) -> Any:
    """One candidate on a worker: the driver's import path first, then ``fn(item)``."""
    from ray import cloudpickle

    extend_import_path(paths)
    fn, item = cloudpickle.loads(payload)
    return fn(item)


def map_candidates(fn: Callable[[Any], Any], items: Iterable[Any], address: str | None = None,
                   *, cpus_per_task: float = 1.0, gpus_per_task: float = 0.0) -> list[Any]:
    """``[fn(item) for item in items]``, one Ray task per item, results in the items' order.

    For ``screen`` and ``evaluate --models``: one task per candidate, each loading its own
    model. A task lost with its worker is retried; an exception raised by ``fn`` is not: it
    is raised here, as itself, once every task has finished. So ``fn`` should catch what it
    expects (an ``EmoevalError`` for a candidate that fails to load) and return it as a
    value. Outputs written by ``fn`` must go to storage every node shares.
    """
    items = list(items)
    if not items:
        return []
    paths = import_paths()
    with ray_session(address) as ray:
        from ray import cloudpickle

        task = ray.remote(_call_candidate).options(
            num_cpus=cpus_per_task, num_gpus=gpus_per_task, max_retries=RETRIES)
        refs = [task.remote(cloudpickle.dumps((fn, item)), paths) for item in items]
        ray.wait(refs, num_returns=len(refs))
        results = []
        for ref in refs:
            try:
                results.append(ray.get(ref))
            except ray.exceptions.RayTaskError as exc:
                if isinstance(exc.cause, BaseException):
                    raise exc.cause from None
                raise
        return results
