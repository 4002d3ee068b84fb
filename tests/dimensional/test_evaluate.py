"""``emoeval evaluate`` on datasets with continuous targets (task dimensional)."""

import json

import numpy as np
import pandas as pd
import pytest
import toy_models
from builders import shared_data
from scipy import stats
from typer.testing import CliRunner

from emoeval.cli import app

TEXTS = ["good happy day", "bad sad night here", "love it", "hate this bad thing now",
         "a plain sentence", "happy happy good love", "so sad", "nothing much to say today",
         "good", "bad bad bad", "", "the nan case", "zero", "fine good enough"]


def reference_ccc(y_true, y_pred):
    """CCC from its definition (population variances), independent of emoeval."""
    mean_t, mean_p = y_true.mean(), y_pred.mean()
    covariance = ((y_true - mean_t) * (y_pred - mean_p)).mean()
    return 2 * covariance / (y_true.var() + y_pred.var() + (mean_t - mean_p) ** 2)


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(len(TEXTS))], "text": TEXTS,
                          "V": rng.uniform(1, 5, len(TEXTS)).round(2),
                          "A": rng.uniform(1, 5, len(TEXTS)).round(2),
                          "D": rng.uniform(1, 5, len(TEXTS)).round(2),
                          "speaker": [f"s{i % 4}" for i in range(len(TEXTS))]})
    frame["V"] = frame["V"].astype(object)
    frame.loc[13, "V"] = ""  # a row without its target
    path = tmp_path / "ratings.csv"
    frame.to_csv(path, index=False)
    return path, frame


def evaluate(*args):
    return CliRunner().invoke(app, ["evaluate", *args])


def test_dim_evaluate_values_model_end_to_end(tmp_path, table):
    path, frame = table
    out = tmp_path / "run"
    toy_models.RATING_CALLS.clear()
    result = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{path}",
                      "--target-cols", "V,A,D", "--out", str(out))
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["task"] == "dimensional"
    assert results["labels"] == ["V", "A", "D"]
    assert results["label_mapping"]["dimension_to_output"] == {
        "V": "valence", "A": "arousal", "D": "dominance"}
    detailed = pd.read_csv(out / "detailed_results.csv", dtype={"id": str})
    errors = dict(zip(detailed["id"], detailed["error"].fillna("")))
    assert errors["t10"] == "empty text"
    assert "NaN" in errors["t11"]
    assert errors["t13"].startswith("no target")
    assert errors["t12"] == ""  # all-zero outputs are values, not an abstention
    assert results["n_errors"] == 3 and results["n_scored"] == len(TEXTS) - 3
    predictions = toy_models.rating_values([t for t in TEXTS])
    ok = [i for i in range(len(TEXTS)) if i not in (10, 11, 13)]
    for dim, output in (("V", "valence"), ("A", "arousal"), ("D", "dominance")):
        y_true = frame.loc[ok, dim].astype(float).to_numpy()
        y_pred = np.array([predictions[i][output] for i in ok])
        assert results["metrics"][dim]["ccc"] == pytest.approx(reference_ccc(y_true, y_pred))
        assert results["metrics"][dim]["pearson"] == pytest.approx(
            stats.pearsonr(y_true, y_pred)[0])
    assert "CCC V" in result.output
    # resume: a rerun predicts nothing again
    toy_models.RATING_CALLS.clear()
    again = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{path}",
                     "--target-cols", "V,A,D", "--out", str(out))
    assert again.exit_code == 0, again.output
    assert toy_models.RATING_CALLS == []
    assert json.loads((out / "results.json").read_text())["metrics"] == results["metrics"]


def test_dim_evaluate_range_mapping_is_recorded(tmp_path, table):
    path, _ = table
    out = tmp_path / "mapped"
    result = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{path}",
                      "--target-cols", "V,A", "--out", str(out), "--pred-range", "0,10",
                      "--target-range", "1,5")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["labels"] == ["V", "A"]
    assert results["range_mapping"]["scale"] == pytest.approx(0.4)


def test_dim_evaluate_refuses_classifier_and_label_options(tmp_path, table):
    path, _ = table
    classifier = evaluate("--model", "python:toy_models:keyword_scores", "--dataset",
                          f"csv:{path}", "--target-cols", "V,A,D", "--out", str(tmp_path / "c"))
    assert classifier.exit_code == 2
    assert "classifier" in classifier.output and "regression" in classifier.output
    merged = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{path}",
                      "--target-cols", "V", "--merge", "a=b", "--out", str(tmp_path / "m"))
    assert merged.exit_code == 2 and "--merge" in merged.output
    missing = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{path}",
                       "--target-cols", "V,X", "--out", str(tmp_path / "x"))
    assert missing.exit_code == 2 and "--target-cols" in missing.output


def test_dim_evaluate_unmatched_outputs_name_the_flag(tmp_path, table):
    path, frame = table
    renamed = frame.rename(columns={"V": "pleasantness", "A": "excitement"})
    other = tmp_path / "other.csv"
    renamed.to_csv(other, index=False)
    result = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{other}",
                      "--target-cols", "pleasantness,excitement", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "excitement" in result.output and "--output-names" in result.output


def test_dim_evaluate_emobank_perspective_alias(tmp_path):
    root = shared_data("emobank")
    out = tmp_path / "emobank"
    result = evaluate("--model", "python:toy_models:rating_values", "--dataset",
                      f"emobank:{root}", "--perspective", "reader", "--limit", "40",
                      "--out", str(out))
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["task"] == "dimensional" and results["n_samples"] == 40
    reader = pd.read_csv(root / "reader.csv", dtype={"id": str}).set_index("id")
    detailed = pd.read_csv(out / "detailed_results.csv", dtype={"id": str})
    first = detailed.iloc[0]
    assert first["V_true"] == pytest.approx(reader.loc[first["id"], "V"])
    assert (out / "report.md").is_file()


def test_dim_evaluate_regression_model_on_class_labels_is_refused(tmp_path):
    path = tmp_path / "classes.csv"
    pd.DataFrame({"text": ["good day", "bad day"], "label": ["happy", "sad"]}).to_csv(
        path, index=False)
    result = evaluate("--model", "python:toy_models:rating_values", "--dataset", f"csv:{path}",
                      "--out", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert "regression model" in result.output and "--target-cols" in result.output


def test_dim_screening_names_a_regression_head():
    from emoeval.screening.verdict import emotion_labels_check

    evidence = {"label_emotions": {"arousal": None, "dominance": None, "valence": None}}
    assert "regression model" in emotion_labels_check(evidence, {})
    classes = {"label_emotions": {"angry": "angry", "sad": "sad", "arousal": None}}
    assert emotion_labels_check(classes, {}) is None
