"""Throughput of emoeval evaluate against the per-file pipeline loop and the PyTorch floor.

    .venv/bin/python benchmarks/throughput.py [--n-clips 16] [--repeats 3]
        [--model-dir /tmp/w2v-base-urdu] [--urdu ../shared/data/urdu] [--score-rows 1000000]

Model: the wav2vec2-base-sized classifier of ``benchmarks/quantize_speed.py`` (default
``Wav2Vec2Config``, random backbone, head fitted briefly on Urdu clips outside the sample),
built once into ``--model-dir``. Clips: the ``--n-clips`` that ``evaluate --limit`` picks
from ``../shared/data/urdu`` (generated noise clips in the same layout when it is absent).

Every method runs in its own subprocess (so ``ru_maxrss`` is its own peak memory): one
warm-up pass, then the median wall time of ``--repeats`` passes over the same clips.
- pipeline: ``transformers.pipeline("audio-classification")`` called once per file on arrays
  decoded with soundfile and resampled to 16 kHz with soxr (the loop people write today;
  the pipeline's own decoding needs ffmpeg and its resampling torchaudio);
- emoeval-torch / emoeval-onnx / emoeval-onnx-int8: ``emoeval.api.evaluate`` into a fresh
  temporary --out. Clips/s counts the runner loop inside it (decoding, batching, forward
  passes, writing the store): what a long run costs per clip. The whole call (dataset, model
  load, the ONNX export check, scoring, reports: a fixed cost per run) is printed beside it;
- floor: forward passes alone on pre-decoded, pre-extracted tensors, same batch plan.
Then ``emoeval score``'s work (summary + 1,000-resample bootstrap) on 1M synthetic rows.
Speed depends on the CPU and its load: the script prints ratios, never a pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from quantize_speed import LABELS, URDU, build_model, evaluation_ids  # noqa: E402
from score_ci import synthetic_predictions, time_run  # noqa: E402

METHODS = ["pipeline", "floor", "emoeval-torch", "emoeval-onnx", "emoeval-onnx-int8"]
RUNTIMES = {"emoeval-torch": "torch", "emoeval-onnx": "onnx", "emoeval-onnx-int8": "onnx-int8"}


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


def timed(run_once, repeats: int) -> tuple[float, object]:
    """Warm-up, then the median wall time of ``repeats`` calls (and the last result)."""
    result = run_once()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run_once()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def measure_pipeline(model_dir: str, rows: list, repeats: int) -> tuple[float, dict]:
    import soundfile as sf
    import soxr
    from transformers import pipeline

    classifier = pipeline("audio-classification", model=model_dir, device="cpu")

    def run_once() -> dict:
        labels = {}
        for row in rows:
            samples, rate = sf.read(row.audio, dtype="float32", always_2d=True)
            # resampled here: the pipeline's own resampling needs torchaudio
            mono = soxr.resample(samples.mean(axis=1), rate, 16000).astype(np.float32)
            scores = classifier({"raw": mono, "sampling_rate": 16000}, top_k=None)
            labels[row.id] = max(scores, key=lambda s: s["score"])["label"]
        return labels

    return timed(run_once, repeats)


def measure_floor(model_dir: str, rows: list, repeats: int, batch_size: int
                  ) -> tuple[float, dict]:
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from emoeval.adapters.base import padding_groups
    from emoeval.audio import load_audio
    from emoeval.runner import plan_batches

    model = AutoModelForAudioClassification.from_pretrained(model_dir).eval()
    extractor = AutoFeatureExtractor.from_pretrained(model_dir)
    uses_mask = bool(getattr(extractor, "return_attention_mask", False))
    passes = []  # (ids, encoded tensors): decoding and feature extraction done up front
    for batch in plan_batches(rows, batch_size):
        audio = [load_audio(row.audio, 16000) for row in batch]
        for group in padding_groups(audio, uses_mask):
            encoded = extractor([audio[i] for i in group], sampling_rate=16000,
                                padding=True, return_tensors="pt")
            passes.append(([batch[i].id for i in group], dict(encoded)))

    def run_once() -> dict:
        labels = {}
        with torch.inference_mode():
            for ids, encoded in passes:
                predicted = model(**encoded).logits.argmax(-1).tolist()
                labels.update({i: model.config.id2label[p] for i, p in zip(ids, predicted)})
        return labels

    return timed(run_once, repeats)


def measure_emoeval(model_dir: str, urdu: str, n_clips: int, runtime: str, repeats: int,
                    batch_size: int) -> tuple[float, dict]:
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

    seconds, labels = timed(run_once, repeats)
    return seconds, labels, statistics.median(loop_seconds[1:])


def child(args: argparse.Namespace) -> None:
    """One method in this process; prints one JSON line."""
    import torch

    rows, chosen = evaluation_ids(Path(args.urdu), args.n_clips, 0)
    rows = [r for r in rows if r.id in chosen]
    end_to_end = None
    if args.method == "pipeline":
        seconds, labels = measure_pipeline(args.model_dir, rows, args.repeats)
    elif args.method == "floor":
        seconds, labels = measure_floor(args.model_dir, rows, args.repeats, args.batch_size)
    else:
        end_to_end, labels, seconds = measure_emoeval(args.model_dir, args.urdu, args.n_clips,
                                                      RUNTIMES[args.method], args.repeats,
                                                      args.batch_size)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"method": args.method, "seconds": seconds, "clips": len(rows),
                      "end_to_end": end_to_end,
                      "peak_mb": peak_mb, "torch_threads": torch.get_num_threads(),
                      "labels": labels}))


def run_method(method: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", "--method", method,
               "--n-clips", str(args.n_clips), "--repeats", str(args.repeats),
               "--model-dir", args.model_dir, "--urdu", args.urdu,
               "--batch-size", str(args.batch_size)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(first: dict, second: dict) -> float:
    shared = set(first) & set(second)
    return sum(first[i] == second[i] for i in shared) / max(1, len(shared))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model-dir", default="/tmp/w2v-base-urdu")
    parser.add_argument("--urdu", default=str(URDU))
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        child(args)
        return
    if not Path(args.urdu).is_dir():
        args.urdu = str(generate_clips(Path(tempfile.mkdtemp(prefix="urdu-generated-"))))
        print(f"../shared/data/urdu absent: generated clips in {args.urdu}")
    if not (Path(args.model_dir) / "config.json").is_file():
        build_model(Path(args.model_dir), Path(args.urdu), args.n_clips, 10, 0)

    import torch

    load = os.getloadavg()
    print(f"device: CPU, {os.cpu_count()} cores, torch {torch.__version__}, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.n_clips} clips, warm-up + "
          f"median of {args.repeats}, batch size {args.batch_size}")
    results = {}
    for method in args.methods.split(","):
        result = run_method(method, args)
        results[method] = result
        print(f"  {method:<18} {result['clips'] / result['seconds']:7.2f} clips/s   "
              f"{result['seconds']:7.2f} s   peak {result['peak_mb']:6.0f} MB   "
              f"torch threads {result['torch_threads']}"
              + (f"   (whole evaluate call {result['end_to_end']:.2f} s)"
                 if result["end_to_end"] else ""), flush=True)

    def speed(method: str) -> float:
        return results[method]["clips"] / results[method]["seconds"]

    print("ratios (clips/s over clips/s; targets from issue 4):")
    for name, top, bottom, target in [
            ("emoeval/floor", "emoeval-torch", "floor", ">= 0.95"),
            ("emoeval/pipeline", "emoeval-torch", "pipeline", "-"),
            ("emoeval-onnx/pipeline", "emoeval-onnx", "pipeline", ">= 1.2"),
            ("emoeval-onnx-int8/pipeline", "emoeval-onnx-int8", "pipeline", ">= 1.8"),
            ("floor/pipeline", "floor", "pipeline", "-")]:
        if top in results and bottom in results:
            print(f"  {name:<28} {speed(top) / speed(bottom):5.2f}x   target {target}")
    if "emoeval-torch" in results:
        reference = results["emoeval-torch"]["labels"]
        for method in ("pipeline", "floor", "emoeval-onnx", "emoeval-onnx-int8"):
            if method in results:
                print(f"  label agreement {method} vs emoeval-torch: "
                      f"{100 * agreement(results[method]['labels'], reference):.1f}%")

    if args.score_rows:
        y_true, y_pred, speakers = synthetic_predictions(args.score_rows, 2000)
        for name, groups in [("by sample", None), ("by speaker (2,000)", speakers)]:
            seconds, _ = time_run(y_true, y_pred, groups, 1)
            print(f"score + 1,000-resample CIs on {args.score_rows:,} predictions, {name}: "
                  f"{seconds:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
