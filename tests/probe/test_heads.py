"""Heads (numpy forward == scikit-learn), the embedding cache, and the folds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from emoeval.datasets.base import Row
from emoeval.errors import EmoevalError
from emoeval.probe.cache import EmbeddingCache, input_digest
from emoeval.probe.crossval import cross_validate, make_folds
from emoeval.probe.heads import Head, balanced_weights, fit_head


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 6))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int) + (x[:, 2] > 0.8).astype(int)
    return x, y


def test_logreg_head_matches_sklearn(blobs, tmp_path):
    x, y = blobs
    head = fit_head(x, y, ["a", "b", "c"], multi_label=False, c=0.5)
    reference = LogisticRegression(C=0.5, class_weight="balanced", max_iter=1000).fit(
        StandardScaler().fit_transform(x), y)
    expected = reference.predict_proba(StandardScaler().fit(x).transform(x))
    assert np.allclose(head.scores(x), expected, atol=1e-6)
    head.save(tmp_path)
    assert np.allclose(Head.load(tmp_path).scores(x), expected, atol=1e-6)


def test_binary_and_absent_classes(blobs):
    x, y = blobs
    binary = (y > 0).astype(int)
    head = fit_head(x, binary, ["no", "yes", "never"], multi_label=False)
    reference = LogisticRegression(class_weight="balanced", max_iter=1000).fit(
        StandardScaler().fit_transform(x), binary)
    scores = head.scores(x)
    assert np.allclose(scores[:, :2], reference.predict_proba(StandardScaler().fit(x)
                                                              .transform(x)), atol=1e-6)
    assert scores[:, 2].max() < 1e-10  # a label with no training sample is never chosen


def test_multilabel_logreg_is_one_binary_model_per_label(blobs):
    x, y = blobs
    targets = np.stack([y == 0, y == 1, x[:, 3] > 0, np.zeros(len(x), bool)], axis=1)
    head = fit_head(x, targets, ["p", "q", "r", "empty"], multi_label=True,
                    class_weight=None)
    xs = StandardScaler().fit_transform(x)
    for j in range(3):
        reference = LogisticRegression(max_iter=1000).fit(xs, targets[:, j])
        assert np.allclose(head.scores(x)[:, j], reference.predict_proba(xs)[:, 1], atol=1e-6)
    assert head.scores(x)[:, 3].max() < 1e-10 and head.output == "sigmoid"


def test_mlp_head_matches_sklearn(blobs):
    x, y = blobs
    head = fit_head(x, y, ["a", "b", "c"], multi_label=False, kind="mlp", hidden=8,
                    class_weight=None, seed=1)
    reference = MLPClassifier(hidden_layer_sizes=(8,), alpha=1e-4, early_stopping=True,
                              validation_fraction=0.1, n_iter_no_change=5, max_iter=200,
                              random_state=1).fit(StandardScaler().fit_transform(x), y)
    expected = reference.predict_proba(StandardScaler().fit(x).transform(x))
    assert np.allclose(head.scores(x), expected, atol=1e-6)
    multi = fit_head(x, np.stack([y == 0, y == 2], 1), ["a", "c"], multi_label=True,
                     kind="mlp", hidden=8, seed=1)
    assert multi.scores(x).shape == (len(x), 2) and "no class weights" in multi.info["note"]


def test_mlp_networks_average_their_probabilities(blobs, tmp_path):
    x, y = blobs
    options = {"multi_label": False, "kind": "mlp", "hidden": 8, "class_weight": None}
    both = fit_head(x, y, ["a", "b", "c"], seed=3, networks=2, **options)
    first = fit_head(x, y, ["a", "b", "c"], seed=3, **options)
    second = fit_head(x, y, ["a", "b", "c"], seed=4, **options)
    expected = (first.scores(x) + second.scores(x)) / 2
    assert np.allclose(both.scores(x), expected)
    assert both.n_parameters == first.n_parameters + second.n_parameters
    both.save(tmp_path)
    assert np.allclose(Head.load(tmp_path).scores(x), expected)
    with pytest.raises(EmoevalError, match="--networks 2"):
        fit_head(x, y, ["a", "b", "c"], multi_label=False, networks=2)


def test_balanced_weights_formula():
    w = balanced_weights(np.array([0, 0, 0, 1]))
    assert w == {0: pytest.approx(4 / 6), 1: pytest.approx(2.0)}


def test_bad_head_options(blobs):
    x, y = blobs
    with pytest.raises(EmoevalError, match="--head 'svm'"):
        fit_head(x, y, ["a", "b", "c"], multi_label=False, kind="svm")


def test_cache_round_trip_and_content_keys(tmp_path):
    cache = EmbeddingCache(tmp_path, "fp1")
    keys = [input_digest("hello"), input_digest(np.zeros(10, np.float32))]
    cache.add(keys, ["a", "b"], np.array([[1, 2], [3, 4]], np.float32))
    cache.flush()
    (tmp_path / "fp1" / ".chunk-partial.tmp.npz").write_bytes(b"killed mid-write")
    again = EmbeddingCache(tmp_path, "fp1")
    assert len(again) == 2 and again.get(keys[1]).tolist() == [3, 4]
    assert input_digest("hello") != input_digest("hello ")
    assert len(EmbeddingCache(tmp_path, "other")) == 0


def rows_with_speakers(n_speakers: int = 4, per: int = 12) -> list[Row]:
    labels = ["a", "b", "c"]
    return [Row(id=f"s{s}-{i}", label=labels[i % 3], text="t",
                metadata={"speaker": f"s{s}"}) for s in range(n_speakers) for i in range(per)]


def test_loso_and_speaker_independent_folds():
    rows = rows_with_speakers()
    targets = np.array([["a", "b", "c"].index(r.label) for r in rows])
    folds = make_folds(rows, "loso", targets, False, 0)
    assert [name for name, _, _ in folds] == ["speaker s0", "speaker s1", "speaker s2",
                                              "speaker s3"]
    speakers = np.array([r.metadata["speaker"] for r in rows])
    for _, train, test in make_folds(rows, "2", targets, False, 0) + folds:
        assert not set(speakers[train]) & set(speakers[test])
        assert len(train) + len(test) == len(rows)
    with pytest.raises(EmoevalError, match="only 4 speakers"):
        make_folds(rows, "5", targets, False, 0)
    no_speakers = [Row(id=r.id, label=r.label, text="t") for r in rows]
    with pytest.raises(EmoevalError, match="loso needs a speaker id"):
        make_folds(no_speakers, "loso", targets, False, 0)


def test_cross_validation_reports_mean_and_spread():
    rows = rows_with_speakers()
    rng = np.random.default_rng(0)
    targets = np.array([["a", "b", "c"].index(r.label) for r in rows])
    x = rng.normal(size=(len(rows), 4)) + targets[:, None]
    result = cross_validate(x, targets, rows, ["a", "b", "c"], multi_label=False, cv="loso")
    ua = [f["balanced_accuracy"] for f in result["folds"]]
    assert result["summary"]["balanced_accuracy"]["mean"] == pytest.approx(np.mean(ua))
    assert result["summary"]["balanced_accuracy"]["std"] == pytest.approx(np.std(ua, ddof=1))
    assert result["oof_scores"].shape == (len(rows), 3)
