"""Ridge probes on continuous targets (EmoBank-style V, A, D): the head against scikit-learn,
alpha tuned by CCC on the dev split, the probe adapter's values, refusals and errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import build_text_classifier, shared_data
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from emoeval.adapters.base import load_adapter
from emoeval.cli import app
from emoeval.datasets.base import load_dataset
from emoeval.dimensional.scoring import score_dimensional
from emoeval.errors import EmoevalError
from emoeval.probe.backbones import load_backbone
from emoeval.probe.cache import EmbeddingCache, input_digest
from emoeval.probe.heads import Head, fit_head
from emoeval.probe.train import ALPHA_GRID, TrainConfig, train_probe, tune_strength
from emoeval.runner import run
from emoeval.store import PredictionStore

DIMS = ["V", "A", "D"]
POSITIVE, NEGATIVE = ("happy glad love good smile".split(), "sad hate bad cry tired".split())
AROUSED = "angry furious afraid scared".split()


def reference_ccc(t: np.ndarray, p: np.ndarray) -> float:
    """Lin's CCC from Pearson's r and population moments (another route than emoeval's)."""
    r = np.corrcoef(t, p)[0, 1]
    return float(2 * r * t.std() * p.std() / (t.var() + p.var() + (t.mean() - p.mean()) ** 2))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(tmp_path / "emoeval-cache"))


@pytest.fixture(scope="module")
def backbone_model(tmp_path_factory) -> Path:
    return build_text_classifier(tmp_path_factory.mktemp("bert"), ["x", "y"])


@pytest.fixture(scope="module")
def emobank_dir(tmp_path_factory) -> Path:
    """An EmoBank-shaped folder (emobank.csv: id, split, V, A, D, text): 96 train, 30 dev,
    30 test sentences whose ratings follow their words, and one empty train sentence."""
    rng = np.random.default_rng(0)
    words = POSITIVE + NEGATIVE + AROUSED + "i am so the a very not day news what".split()
    records = []
    for i in range(156):
        text = " ".join(rng.choice(words, size=int(rng.integers(3, 8))))
        tokens = text.split()
        v = 3 + 0.5 * (sum(t in POSITIVE for t in tokens) - sum(t in NEGATIVE for t in tokens))
        a = 3 + 0.6 * sum(t in AROUSED for t in tokens) - 0.3 * tokens.count("tired")
        d = 3 + 0.4 * tokens.count("not") - 0.4 * tokens.count("afraid")
        noise = rng.normal(scale=0.2, size=3)
        split = "train" if i < 96 else ("dev" if i < 126 else "test")
        records.append({"id": f"s{i}", "split": split, "V": np.clip(v + noise[0], 1, 5),
                        "A": np.clip(a + noise[1], 1, 5), "D": np.clip(d + noise[2], 1, 5),
                        "text": text})
    records.append({"id": "empty", "split": "train", "V": 3.0, "A": 3.0, "D": 3.0, "text": ""})
    folder = tmp_path_factory.mktemp("emobank")
    pd.DataFrame(records).to_csv(folder / "emobank.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def ridge_probe(backbone_model, emobank_dir, tmp_path_factory) -> tuple[Path, Path, dict]:
    out = tmp_path_factory.mktemp("ridge_probe")
    cache = tmp_path_factory.mktemp("cache")
    record = train_probe(TrainConfig(backbone=f"hf:{backbone_model}",
                                     dataset=f"emobank:{emobank_dir}", out=str(out),
                                     head="ridge", cache_dir=str(cache)))
    return out, cache, record


def cached_features(backbone_model: Path, cache_dir: Path, rows) -> np.ndarray:
    """The embeddings training used (read back from its cache), for an independent fit."""
    backbone = load_backbone(f"hf:{backbone_model}")
    cache = EmbeddingCache(cache_dir, backbone.fingerprint())
    return np.stack([cache.get(input_digest(r.text)) for r in rows])


def targets(rows) -> np.ndarray:
    return np.array([[r.targets[d] for d in DIMS] for r in rows])


def sklearn_ridge(x_train, y_train, alpha):
    scaler = StandardScaler().fit(x_train)
    model = Ridge(alpha=alpha).fit(scaler.transform(x_train), y_train)
    return lambda x: model.predict(scaler.transform(x))


def test_ridge_head_matches_sklearn(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 6)) * [1, 5, 0.1, 2, 1, 3] + 4
    x[:, 4] = 7.0  # a constant feature: scale 1, as StandardScaler does
    y = x[:, :3] @ rng.normal(size=(3, 3)) + rng.normal(scale=0.1, size=(80, 3))
    head = fit_head(x, y, DIMS, multi_label=False, kind="ridge", alpha=3.0)
    expected = sklearn_ridge(x, y, 3.0)(x)
    assert head.output == "identity" and head.labels == DIMS
    assert np.allclose(head.scores(x), expected, atol=1e-8)
    assert head.n_parameters == 6 * 3 + 3  # one multi-output model
    head.save(tmp_path)
    assert np.allclose(Head.load(tmp_path).scores(x), expected, atol=1e-8)
    with pytest.raises(EmoevalError, match="--alpha 0"):
        fit_head(x, y, DIMS, multi_label=False, kind="ridge", alpha=0.0)


def test_tuning_picks_the_alpha_with_the_best_mean_ccc():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(140, 60))  # 5 informative features of 60, noisy targets
    weights = np.zeros((60, 3))
    weights[:5] = rng.normal(size=(5, 3))
    y = x @ weights + rng.normal(scale=2.0, size=(140, 3))
    best, search = tune_strength(x[:80], y[:80], x[80:], y[80:], DIMS, "dimensional",
                                 {"kind": "ridge", "multi_label": False}, "alpha", ALPHA_GRID)
    expected = {}
    for alpha in ALPHA_GRID:
        predicted = sklearn_ridge(x[:80], y[:80], alpha)(x[80:])
        expected[alpha] = np.mean([reference_ccc(y[80:, j], predicted[:, j]) for j in range(3)])
    assert {float(a): v for a, v in search.items()} == pytest.approx(expected, abs=1e-9)
    assert best == max(expected, key=expected.get)
    # these data make an inner alpha best, so a search that kept the first or last fails
    assert best not in (ALPHA_GRID[0], ALPHA_GRID[-1])


def test_alpha_is_tuned_on_dev_by_mean_ccc(ridge_probe, backbone_model, emobank_dir):
    out, cache, record = ridge_probe
    dataset = load_dataset(f"emobank:{emobank_dir}")
    train = [r for r in dataset.rows("train") if r.text]
    dev = dataset.rows("dev")
    x_train, x_dev = (cached_features(backbone_model, cache, rows) for rows in (train, dev))
    y_train, y_dev = targets(train), targets(dev)
    expected = {}
    for alpha in ALPHA_GRID:
        predicted = sklearn_ridge(x_train, y_train, alpha)(x_dev)
        expected[alpha] = np.mean([reference_ccc(y_dev[:, j], predicted[:, j])
                                   for j in range(3)])
    best = max(expected, key=expected.get)
    assert record["task"] == "dimensional" and record["dimensions"] == DIMS
    assert record["labels"] == DIMS and record["head"]["kind"] == "ridge"
    assert record["data"]["tune_split"] == "dev" and record["data"]["n_tune"] == 30
    assert [float(a) for a in record["head"]["alpha_search"]] == list(ALPHA_GRID)
    for alpha, score in record["head"]["alpha_search"].items():
        assert score == pytest.approx(expected[float(alpha)], abs=1e-6)
    assert record["head"]["alpha"] == best
    best_dev = sklearn_ridge(x_train, y_train, best)(x_dev)
    for j, dim in enumerate(DIMS):
        assert record["tune_metrics"][f"ccc_{dim}"] == pytest.approx(
            reference_ccc(y_dev[:, j], best_dev[:, j]), abs=1e-6)
        assert record["tune_metrics"][f"mae_{dim}"] == pytest.approx(
            np.mean(np.abs(best_dev[:, j] - y_dev[:, j])), abs=1e-6)
    # the empty sentence cannot be embedded: left out, listed, reported
    assert record["data"]["n_train"] == 96 and record["data"]["n_errors"] == 1
    report = (out / "train_report.md").read_text()
    assert "mean CCC over dimensions" in report and "| V |" in report
    assert "Pearson r" in report and "empty" in report
    saved = json.loads((out / "probe.json").read_text())
    assert saved["head"]["alpha"] == best and saved["task"] == "dimensional"


def test_probe_adapter_predicts_values(ridge_probe, backbone_model, emobank_dir, tmp_path):
    out, cache, record = ridge_probe
    dataset = load_dataset(f"emobank:{emobank_dir}")
    train = [r for r in dataset.rows("train") if r.text]
    test = dataset.rows("test")
    adapter = load_adapter(f"probe:{out}", cache_dir="none")
    assert adapter.output == "values" and adapter.labels == DIMS
    values = adapter.predict([r.text for r in test])
    assert values.shape == (len(test), 3)
    x_train = cached_features(backbone_model, cache, train)
    x_test = np.asarray(load_backbone(f"hf:{backbone_model}").embed([r.text for r in test]))
    expected = sklearn_ridge(x_train, targets(train), record["head"]["alpha"])(x_test)
    assert np.allclose(values, expected, atol=1e-4)
    # through the runner and the store, then scored as a dimensional table
    adapter.check_rows(test)
    manifest = {"model_spec": f"probe:{out}", "model_fingerprint": adapter.fingerprint(),
                "dataset_spec": "emobank", "dataset_fingerprint": dataset.fingerprint(test)}
    with PredictionStore(str(tmp_path / "store"), manifest) as store:
        run(adapter, test, store, batch_size=8)
        table = pd.DataFrame([{"id": r.id, **{f"{d}_true": r.targets[d] for d in DIMS},
                               **{f"{d}_pred": store.records[r.id].scores[d] for d in DIMS}}
                              for r in test])
    assert np.allclose(table[[f"{d}_pred" for d in DIMS]].to_numpy(), values, atol=1e-5)
    part, _ = score_dimensional(table, n_resamples=20)
    assert part["n_scored"] == len(test)
    for j, dim in enumerate(DIMS):
        assert part["metrics"][dim]["ccc"] == pytest.approx(
            reference_ccc(targets(test)[:, j], values[:, j]), abs=1e-5)


def test_refuses_training_and_tuning_samples_and_class_rows(ridge_probe, emobank_dir):
    out, _, _ = ridge_probe
    adapter = load_adapter(f"probe:{out}")
    dataset = load_dataset(f"emobank:{emobank_dir}")
    adapter.check_rows(dataset.rows("test"))
    for split in ("train", "dev"):
        with pytest.raises(EmoevalError, match="refusing to evaluate .* trained or tuned on"):
            adapter.check_rows(dataset.rows(split))
    with pytest.raises(EmoevalError, match="ridge probe: it predicts values for V, A, D"):
        adapter.check_rows(load_dataset("demo:en").rows()[:5])


def test_head_must_fit_the_rows(backbone_model, emobank_dir, tmp_path):
    def train(dataset: str, *flags: str):
        return CliRunner().invoke(app, ["train", "--backbone", f"hf:{backbone_model}",
                                        "--dataset", dataset, "--out", str(tmp_path / "p"),
                                        "--cache-dir", str(tmp_path / "c"), *flags])

    emobank = f"emobank:{emobank_dir}"
    cases = [("demo:en", ["--head", "ridge"], "--head ridge fits continuous targets"),
             (emobank, ["--head", "logreg"], "--head logreg is a classifier"),
             (emobank, ["--head", "mlp"], "use --head ridge"),
             (emobank, ["--c", "1"], "give ridge its penalty with --alpha"),
             (emobank, ["--class-weight", "balanced"], "--class-weight applies to class"),
             ("demo:en", ["--alpha", "10"], "--alpha is the ridge penalty")]
    for dataset, flags, message in cases:
        result = train(dataset, *flags)
        assert result.exit_code == 2, (flags, result.output)
        assert message in " ".join(result.output.split()), (flags, result.output)
    assert not (tmp_path / "p" / "probe.json").exists()


def test_cross_validation_scores_ccc_per_dimension(backbone_model, emobank_dir, tmp_path):
    out = tmp_path / "cv"
    result = CliRunner().invoke(app, ["train", "--backbone", f"hf:{backbone_model}",
                                      "--dataset", f"emobank:{emobank_dir}", "--out", str(out),
                                      "--cv", "3", "--alpha", "10",
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "3 mean CCC" in printed and "over 3 folds" in printed and "alpha 10" in printed
    cv = json.loads((out / "cv_results.json").read_text())
    assert set(cv["summary"]) == {"ccc_mean", "ccc_V", "ccc_A", "ccc_D"}
    # the same folds and fits, independently: KFold(3, shuffled, seed 0) and Ridge
    dataset = load_dataset(f"emobank:{emobank_dir}")
    train = [r for r in dataset.rows("train") if r.text]
    x = cached_features(backbone_model, tmp_path / "cache", train)
    y = targets(train)
    oof = np.zeros_like(y)
    for fold, (fit, held) in enumerate(KFold(3, shuffle=True, random_state=0).split(x)):
        oof[held] = sklearn_ridge(x[fit], y[fit], 10.0)(x[held])
        assert cv["folds"][fold]["ccc_V"] == pytest.approx(
            reference_ccc(y[held, 0], oof[held, 0]), abs=1e-6)
    predictions = pd.read_csv(out / "cv_predictions.csv", dtype={"id": str})
    assert predictions["id"].tolist() == [r.id for r in train]
    assert np.allclose(predictions[[f"{d}_pred" for d in DIMS]].to_numpy(), oof, atol=1e-6)
    part, _ = score_dimensional(predictions, n_resamples=20)  # rescoreable as it is
    assert part["metrics"]["D"]["ccc"] == pytest.approx(cv["pooled"]["ccc_D"], abs=1e-9)
    assert "CCC A" in (out / "train_report.md").read_text()


def test_rows_with_a_missing_target_are_left_out(backbone_model, tmp_path):
    lines = ["id,text,V,A,split"] + [
        f"r{i},{'i am happy' if i % 2 else 'i am sad'} {i % 3},{1 + i % 2},{2 + i % 3},train"
        for i in range(20)] + ["gap,i am glad,,3,train"]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "p"
    result = CliRunner().invoke(app, ["train", "--backbone", f"hf:{backbone_model}",
                                      "--dataset", f"csv:{tmp_path / 'data.csv'}",
                                      "--target-cols", "V,A", "--alpha", "1", "--out", str(out),
                                      "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "probe.json").read_text())
    assert record["head"]["kind"] == "ridge" and record["dimensions"] == ["V", "A"]
    assert record["data"]["n_train"] == 20
    assert record["data"]["errors"] == [{"id": "gap", "error":
                                         "no target: V is missing or not a number"}]
    assert record["head"]["alpha_search"] == {} and record["data"]["tune_split"] is None
    assert "no target: V" in (out / "train_report.md").read_text()


def test_real_emobank_sample(backbone_model, tmp_path):
    data = shared_data("emobank")
    record = train_probe(TrainConfig(backbone=f"hf:{backbone_model}",
                                     dataset=f"emobank:{data}", out=str(tmp_path / "p"),
                                     limit=150, alpha=100.0, cache_dir=str(tmp_path / "c")))
    assert record["task"] == "dimensional" and record["labels"] == DIMS
    assert record["data"]["train_split"] == "train" and record["data"]["n_train"] == 150
    adapter = load_adapter(f"probe:{tmp_path / 'p'}", cache_dir="none")
    test = load_dataset(f"emobank:{data}").rows("test")[:20]
    adapter.check_rows(test)
    assert adapter.predict([r.text for r in test]).shape == (20, 3)
