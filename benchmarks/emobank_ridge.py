"""EmoBank test predictions for ``emoeval score --task dimensional``: a train-mean baseline and
a ridge regression on frozen MiniLM sentence embeddings or on word tf-idf, both fitted on the
train split only (alpha picked on dev).

    python benchmarks/emobank_ridge.py /work/shared/data/emobank OUT_DIR [--perspective reader]

MiniLM is emoeval's own probe: ``emoeval train --backbone zeroshot:minilm --head ridge`` (alpha
from its grid by the mean dev CCC, embeddings cached), then ``emoeval evaluate --model
probe:OUT_DIR/minilm_probe --split test`` into ``OUT_DIR/minilm_eval``. Word tf-idf has no
backbone in emoeval, so it is fitted here with scikit-learn (alpha by dev MSE).

Writes OUT_DIR/train_mean.csv and OUT_DIR/<features>_ridge.csv (id, V_true, V_pred, ...) and
prints each one's CCC per dimension; ``emoeval score FILE --task dimensional --out DIR``
scores them with the full report.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time

import numpy as np
import pandas as pd

from emoeval.datasets.base import DatasetOptions, load_dataset
from emoeval.datasets.presets.emobank import DIMENSIONS
from emoeval.dimensional.scoring import score_dimensional

ALPHAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def targets(rows) -> np.ndarray:
    return np.array([[r.targets[d] for d in DIMENSIONS] for r in rows])


def predictions_frame(rows, truth: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"id": [r.id for r in rows]})
    for j, dim in enumerate(DIMENSIONS):
        frame[f"{dim}_true"] = truth[:, j]
        frame[f"{dim}_pred"] = predicted[:, j]
    return frame


def tfidf_ridge(train, dev, test) -> np.ndarray:
    """Word tf-idf into scikit-learn's Ridge; alpha by dev MSE; test predictions."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    vectorizer = TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True)
    x_train = vectorizer.fit_transform([r.text for r in train])
    x_dev, x_test = (vectorizer.transform([r.text for r in rows]) for rows in (dev, test))
    y_train, y_dev = targets(train), targets(dev)
    dev_error = {a: np.mean((Ridge(alpha=a).fit(x_train, y_train).predict(x_dev) - y_dev) ** 2)
                 for a in ALPHAS}
    alpha = min(dev_error, key=dev_error.get)
    print(f"tf-idf ridge alpha {alpha} (dev MSE {dev_error[alpha]:.4f})")
    return Ridge(alpha=alpha).fit(x_train, y_train).predict(x_test)


def minilm_probe(emobank_dir: str, perspective: str, out_dir: str) -> str:
    """Train emoeval's ridge probe on MiniLM and evaluate it on test; returns the path of
    its ``detailed_results.csv`` (id, V_true, V_pred, ...)."""
    from emoeval.api import EvaluationConfig, evaluate
    from emoeval.probe.train import TrainConfig, train_probe

    spec = f"emobank:{emobank_dir}"
    options = DatasetOptions(label_group=perspective)
    probe = os.path.join(out_dir, "minilm_probe")
    record = train_probe(TrainConfig(backbone="zeroshot:minilm", dataset=spec, out=probe,
                                     head="ridge", dataset_options=options))
    timing = record["timing"]
    print(f"MiniLM probe: alpha {record['head']['alpha']:g} (dev mean CCC "
          f"{record['tune_metrics']['ccc_mean']:.3f}); {timing['n_embedded']} sentences "
          f"embedded, {timing['n_from_cache']} from the cache, trained in "
          f"{timing['training_s']:.0f} s")
    evaluation = os.path.join(out_dir, "minilm_eval")
    evaluate(EvaluationConfig(model=f"probe:{probe}", dataset=spec, split="test",
                              out=evaluation, dataset_options=options, batch_size=64))
    return os.path.join(evaluation, "detailed_results.csv")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("emobank_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--perspective", default="reader")
    parser.add_argument("--features", default="minilm", choices=("minilm", "tfidf"),
                        help="minilm sentence embeddings, or word tf-idf (fast, no model)")
    args = parser.parse_args()
    dataset = load_dataset(f"emobank:{args.emobank_dir}",
                           DatasetOptions(label_group=args.perspective))
    train, dev, test = (dataset.rows(s) for s in ("train", "dev", "test"))
    y_train, y_test = targets(train), targets(test)
    os.makedirs(args.out_dir, exist_ok=True)

    written = [os.path.join(args.out_dir, "train_mean.csv")]
    mean = np.broadcast_to(y_train.mean(axis=0), y_test.shape)
    predictions_frame(test, y_test, mean).to_csv(written[0], index=False)

    started = time.perf_counter()
    ridge_file = os.path.join(args.out_dir, f"{args.features}_ridge.csv")
    if args.features == "tfidf":
        predictions_frame(test, y_test, tfidf_ridge(train, dev, test)).to_csv(ridge_file,
                                                                              index=False)
    else:
        shutil.copyfile(minilm_probe(args.emobank_dir, args.perspective, args.out_dir),
                        ridge_file)
    print(f"{args.features} ridge: {time.perf_counter() - started:.0f} s")
    written.append(ridge_file)
    for path in written:
        part, _ = score_dimensional(pd.read_csv(path, dtype={"id": str}))
        print(f"{os.path.basename(path)}: {part['headline']}")


if __name__ == "__main__":
    main()
