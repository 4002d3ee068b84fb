"""Backends and dataset sources registered by name, imported lazily.

A spec string is ``<name>:<argument>`` (``hf:superb/wav2vec2-base-superb-er``,
``csv:data/test.csv``). Looking a name up imports only that backend's module, so the CLI
starts without torch.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass

from .errors import EmoevalError

# name -> ("module:attribute", one line on what it needs)
MODEL_ADAPTERS: dict[str, tuple[str, str]] = {
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
}

# --task of `emoeval score`: name -> ("module:function", one line). Each function has the
# signature of emoeval.scoring.score_classification and returns (results part, table).
SCORE_TASKS: dict[str, tuple[str, str]] = {
    "classification": ("emoeval.scoring:score_classification",
                       "single-label: id, label, prediction (+ score_<label>)"),
    "generative": ("emoeval.generative.scoring:score_generative",
                   "free-text answers: id, label, response; --invalid-policy, --mention"),
    "multilabel": ("emoeval.multilabel.scoring:score_multilabel",
                   "multi-label: id, labels, score_<label>; --threshold"),
    "dimensional": ("emoeval.dimensional.scoring:score_dimensional",
                    "continuous targets: id, <dim>_true, <dim>_pred; --pred-range, "
                    "--target-range"),
    "open-vocabulary": ("emoeval.openvocab.scoring:score_open_vocabulary",
                        "sets of free emotion words: id, label, prediction or --truth/"
                        "--predictions (MER2024); --synonyms, --protocol, --to-taxonomy"),
}

# task -> "module:function(rows, store, model_labels, dataset_labels, label_map, unmapped)
# -> detailed table": how `emoeval evaluate` turns stored predictions into the table that
# the task's scorer reads (classification is built in, see emoeval.api.detailed_table)
EVALUATE_TABLES: dict[str, str] = {
    "generative": "emoeval.generative.scoring:response_table",
    "multilabel": "emoeval.multilabel.scoring:multilabel_table",
    "dimensional": "emoeval.dimensional.scoring:dimensional_table",
}

# results.json "task" -> "module:function(results, out_dir) -> list of written paths"
REPORT_RENDERERS: dict[str, str] = {
    "classification": "emoeval.reports:render_classification",
    "generative": "emoeval.generative.report:render",
    "multilabel": "emoeval.multilabel.report:render",
    "dimensional": "emoeval.dimensional.report:render",
    "open-vocabulary": "emoeval.openvocab.report:render",
}

# `emoeval compare` of a task whose runs need their own paired test: task ->
# "module:function(runs, out, *, rank_by, force, seed, n_resamples) -> compare dict"
COMPARE_TASKS: dict[str, str] = {
    "open-vocabulary": "emoeval.openvocab.compare:compare_open_vocabulary",
}

DATASET_SOURCES: dict[str, tuple[str, str]] = {
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
}


@dataclass(frozen=True)
class Spec:
    """A parsed ``name:argument`` spec."""

    name: str
    argument: str
    raw: str


def parse_spec(raw: str, table: dict[str, tuple[str, str]], kind: str) -> Spec:
    """Split ``name:argument`` and check the name is registered (with a suggestion if not)."""
    name, sep, argument = raw.partition(":")
    if not sep:
        raise EmoevalError(
            f"{kind} spec {raw!r} has no '<name>:' prefix; use one of "
            f"{', '.join(n + ':' for n in table)} (see `emoeval {kind}s`)")
    if name not in table:
        close = difflib.get_close_matches(name, list(table), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise EmoevalError(
            f"unknown {kind} {name!r} in {raw!r}{hint} Known: {', '.join(table)}")
    return Spec(name=name, argument=argument, raw=raw)


def load_class(target: str):
    """Import ``module:attribute`` lazily."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)
