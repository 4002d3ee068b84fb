"""``python:`` models for the Ray engine tests (importable as ``ray_test_models``).

They run inside Ray actors; the test folder comes from the ``EMOEVAL_RAY_TEST_DIR``
variable that the test's ``ray.init`` hands to every worker.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from toy_models import keyword_label

TEST_DIR_ENV = "EMOEVAL_RAY_TEST_DIR"
#: name of the ray.util.queue.Queue through which a model hands its actor to the test
MAILBOX = "emoeval-ray-test-mailbox"
CALLS_LOG = "calls.log"
HANDED_OVER = "handed-over"


def _log(texts) -> None:
    folder = os.environ.get(TEST_DIR_ENV)
    if folder:
        with open(Path(folder) / CALLS_LOG, "a", encoding="utf-8") as f:
            f.writelines(f"{os.getpid()}\t{text}\n" for text in texts)


def logged_keywords(texts):
    """keyword_label, appending every input it is given to calls.log."""
    _log(texts)
    return keyword_label(texts)


def handing_over_keywords(texts):
    """keyword_label, slowly; the first call of the run hands its own actor to the test
    (through the mailbox) and sleeps long enough to be killed mid-batch."""
    import ray

    _log(texts)
    folder = Path(os.environ[TEST_DIR_ENV])
    try:
        os.close(os.open(folder / HANDED_OVER, os.O_CREAT | os.O_EXCL))
        first = True
    except FileExistsError:
        first = False
    if first:
        mailbox = ray.get_actor(MAILBOX)
        ray.get(mailbox.put_nowait.remote(ray.get_runtime_context().current_actor))
        time.sleep(30)  # the test kills this actor long before
    time.sleep(0.2)
    return keyword_label(texts)


def describe_candidate(spec: str) -> dict:
    """A stand-in for evaluating one candidate: where it ran, or the error of a bad one."""
    import ray

    from emoeval.errors import EmoevalError

    if spec.startswith("missing:"):
        raise EmoevalError(f"cannot load {spec}")
    return {"spec": spec, "in_ray_worker": ray.get_runtime_context().worker.mode == ray.WORKER_MODE}
