"""Probe heads: scikit-learn fits, saved as plain arrays and run with numpy.

Classifier heads (rows with class labels), whose ``scores`` are probabilities:

``logreg``: standardised features into logistic regression; single-label is one
multinomial model, multi-label one binary model per label. ``mlp``: scikit-learn's
``MLPClassifier`` (one ReLU hidden layer, Adam, early stopping on a held-out tenth),
softmax outputs for single-label and sigmoid outputs for multi-label; ``networks=N`` trains
N of them from seeds ``seed .. seed+N-1`` and averages their probabilities (a seed
ensemble: on GoEmotions three networks lifted macro F1 from about 0.40 to 0.43).

``class_weight="balanced"`` weights classes by ``n / (n_classes * count)`` (scikit-learn's
formula): per binary problem for multi-label logreg, by sample weight for single-label mlp
(multi-label mlp has one loss over all labels and no per-label weight; it is left
unweighted, and the train report says so).

Regression head (rows with continuous targets, e.g. EmoBank's V, A, D), whose ``scores`` are
the predicted values themselves (output function ``identity``):

``ridge``: standardised features into scikit-learn's ``Ridge``, one multi-output model (one
weight column and intercept per dimension, all with the same ``alpha``). ``alpha`` is the
penalty strength (larger = smoother), scikit-learn's own parameter, not an inverse like the
classifiers' ``C``; it applies to the standardised features.

A fitted head is saved as ``head.npz``: the scaler's mean and scale, each network's weight
matrices and biases (``n{k}_w{i}``, ``n{k}_b{i}``), the output function and the labels. No pickle: loading a head runs no code, and its
bytes digest identifies it.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EmoevalError

CLASSIFIER_HEADS = ("logreg", "mlp")
REGRESSION_HEADS = ("ridge",)
HEADS = CLASSIFIER_HEADS + REGRESSION_HEADS
HEAD_FILE = "head.npz"


@dataclass
class Head:
    kind: str
    multi_label: bool
    labels: list[str]
    mean: np.ndarray
    scale: np.ndarray
    #: one (weights, biases) pair of layer lists per network; their outputs are averaged
    networks: list[tuple[list[np.ndarray], list[np.ndarray]]]
    #: "softmax" (one distribution), "sigmoid" (independent per label) or "identity"
    #: (regression values, one per dimension named in ``labels``)
    output: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_parameters(self) -> int:
        return int(sum(a.size for weights, biases in self.networks for a in weights + biases))

    def _network_scores(self, x: np.ndarray, weights: list[np.ndarray],
                        biases: list[np.ndarray]) -> np.ndarray:
        for w, b in zip(weights[:-1], biases[:-1]):
            x = np.maximum(x @ w + b, 0.0)
        z = x @ weights[-1] + biases[-1]
        if self.output == "identity":
            return z
        if self.output == "sigmoid":
            return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """(n, dim) features -> (n, n_labels) probabilities (averaged over the networks),
        or, for a regression head, the predicted values."""
        x = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return np.mean([self._network_scores(x, w, b) for w, b in self.networks], axis=0)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / HEAD_FILE
        arrays = {"mean": self.mean, "scale": self.scale,
                  "meta": np.array(json.dumps({"kind": self.kind, "multi_label": self.multi_label,
                                               "labels": self.labels, "output": self.output,
                                               "n_layers": len(self.networks[0][0]),
                                               "n_networks": len(self.networks),
                                               "info": self.info}))}
        for k, (weights, biases) in enumerate(self.networks):
            for i, (w, b) in enumerate(zip(weights, biases)):
                arrays[f"n{k}_w{i}"], arrays[f"n{k}_b{i}"] = w, b
        tmp = path.with_name(".head.tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> "Head":
        path = Path(folder) / HEAD_FILE
        if not path.is_file():
            raise EmoevalError(f"probe: {path} not found; train one with `emoeval train`")
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                n = int(meta["n_layers"])
                networks = [([data[f"n{k}_w{i}"] for i in range(n)],
                             [data[f"n{k}_b{i}"] for i in range(n)])
                            for k in range(int(meta.get("n_networks", 1)))]
                return cls(kind=meta["kind"], multi_label=bool(meta["multi_label"]),
                           labels=list(meta["labels"]), mean=data["mean"], scale=data["scale"],
                           networks=networks, output=meta["output"],
                           info=meta.get("info") or {})
        except (OSError, ValueError, KeyError) as exc:
            raise EmoevalError(f"probe: cannot read {path} ({exc}); retrain the probe") from None


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def balanced_weights(y: np.ndarray) -> dict[Any, float]:
    """scikit-learn's 'balanced' class weights: n / (n_classes * count)."""
    values, counts = np.unique(y, return_counts=True)
    return {v: len(y) / (len(values) * c) for v, c in zip(values, counts)}


def _scaler(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-12, scale, 1.0)


def fit_head(features: np.ndarray, targets: np.ndarray, labels: list[str], *,
             multi_label: bool, kind: str = "logreg", class_weight: str | None = "balanced",
             c: float = 1.0, hidden: int = 512, seed: int = 0, max_iter: int = 1000,
             networks: int = 1, alpha: float = 1.0) -> Head:
    """Fit a head. ``targets``: (n, n_labels) bool for multi-label, (n,) label indices for
    single-label, (n, n_dimensions) floats for ``ridge`` (``labels`` then names the
    dimensions). ``c``: classifiers only; ``alpha``: ridge only (``class_weight``,
    ``multi_label`` and ``seed`` do not apply to it). ``networks``: mlp only, how many
    networks (seeds) to average."""
    from sklearn.exceptions import ConvergenceWarning

    if kind not in HEADS:
        raise EmoevalError(f"--head {kind!r}: use {', '.join(HEADS[:-1])} or {HEADS[-1]}")
    if kind in REGRESSION_HEADS:
        if networks != 1:
            raise EmoevalError(f"--networks {networks}: applies to --head mlp only")
        return _fit_ridge(features, targets, labels, alpha)
    if class_weight not in (None, "balanced"):
        raise EmoevalError(f"--class-weight {class_weight!r}: use balanced or none")
    if networks < 1 or (networks > 1 and kind != "mlp"):
        raise EmoevalError(f"--networks {networks}: give 1, or more with --head mlp (a "
                           "logistic regression fits the same model whatever the seed)")
    x = np.asarray(features, dtype=np.float64)
    mean, scale = _scaler(x)
    x = (x - mean) / scale
    info: dict[str, Any] = {"c": c, "class_weight": class_weight, "n_train": int(len(x))}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if kind == "logreg":
            weights, biases, output = _fit_logreg(x, targets, labels, multi_label, class_weight,
                                                  c, max_iter)
            fitted = [(weights, biases)]
        else:
            fitted = []
            for k in range(networks):
                weights, biases, output = _fit_mlp(x, targets, labels, multi_label,
                                                   class_weight, hidden, seed + k, c)
                fitted.append((weights, biases))
            info["hidden"] = hidden
            info["networks"] = networks
            if multi_label and class_weight:
                info["class_weight"] = None
                info["note"] = "multi-label mlp: one loss over all labels, no class weights"
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    info["converged"] = converged
    return Head(kind=kind, multi_label=multi_label, labels=list(labels), mean=mean, scale=scale,
                networks=fitted, output=output, info=info)


def _fit_ridge(features: np.ndarray, targets: np.ndarray, dimensions: list[str],
               alpha: float) -> Head:
    """One multi-output ``Ridge`` on standardised features; ``identity`` output."""
    from sklearn.linear_model import Ridge

    if not alpha > 0:
        raise EmoevalError(f"--alpha {alpha}: give a positive penalty strength (e.g. 10)")
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64).reshape(len(x), -1)
    if y.shape[1] != len(dimensions):
        raise EmoevalError(f"ridge: {y.shape[1]} target columns for {len(dimensions)} "
                           "dimensions")
    mean, scale = _scaler(x)
    model = Ridge(alpha=alpha).fit((x - mean) / scale, y)
    weights = np.asarray(model.coef_, dtype=np.float64).reshape(len(dimensions), -1).T
    biases = np.asarray(model.intercept_, dtype=np.float64).reshape(len(dimensions))
    return Head(kind="ridge", multi_label=False, labels=list(dimensions), mean=mean,
                scale=scale, networks=[([weights], [biases])], output="identity",
                info={"alpha": float(alpha), "n_train": int(len(x)), "converged": True})


def _fit_logreg(x, targets, labels, multi_label, class_weight, c, max_iter):
    from sklearn.linear_model import LogisticRegression

    if multi_label:
        w = np.zeros((x.shape[1], len(labels)))
        b = np.zeros(len(labels))
        for j in range(len(labels)):
            y = np.asarray(targets[:, j], dtype=bool)
            if y.all() or not y.any():  # one class only: a constant score
                b[j] = 30.0 if y.all() else -30.0
                continue
            model = LogisticRegression(C=c, class_weight=class_weight, max_iter=max_iter)
            model.fit(x, y)
            w[:, j], b[j] = model.coef_[0], model.intercept_[0]
        return [w], [b], "sigmoid"
    y = np.asarray(targets)
    present = np.unique(y)
    model = LogisticRegression(C=c, class_weight=class_weight, max_iter=max_iter)
    model.fit(x, y)
    w = np.full((x.shape[1], len(labels)), 0.0)
    b = np.full(len(labels), -30.0)  # a class absent from training: never chosen
    if len(present) == 2:  # binary: sigmoid(z) == softmax([0, z])
        w[:, present[1]], b[present[1]] = model.coef_[0], model.intercept_[0]
        b[present[0]] = 0.0
    else:
        for row, cls in enumerate(model.classes_):
            w[:, cls], b[cls] = model.coef_[row], model.intercept_[row]
    return [w], [b], "softmax"


def _fit_mlp(x, targets, labels, multi_label, class_weight, hidden, seed, c):
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=1e-4 / max(c, 1e-12),
                          early_stopping=True, validation_fraction=0.1, n_iter_no_change=5,
                          max_iter=200, random_state=seed)
    if multi_label:
        y = np.asarray(targets, dtype=int)
        constant = (y.sum(axis=0) == 0) | (y.sum(axis=0) == len(y))
        model.fit(x, y)
        weights = [np.asarray(w) for w in model.coefs_]
        biases = [np.asarray(b) for b in model.intercepts_]
        biases[-1] = np.where(constant, np.where(y[0] > 0, 30.0, -30.0), biases[-1])
        return weights, biases, "sigmoid"
    y = np.asarray(targets)
    sample_weight = None
    if class_weight:
        per_class = balanced_weights(y)
        sample_weight = np.array([per_class[v] for v in y])
    model.fit(x, y, sample_weight=sample_weight)
    weights = [np.asarray(w) for w in model.coefs_]
    biases = [np.asarray(b) for b in model.intercepts_]
    last_w = np.zeros((weights[-1].shape[0], len(labels)))
    last_b = np.full(len(labels), -30.0)
    classes = list(model.classes_)
    if len(classes) == 2:  # one logistic output: softmax([0, z])
        last_w[:, classes[1]], last_b[classes[1]] = weights[-1][:, 0], biases[-1][0]
        last_b[classes[0]] = 0.0
    else:
        for row, cls in enumerate(classes):
            last_w[:, cls], last_b[cls] = weights[-1][:, row], biases[-1][row]
    return weights[:-1] + [last_w], biases[:-1] + [last_b], "softmax"
