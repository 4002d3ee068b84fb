"""Count-based bootstrap against naive row / group resampling, and its contract."""

from __future__ import annotations

import numpy as np
import pytest

from emoeval.metrics import (
    HEADLINE_METRICS,
    bootstrap_ci,
    confusion_counts,
    metrics_from_counts,
)

LABELS = ["neutral", "angry", "happy", "sad", "surprise"]


def make_predictions(n: int, seed: int, n_speakers: int = 0, speaker_effect: bool = False):
    """Imbalanced truth, ~70% accuracy, a few predictions outside labels, optional speakers.

    With ``speaker_effect`` a speaker is either well recognised (95%) or badly (30%), so
    correctness is strongly correlated within a speaker.
    """
    rng = np.random.default_rng(seed)
    y_true = rng.choice(LABELS, size=n, p=[0.35, 0.25, 0.2, 0.15, 0.05])
    speakers = rng.integers(0, max(n_speakers, 1), size=n)
    if speaker_effect:
        speaker_accuracy = np.where(rng.random(max(n_speakers, 1)) < 0.5, 0.95, 0.30)
        hit_rate = speaker_accuracy[speakers]
    else:
        hit_rate = np.full(n, 0.7)
    y_pred = rng.choice(LABELS + ["<calm>"], size=n, p=[0.3, 0.2, 0.2, 0.15, 0.1, 0.05])
    hits = rng.random(n) < hit_rate
    y_pred[hits] = y_true[hits]
    return y_true, y_pred, np.array([f"spk{index:03d}" for index in speakers])


def cell_codes(y_true, y_pred) -> np.ndarray:
    """Each row's flat confusion cell ``true * (K+1) + predicted``, written out independently
    of the package ("<calm>" and other outside predictions go to the last column)."""
    n_labels = len(LABELS)
    true_index = np.array([LABELS.index(label) for label in y_true])
    pred_index = np.array([LABELS.index(label) if label in LABELS else n_labels
                           for label in y_pred])
    return true_index * (n_labels + 1) + pred_index


def naive_row_bootstrap(y_true, y_pred, n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    """The textbook bootstrap: resample row indices, rebuild each confusion matrix."""
    cells = cell_codes(y_true, y_pred)
    n_cells = len(LABELS) * (len(LABELS) + 1)
    rows = np.random.default_rng(seed).integers(0, len(cells), size=(n_resamples, len(cells)))
    offsets = np.arange(n_resamples)[:, None] * n_cells
    counts = np.bincount((offsets + cells[rows]).ravel(), minlength=n_resamples * n_cells)
    return metrics_from_counts(counts.reshape(n_resamples, len(LABELS), len(LABELS) + 1))


def naive_group_bootstrap(y_true, y_pred, groups, n_resamples: int,
                          seed: int) -> dict[str, np.ndarray]:
    """Cluster bootstrap by concatenating the rows of groups drawn with replacement."""
    cells = cell_codes(y_true, y_pred)
    names = np.unique(groups)
    rows_of = [np.flatnonzero(groups == name) for name in names]
    rng = np.random.default_rng(seed)
    matrices = []
    for _ in range(n_resamples):
        drawn = rng.integers(0, len(names), size=len(names))
        rows = np.concatenate([rows_of[index] for index in drawn])
        matrices.append(np.bincount(cells[rows], minlength=len(LABELS) * (len(LABELS) + 1)))
    return metrics_from_counts(np.array(matrices).reshape(n_resamples, len(LABELS), -1))


def test_multinomial_counts_agree_with_row_resampling():
    y_true, y_pred, _ = make_predictions(2000, seed=1)
    naive = naive_row_bootstrap(y_true, y_pred, n_resamples=2000, seed=2)
    ours = bootstrap_ci(y_true, y_pred, LABELS, n_resamples=2000, seed=3)
    # Same multinomial draws as bootstrap_ci, for the mean and spread.
    rng = np.random.default_rng(3)
    cell_counts = np.bincount(cell_codes(y_true, y_pred), minlength=len(LABELS) * 6)
    draws = rng.multinomial(len(y_true), cell_counts / len(y_true), size=2000)
    resampled = metrics_from_counts(draws.reshape(2000, len(LABELS), -1))
    for name in HEADLINE_METRICS:
        spread = naive[name].std()
        assert spread > 0
        # Tolerances are a few Monte-Carlo standard errors for 2,000 resamples.
        assert abs(resampled[name].mean() - naive[name].mean()) < 0.1 * spread, name
        assert resampled[name].std() == pytest.approx(spread, rel=0.1), name
        low, high = np.percentile(naive[name], [2.5, 97.5])
        assert ours[name]["low"] == pytest.approx(low, abs=0.3 * spread), name
        assert ours[name]["high"] == pytest.approx(high, abs=0.3 * spread), name
        assert ours[name]["low"] == pytest.approx(np.percentile(resampled[name], 2.5)), name


def test_group_counts_agree_with_group_resampling():
    y_true, y_pred, speakers = make_predictions(2000, seed=4, n_speakers=40, speaker_effect=True)
    naive = naive_group_bootstrap(y_true, y_pred, speakers, n_resamples=2000, seed=5)
    ours = bootstrap_ci(y_true, y_pred, LABELS, groups=speakers, n_resamples=2000, seed=6)
    for name in HEADLINE_METRICS:
        spread = naive[name].std()
        low, high = np.percentile(naive[name], [2.5, 97.5])
        assert ours[name]["low"] == pytest.approx(low, abs=0.3 * spread), name
        assert ours[name]["high"] == pytest.approx(high, abs=0.3 * spread), name


def test_cluster_intervals_are_wider_when_speakers_drive_correctness():
    y_true, y_pred, speakers = make_predictions(4000, seed=7, n_speakers=40, speaker_effect=True)
    by_sample = bootstrap_ci(y_true, y_pred, LABELS, seed=0)
    by_speaker = bootstrap_ci(y_true, y_pred, LABELS, groups=speakers, seed=0)
    for name in ["accuracy", "balanced_accuracy", "f1_macro", "f1_weighted"]:
        sample_width = by_sample[name]["high"] - by_sample[name]["low"]
        speaker_width = by_speaker[name]["high"] - by_speaker[name]["low"]
        assert speaker_width > 2 * sample_width, name
    assert by_sample["accuracy"]["unit"] == "sample"
    assert by_speaker["accuracy"]["unit"] == "speaker"


@pytest.mark.parametrize("groups", [None, "speakers"])
def test_same_seed_same_intervals(groups):
    y_true, y_pred, speakers = make_predictions(1000, seed=8, n_speakers=30)
    group_ids = speakers if groups else None
    first = bootstrap_ci(y_true, y_pred, LABELS, groups=group_ids, seed=42)
    again = bootstrap_ci(list(y_true), list(y_pred), LABELS,
                         groups=None if groups is None else list(speakers), seed=42)
    other_seed = bootstrap_ci(y_true, y_pred, LABELS, groups=group_ids, seed=43)
    assert first == again
    assert first != other_seed


@pytest.mark.parametrize("groups", [None, "speakers"])
def test_row_order_does_not_change_intervals(groups):
    y_true, y_pred, speakers = make_predictions(1000, seed=12, n_speakers=30)
    order = np.random.default_rng(0).permutation(len(y_true))
    original = bootstrap_ci(y_true, y_pred, LABELS, groups=speakers if groups else None)
    shuffled = bootstrap_ci(y_true[order], y_pred[order], LABELS,
                            groups=speakers[order] if groups else None)
    assert original == shuffled


@pytest.mark.parametrize("groups", [None, "speakers"])
def test_interval_contains_point_estimate(groups):
    y_true, y_pred, speakers = make_predictions(3000, seed=9, n_speakers=60)
    intervals = bootstrap_ci(y_true, y_pred, LABELS, groups=speakers if groups else None,
                             confidence=0.9, n_resamples=500)
    point = metrics_from_counts(confusion_counts(y_true, y_pred, LABELS))
    assert set(intervals) == set(HEADLINE_METRICS)
    for name, interval in intervals.items():
        assert interval["low"] <= point[name] <= interval["high"], name
        assert interval["n_resamples"] == 500
        assert interval["reason"] is None


def test_unit_name_is_a_parameter():
    y_true, y_pred, speakers = make_predictions(500, seed=10, n_speakers=10)
    intervals = bootstrap_ci(y_true, y_pred, LABELS, groups=speakers, unit="session",
                             n_resamples=50)
    assert {interval["unit"] for interval in intervals.values()} == {"session"}


@pytest.mark.parametrize("y_true, y_pred, groups, reason", [
    ([], [], None, "no samples"),
    ([], [], [], "no samples"),
    (["sad", "happy"], ["sad", "sad"], ["spk1", "spk1"], "only one speaker"),
    (["sad", "happy"], ["sad", "sad"], [None, None], "only one speaker"),
])
def test_no_interval_without_enough_data(y_true, y_pred, groups, reason):
    intervals = bootstrap_ci(y_true, y_pred, LABELS, groups=groups, n_resamples=10)
    assert set(intervals) == set(HEADLINE_METRICS)
    for interval in intervals.values():
        assert interval["low"] is None and interval["high"] is None
        assert reason in interval["reason"]


def test_missing_group_ids_are_pooled_into_one_group():
    y_true, y_pred, speakers = make_predictions(600, seed=11, n_speakers=6)
    speakers = speakers.astype(object)
    speakers[speakers == "spk000"] = None
    speakers[speakers == "spk001"] = ""
    pooled = speakers.copy()
    # Missing ids form the last group; "~" sorts after "spk..." so the numbering matches.
    pooled[[value in (None, "") for value in pooled]] = "~unknown"
    assert (bootstrap_ci(y_true, y_pred, LABELS, groups=speakers, seed=1)
            == bootstrap_ci(y_true, y_pred, LABELS, groups=pooled, seed=1))


@pytest.mark.parametrize("keyword, value, message", [
    ("n_resamples", 0, "n_resamples"),
    ("confidence", 1.0, "confidence"),
    ("groups", ["a"], "groups has 1 rows"),
])
def test_invalid_arguments(keyword, value, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(["sad", "sad"], ["sad", "sad"], LABELS, **{keyword: value})
