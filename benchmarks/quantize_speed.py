"""ONNX FP32 vs INT8 on a wav2vec2-base-sized model and real Urdu speech: size, speed, labels.

Builds (once) a wav2vec2-base-sized classifier: the default ``Wav2Vec2Config`` (12 layers,
hidden 768, group-norm feature encoder, no attention mask), 4 labels, a random backbone and
a head fitted briefly on Urdu clips that are not in the evaluation sample. Then runs
``emoeval quantize`` on it (``--dataset urdu:... --limit N``) and prints the ratios.

    .venv/bin/python benchmarks/quantize_speed.py [--model-dir /tmp/w2v-base-urdu]
        [--out /tmp/quantize-urdu] [--limit 40] [--ops matmul|all|auto]

Targets (issue 3): INT8 of the MatMul nodes faster than FP32 ONNX, at least 60% smaller, and
INT8 and FP32 labels differ on under 1% of samples. Speed depends on the CPU and its load:
the script prints ratios measured in one run, never a pass/fail for a timing in a test.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

LABELS = ["angry", "happy", "neutral", "sad"]
URDU = Path(__file__).resolve().parents[2] / "shared" / "data" / "urdu"


def evaluation_ids(urdu: Path, limit: int, seed: int) -> tuple[list, set[str]]:
    """All Urdu rows, and the ids ``--limit`` picks (the same call ``evaluate`` makes)."""
    from emoeval.api import EvaluationConfig, prepare_rows
    from emoeval.datasets.base import load_dataset

    dataset = load_dataset(f"urdu:{urdu}")
    rows = dataset.rows(None)
    chosen, _, _ = prepare_rows(dataset, rows, EvaluationConfig(model="", dataset="", out="",
                                                                limit=limit, seed=seed))
    return rows, {r.id for r in chosen}


def build_model(folder: Path, urdu: Path, limit: int, fit_per_label: int, seed: int) -> None:
    """Default Wav2Vec2Config with 4 labels; fit projector and classifier on pooled
    features of ``fit_per_label`` clips per label outside the evaluation sample."""
    import torch
    from transformers import (Wav2Vec2Config, Wav2Vec2FeatureExtractor,
                              Wav2Vec2ForSequenceClassification)

    from emoeval.audio import load_audio

    torch.manual_seed(seed)
    config = Wav2Vec2Config(num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                            label2id={label: i for i, label in enumerate(LABELS)})
    model = Wav2Vec2ForSequenceClassification(config).eval()
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                         do_normalize=True, return_attention_mask=False)
    rows, held_out = evaluation_ids(urdu, limit, seed)
    rng = np.random.default_rng(seed)
    features, targets = [], []
    t0 = time.perf_counter()
    for index, label in enumerate(LABELS):
        pool = [r for r in rows if r.label == label and r.id not in held_out]
        for row in rng.choice(pool, size=fit_per_label, replace=False):
            audio = load_audio(row.audio, 16000)[:2 * 16000]
            encoded = extractor(audio, sampling_rate=16000, return_tensors="pt")
            with torch.inference_mode():
                hidden = model.wav2vec2(encoded["input_values"]).last_hidden_state
            # the head is projector -> mean over time -> classifier, and the projector is
            # linear: mean(projector(h)) == projector(mean(h))
            features.append(hidden.mean(dim=1)[0])
            targets.append(index)
    print(f"features of {len(targets)} fitting clips: {time.perf_counter() - t0:.0f} s")
    raw, y = torch.stack(features), torch.tensor(targets)
    mean, std = raw.mean(0), raw.std(0) + 1e-6
    x = (raw - mean) / std  # fit on standardised features; folded into the projector below
    head = torch.nn.Sequential(torch.nn.Linear(x.shape[1], config.classifier_proj_size),
                               torch.nn.Linear(config.classifier_proj_size, len(LABELS)))
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3, weight_decay=1e-3)
    for _ in range(300):
        loss = torch.nn.functional.cross_entropy(head(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        fitted = float((head(x).argmax(1) == y).float().mean())
        projector, classifier = head
        # standardisation folded into the projector: W (h - m) / s + b
        model.projector.weight.copy_(projector.weight / std)
        model.projector.bias.copy_(projector.bias - (projector.weight / std) @ mean)
        model.classifier.weight.copy_(classifier.weight)
        model.classifier.bias.copy_(classifier.bias)
    print(f"head fitted: training accuracy {100 * fitted:.0f}% on {len(y)} clips")
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default="/tmp/w2v-base-urdu")
    parser.add_argument("--out", default="/tmp/quantize-urdu")
    parser.add_argument("--urdu", default=str(URDU))
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--fit-per-label", type=int, default=10)
    parser.add_argument("--ops", default="matmul")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = Path(args.model_dir)
    if not (folder / "config.json").is_file():
        build_model(folder, Path(args.urdu), args.limit, args.fit_per_label, args.seed)

    from emoeval.onnx.pipeline import QuantizeConfig, run_quantize

    summary = run_quantize(QuantizeConfig(model=f"hf:{folder}", out=args.out,
                                          dataset=f"urdu:{args.urdu}", limit=args.limit,
                                          ops=args.ops, seed=args.seed), log=print)
    sizes, comparison = summary["sizes"], summary["comparison"]
    runs = comparison["runs"]
    share = comparison["disagreement"]["onnx-int8 vs onnx-fp32"]["share"]
    speed = comparison["int8_speedup_vs_onnx_fp32"]
    print(f"sizes: PyTorch {sizes['torch_bytes'] / 1e6:.1f} MB, ONNX FP32 "
          f"{sizes['onnx_fp32_bytes'] / 1e6:.1f} MB, INT8 {sizes['onnx_int8_bytes'] / 1e6:.1f} "
          f"MB ({100 * sizes['reduction']:.0f}% smaller; target >= 60%)")
    for name, run in runs.items():
        print(f"{name:10s} accuracy {100 * run['metrics']['accuracy']['value']:.1f}%  "
              f"p50 {run['latency_ms_p50']:.0f} ms  p95 {run['latency_ms_p95']:.0f} ms  "
              f"{run['samples_per_s']:.2f} samples/s  real-time factor "
              f"{run['real_time_factor']:.3f}")
    print(f"ratios: INT8 {speed:.2f}x as fast as ONNX FP32 (target > 1); ONNX FP32 "
          f"{comparison['speedup_vs_torch']['onnx-fp32']:.2f}x and INT8 "
          f"{comparison['speedup_vs_torch']['onnx-int8']:.2f}x as fast as PyTorch")
    print(f"INT8 and FP32 labels differ on {100 * share:.1f}% of samples (target < 1%)")
    print(f"report: {args.out}/quantize.md")


if __name__ == "__main__":
    main()
