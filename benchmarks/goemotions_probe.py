"""Probe benchmarks on this machine's CPU: GoEmotions (text, multi-label) and EmoDB (speech).

GoEmotions: trains a MiniLM probe on ``train`` (embeddings from a cold cache, so the time
includes embedding), evaluates ``test`` with per-class thresholds tuned on ``dev``, and
prints micro/macro ROC-AUC and macro F1 for every threshold strategy beside the targets
(macro F1 >= 0.42, macro AUC >= 0.89, training under 600 s), with an efficiency table
(parameters, size on disk, training time, inference samples/s).

EmoDB: an openSMILE eGeMAPS + logistic-regression probe, leave-one-speaker-out; UA with its
spread over the ten speakers.

    python benchmarks/goemotions_probe.py --part goemotions --out bench_out
    python benchmarks/goemotions_probe.py --part emodb --out bench_out
    python benchmarks/goemotions_probe.py --part goemotions --variant plain  # the baseline
    (variants: plain, layers, mlp, ensemble, ensemble5; default ensemble)

Everything goes through emoeval's own API (``train_probe``, ``evaluate``, ``score_file``),
as the CLI would. Figures are measured, never asserted.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SHARED = HERE.parents[2] / "shared" / "data"

#: probe configurations: backbone layers, head, C, class weighting
VARIANTS = {
    # the starting point: the sentence embedding, logistic regression, C = 1
    "plain": {"layer": "sentence", "head": "logreg", "c": 1.0, "class_weight": None},
    # sentence embedding plus the mean-pooled hidden states of layers 4 and 5 (one pass)
    "layers": {"layer": "sentence,4,5", "head": "logreg", "c": 0.05, "class_weight": None},
    # the same features into a one-hidden-layer MLP
    "mlp": {"layer": "sentence,4,5", "head": "mlp", "c": 1.0, "class_weight": None},
    # three such MLPs from successive seeds, probabilities averaged
    "ensemble": {"layer": "sentence,4,5", "head": "mlp", "c": 1.0, "class_weight": None,
                 "networks": 3},
    "ensemble5": {"layer": "sentence,4,5", "head": "mlp", "c": 1.0, "class_weight": None,
                  "networks": 5},
}
TARGETS = {"f1_macro": 0.42, "roc_auc_macro": 0.89, "training_s": 600.0}


def goemotions(args: argparse.Namespace) -> dict:
    from emoeval import api
    from emoeval.probe.train import TrainConfig, train_probe

    data = Path(args.goemotions)
    if not data.is_dir():
        sys.exit(f"GoEmotions not found at {data}")
    variant = VARIANTS[args.variant]
    work = Path(args.out) / f"goemotions-{args.variant}"
    if work.exists() and not args.keep:
        shutil.rmtree(work)
    cache = work / "cache" if not args.cache_dir else Path(args.cache_dir)
    probe_dir = work / "probe"
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    record = train_probe(TrainConfig(
        backbone="zeroshot:minilm", dataset=f"goemotions:{data}", out=str(probe_dir),
        layer=variant["layer"], head=variant["head"], c=variant["c"],
        class_weight=variant["class_weight"], networks=variant.get("networks", 1),
        cache_dir=str(cache), batch_size=64))
    train_wall, train_cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    record["timing"]["cpu_s"] = train_cpu
    print(f"trained in {train_wall:.1f} s wall, {train_cpu:.1f} CPU-s "
          f"({record['timing']['embedding_s']:.1f} s embedding, "
          f"{record['timing']['fit_s']:.1f} s fitting); load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    adapter_options = {"cache_dir": str(cache)}  # dev was embedded while training

    t1 = time.perf_counter()
    options = {"threshold": "per-class", "tune_split": "dev"}
    if "tuning_rows" in inspect.getsource(api.evaluate):  # evaluate predicts dev itself
        results = api.evaluate(api.EvaluationConfig(
            model=f"probe:{probe_dir}", dataset=f"goemotions:{data}", split="test",
            out=str(work / "eval"), batch_size=64, task_options=options,
            adapter_options=adapter_options))
    else:  # predict dev and test apart, then score both with the split column
        import pandas as pd

        tables = []
        for split in ("dev", "test"):
            out = work / f"eval-{split}"
            api.evaluate(api.EvaluationConfig(model=f"probe:{probe_dir}",
                                              dataset=f"goemotions:{data}", split=split,
                                              out=str(out), batch_size=64,
                                              adapter_options=adapter_options))
            tables.append(pd.read_csv(out / "detailed_results.csv", dtype={"id": str}))
        combined = work / "dev_and_test.csv"
        pd.concat(tables).to_csv(combined, index=False)
        results = api.score_file(str(combined), str(work / "eval"), task="multilabel",
                                 **options)
        results["efficiency"] = json.loads((work / "eval-test" / "results.json")
                                           .read_text())["efficiency"]
    eval_wall = time.perf_counter() - t1
    return summarise_goemotions(args.variant, record, results, train_wall, eval_wall, work)


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads): less sensitive than wall time
    to other work on a shared machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summarise_goemotions(name, record, results, train_wall, eval_wall, work) -> dict:
    m = results["metrics"]
    print(f"\nGoEmotions test ({results['n_scored']} comments), probe '{name}' "
          f"({record['backbone']['layer']}, {record['head']['kind']} x"
          f"{record['head'].get('networks') or 1}, C={record['head']['c']})")
    print(f"{'strategy':<12} {'micro AUC':>10} {'macro AUC':>10} {'macro F1':>9} {'micro F1':>9}"
          f" {'never predicted':>16}")
    for strategy, s in results["strategies"].items():
        print(f"{strategy:<12} {m['roc_auc_micro']:>10.4f} {m['roc_auc_macro']:>10.4f} "
              f"{s['f1_macro']:>9.4f} {s['f1_micro']:>9.4f} {s['n_never_predicted']:>16}")
    per_class = results["strategies"].get("per-class", {})
    training_s = record["timing"]["training_s"]
    print("\nagainst the targets (ratio >= 1 meets it; time: target / measured)")
    ratios = {
        "f1_macro": per_class.get("f1_macro", float("nan")) / TARGETS["f1_macro"],
        "roc_auc_macro": m["roc_auc_macro"] / TARGETS["roc_auc_macro"],
        "training_s": TARGETS["training_s"] / training_s,
    }
    print(f"  macro F1 (per-class) {per_class.get('f1_macro', float('nan')):.4f} / 0.42 = "
          f"{ratios['f1_macro']:.3f}")
    print(f"  macro AUC            {m['roc_auc_macro']:.4f} / 0.89 = {ratios['roc_auc_macro']:.3f}")
    print(f"  training time        600 / {training_s:.1f} s = {ratios['training_s']:.3f} "
          f"(wall; CPU {record['timing']['cpu_s']:.1f} s over {os.cpu_count()} cores, load "
          f"average {os.getloadavg()[0]:.1f})")
    eff = results.get("efficiency") or {}
    rows = [("parameters (backbone + head)", f"{eff.get('n_parameters', 0):,}"),
            ("  of which trained (head)", f"{record['head']['n_parameters']:,}"),
            ("size on disk (backbone + head)", f"{(eff.get('size_bytes') or 0) / 1e6:.1f} MB"),
            ("training time (embedding + fit)", f"{training_s:.1f} s wall, "
             f"{record['timing']['cpu_s']:.1f} CPU-s"),
            ("inference", f"{eff.get('samples_per_s')} samples/s"
             + (f" ({eff['embeddings_from_cache']} test embeddings from the cache: head only)"
                if eff.get("embeddings_from_cache") else "")),
            ("evaluation wall time (dev + test)", f"{eval_wall:.1f} s")]
    print("\nefficiency")
    for k, v in rows:
        print(f"  {k:<34} {v}")
    summary = {"variant": name, "metrics": m, "strategies": results["strategies"],
               "training": record["timing"], "train_wall_s": train_wall,
               "eval_wall_s": eval_wall, "efficiency": eff, "ratios": ratios,
               "head": record["head"], "backbone": record["backbone"],
               "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    (work / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def emodb(args: argparse.Namespace) -> dict:
    from emoeval.probe.train import TrainConfig, train_probe

    data = Path(args.emodb)
    if not data.is_dir():
        sys.exit(f"EmoDB not found at {data}")
    work = Path(args.out) / "emodb-egemaps"
    if work.exists() and not args.keep:
        shutil.rmtree(work)
    record = train_probe(TrainConfig(backbone="opensmile:egemaps", dataset=f"emodb:{data}",
                                     out=str(work / "probe"), cv="loso", c=1.0,
                                     cache_dir=str(work / "cache")))
    cv = record["cv"]
    print(f"\nEmoDB, eGeMAPS (88 functionals) + logistic regression, leave-one-speaker-out "
          f"({cv['n_folds']} folds, {record['data']['n_train']} clips)")
    for name, s in cv["summary"].items():
        print(f"  {name:<18} mean {s['mean']:.3f}  std {s['std']:.3f}  min {s['min']:.3f}  "
              f"max {s['max']:.3f}  pooled {cv['pooled'][name]:.3f}")
    print("  per speaker UA: " + ", ".join(f"{f['fold'].split()[-1]} {f['balanced_accuracy']:.3f}"
                                          for f in cv["folds"]))
    print(f"  training time {record['timing']['training_s']:.1f} s "
          f"({record['timing']['embedding_samples_per_s']} clips/s for the features)")
    (work / "summary.json").write_text(json.dumps(record, indent=2, default=str))
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["goemotions", "emodb", "all"], default="all")
    parser.add_argument("--variant", choices=list(VARIANTS), default="ensemble")
    parser.add_argument("--goemotions", default=str(SHARED / "goemotions"))
    parser.add_argument("--emodb", default=str(SHARED / "emodb"))
    parser.add_argument("--out", default="bench_out")
    parser.add_argument("--cache-dir", default=None,
                        help="reuse an embedding cache (the training time then excludes "
                             "embedding); default: a fresh one under --out")
    parser.add_argument("--keep", action="store_true", help="keep an earlier run's folder")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.part in ("goemotions", "all"):
        goemotions(args)
    if args.part in ("emodb", "all"):
        emodb(args)


if __name__ == "__main__":
    main()
