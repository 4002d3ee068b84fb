"""Before loading: does the model exist, can it be reached, can transformers load it at all?

Each check gives a :class:`Failure` (a status and a one-line message) or None, so the three
cannot-load statuses that come before ``load_error`` are decided on facts (which files are
there, what the Hub answered), not on the wording of a loader's exception.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import EmoevalError
from ..registry import MODEL_ADAPTERS, parse_spec

NOT_FOUND = "not_found"
UNREACHABLE = "unreachable"
#: Hub HTTP answers that say "not now" rather than "no such model"
RETRY_LATER_STATUSES = {401: "login required: the repo is private, or does not exist",
                        403: "access refused: gated, or the token lacks rights",
                        429: "rate-limited"}
NEEDS_CUSTOM_LOADER = "needs_custom_loader"
LOAD_ERROR = "load_error"

#: weights or recipes that transformers cannot load without a config.json
CUSTOM_LOADER_MARKERS = {
    "hyperparams.yaml": "a SpeechBrain recipe (hyperparams.yaml)",
    "saved_model.pb": "a TensorFlow SavedModel",
    "params.yaml": "a recipe file (params.yaml)",
}
CUSTOM_WEIGHT_SUFFIXES = (".ckpt", ".pt", ".pth", ".h5", ".keras", ".pkl", ".joblib", ".onnx")
#: adapters whose argument is a transformers model (hub id or folder)
TRANSFORMERS_ADAPTERS = ("hf", "clap")
#: adapters whose argument is a local path
PATH_ADAPTERS = ("onnx", "probe")
#: exception classes of the HTTP stack that mean "no connection" (httpx and its forks)
NETWORK_ERROR_NAMES = {"TransportError", "ConnectError", "NetworkError", "TimeoutException",
                       "ConnectTimeout", "ReadTimeout", "ProxyError"}
TRUE_VALUES = {"1", "true", "yes", "on"}


@dataclass
class Failure:
    status: str
    message: str
    stage: str = "locate"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Location:
    """Where a model's files are: ``local`` folder or file, ``hub`` repo, ``module``."""

    kind: str | None = None
    path: str | None = None
    files: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in TRUE_VALUES


def looks_like_path(argument: str) -> bool:
    """A folder the user meant, not a hub id (``org/name`` or a legacy ``name``): an
    explicit path, or ``dir/name`` where ``dir`` is a local folder."""
    first = argument.split("/")[0]
    return (argument.startswith((".", "/", "~")) or "\\" in argument
            or argument.count("/") > 1 or os.path.isabs(argument)
            or ("/" in argument and os.path.isdir(first)))


def folder_files(path: str) -> list[str]:
    """Top-level file names of a folder (sorted; empty for a file)."""
    if not os.path.isdir(path):
        return []
    return sorted(name for name in os.listdir(path) if not name.startswith("."))


def transformers_files_failure(files: list[str], where: str) -> Failure | None:
    """A folder or repo without config.json that holds another framework's model."""
    if "config.json" in files:
        return None
    for marker, what in CUSTOM_LOADER_MARKERS.items():
        if marker in files:
            return Failure(NEEDS_CUSTOM_LOADER,
                           f"{where} is {what} with no config.json: transformers cannot load "
                           "it; it needs its own loader (e.g. a python: adapter)")
    weights = [f for f in files if f.endswith(CUSTOM_WEIGHT_SUFFIXES)]
    if weights:
        return Failure(NEEDS_CUSTOM_LOADER,
                       f"{where} holds weights ({', '.join(weights[:3])}) but no config.json: "
                       "not a transformers model; it needs its own loader")
    return None


def network_error(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return isinstance(exc, (ConnectionError, TimeoutError)) or bool(names & NETWORK_ERROR_NAMES)


def hub_failure(exc: BaseException, repo_id: str) -> Failure:
    """What an exception from the Hub API means for a repo id."""
    from huggingface_hub import errors

    text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    status = getattr(getattr(exc, "response", None), "status_code", None)
    # the Hub did not say no to the model itself: a login, an accepted licence or a
    # quieter moment may change the answer, so the candidate is screened again later
    if isinstance(status, int) and status in RETRY_LATER_STATUSES:
        return Failure(UNREACHABLE, f"the Hub answered {status} "
                       f"({RETRY_LATER_STATUSES[status]}) for {repo_id}; retry later ({text})")
    if isinstance(exc, errors.GatedRepoError):
        return Failure(UNREACHABLE, f"{repo_id} is gated: accept its terms on the Hub, log in "
                       f"(huggingface-cli login) and screen it again ({text})")
    if isinstance(exc, (errors.RepositoryNotFoundError, errors.HFValidationError)):
        return Failure(NOT_FOUND, f"{repo_id} is not a repository on the Hugging Face Hub (nor "
                       f"a local folder): {text}")
    if isinstance(exc, errors.OfflineModeIsEnabled) or network_error(exc):
        return Failure(UNREACHABLE, f"cannot reach the Hugging Face Hub to check {repo_id} and "
                       f"it is not in the local cache ({text}); rerun with network")
    if isinstance(status, int) and status >= 500:
        return Failure(UNREACHABLE, f"the Hub answered {status} for {repo_id}; retry later")
    return Failure(LOAD_ERROR, f"the Hub refused {repo_id}: {text}")


def locate_transformers(argument: str) -> tuple[Location, Failure | None]:
    """A transformers model: local folder, cached hub repo, or hub repo (asked online)."""
    from ..adapters.hf import resolve_model_dir

    if os.path.exists(argument):
        files = folder_files(argument)
        return (Location("local", os.path.abspath(argument), files),
                transformers_files_failure(files, argument) if files else None)
    if looks_like_path(argument):
        return Location("local", argument), Failure(
            NOT_FOUND, f"no such folder {argument!r}; check the path")
    cached = resolve_model_dir(argument)
    if cached:
        files = folder_files(cached)
        return Location("hub", cached, files), transformers_files_failure(files, argument)
    if hub_offline():
        return Location("hub", argument), Failure(
            UNREACHABLE, f"{argument} is not in the local Hugging Face cache and HF_HUB_OFFLINE=1 "
            "forbids asking the Hub; rerun with network to check it (or give a local folder)")
    from huggingface_hub import HfApi

    try:
        files = sorted(HfApi().list_repo_files(argument))
    except Exception as exc:  # the Hub client raises many kinds; hub_failure sorts them
        return Location("hub", argument), hub_failure(exc, argument)
    top_level = [f for f in files if "/" not in f]
    return Location("hub", argument, top_level), transformers_files_failure(top_level, argument)


def locate_module(argument: str) -> tuple[Location, Failure | None]:
    """``python:<module>:<callable>``: is the module importable (without running it)?"""
    module_name = argument.rpartition(":")[0]
    if not module_name:
        return Location("module"), None  # the adapter reports the malformed spec
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as the python: adapter does
    try:
        found = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        found = None
    if found is None:
        return Location("module", module_name), Failure(
            NOT_FOUND, f"no module named {module_name!r} on the Python path (or the current "
            "folder); check the name")
    return Location("module", found.origin or module_name), None


def locate(spec: str) -> tuple[Location, Failure | None]:
    """Where ``spec``'s model lives, or why it cannot be loaded before trying."""
    try:
        parsed = parse_spec(spec, MODEL_ADAPTERS, "model")
    except EmoevalError as exc:
        return Location(), Failure(LOAD_ERROR, str(exc))
    if parsed.name in TRANSFORMERS_ADAPTERS and parsed.argument:
        return locate_transformers(parsed.argument)
    if parsed.name in PATH_ADAPTERS and parsed.argument:
        if not os.path.exists(parsed.argument):
            return Location("local", parsed.argument), Failure(
                NOT_FOUND, f"no such file or folder {parsed.argument!r}; check the path")
        return Location("local", os.path.abspath(parsed.argument),
                        folder_files(parsed.argument)), None
    if parsed.name == "python":
        return locate_module(parsed.argument)
    return Location(), None


def load_failure(exc: BaseException) -> Failure:
    """An exception raised while loading: load_error, unless it plainly says otherwise."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
    if "RepositoryNotFoundError" in text:
        return Failure(NOT_FOUND, text, "load")
    if "OfflineModeIsEnabled" in text or network_error(exc):
        return Failure(UNREACHABLE, text, "load")
    if getattr(exc, "needs_custom_loader", False):  # hf: regression head of a custom class
        return Failure(NEEDS_CUSTOM_LOADER, str(exc), "load")
    if isinstance(exc, EmoevalError):
        return Failure(LOAD_ERROR, str(exc), "load")
    return Failure(LOAD_ERROR, text, "load")
