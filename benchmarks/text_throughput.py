"""Text throughput of emoeval's runtimes against sentence-transformers' own ``encode``.

Methods (``--methods``, comma-separated; default all):

- ``st-encode``: ``SentenceTransformer.encode`` on MiniLM, batch 32, normalised: **the floor**;
- ``zeroshot-<runtime>``: ``zeroshot:minilm`` predicting every text (prompts embedded once,
  outside the timing), for runtime ``torch``, ``onnx``, ``onnx-int8``, ``torch-bf16``;
- ``probe-<runtime>``: a probe backbone (``zeroshot:minilm``, ``--layer``) embedding every
  text (no cache), for each runtime.

Each method runs in **its own process** (spawned once, so its memory and threads are its
own): it loads its model, exports and verifies it where the runtime needs that (outside the
timing, reported as setup), then warms up on the texts. The parent then asks the processes
in turn for one timed pass over all texts, in an order that rotates every repeat, for
``--repeats`` (>= 5) **alternating repeats**, so a change of load hits every method alike.
A method's speed is the median texts/s over its repeats with the interquartile range; a ratio
is the median (and IQR) of the per-repeat ratios against the floor.

Targets (issue 23), printed beside the measured ratios:

- emoeval's torch path (``zeroshot-torch``) >= 0.95x the floor;
- ``zeroshot-onnx-int8`` >= 2x the floor, with >= 99% of its zero-shot labels equal to FP32;
- ``--probe-auc``: a probe trained on INT8 embeddings within 0.005 macro AUC of the FP32
  probe on GoEmotions test (both trained with ``emoeval train``'s API on a seeded sample of
  ``--probe-limit`` training lines, tuned on and evaluated on ``--probe-test-limit`` dev and
  test lines).

Texts: TweetEval emotion and GoEmotions from ``../shared/data`` (``--texts``), a seeded
sample of ``--n-texts``; seeded synthetic sentences when the folders are absent. Take the
figures on a quiet machine: the load average is printed beside them.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_throughput.py --json /tmp/text.json
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_throughput.py --probe-auc
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()
SHARED = HERE.parents[2] / "shared" / "data"
sys.path.insert(0, str(HERE.parents[1] / "src"))  # this checkout's emoeval, in every process
RUNTIMES = ("torch", "onnx", "onnx-int8", "torch-bf16")
METHODS = ("st-encode", *(f"zeroshot-{r}" for r in RUNTIMES), *(f"probe-{r}" for r in RUNTIMES))
FLOOR = "st-encode"
#: (method, its baseline, target ratio or None): printed beside the measured ratios
TARGETS = [("zeroshot-torch", FLOOR, 0.95), ("zeroshot-onnx-int8", FLOOR, 2.0),
           ("zeroshot-onnx", FLOOR, None), ("zeroshot-torch-bf16", FLOOR, None),
           *((f"probe-{r}", FLOOR, None) for r in RUNTIMES)]
LABEL_TARGET = 0.99
AUC_TARGET = 0.005
BATCH_SIZE = 32
SYNTHETIC_WORDS = ("i am so happy sad angry afraid glad furious today this is the a very not "
                   "good bad day news what tired love hate cry smile work home again").split()


# --- texts ---------------------------------------------------------------------------------

def shared_texts(which: str) -> list[tuple[str, str]]:
    """(text, label) pairs of every split of one shared set, or [] when it is absent."""
    from emoeval.datasets.base import load_dataset

    name = {"tweeteval": "tweeteval_emotion", "goemotions": "goemotions"}.get(which)
    folder = SHARED / name if name else None
    if folder is None or not folder.is_dir():
        return []
    dataset = load_dataset(f"{which}:{folder}")
    pairs = []
    for split in dataset.splits():
        for row in dataset.rows(split):
            label = row.label[0] if isinstance(row.label, list) and row.label else row.label
            pairs.append((row.text, str(label)))
    return pairs


def load_texts(sets: list[str], n: int, seed: int = 0) -> tuple[list[str], list[str], str]:
    """A seeded sample of ``n`` texts (and labels) from the named sets; synthetic if absent."""
    pairs: list[tuple[str, str]] = []
    for which in sets:
        pairs += shared_texts(which)
    rng = np.random.default_rng(seed)
    if pairs:
        chosen = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
        sample = [pairs[i] for i in sorted(chosen)]
        return [t for t, _ in sample], [l for _, l in sample], "+".join(sets)
    labels = ["joy", "sadness", "anger", "fear"]
    texts = [" ".join(rng.choice(SYNTHETIC_WORDS, int(rng.integers(5, 30)))) for _ in range(n)]
    return texts, [labels[i % 4] for i in range(n)], "synthetic"


# --- one method, in its own process ---------------------------------------------------------

class Method:
    """Loads a method's model (setup, not timed) and runs one pass over the texts."""

    def __init__(self, name: str, texts: list[str], labels: list[str], layer: str):
        from emoeval.datasets.base import Row

        self.name, self.texts = name, texts
        rows = [Row(id=f"t{i}", label=label, text=text)
                for i, (text, label) in enumerate(zip(texts, labels))]
        family, _, runtime = name.partition("-")
        t0 = time.perf_counter()
        if name == FLOOR:
            from sentence_transformers import SentenceTransformer

            from emoeval.adapters.zeroshot import packaged_minilm_dir

            model = SentenceTransformer(str(packaged_minilm_dir()), device="cpu")
            self.run = lambda: model.encode(texts, batch_size=BATCH_SIZE,
                                            normalize_embeddings=True,
                                            convert_to_numpy=True, show_progress_bar=False)
        elif family == "zeroshot":
            from emoeval.adapters.base import load_adapter
            from emoeval.onnx.runtime import prepare_model

            spec, options = prepare_model("zeroshot:minilm", runtime, rows)
            adapter = load_adapter(spec, device="cpu" if runtime == "torch" else None,
                                   batch_size=BATCH_SIZE, **options)
            adapter.set_candidate_labels(list(dict.fromkeys(labels)))
            # as the runner calls it: one predict per batch of --batch-size texts
            self.run = lambda: np.concatenate([adapter.predict(texts[i:i + BATCH_SIZE])
                                               for i in range(0, len(texts), BATCH_SIZE)])
        else:
            from emoeval.probe.backbones import load_backbone

            backbone = load_backbone("zeroshot:minilm", layer, runtime=runtime)
            if runtime != "torch":
                backbone.verify_runtime(rows)
            self.run = lambda: np.concatenate([backbone.embed(texts[i:i + 64])
                                               for i in range(0, len(texts), 64)])
        self.setup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.output = self.run()  # warm-up, and the outputs compared between methods
        self.warm_up_s = time.perf_counter() - t0


def worker(name: str, texts: list[str], labels: list[str], layer: str, threads: int,
           connection: Any) -> None:
    """A method's process: set up, report ready, then time one pass per request."""
    try:
        import torch

        if threads:
            torch.set_num_threads(threads)
        method = Method(name, texts, labels, layer)
        output = np.asarray(method.output)
        connection.send({"ready": True, "setup_s": method.setup_s,
                         "warm_up_s": method.warm_up_s,
                         "labels": output.argmax(axis=1).tolist()
                         if name.startswith("zeroshot") else None})
        while connection.recv() == "run":
            t0 = time.perf_counter()
            method.run()
            connection.send(time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - recorded for the method, the run goes on
        connection.send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})


# --- the probe AUC check --------------------------------------------------------------------

def goemotions_subset(out: Path, train_n: int, eval_n: int) -> Path | None:
    """A copy of ../shared/data/goemotions with a seeded sample of ``train_n`` training lines
    and ``eval_n`` lines of dev (which tunes the probe) and of test; None when absent."""
    import shutil

    source = SHARED / "goemotions"
    if not source.is_dir():
        return None
    target = out / "goemotions"
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for file in source.iterdir():
        if file.suffix != ".tsv":
            shutil.copy(file, target / file.name)
    seen: set[str] = set()
    for split in ("train", "dev", "test"):  # train first: it decides the labels kept
        lines = (source / f"{split}.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
        labels = [set(line.split("\t")[1].split(",")) for line in lines]
        order = rng.permutation(len(lines))
        keep: list[int] = []
        if split == "train":  # every label once, then a seeded sample
            for label in sorted(set().union(*labels)):
                first = int(next(i for i in order if label in labels[i]))
                if first not in keep:  # one line may carry several labels
                    keep.append(first)
            seen = set().union(*labels)
        n = train_n if split == "train" else eval_n
        for i in order:
            if len(keep) >= n:
                break
            if i not in keep and labels[i] <= seen:
                keep.append(int(i))
        (target / f"{split}.tsv").write_text("".join(lines[i] for i in sorted(keep)),
                                             encoding="utf-8")
    return target


def probe_auc(runtime: str, data: Path, out: Path, layer: str) -> float | None:
    """Macro ROC-AUC on GoEmotions test of a probe trained on ``runtime`` embeddings."""
    from emoeval.api import EvaluationConfig, evaluate
    from emoeval.probe.train import TrainConfig, train_probe

    probe = out / f"probe-{runtime}"
    train_probe(TrainConfig(backbone="zeroshot:minilm", dataset=f"goemotions:{data}",
                            out=str(probe), layer=layer, runtime=runtime,
                            cache_dir=str(out / "cache")))
    results = evaluate(EvaluationConfig(model=f"probe:{probe}", dataset=f"goemotions:{data}",
                                        split="test", out=str(out / f"eval-{runtime}"),
                                        n_resamples=0))
    return results["metrics"].get("roc_auc_macro")


# --- the parent -----------------------------------------------------------------------------

def quartiles(values: list[float]) -> tuple[float, float, float]:
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return float(median), float(q25), float(q75)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--texts", default="tweeteval,goemotions",
                        help="shared sets to sample: tweeteval, goemotions; synthetic (or any set "
                             "absent) gives seeded synthetic sentences")
    parser.add_argument("--n-texts", type=int, default=1421)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--layer", default="sentence", help="probe backbone layers")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--probe-auc", action="store_true",
                        help="also train FP32 and INT8 probes on GoEmotions and compare AUC")
    parser.add_argument("--probe-limit", type=int, default=5000,
                        help="GoEmotions training lines (seeded sample)")
    parser.add_argument("--probe-test-limit", type=int, default=2000,
                        help="GoEmotions dev and test lines each (seeded samples)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.repeats < 5:
        parser.error("--repeats: at least 5 (a ratio is a median with its IQR)")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    texts, labels, source = load_texts(args.texts.split(","), args.n_texts)
    print(f"{len(texts)} texts ({source}), {args.repeats} alternating repeats, "
          f"cpu {os.cpu_count()}, load {os.getloadavg()[0]:.1f}", flush=True)

    context = mp.get_context("spawn")
    workers: dict[str, Any] = {}
    ready: dict[str, dict] = {}
    for name in methods:  # set up one at a time: exports and verification do not overlap
        parent, child = context.Pipe()
        process = context.Process(target=worker, args=(name, texts, labels, args.layer,
                                                       args.threads, child), daemon=True)
        process.start()
        ready[name] = parent.recv()
        if ready[name].get("ready"):
            workers[name] = (process, parent)
            print(f"  {name}: set up in {ready[name]['setup_s']:.1f} s, warm-up "
                  f"{ready[name]['warm_up_s']:.1f} s", flush=True)
        else:
            print(f"  {name}: FAILED {ready[name]['error']}", flush=True)
            process.join()
    seconds: dict[str, list[float]] = {name: [] for name in workers}
    loads: list[float] = []
    for repeat in range(args.repeats):
        for name in np.roll(list(workers), -repeat):
            workers[name][1].send("run")
            seconds[name].append(workers[name][1].recv())
        loads.append(os.getloadavg()[0])
    for process, connection in workers.values():
        connection.send("stop")
        process.join()

    report: dict[str, Any] = {"texts": source, "n_texts": len(texts), "repeats": args.repeats,
                              "load_average": loads, "methods": {}, "ratios": {}}
    print(f"\n| method | texts/s median (IQR) | setup s |\n|---|---:|---:|")
    for name, times in seconds.items():
        speed = quartiles([len(texts) / t for t in times])
        report["methods"][name] = {"texts_per_s": speed, "seconds": times,
                                   "setup_s": ready[name]["setup_s"]}
        print(f"| {name} | {speed[0]:.1f} ({speed[1]:.1f}-{speed[2]:.1f}) | "
              f"{ready[name]['setup_s']:.1f} |")
    print("\n| ratio | measured median (IQR) | target |\n|---|---:|---|")
    for name, baseline, target in TARGETS:
        if name not in seconds or baseline not in seconds:
            continue
        ratio = quartiles(list(np.asarray(seconds[baseline]) / np.asarray(seconds[name])))
        met = "" if target is None else (" (met)" if ratio[0] >= target else " (NOT met)")
        report["ratios"][f"{name} / {baseline}"] = {"ratio": ratio, "target": target}
        print(f"| {name} / {baseline} | {ratio[0]:.2f}x ({ratio[1]:.2f}-{ratio[2]:.2f}) | "
              + (f">= {target}x{met}" if target else "-") + " |")
    reference = ready.get("zeroshot-torch", {}).get("labels")
    for name in ("zeroshot-onnx", "zeroshot-onnx-int8", "zeroshot-torch-bf16"):
        ours = ready.get(name, {}).get("labels")
        if reference and ours:
            share = float(np.mean(np.asarray(ours) == np.asarray(reference)))
            report["ratios"][f"{name} labels equal to FP32"] = share
            target = (f">= {100 * LABEL_TARGET:g}%"
                      + (" (met)" if share >= LABEL_TARGET else " (NOT met)")
                      if name.endswith("int8") else "-")
            print(f"| {name} zero-shot labels equal to FP32 | {100 * share:.1f}% | {target} |")
    if args.probe_auc:
        with tempfile.TemporaryDirectory() as folder:
            data = goemotions_subset(Path(folder), args.probe_limit, args.probe_test_limit)
            aucs = {r: probe_auc(r, data, Path(folder), args.layer) if data else None
                    for r in ("torch", "onnx-int8")}
        report["probe_auc"] = aucs
        if None in aucs.values():
            print("| probe macro AUC | not measured: ../shared/data/goemotions is absent | - |")
        else:
            gap = aucs["torch"] - aucs["onnx-int8"]
            print(f"| probe macro AUC FP32 - INT8 | {aucs['torch']:.4f} - "
                  f"{aucs['onnx-int8']:.4f} = {gap:+.4f} | within {AUC_TARGET} "
                  + ("(met)" if abs(gap) <= AUC_TARGET else "(NOT met)") + " |")
    print(f"\nload average during the repeats: {min(loads):.1f}-{max(loads):.1f} "
          "(take the figures on a quiet machine)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
