"""Shared fixtures; builders live in helpers/builders.py."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# builders is importable through pytest's `pythonpath` (pyproject.toml: "tests/helpers")
from builders import build_audio_classifier, build_text_classifier, write_wav  # noqa: E402

# --- markers (registered in pyproject.toml), applied here so no test has to remember them:
# `models` builds or loads a torch/transformers/sentence-transformers/ONNX/Ray model,
# `shared_data` reads ../shared/data, `slow` is both of those plus the folders and tests
# measured above ~1.5 s on a loaded 2-core machine. `pytest -m "not slow"` is the quick run.
MODEL_FIXTURES = {"audio_model", "audio_model_nomask", "text_model", "fitted_audio_model",
                  "fitted_text_model", "status_models", "emotion_classifier", "tiny_clap"}
MODEL_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:torch|transformers|onnxruntime|onnx|ray|"
                          r"sentence_transformers)\b", re.MULTILINE)
MODEL_BUILD = re.compile(r"\bbuild_\w+\(")
SHARED_DATA_USE = re.compile(r"\bshared_data\b|\bSHARED_DATA\b")
TESTS_DIR = str(Path(__file__).parent)
SLOW_FOLDERS = {"engines", "throughput"}
#: tests measured above ~1.5 s that neither rule above catches (module path relative to
#: tests/, or "module::test name" for one test of a module)
SLOW_TESTS: set[str] = set()


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _module_imports_models(module) -> bool:
    # module level only: the lines outside any def/class body
    top = "\n".join(line for line in _source(module).splitlines()
                    if not line.startswith((" ", "\t")))
    return bool(MODEL_IMPORT.search(top))


def _sources(item) -> str:
    """The test function's source and those of every fixture of ours it uses."""
    parts = [_source(getattr(item, "function", None))]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        parts += [_source(d.func) for d in defs
                  if str(inspect.getsourcefile(d.func) or "").startswith(TESTS_DIR)]
    return "\n".join(parts)


def pytest_collection_modifyitems(config, items):
    module_models: dict[str, bool] = {}
    tests_dir = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        rel = path.relative_to(tests_dir).as_posix() if path.is_relative_to(tests_dir) else ""
        module = getattr(item, "module", None)
        if rel not in module_models:
            module_models[rel] = module is not None and _module_imports_models(module)
        source = _sources(item)
        names = set(getattr(item, "fixturenames", ()))
        models = (module_models[rel] or bool(names & MODEL_FIXTURES)
                  or bool(MODEL_IMPORT.search(source)) or bool(MODEL_BUILD.search(source)))
        shared = "shared_data" in names or bool(SHARED_DATA_USE.search(source))
        if models:
            item.add_marker(pytest.mark.models)
        if shared:
            item.add_marker(pytest.mark.shared_data)
        name = item.name.split("[")[0]
        if (models or shared or rel.split("/")[0] in SLOW_FOLDERS or rel in SLOW_TESTS
                or f"{rel}::{name}" in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def urdu_labels() -> list[str]:
    return ["angry", "happy", "neutral", "sad"]


@pytest.fixture(scope="session")
def audio_model(tmp_path_factory, urdu_labels) -> Path:
    return build_audio_classifier(tmp_path_factory.mktemp("w2v_mask"), urdu_labels, True)


@pytest.fixture(scope="session")
def audio_model_nomask(tmp_path_factory, urdu_labels) -> Path:
    return build_audio_classifier(tmp_path_factory.mktemp("w2v_group"), urdu_labels, False)


@pytest.fixture(scope="session")
def text_model(tmp_path_factory) -> Path:
    return build_text_classifier(tmp_path_factory.mktemp("bert"),
                                 ["joy", "sadness", "anger", "fear"])


@pytest.fixture
def audio_csv(tmp_path) -> Path:
    """A csv dataset of 12 short clips (3 per label) with speakers, plus bad files:
    a corrupt file, an empty file and a missing one."""
    rows = ["id,path,label,speaker"]
    labels = ["angry", "happy", "neutral", "sad"]
    for i in range(12):
        write_wav(tmp_path / "clips" / f"c{i}.wav", seconds=0.3 + 0.05 * (i % 3), seed=i)
        rows.append(f"c{i},clips/c{i}.wav,{labels[i % 4]},spk{i % 3}")
    (tmp_path / "clips" / "corrupt.wav").write_bytes(b"RIFF\x00\x00not really a wav file")
    (tmp_path / "clips" / "empty.wav").write_bytes(b"")
    rows += ["bad1,clips/corrupt.wav,angry,spk0", "bad2,clips/empty.wav,sad,spk1",
             "bad3,clips/missing.wav,happy,spk2"]
    (tmp_path / "audio.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "audio.csv"
