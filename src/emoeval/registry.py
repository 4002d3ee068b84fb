"""Everything registered by name, imported lazily: model adapters, dataset sources, tasks.

A spec string is ``<name>:<argument>`` (``hf:superb/wav2vec2-base-superb-er``,
``csv:data/test.csv``). An entry is a ``"module:object"`` string, imported only when that
name is used, so the CLI starts without torch. One :class:`Registry` class serves every
kind: an unknown name answers "did you mean ...", and a name registered twice is refused.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import EmoevalError


class Registry(Mapping[str, tuple[str, str]]):
    """Names -> (``"module:object"``, one line on what it is), loaded on first use.

    Reads like a dict of those pairs (``registry[name][0]`` is the target), so the listing
    commands and :func:`parse_spec` take it as they take a plain table.
    """

    def __init__(self, kind: str, entries: Mapping[str, tuple[str, str]] | None = None):
        self.kind = kind
        self._entries: dict[str, tuple[str, str]] = {}
        self._loaded: dict[str, Any] = {}
        for name, (target, description) in (entries or {}).items():
            self.register(name, target, description)

    def register(self, name: str, target: str, description: str = "") -> None:
        """Add ``name``; a name already taken is refused (two backends, one name)."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered "
                             f"({self._entries[name][0]}); pick another name")
        if ":" not in target:
            raise ValueError(f"{self.kind} {name!r}: target {target!r} is not 'module:object'")
        self._entries[name] = (target, description)

    def __getitem__(self, name: str) -> tuple[str, str]:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def check(self, name: str) -> str:
        """``name`` if registered, else an error naming the closest registered name."""
        if name not in self._entries:
            raise unknown_name(self.kind, name, list(self._entries))
        return name

    def parse(self, raw: str) -> "Spec":
        """A ``name:argument`` spec whose name is registered here."""
        return parse_spec(raw, self, self.kind)

    def load(self, name: str) -> Any:
        """The object registered as ``name`` (imported on first use, then kept)."""
        self.check(name)
        if name not in self._loaded:
            self._loaded[name] = load_class(self._entries[name][0])
        return self._loaded[name]


# name -> ("module:attribute", one line on what it needs)
MODEL_ADAPTERS = Registry("model", {
    "hf": ("emoeval.adapters.hf:HFAdapter",
           "hf:<hub id or local dir> - a transformers audio or text classifier (torch)"),
    "onnx": ("emoeval.adapters.onnx:ONNXAdapter",
             "onnx:<model.onnx> - ONNX Runtime; config.json and preprocessor files beside it"),
    "lexicon": ("emoeval.adapters.lexicon:LexiconAdapter",
                "lexicon:nrc - the NRC emotion lexicon shipped with nrclex (text, no model)"),
    "zeroshot": ("emoeval.adapters.zeroshot:ZeroShotAdapter",
                 "zeroshot:<sentence-transformers model | minilm> - cosine similarity to one "
                 "prompt per label (text)"),
    "python": ("emoeval.adapters.python:PythonAdapter",
               "python:<module>:<callable> - fn(list_of_inputs) -> list[dict[label, score]] "
               "or list[str]"),
    "llm": ("emoeval.adapters.llm:LLMAdapter",
            "llm:<base url>#<model> - an OpenAI-compatible chat-completions server; free-text "
            "answers scored against the label set"),
    "clap": ("emoeval.adapters.clap:ClapAdapter",
             "clap:<hub id or local dir> - a transformers CLAP model: audio-text similarity"),
    "probe": ("emoeval.adapters.probe:ProbeAdapter",
              "probe:<dir> - a head trained by `emoeval train` on a frozen backbone"),
})

DATASET_SOURCES = Registry("dataset", {
    "csv": ("emoeval.datasets.tabular:TabularDataset",
            "csv:<file> - one row per sample; --text-col or --audio-col, --label-col"),
    "jsonl": ("emoeval.datasets.tabular:TabularDataset",
              "jsonl:<file> - one JSON object per line, same columns as csv"),
    "parquet": ("emoeval.datasets.tabular:TabularDataset",
                "parquet:<file> - same columns as csv"),
    "audiofolder": ("emoeval.datasets.audiofolder:AudioFolderDataset",
                    "audiofolder:<dir> - one sub-folder of audio files per label"),
    "hf": ("emoeval.datasets.hf:HFDataset",
           "hf:<name>[@revision] - datasets.load_dataset (needs the Hub or a local cache)"),
    "demo": ("emoeval.datasets.demo:DemoDataset",
             "demo:en - the small English text set shipped inside emoeval"),
    "ravdess": ("emoeval.datasets.presets.ravdess:RavdessDataset",
                "ravdess:<dir> - RAVDESS speech, 03-01-EE-II-SS-RR-AA.wav"),
    "crema-d": ("emoeval.datasets.presets.cremad:CremaDDataset",
                "crema-d:<dir> - CREMA-D, AAAA_SSS_EEE_LL.wav"),
    "emodb": ("emoeval.datasets.presets.emodb:EmoDBDataset",
              "emodb:<dir> - Berlin EmoDB, emotion in the 6th character of the file name"),
    "tess": ("emoeval.datasets.presets.tess:TessDataset",
             "tess:<dir> - TESS, OAF_word_ps.wav"),
    "savee": ("emoeval.datasets.presets.savee:SaveeDataset",
              "savee:<dir> - SAVEE, a/d/f/h/n/sa/su file-name prefixes"),
    "urdu": ("emoeval.datasets.presets.urdu:UrduDataset",
             "urdu:<dir> - URDU-Dataset, one folder per emotion"),
    "tweeteval": ("emoeval.datasets.presets.tweeteval:TweetEvalDataset",
                  "tweeteval:<dir> - {split}_text.txt + {split}_labels.txt + mapping.txt"),
    "goemotions": ("emoeval.datasets.presets.goemotions:GoEmotionsDataset",
                   "goemotions:<dir> - GoEmotions TSVs, 28 labels, multi-label; "
                   "--label-group ekman|sentiment"),
    "emobank": ("emoeval.datasets.presets.emobank:EmoBankDataset",
                "emobank:<dir> - EmoBank valence/arousal/dominance (1-5); --label-group "
                "reader|writer|combined"),
})


# the tasks `emoeval evaluate` recognises and `emoeval score --task` names: each entry is
# a task package's spec (an emoeval.task.Task). The order is the order pick_task asks them.
TASKS = Registry("task", {
    "classification": ("emoeval.classification.task:TASK",
                       "single-label: id, label, prediction (+ score_<label>)"),
    "dimensional": ("emoeval.dimensional.task:TASK",
                    "continuous targets: id, <dim>_true, <dim>_pred; --pred-range, "
                    "--target-range"),
    "generative": ("emoeval.generative.task:TASK",
                   "free-text answers: id, label, response; --invalid-policy, --mention"),
    "multilabel": ("emoeval.multilabel.task:TASK",
                   "multi-label: id, labels, score_<label>; --threshold"),
    "open-vocabulary": ("emoeval.openvocab.task:TASK",
                        "sets of free emotion words: id, label, prediction or --truth/"
                        "--predictions (MER2024); --synonyms, --protocol, --to-taxonomy"),
})


@dataclass(frozen=True)
class Spec:
    """A parsed ``name:argument`` spec."""

    name: str
    argument: str
    raw: str


def parse_spec(raw: str, table: Mapping[str, tuple[str, str]], kind: str) -> Spec:
    """Split ``name:argument`` and check the name is registered (with a suggestion if not)."""
    name, sep, argument = raw.partition(":")
    if not sep:
        raise EmoevalError(
            f"{kind} spec {raw!r} has no '<name>:' prefix; use one of "
            f"{', '.join(n + ':' for n in table)} (see `emoeval {kind}s`)")
    if name not in table:
        raise unknown_name(kind, name, list(table), raw)
    return Spec(name=name, argument=argument, raw=raw)


def unknown_name(kind: str, name: str, known: list[str], raw: str | None = None
                 ) -> EmoevalError:
    """The error for a name nobody registered, with the closest registered one."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    where = f" in {raw!r}" if raw is not None else ""
    return EmoevalError(f"unknown {kind} {name!r}{where}{hint} Known: {', '.join(known)}")


def load_class(target: str):
    """Import ``module:attribute`` lazily."""
    from .extras import extras_named

    module_name, _, attr = target.partition(":")
    with extras_named():  # a backend imported at module level, its extra not installed
        module = importlib.import_module(module_name)
    return getattr(module, attr)


def pick_task(adapter: Any, rows: list) -> Any:
    """The task of a run of ``adapter`` on ``rows``: the first registered task whose spec
    recognises it (continuous targets, free-text answers, label lists), else the fallback
    (single-label classification)."""
    specs = [TASKS.load(name) for name in TASKS]
    for spec in specs:
        if not spec.fallback and spec.matches(adapter, rows):
            return spec
    return next(spec for spec in specs if spec.fallback)


def known_task(name: str | None) -> Any:
    """The spec of task ``name``, or None for a task this version does not know (a results
    file written by another version)."""
    return TASKS.load(name) if name in TASKS else None


def sample_layout(task: str | None) -> str | None:
    """How a task's detailed table holds each sample (``Task.sample_layout``): "label" (one
    label and one prediction, so paired tests can rebuild any headline metric),
    "label_set", "values" (``<D>_true`` and ``<D>_pred`` per dimension D), or None for a
    task this version does not know."""
    spec = known_task(task)
    return spec.sample_layout if spec is not None else None


def task_of_results(results: Mapping[str, Any]) -> Any:
    """The spec that renders a results dict: its ``task``, or the fallback task for a file
    without one (or with a task this version does not know)."""
    name = results.get("task")
    if name in TASKS:
        return TASKS.load(name)
    return next(spec for spec in (TASKS.load(n) for n in TASKS) if spec.fallback)
