"""Classification metrics against scikit-learn, on tables of random and hand-made cases."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
)
from sklearn.utils.class_weight import compute_class_weight

from emoeval.metrics import (
    HEADLINE_METRICS,
    class_imbalance,
    classification_summary,
    confusion_counts,
    metrics_from_counts,
    per_class,
    slice_metrics,
    top_confusions,
)

EMOTIONS = ["neutral", "angry", "happy", "sad", "worried", "surprise", "fear", "disgust"]
OUTSIDE = ["<calm>", "<contempt>"]  # model classes the dataset lacks


@dataclass(frozen=True)
class Case:
    """A random scoring problem: which labels occur in the truth and in the predictions."""

    name: str
    seed: int
    n: int
    n_labels: int
    n_true_classes: int | None = None  # truth uses only the first ones: the rest are absent
    n_predictable: int | None = None  # predictions use only the last ones: others never predicted
    outside_rate: float = 0.0  # share of predictions outside labels
    accuracy: float = 0.6  # chance a prediction copies the truth (before outside replacement)

    def arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        # A shuffled label order, so nothing relies on labels being sorted.
        labels = list(rng.permutation(EMOTIONS[: self.n_labels]))
        truth_pool = labels[: self.n_true_classes or self.n_labels]
        prediction_pool = labels[-(self.n_predictable or self.n_labels):]
        y_true = rng.choice(truth_pool, size=self.n)
        y_pred = rng.choice(prediction_pool, size=self.n).astype(object)
        copies = rng.random(self.n) < self.accuracy
        y_pred[copies] = y_true[copies]
        if self.n_predictable:  # keep "never predicted" true even where the truth was copied
            unpredictable = ~np.isin(y_pred, prediction_pool)
            y_pred[unpredictable] = rng.choice(prediction_pool, size=int(unpredictable.sum()))
        outside = rng.random(self.n) < self.outside_rate
        y_pred[outside] = rng.choice(OUTSIDE, size=int(outside.sum()))
        return labels, y_true.astype(object), y_pred


CASES = [
    Case("balanced", seed=1, n=500, n_labels=4),
    Case("single_row", seed=2, n=1, n_labels=3),
    Case("tiny_many_absent", seed=3, n=5, n_labels=8),
    Case("absent_classes", seed=4, n=300, n_labels=6, n_true_classes=3),
    Case("never_predicted", seed=5, n=300, n_labels=6, n_predictable=3),
    Case("predicted_but_absent", seed=6, n=300, n_labels=6, n_true_classes=4, n_predictable=4),
    Case("outside_predictions", seed=7, n=400, n_labels=5, outside_rate=0.1),
    Case("mostly_outside", seed=8, n=200, n_labels=4, outside_rate=0.9),
    Case("only_outside", seed=9, n=50, n_labels=4, outside_rate=1.0),
    Case("perfect", seed=10, n=100, n_labels=5, accuracy=1.0),
    Case("two_classes", seed=11, n=60, n_labels=2, accuracy=0.3),
    Case("everything_at_once", seed=12, n=800, n_labels=8, n_true_classes=5, n_predictable=6,
         outside_rate=0.05),
] + [
    # A sweep of random mixes of the situations above.
    Case(f"random_{seed}", seed=seed, n=int(np.random.default_rng(seed).integers(1, 2000)),
         n_labels=int(np.random.default_rng(seed).integers(2, 9)),
         n_true_classes=int(np.random.default_rng(seed + 1).integers(1, 9)) if seed % 3 else None,
         n_predictable=int(np.random.default_rng(seed + 2).integers(1, 9)) if seed % 4 else None,
         outside_rate=[0.0, 0.02, 0.3][seed % 3],
         accuracy=float(np.random.default_rng(seed + 3).random()))
    for seed in range(100, 130)
]


def sklearn_macro_labels(y_true, y_pred, labels) -> list[str]:
    """The classes our macro averages run over, as sklearn ``labels=``."""
    return sorted(set(y_true) | (set(y_pred) & set(labels)))


@pytest.fixture(autouse=True)
def quiet_sklearn():
    # sklearn warns about classes missing from y_true / y_pred; those cases are the point.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_headline_metrics_match_sklearn(case: Case):
    labels, y_true, y_pred = case.arrays()
    ours = metrics_from_counts(confusion_counts(y_true, y_pred, labels))

    assert ours["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    assert ours["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred),
                                                      abs=1e-12)
    macro_labels = sklearn_macro_labels(y_true, y_pred, labels)
    macro = precision_recall_fscore_support(y_true, y_pred, labels=macro_labels,
                                            average="macro", zero_division=0)
    # Weighted averages agree even with labels=None: a class outside labels has support 0.
    weighted = precision_recall_fscore_support(y_true, y_pred, average="weighted",
                                               zero_division=0)
    for index, name in enumerate(["precision", "recall", "f1"]):
        assert ours[f"{name}_macro"] == pytest.approx(macro[index], abs=1e-12), name
        assert ours[f"{name}_weighted"] == pytest.approx(weighted[index], abs=1e-12), name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_macro_average_versus_sklearn_labels_none(case: Case):
    """With every prediction in labels, our macro set is sklearn's labels=None set.

    With predictions outside labels, sklearn's labels=None adds each foreign prediction as a
    class scoring 0 (precision, recall and F1), which only enlarges the denominator; we do not
    count the "other" column as a class, so ours = sklearn * n_sklearn_classes / n_ours.
    """
    labels, y_true, y_pred = case.arrays()
    ours = metrics_from_counts(confusion_counts(y_true, y_pred, labels))
    sklearn_classes = set(y_true) | set(y_pred)
    our_classes = sklearn_macro_labels(y_true, y_pred, labels)
    rescale = len(sklearn_classes) / len(our_classes)
    assert (rescale == 1.0) == set(y_pred).issubset(labels)
    none_macro = precision_recall_fscore_support(y_true, y_pred, average="macro",
                                                 zero_division=0)
    for index, name in enumerate(["precision", "recall", "f1"]):
        assert ours[f"{name}_macro"] == pytest.approx(none_macro[index] * rescale, abs=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_confusion_matrix_and_per_class_match_sklearn(case: Case):
    labels, y_true, y_pred = case.arrays()
    counts = confusion_counts(y_true, y_pred, labels)
    assert counts.shape == (len(labels), len(labels) + 1)
    assert counts.dtype.kind == "i"
    np.testing.assert_array_equal(counts[:, :-1], confusion_matrix(y_true, y_pred, labels=labels))
    outside_per_true = [int(np.sum((y_true == label) & ~np.isin(y_pred, labels)))
                        for label in labels]
    np.testing.assert_array_equal(counts[:, -1], outside_per_true)

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0)
    table = per_class(counts, labels)
    assert list(table) == labels
    for index, label in enumerate(labels):
        row = table[label]
        assert row["precision"] == pytest.approx(precision[index], abs=1e-12)
        assert row["recall"] == pytest.approx(recall[index], abs=1e-12)
        assert row["f1"] == pytest.approx(f1[index], abs=1e-12)
        assert row["support"] == support[index]
        assert row["predicted"] == int(np.sum(y_pred == label))


def test_stacked_counts_equal_per_matrix_calls():
    matrices = []
    for case in CASES[:12]:
        labels, y_true, y_pred = case.arrays()
        counts = confusion_counts(y_true, y_pred, labels)
        padded = np.zeros((8, 9), dtype=np.int64)  # one shape for the stack: pad labels to 8
        padded[: len(labels), : len(labels)] = counts[:, :-1]
        padded[: len(labels), -1] = counts[:, -1]
        matrices.append(padded)
    matrices.append(np.zeros((8, 9), dtype=np.int64))  # an empty matrix in the stack
    stack = np.stack(matrices)
    stacked = metrics_from_counts(stack)
    for name in HEADLINE_METRICS:
        assert stacked[name].shape == (len(matrices),)
        expected = [metrics_from_counts(matrix)[name] for matrix in matrices]
        np.testing.assert_allclose(stacked[name], expected, rtol=0, atol=1e-12)


def test_padding_with_unused_labels_changes_no_metric():
    """Classes absent from truth and predictions stay out of every average."""
    labels, y_true, y_pred = CASES[0].arrays()
    padded_labels = labels + ["disgust", "fear"]
    assert not set(padded_labels[-2:]) & set(labels)
    plain = metrics_from_counts(confusion_counts(y_true, y_pred, labels))
    padded = metrics_from_counts(confusion_counts(y_true, y_pred, padded_labels))
    assert padded == pytest.approx(plain, abs=1e-15)


# The MER2023 Test3 matrix published with Emotion-LLaMA (/work/shared/seeds/002_*.txt).
SEED_LABELS = ["Neutral", "Angry", "Happy", "Sad", "Worried", "Surprise"]
SEED_MATRIX = [
    [179, 1, 2, 1, 0, 0],
    [2, 154, 7, 3, 2, 1],
    [10, 10, 134, 6, 2, 4],
    [2, 2, 1, 250, 0, 2],
    [1, 0, 3, 1, 6, 3],
    [5, 1, 3, 2, 1, 33],
]
SEED_PUBLISHED = {"accuracy": 90.65, "precision_weighted": 90.44, "recall_weighted": 90.65,
                  "f1_weighted": 90.45}


def test_reproduces_published_emotion_llama_figures():
    y_true, y_pred = [], []
    for true_label, row in zip(SEED_LABELS, SEED_MATRIX):
        for predicted_label, count in zip(SEED_LABELS, row):
            y_true += [true_label] * count
            y_pred += [predicted_label] * count
    summary = classification_summary(y_true, y_pred, SEED_LABELS)
    assert summary["n"] == 834
    assert summary["confusion_matrix"]["counts"] == SEED_MATRIX
    assert summary["confusion_matrix"]["other"] == [0] * 6
    for name, published in SEED_PUBLISHED.items():
        assert round(100 * summary["metrics"][name], 2) == published, name
    # The published per-class accuracies are recalls.
    assert round(100 * summary["per_class"]["Worried"]["recall"], 2) == 42.86
    assert summary["top_confusions"][0] == {"true": "Happy", "predicted": "Neutral", "count": 10,
                                            "share_of_true": 10 / 166}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_class_imbalance_weights_match_sklearn(case: Case):
    labels, y_true, _ = case.arrays()
    result = class_imbalance(y_true, labels)
    present = [label for label in labels if label in set(y_true)]
    expected = dict(zip(present, compute_class_weight("balanced", classes=np.array(present),
                                                      y=y_true)))
    assert [row["label"] for row in result["classes"]] == labels
    for row in result["classes"]:
        assert row["count"] == int(np.sum(y_true == row["label"]))
        assert row["share"] == pytest.approx(row["count"] / len(y_true))
        if row["label"] in expected:
            assert row["suggested_weight"] == pytest.approx(expected[row["label"]], rel=1e-12)
        else:
            assert row["suggested_weight"] is None
    counts = [row["count"] for row in result["classes"] if row["count"]]
    assert result["imbalance_ratio"] == pytest.approx(max(counts) / min(counts))


def test_top_confusions_sorted_with_other_column():
    labels = ["a", "b", "c"]
    counts = np.array([[5, 3, 0, 4],
                       [1, 6, 3, 0],
                       [0, 0, 2, 0]])
    result = top_confusions(counts, labels, k=10)
    assert [(row["true"], row["predicted"], row["count"]) for row in result] == [
        ("a", "(other)", 4), ("a", "b", 3), ("b", "c", 3), ("b", "a", 1)]
    assert result[0]["share_of_true"] == pytest.approx(4 / 12)
    assert len(top_confusions(counts, labels, k=2)) == 2
    assert top_confusions(np.diag([3, 4, 5, 0])[:3], labels) == []


def test_summary_shape_and_outside_predictions():
    labels = ["neutral", "happy", "sad"]
    y_true = ["neutral", "happy", "sad", "sad", "happy"]
    y_pred = ["neutral", "<calm>", "sad", None, "happy"]
    summary = classification_summary(y_true, y_pred, labels)
    assert set(summary) == {"metrics", "per_class", "confusion_matrix", "top_confusions",
                            "class_imbalance", "n"}
    assert set(summary["metrics"]) == set(HEADLINE_METRICS)
    assert summary["n"] == 5
    assert summary["confusion_matrix"] == {"labels": labels,
                                           "counts": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                                           "other": [0, 1, 1]}
    # Outside predictions are misses but false positives for no class.
    assert summary["per_class"]["happy"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3,
                                             "support": 2, "predicted": 1}
    assert summary["metrics"]["accuracy"] == pytest.approx(3 / 5)
    assert summary["metrics"]["precision_macro"] == pytest.approx(1.0)


def test_true_label_outside_labels_is_named():
    with pytest.raises(ValueError, match=r"y_true contains labels not in labels: bored, calm"):
        confusion_counts(["happy", "calm", "bored", "calm"], ["happy"] * 4, ["happy", "sad"])
    with pytest.raises(ValueError, match="not in labels: None"):
        confusion_counts(["happy", None], ["happy", "happy"], ["happy", "sad"])
    with pytest.raises(ValueError, match="not in labels: calm"):
        class_imbalance(["calm"], ["happy"])


@pytest.mark.parametrize("call, message", [
    (lambda: confusion_counts(["a"], ["a", "b"], ["a", "b"]), "1 rows but y_pred has 2"),
    (lambda: confusion_counts(["a"], ["a"], []), "labels is empty"),
    (lambda: confusion_counts(["a"], ["a"], ["a", "b", "a"]), "duplicates: a"),
    (lambda: confusion_counts([["a"]], [["a"]], ["a"]), "one-dimensional"),
    (lambda: metrics_from_counts(np.zeros((3, 3))), r"shape \(K, K\+1\)"),
    (lambda: metrics_from_counts(-np.ones((2, 3))), "non-negative"),
    (lambda: per_class(np.zeros((2, 3)), ["a", "b", "c"]), "do not match 3 labels"),
    (lambda: slice_metrics(["a"], ["a"], ["a"], ["x", "y"]), "slice_values has 2 rows"),
])
def test_invalid_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_empty_input_gives_undefined_metrics():
    summary = classification_summary([], [], ["a", "b"])
    assert summary["n"] == 0
    assert all(math.isnan(value) for value in summary["metrics"].values())
    assert summary["confusion_matrix"]["counts"] == [[0, 0], [0, 0]]
    assert summary["class_imbalance"]["imbalance_ratio"] is None
    assert slice_metrics([], [], ["a"], []) == {}


def test_slice_metrics_equal_metrics_of_each_subset():
    labels, y_true, y_pred = CASES[6].arrays()  # has predictions outside labels
    rng = np.random.default_rng(0)
    slices = rng.choice(np.array(["female", "male", None, "", "  ", 10, 9], dtype=object),
                        size=len(y_true))
    result = slice_metrics(y_true, y_pred, labels, slices)
    # Numbers sort as numbers (9 before 10) when comparable; mixed types fall back to text.
    assert list(result) == ["10", "9", "female", "male", "(unknown)"]
    unknown = np.array([value is None or (isinstance(value, str) and not value.strip())
                        for value in slices])
    for name, row in result.items():
        rows = unknown if name == "(unknown)" else np.array(
            [not missing and str(value) == name for value, missing in zip(slices, unknown)])
        expected = metrics_from_counts(confusion_counts(y_true[rows], y_pred[rows], labels))
        assert row["n"] == int(rows.sum())
        for metric in ["accuracy", "balanced_accuracy", "f1_macro"]:
            assert row[metric] == pytest.approx(expected[metric], abs=1e-12)


def test_slice_order_is_natural_for_numbers_and_unknown_goes_last():
    y = ["a"] * 6
    result = slice_metrics(y, y, ["a"], [10, 9, float("nan"), 2, 9, None])
    assert list(result) == ["2", "9", "10", "(unknown)"]
    assert result["9"]["n"] == 2
    assert result["(unknown)"] == {"n": 2, "accuracy": 1.0, "balanced_accuracy": 1.0,
                                   "f1_macro": 1.0}
