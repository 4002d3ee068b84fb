"""Throughput of emoeval evaluate against the per-file pipeline loop and the PyTorch floor.

    .venv/bin/python benchmarks/throughput.py [--n-clips 40] [--repeats 3]
        [--methods default|extras|all|NAME,...] [--model-dir /tmp/w2v-base-urdu]
        [--urdu ../shared/data/urdu] [--score-rows 1000000] [--json results.json]

Model: the wav2vec2-base-sized classifier of ``benchmarks/quantize_speed.py`` (default
``Wav2Vec2Config``, random backbone, head fitted briefly on Urdu clips outside the sample),
built once into ``--model-dir``. Clips: the ``--n-clips`` that ``evaluate --limit`` picks
from ``../shared/data/urdu`` (generated noise clips in the same layout when it is absent).

Every method runs in its own subprocess (so ``ru_maxrss`` is its own peak memory): a
warm-up, then the median wall time of ``--repeats`` passes over the same clips. The warm-up
runs one forward pass per distinct input shape (every shape the timed passes meet, so
``torch.compile`` compiles them all there), and a whole call for the emoeval methods.

Default methods:
- pipeline: ``transformers.pipeline("audio-classification")`` called once per file on arrays
  decoded with soundfile and resampled to 16 kHz with soxr (the loop people write today;
  the pipeline's own decoding needs ffmpeg and its resampling torchaudio). Each repeat also
  runs the same model's forward passes alone on the same clips, one at a time, in turns
  with the loop: the median ratio of the two is the pipeline's own overhead, measured in one
  process so that a change of load on a shared CPU hits both alike;
- floor-unbatched: PyTorch forward passes alone on pre-decoded, pre-extracted tensors, one
  clip per pass (what the pipeline loop costs without its overhead);
- floor: the same with the runner's batch plan (this model takes no attention mask, so only
  clips of equal length share a pass; the Urdu clips come in few lengths, so they do);
- emoeval-torch / emoeval-onnx / emoeval-onnx-int8: ``emoeval.api.evaluate`` into a fresh
  temporary --out. Clips/s counts the runner loop inside it (decoding, batching, forward
  passes, writing the store): what a long run costs per clip. The whole call (dataset, model
  load, the ONNX export check, scoring, reports: a fixed cost per run) is printed beside it.
Extra methods (``--methods extras``), each on the floor's pre-extracted inputs and batch plan:
- ort-fp32 / ort-int8: ONNX Runtime sessions with default options (as the ``onnx:`` adapter
  makes them) on emoeval's cached, verified export;
- ort-fp32-<variant>: one session option changed (graph optimisation level, intra-op threads,
  parallel execution, no spinning of idle threads);
- torch-bf16: the floor under ``torch.autocast("cpu", dtype=torch.bfloat16)``;
- torch-compile: the floor with ``torch.compile(model)`` (inductor); compile time is printed,
  and a failure (no C compiler, an unsupported op) is recorded instead of stopping the run.
Label agreement: each method's top label per clip against PyTorch FP32 (the floor).
Then ``emoeval score``'s work (summary + 1,000-resample bootstrap) on 1M synthetic rows.
Speed depends on the CPU and its load: the script prints ratios, never a pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from quantize_speed import LABELS, URDU, build_model  # noqa: E402
from score_ci import synthetic_predictions, time_run  # noqa: E402

DEFAULT_METHODS = ["pipeline", "floor-unbatched", "floor", "emoeval-torch", "emoeval-onnx",
                   "emoeval-onnx-int8"]
RUNTIMES = {"emoeval-torch": "torch", "emoeval-onnx": "onnx", "emoeval-onnx-int8": "onnx-int8"}
#: ONNX Runtime sessions: method -> (file, session options changed from the defaults). The
#: defaults: ORT_ENABLE_ALL, intra_op_num_threads 0 (one per physical core), sequential.
ORT_METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "ort-fp32": ("onnx", {}),
    "ort-fp32-opt-basic": ("onnx", {"graph_optimization_level": "ORT_ENABLE_BASIC"}),
    "ort-fp32-opt-extended": ("onnx", {"graph_optimization_level": "ORT_ENABLE_EXTENDED"}),
    "ort-fp32-threads-1": ("onnx", {"intra_op_num_threads": 1}),
    "ort-fp32-threads-cores": ("onnx", {"intra_op_num_threads": os.cpu_count() or 1}),
    "ort-fp32-parallel": ("onnx", {"execution_mode": "ORT_PARALLEL"}),
    "ort-fp32-no-spin": ("onnx", {"config": {"session.intra_op.allow_spinning": "0"}}),
    "ort-int8": ("onnx-int8", {}),
}
EXTRA_METHODS = [*ORT_METHODS, "torch-bf16", "torch-compile"]
#: PyTorch FP32 methods, in the order one is picked as the label reference
REFERENCES = ["floor", "floor-unbatched", "emoeval-torch", "pipeline"]


def generate_clips(folder: Path, per_label: int = 20, seed: int = 0) -> Path:
    """Noise clips of 1-3 s in the Urdu layout (``<Label>/<file>.wav`` + labels.csv)."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    lines = ["path,emotion,speaker_gender,speaker_id"]
    for label in LABELS:
        (folder / label.title()).mkdir(parents=True, exist_ok=True)
        for index in range(per_label):
            name = f"{label.title()}/S{index % 5}_{label}_{index:03d}.wav"
            seconds = rng.uniform(1.0, 3.0)
            sf.write(folder / name, 0.1 * rng.standard_normal(int(seconds * 16000)), 16000)
            lines.append(f"{name},{label},male,S{index % 5}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return folder


def evaluated_rows(urdu: str, n_clips: int) -> list:
    """The rows ``evaluate --dataset urdu:<urdu> --limit n_clips`` runs, in its order (so
    the ONNX verification inputs, its first rows, are the same in every method)."""
    from emoeval.api import EvaluationConfig, prepare_rows
    from emoeval.datasets.base import load_dataset

    dataset = load_dataset(f"urdu:{urdu}")
    rows, _, _ = prepare_rows(dataset, dataset.rows(None),
                              EvaluationConfig(model="", dataset="", out="", limit=n_clips))
    return rows


def timed(run_once: Callable[[], dict], repeats: int,
          warm_up: Callable[[], object] | None = None) -> tuple[float, dict, float]:
    """Warm-up (``warm_up``, else one ``run_once``), then the median wall time of
    ``repeats`` calls; returns it, the last call's labels and the warm-up's seconds."""
    start = time.perf_counter()
    (warm_up or run_once)()
    warm_seconds = time.perf_counter() - start
    seconds, result = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        result = run_once()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result, warm_seconds


def one_per_shape(passes: list[tuple[list[str], dict]]) -> list[tuple[list[str], dict]]:
    """The first pass of each distinct input shape: a warm-up that meets every shape."""
    seen, chosen = set(), []
    for ids, encoded in passes:
        shape = tuple((name, tuple(value.shape)) for name, value in sorted(encoded.items()))
        if shape not in seen:
            seen.add(shape)
            chosen.append((ids, encoded))
    return chosen


def id2label(model_dir: str) -> dict[int, str]:
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return {int(k): v for k, v in json.load(f)["id2label"].items()}


def measure_pipeline(model_dir: str, rows: list, repeats: int, batch_size: int
                     ) -> tuple[float, dict, float, float]:
    """The per-file loop; also, in turns with it (so a change of load on a shared CPU hits
    both alike), the same model's forward passes alone on the same clips one at a time.
    Returns the loop's median seconds, labels, warm-up seconds, and the median of the
    paired ratios (loop seconds / forward-only seconds): the pipeline's own overhead."""
    import soundfile as sf
    import soxr
    import torch
    from transformers import pipeline

    from emoeval.audio import audio_duration

    classifier = pipeline("audio-classification", model=model_dir, device="cpu")

    def classify(chosen: list) -> dict:
        labels = {}
        for row in chosen:
            samples, rate = sf.read(row.audio, dtype="float32", always_2d=True)
            # resampled here: the pipeline's own resampling needs torchaudio
            mono = soxr.resample(samples.mean(axis=1), rate, 16000).astype(np.float32)
            scores = classifier({"raw": mono, "sampling_rate": 16000}, top_k=None)
            labels[row.id] = max(scores, key=lambda s: s["score"])["label"]
        return labels

    passes = [(ids, {k: torch.from_numpy(v) for k, v in encoded.items()}) for ids, encoded
              in encoded_passes(model_dir, rows, batch_size, batched=False)]

    def forward_only(chosen: list) -> None:
        with torch.inference_mode():
            for _, encoded in chosen:
                classifier.model(**encoded)

    first_of_each_length = list({audio_duration(row.audio): row for row in rows}.values())
    start = time.perf_counter()
    classify(first_of_each_length)  # warm-up: one clip of each length
    forward_only(one_per_shape(passes))
    warm_seconds = time.perf_counter() - start
    loop, forward, labels = [], [], {}
    for index in range(repeats):
        for name in (("loop", "forward") if index % 2 == 0 else ("forward", "loop")):
            start = time.perf_counter()
            if name == "loop":
                labels = classify(rows)
                loop.append(time.perf_counter() - start)
            else:
                forward_only(passes)
                forward.append(time.perf_counter() - start)
    overhead = statistics.median(a / b for a, b in zip(loop, forward))
    return statistics.median(loop), labels, warm_seconds, overhead


def encoded_passes(model_dir: str, rows: list, batch_size: int, batched: bool
                   ) -> list[tuple[list[str], dict[str, np.ndarray]]]:
    """(ids, features) per forward pass, decoded and feature-extracted up front: the
    runner's batch plan (``plan_batches``, then ``padding_groups``), or one clip a pass."""
    from transformers import AutoFeatureExtractor

    from emoeval.adapters.base import padding_groups
    from emoeval.audio import load_audio
    from emoeval.runner import plan_batches

    extractor = AutoFeatureExtractor.from_pretrained(model_dir)
    uses_mask = bool(getattr(extractor, "return_attention_mask", False))
    passes = []
    for batch in plan_batches(rows, batch_size if batched else 1):
        audio = [load_audio(row.audio, 16000) for row in batch]
        for group in padding_groups(audio, uses_mask):
            encoded = extractor([audio[i] for i in group], sampling_rate=16000,
                                padding=True, return_tensors="np")
            passes.append(([batch[i].id for i in group],
                           {name: np.asarray(value) for name, value in encoded.items()}))
    return passes


def measure_torch(model_dir: str, rows: list, repeats: int, batch_size: int, method: str
                  ) -> tuple[float, dict, float]:
    """floor, floor-unbatched, torch-bf16 and torch-compile: forward passes alone."""
    import contextlib

    import torch
    from transformers import AutoModelForAudioClassification

    model = AutoModelForAudioClassification.from_pretrained(model_dir).eval()
    if method == "torch-compile":
        model = torch.compile(model)  # inductor; compiles at the first call of each shape
    passes = [(ids, {k: torch.from_numpy(v) for k, v in encoded.items()}) for ids, encoded
              in encoded_passes(model_dir, rows, batch_size, method != "floor-unbatched")]
    names = id2label(model_dir)

    def forward(chosen: list) -> dict:
        labels = {}
        autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if method == "torch-bf16"
                    else contextlib.nullcontext())
        with torch.inference_mode(), autocast:
            for ids, encoded in chosen:
                predicted = model(**encoded).logits.float().argmax(-1).tolist()
                labels.update({i: names[p] for i, p in zip(ids, predicted)})
        return labels

    return timed(lambda: forward(passes), repeats, lambda: forward(one_per_shape(passes)))


def ort_session(path: str, options: dict[str, Any]) -> Any:
    import onnxruntime as ort

    settings = ort.SessionOptions()
    for name, value in options.items():
        if name == "graph_optimization_level":
            settings.graph_optimization_level = getattr(ort.GraphOptimizationLevel, value)
        elif name == "execution_mode":
            settings.execution_mode = getattr(ort.ExecutionMode, value)
        elif name == "config":
            for key, entry in value.items():
                settings.add_session_config_entry(key, entry)
        else:
            setattr(settings, name, value)
    return ort.InferenceSession(path, settings, providers=["CPUExecutionProvider"])


def measure_ort(model_dir: str, urdu: str, rows: list, repeats: int, batch_size: int,
                method: str) -> tuple[float, dict, float]:
    from emoeval.onnx.runtime import prepare_runtime

    runtime, options = ORT_METHODS[method]
    # emoeval's cached export, verified on the same first rows as evaluate verifies
    path = prepare_runtime(f"hf:{model_dir}", runtime, rows)[len("onnx:"):]
    session = ort_session(path, options)
    inputs = [i.name for i in session.get_inputs()]
    passes = encoded_passes(model_dir, rows, batch_size, True)
    names = id2label(model_dir)

    def forward(chosen: list) -> dict:
        labels = {}
        for ids, encoded in chosen:
            logits = session.run(None, {n: encoded[n].astype(np.float32) for n in inputs})[0]
            labels.update({i: names[int(p)] for i, p in zip(ids, logits.argmax(-1))})
        return labels

    return timed(lambda: forward(passes), repeats, lambda: forward(one_per_shape(passes)))


def measure_emoeval(model_dir: str, urdu: str, n_clips: int, runtime: str, repeats: int,
                    batch_size: int) -> tuple[float, dict, float, float]:
    """Median whole call, labels, first (warm-up) call, and median runner-loop seconds."""
    import emoeval.api as api
    from emoeval.api import EvaluationConfig, evaluate

    work = tempfile.mkdtemp(prefix="throughput-")
    counter = iter(range(1000))
    loop_seconds = []  # wall time of the runner loop inside each evaluate call
    runner_run = api.run_predictions

    def timed_runner(*positional, **named):
        start = time.perf_counter()
        try:
            return runner_run(*positional, **named)
        finally:
            loop_seconds.append(time.perf_counter() - start)

    api.run_predictions = timed_runner

    def run_once() -> dict:
        out = os.path.join(work, f"run{next(counter)}")  # fresh --out: nothing to resume
        evaluate(EvaluationConfig(model=f"hf:{model_dir}", dataset=f"urdu:{urdu}", out=out,
                                  limit=n_clips, batch_size=batch_size, runtime=runtime))
        labels = {}
        with open(os.path.join(out, "predictions.jsonl"), encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record["scores"]:
                    labels[record["id"]] = max(record["scores"], key=record["scores"].get)
        return labels

    try:
        seconds, labels, first_call = timed(run_once, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return seconds, labels, first_call, statistics.median(loop_seconds[1:])


def child(args: argparse.Namespace) -> None:
    """One method in this process; prints one JSON line (with "error" if it failed)."""
    import torch

    rows = evaluated_rows(args.urdu, args.n_clips)
    result: dict[str, Any] = {"method": args.method, "clips": len(rows), "end_to_end": None}
    try:
        if args.method == "pipeline":
            seconds, labels, warm, overhead = measure_pipeline(args.model_dir, rows,
                                                               args.repeats, args.batch_size)
            result["paired_overhead"] = overhead
        elif args.method in ("floor", "floor-unbatched", "torch-bf16", "torch-compile"):
            seconds, labels, warm = measure_torch(args.model_dir, rows, args.repeats,
                                                  args.batch_size, args.method)
        elif args.method in ORT_METHODS:
            seconds, labels, warm = measure_ort(args.model_dir, args.urdu, rows, args.repeats,
                                                args.batch_size, args.method)
        elif args.method in RUNTIMES:
            end_to_end, labels, warm, seconds = measure_emoeval(
                args.model_dir, args.urdu, args.n_clips, RUNTIMES[args.method],
                args.repeats, args.batch_size)
            result["end_to_end"] = end_to_end
        else:
            raise ValueError(f"unknown method {args.method!r}")
        result.update(seconds=seconds, labels=labels, warm_up_seconds=warm)
    except Exception as exc:  # recorded: one method failing must not stop the others
        result["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
    result.update(peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB
                  torch_threads=torch.get_num_threads())
    print(json.dumps(result))


def run_method(method: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", "--method", method,
               "--n-clips", str(args.n_clips), "--repeats", str(args.repeats),
               "--model-dir", args.model_dir, "--urdu", args.urdu,
               "--batch-size", str(args.batch_size)]
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=args.method_timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"timed out after {args.method_timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"method": method, "error": f"exit code {done.returncode}: {tail[:300]}"}
    result = json.loads(lines[-1])
    result["subprocess_seconds"] = time.perf_counter() - started
    result["load_average"] = [load_before, os.getloadavg()[0]]
    return result


def agreement(first: dict, second: dict) -> tuple[int, int]:
    shared = set(first) & set(second)
    return sum(first[i] == second[i] for i in shared), len(shared)


def chosen_methods(text: str) -> list[str]:
    groups = {"default": DEFAULT_METHODS, "extras": EXTRA_METHODS,
              "all": DEFAULT_METHODS + EXTRA_METHODS}
    methods: list[str] = []
    for name in text.split(","):
        for method in groups.get(name.strip(), [name.strip()]):
            if method not in DEFAULT_METHODS + EXTRA_METHODS:
                raise SystemExit(f"unknown method {method!r}: choose from default, extras, "
                                 f"all, {', '.join(DEFAULT_METHODS + EXTRA_METHODS)}")
            if method not in methods:
                methods.append(method)
    return methods


#: (ratio, numerator, denominator, target or meaning)
RATIOS = [
    ("emoeval/floor", "emoeval-torch", "floor", "target >= 0.95"),
    ("emoeval/pipeline", "emoeval-torch", "pipeline", ""),
    ("emoeval-onnx/pipeline", "emoeval-onnx", "pipeline", "target >= 1.2"),
    ("emoeval-onnx-int8/pipeline", "emoeval-onnx-int8", "pipeline", "target >= 1.8"),
    ("pipeline/floor-unbatched", "pipeline", "floor-unbatched",
     "the pipeline's own overhead (issue: within about 5%)"),
    ("floor/floor-unbatched", "floor", "floor-unbatched",
     "batching equal-length clips (no attention mask: nothing padded)"),
    ("floor/pipeline", "floor", "pipeline", ""),
    ("emoeval-onnx/ort-fp32", "emoeval-onnx", "ort-fp32", "emoeval's overhead on ONNX"),
    ("emoeval-onnx-int8/ort-int8", "emoeval-onnx-int8", "ort-int8", ""),
    ("ort-fp32/floor", "ort-fp32", "floor", "ONNX Runtime FP32 vs PyTorch, forward alone"),
    ("ort-int8/ort-fp32", "ort-int8", "ort-fp32", "INT8 (MatMul) vs FP32 ONNX"),
    *[(f"{m}/ort-fp32", m, "ort-fp32", "one session option changed")
      for m in ORT_METHODS if m.startswith("ort-fp32-")],
    ("torch-bf16/floor", "torch-bf16", "floor", "bf16 autocast vs FP32"),
    ("torch-compile/floor", "torch-compile", "floor", "torch.compile (inductor) vs eager"),
]


def report(results: dict[str, dict]) -> None:
    def speed(method: str) -> float:
        return results[method]["clips"] / results[method]["seconds"]

    ok = {m for m, r in results.items() if "error" not in r}
    print("ratios (clips/s over clips/s; targets from issue 4):")
    if "pipeline" in ok:
        print(f"  {'pipeline/its forward passes':<34} "
              f"{1 / results['pipeline']['paired_overhead']:5.2f}x   the pipeline's own "
              "overhead, paired in one process (issue: within about 5%)")
    for name, top, bottom, meaning in RATIOS:
        if top in ok and bottom in ok:
            print(f"  {name:<34} {speed(top) / speed(bottom):5.2f}x   {meaning}")
    reference = next((m for m in REFERENCES if m in ok), None)
    if reference is None:
        print("label agreement: no PyTorch FP32 method ran (add floor)")
        return
    for method in results:
        if method in ok and method != reference:
            same, total = agreement(results[method]["labels"], results[reference]["labels"])
            print(f"  label agreement {method} vs {reference} (PyTorch FP32): "
                  f"{100 * same / max(1, total):.1f}% ({same} of {total})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model-dir", default="/tmp/w2v-base-urdu")
    parser.add_argument("--urdu", default=str(URDU))
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--methods", default="default",
                        help="comma-separated: default, extras, all, or method names")
    parser.add_argument("--method-timeout", type=int, default=1200,
                        help="seconds before a method's subprocess is stopped and recorded")
    parser.add_argument("--json", help="also write every method's figures to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        child(args)
        return
    methods = chosen_methods(args.methods)
    if not Path(args.urdu).is_dir():
        args.urdu = str(generate_clips(Path(tempfile.mkdtemp(prefix="urdu-generated-"))))
        print(f"../shared/data/urdu absent: generated clips in {args.urdu}")
    if not (Path(args.model_dir) / "config.json").is_file():
        build_model(Path(args.model_dir), Path(args.urdu), args.n_clips, 10, 0)

    import onnxruntime
    import torch

    load = os.getloadavg()
    print(f"device: CPU, {os.cpu_count()} cores, torch {torch.__version__}, onnxruntime "
          f"{onnxruntime.__version__}, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; {args.n_clips} clips, warm-up + median of {args.repeats}, batch "
          f"size {args.batch_size}", flush=True)
    if load[0] > (os.cpu_count() or 1) / 2:
        print("  the machine is busy (load average above half its cores): methods run one "
              "after another, so figures move with the load by tens of percent; the loads "
              "beside each method show it", flush=True)
    started = time.perf_counter()
    results = {}
    for method in methods:
        result = run_method(method, args)
        results[method] = result
        if "error" in result:
            print(f"  {method:<22} failed: {result['error']}", flush=True)
            continue
        extra = ""
        if result["end_to_end"]:
            extra = (f"   (whole evaluate call {result['end_to_end']:.2f} s, first call "
                     f"{result['warm_up_seconds']:.2f} s)")
        elif method == "torch-compile":
            extra = f"   (warm-up with compilation {result['warm_up_seconds']:.1f} s)"
        elif method == "pipeline":
            extra = (f"   (paired with its forward passes alone: "
                     f"{result['paired_overhead']:.3f}x their time)")
        load = result["load_average"]
        print(f"  {method:<22} {result['clips'] / result['seconds']:7.2f} clips/s   "
              f"{result['seconds']:7.2f} s   peak {result['peak_mb']:6.0f} MB   "
              f"torch threads {result['torch_threads']}   load {load[0]:.1f}-{load[1]:.1f}"
              f"{extra}", flush=True)
    report(results)

    if args.score_rows:
        y_true, y_pred, speakers = synthetic_predictions(args.score_rows, 2000)
        for name, groups in [("by sample", None), ("by speaker (2,000)", speakers)]:
            seconds, _ = time_run(y_true, y_pred, groups, 1)
            print(f"score + 1,000-resample CIs on {args.score_rows:,} predictions, {name}: "
                  f"{seconds:.2f} s (target < 5 s)")
    print(f"benchmark wall time {time.perf_counter() - started:.0f} s; load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"n_clips": args.n_clips, "repeats": args.repeats,
                       "batch_size": args.batch_size, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
