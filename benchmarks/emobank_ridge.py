"""EmoBank test predictions for ``emoeval score --task dimensional``: a train-mean baseline and
a ridge regression (scikit-learn) on frozen MiniLM sentence embeddings or on word tf-idf, both fitted on the
train split only (alpha picked on dev).

    python benchmarks/emobank_ridge.py /work/shared/data/emobank OUT_DIR [--perspective reader]

Writes OUT_DIR/train_mean.csv and OUT_DIR/<features>_ridge.csv (id, V_true, V_pred, ...), then
score them with ``emoeval score FILE --task dimensional --out DIR``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from emoeval.datasets.base import DatasetOptions, load_dataset
from emoeval.datasets.presets.emobank import DIMENSIONS

ALPHAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def targets(rows) -> np.ndarray:
    return np.array([[r.targets[d] for d in DIMENSIONS] for r in rows])


def embed_in_chunks(backbone, texts: list[str], size: int = 128) -> np.ndarray:
    """Backbone.embed encodes its whole input as one batch; 8,000 sentences at once
    exhaust memory, so feed it bounded chunks."""
    return np.vstack([backbone.embed(texts[i:i + size]) for i in range(0, len(texts), size)])


def predictions_frame(rows, truth: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"id": [r.id for r in rows]})
    for j, dim in enumerate(DIMENSIONS):
        frame[f"{dim}_true"] = truth[:, j]
        frame[f"{dim}_pred"] = predicted[:, j]
    return frame


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
    y_train, y_dev, y_test = targets(train), targets(dev), targets(test)
    os.makedirs(args.out_dir, exist_ok=True)

    mean = np.broadcast_to(y_train.mean(axis=0), y_test.shape)
    predictions_frame(test, y_test, mean).to_csv(
        os.path.join(args.out_dir, "train_mean.csv"), index=False)

    from sklearn.linear_model import Ridge

    started = time.perf_counter()
    if args.features == "tfidf":
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True)
        x_train = vectorizer.fit_transform([r.text for r in train])
        x_dev, x_test = (vectorizer.transform([r.text for r in rows]) for rows in (dev, test))
    else:
        from emoeval.probe.backbones import load_backbone

        backbone = load_backbone("zeroshot:minilm")
        x_train, x_dev, x_test = (embed_in_chunks(backbone, [r.text for r in rows])
                                  for rows in (train, dev, test))
    print(f"featurised {len(train) + len(dev) + len(test)} sentences in "
          f"{time.perf_counter() - started:.0f} s")
    dev_error = {a: np.mean((Ridge(alpha=a).fit(x_train, y_train).predict(x_dev) - y_dev) ** 2)
                 for a in ALPHAS}
    alpha = min(dev_error, key=dev_error.get)
    print(f"ridge alpha {alpha} (dev MSE {dev_error[alpha]:.4f})")
    model = Ridge(alpha=alpha).fit(x_train, y_train)
    predictions_frame(test, y_test, model.predict(x_test)).to_csv(
        os.path.join(args.out_dir, f"{args.features}_ridge.csv"), index=False)


if __name__ == "__main__":
    main()
