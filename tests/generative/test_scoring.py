"""--task generative: policies checked against scikit-learn, seed 002 rebuilt per sample,
the CLI on answer files, bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from generative_seed002 import (LABELS, MATRIX, PUBLISHED, PUBLISHED_CLASS_ACCURACY,
                                seed_002_answers)
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, confusion_matrix,
                             precision_recall_fscore_support)
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.errors import EmoevalError
from emoeval.generative.scoring import score_generative

runner = CliRunner()
FOUR = ["angry", "happy", "neutral", "sad"]


def sklearn_metrics(y_true, y_pred, labels) -> dict[str, float]:
    """The core's 8 metrics from scikit-learn; predictions outside ``labels`` are no class."""
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": intended
        warnings.simplefilter("ignore", UserWarning)
        out = {"accuracy": accuracy_score(y_true, y_pred),
               "balanced_accuracy": balanced_accuracy_score(y_true, y_pred)}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                     average=average, zero_division=0)
        out |= {f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f}
    return out


def assert_metrics(ours: dict, reference: dict) -> None:
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value, abs=1e-12), key


@pytest.fixture(scope="module")
def seed_rows() -> pd.DataFrame:
    return seed_002_answers()


def test_seed_002_fallback_neutral_gives_the_published_numbers(seed_rows):
    part, detailed = score_generative(seed_rows, labels=LABELS, invalid_policy="fallback:neutral",
                                      n_resamples=50)
    for key, published in PUBLISHED.items():
        assert round(100 * part["metrics"][key], 2) == published, key
    for label, published in PUBLISHED_CLASS_ACCURACY.items():
        assert round(100 * part["per_class"][label]["recall"], 2) == published, label
    # the published matrix, cell by cell, with nothing outside the label set
    assert part["confusion_matrix"]["counts"] == MATRIX
    assert part["confusion_matrix"]["other"] == [0] * 6
    # ... and the one answer that the seed's script silently turned into "neutral"
    assert part["status_counts"] == {"valid": 833, "ambiguous": 0, "out_of_taxonomy": 1,
                                     "invalid": 0, "error": 0}
    assert part["out_of_taxonomy_values"] == {"doubt": 1}
    assert part["unusable_answers"][0] | {"true_labels": None} == {
        "response": "doubt", "status": "out_of_taxonomy", "extracted": "doubt", "count": 1,
        "true_labels": None}
    assert part["valid_answer_rate"]["per_class"]["neutral"]["rate"] == pytest.approx(182 / 183)
    assert part["answer_confusion_matrix"]["unusable"] == [1, 0, 0, 0, 0, 0]
    assert part["answer_confusion_matrix"]["counts"][0][0] == 178
    assert any("inflates neutral recall" in w for w in part["warnings"])
    # what the seed's script scored is exactly our fallback prediction, row by row
    assert list(detailed["prediction"]) == list(seed_rows["prediction_published"])


def test_seed_002_every_policy_matches_sklearn(seed_rows):
    part, detailed = score_generative(seed_rows, labels=LABELS, n_resamples=50)
    assert part["policy"] == "wrong"
    y_true = seed_rows["label"].to_numpy()
    extracted = seed_rows["prediction_published"].where(seed_rows["response"] != "doubt",
                                                        "doubt").to_numpy()
    unusable = seed_rows["response"].to_numpy() == "doubt"
    # wrong: the answer is a prediction outside the label set
    assert_metrics(part["metrics"], sklearn_metrics(y_true, extracted, LABELS))
    assert part["confusion_matrix"]["other"] == [1, 0, 0, 0, 0, 0]
    assert part["confusion_matrix"]["counts"][0][0] == 178
    # exclude: the row is gone
    assert_metrics(part["policies"]["exclude"]["metrics"],
                   sklearn_metrics(y_true[~unusable], extracted[~unusable], LABELS))
    assert part["policies"]["exclude"]["n_scored"] == 833
    # fallback to each label
    for label in LABELS:
        assert_metrics(part["policies"][f"fallback:{label}"]["metrics"],
                       sklearn_metrics(y_true, np.where(unusable, label, extracted), LABELS))
    # the table's row for the chosen policy is the headline
    assert part["policies"]["wrong"]["metrics"] == pytest.approx(part["metrics"])
    assert "valid answers 833/834 (99.9%), unusable 1 (out_of_taxonomy 1)" in part["headline"]


def answers_table() -> pd.DataFrame:
    rows = [  # (label, response, error, speaker)
        ("angry", "angry", "", "s1"), ("angry", "The speaker sounds furious and angry.", "", "s1"),
        ("angry", "sad or angry", "", "s2"), ("angry", "", "HTTP 500: down [4 attempts]", "s2"),
        ("happy", "Happy!", "", "s1"), ("happy", "joyful", "", "s2"),
        ("happy", "excited", "", "s3"),
        ("happy", "neutral", "", "s3"),
        ("neutral", "neutral", "", "s1"), ("neutral", "I'm sorry, I can't tell.", "", "s2"),
        ("neutral", "", "", "s3"), ("neutral", "calm", "", "s3"),
        ("sad", '{"emotion": "sad"}', "", "s1"), ("sad", "sadness", "", "s2"),
        ("sad", "not sad", "", "s2"), ("sad", "happy", "", "s3"),
    ]
    return pd.DataFrame([{"id": f"r{i}", "label": label, "response": response, "error": error,
                          "speaker": speaker} for i, (label, response, error, speaker)
                         in enumerate(rows)])


def test_policies_on_a_mixed_table_match_sklearn():
    table = answers_table()
    statuses = {"valid": 9, "ambiguous": 1, "out_of_taxonomy": 2, "invalid": 3, "error": 1}
    expected_pred = {"r0": "angry", "r1": "angry", "r4": "happy", "r5": "happy",
                     "r7": "neutral", "r8": "neutral", "r12": "sad", "r13": "sad", "r15": "happy"}
    unusable_ids = ["r2", "r6", "r9", "r10", "r11", "r14"]
    truth = dict(zip(table["id"], table["label"]))
    for policy in ("wrong", "exclude", "fallback:neutral", "fallback:sad"):
        part, detailed = score_generative(table, labels=FOUR, invalid_policy=policy,
                                          n_resamples=50)
        assert part["status_counts"] == statuses
        assert part["n_errors"] == 1 and part["n_samples"] == 16
        ids = list(expected_pred) + ([] if policy == "exclude" else unusable_ids)
        pred = [expected_pred.get(i) or ("<x>" if policy == "wrong"
                                         else policy.partition(":")[2]) for i in ids]
        assert_metrics(part["metrics"], sklearn_metrics([truth[i] for i in ids], pred, FOUR))
        assert part["n_scored"] == len(ids)
        assert part["n_excluded"] == (6 if policy == "exclude" else 0)
        assert part["ci"]["accuracy"]["unit"] == "speaker"
        # detailed_results: response and status beside the prediction, the error kept
        assert list(detailed.columns[:8]) == ["id", "label", "prediction", "status", "response",
                                              "extracted", "status_detail", "error"]
        assert "speaker" in detailed.columns
        by_id = detailed.set_index("id")
        assert by_id.loc["r3", "status"] == "error" and by_id.loc["r3", "prediction"] == ""
        assert by_id.loc["r6", "extracted"] == "excited"
        if policy == "wrong":
            assert by_id.loc["r2", "prediction"] == "<ambiguous>"
    rates = part["valid_answer_rate"]
    assert rates["n_answers"] == 15 and rates["valid"] == 9
    assert rates["per_class"]["angry"] | {"rate": None} == {
        "n_answers": 3, "valid": 2, "ambiguous": 1, "out_of_taxonomy": 0, "invalid": 0,
        "error": 1, "rate": None}
    assert rates["per_class"]["angry"]["rate"] == pytest.approx(2 / 3)
    cm = part["answer_confusion_matrix"]
    valid = [i for i in expected_pred]
    reference = confusion_matrix([truth[i] for i in valid], [expected_pred[i] for i in valid],
                                 labels=FOUR)
    assert cm["counts"] == reference.tolist()
    assert cm["unusable"] == [1, 1, 3, 1] and cm["error"] == [1, 0, 0, 0]
    assert cm["unusable_by_status"]["invalid"] == [0, 0, 2, 1]


def test_unusable_answers_are_grouped_and_counted():
    table = pd.DataFrame({"id": [f"r{i}" for i in range(6)],
                          "label": ["sad", "happy", "sad", "angry", "sad", "sad"],
                          "response": ["doubt", "Doubt ", "I cannot  help with that.",
                                       "doubt", "sad", "i cannot help with that."]})
    part, _ = score_generative(table, labels=FOUR, n_resamples=20)
    top = part["unusable_answers"]
    assert [(a["response"], a["count"]) for a in top] == [
        ("doubt", 3), ("I cannot help with that.", 2)]
    assert top[0]["true_labels"] == {"sad": 1, "happy": 1, "angry": 1}
    assert any("unusable" in w and "ranges from" in w for w in part["warnings"])


def test_bad_input_is_refused_with_a_clear_message():
    table = answers_table()
    with pytest.raises(EmoevalError, match="needs --labels"):
        score_generative(table)
    with pytest.raises(EmoevalError, match="use wrong, exclude or fallback"):
        score_generative(table, labels=FOUR, invalid_policy="neutral")
    with pytest.raises(EmoevalError, match="'calm' is not a label"):
        score_generative(table, labels=FOUR, invalid_policy="fallback:calm")
    with pytest.raises(EmoevalError, match="names sad twice"):
        score_generative(table, labels=FOUR + ["sad"])
    with pytest.raises(EmoevalError, match="--mention"):
        score_generative(table, labels=FOUR, mention="any")
    with pytest.raises(EmoevalError, match="outside --labels: sad"):
        score_generative(table, labels=["angry", "happy", "neutral"])
    with pytest.raises(EmoevalError, match="use --task classification"):
        score_generative(table.rename(columns={"response": "prediction"}), labels=FOUR)
    unusable = pd.DataFrame({"id": ["a", "b"], "label": ["sad", "happy"],
                             "response": ["doubt", ""]})
    with pytest.raises(EmoevalError, match="no answer can be scored under --invalid-policy "
                                           "exclude"):
        score_generative(unusable, labels=FOUR, invalid_policy="exclude")
    # the same answers under wrong are scored: two misses
    part, _ = score_generative(unusable, labels=FOUR, n_resamples=20)
    assert part["metrics"]["accuracy"] == 0.0 and part["n_unusable"] == 2


def test_cli_scores_an_answers_file_and_rescores_its_own_output(tmp_path):
    answers = tmp_path / "answers.csv"
    answers_table().to_csv(answers, index=False)
    out = tmp_path / "scored"
    result = runner.invoke(app, ["score", str(answers), "--task", "generative", "--labels",
                                 ",".join(FOUR), "--invalid-policy", "fallback:neutral",
                                 "--mention", "first", "--slice-by", "speaker",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "--invalid-policy fallback:neutral" in result.output
    assert "valid answers" in result.output
    res = json.loads((out / "results.json").read_text())
    assert res["task"] == "generative" and res["mention"] == "first"
    assert set(res["slices"]["speaker"]) == {"s1", "s2", "s3"}
    # --mention first: "sad or angry" is read as sad
    detailed = pd.read_csv(out / "detailed_results.csv", keep_default_na=False)
    assert detailed.set_index("id").loc["r2", "prediction"] == "sad"
    report = (out / "report.md").read_text()
    for section in ("## Answers", "## Metrics under every policy", "## Unusable answers",
                    "| unusable |", "**fallback:neutral** (chosen)", "## Errors"):
        assert section in report, section
    assert (out / "confusion_matrix.png").stat().st_size > 0
    # a detailed_results.csv written by emoeval is itself a valid input
    again = tmp_path / "again"
    result = runner.invoke(app, ["score", str(out / "detailed_results.csv"), "--task",
                                 "generative", "--labels", ",".join(FOUR), "--invalid-policy",
                                 "fallback:neutral", "--mention", "first", "--slice-by",
                                 "speaker", "--out", str(again)])
    assert result.exit_code == 0, result.output
    res2 = json.loads((again / "results.json").read_text())
    assert res2["metrics"] == res["metrics"] and res2["status_counts"] == res["status_counts"]
    # its prediction column is what was scored: --task classification agrees when given the
    # same policy (its kind column marks the unusable answers unanswered, issue 19)
    classified = tmp_path / "classified"
    result = runner.invoke(app, ["score", str(out / "detailed_results.csv"), "--labels",
                                 ",".join(FOUR), "--unanswered", "fallback:neutral",
                                 "--out", str(classified)])
    assert result.exit_code == 0, result.output
    res3 = json.loads((classified / "results.json").read_text())
    assert res3["metrics"] == res["metrics"] and res3["n_scored"] == res["n_scored"]
    # the report re-renders from results.json alone
    (out / "report.md").unlink()
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert "## Metrics under every policy" in (out / "report.md").read_text()


def test_cli_reads_jsonl_with_json_answers(tmp_path):
    path = tmp_path / "answers.jsonl"
    rows = [{"id": 1, "label": "sad", "response": {"emotion": "sad"}},
            {"id": 2, "label": "happy", "response": "happy"},
            {"id": 3, "label": "angry", "response": None}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(path), "--task", "generative", "--labels",
                                 ",".join(FOUR), "--out", str(out)])
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert res["status_counts"]["valid"] == 2 and res["status_counts"]["invalid"] == 1


def test_cli_errors_exit_2_with_one_line(tmp_path):
    answers = tmp_path / "answers.csv"
    answers_table().to_csv(answers, index=False)
    result = runner.invoke(app, ["score", str(answers), "--task", "generative",
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "needs --labels" in result.output
    result = runner.invoke(app, ["score", str(answers), "--task", "generative", "--labels",
                                 ",".join(FOUR), "--threshold", "0.5", "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == 2 and "--threshold does not apply" in result.output


def test_response_table_reads_the_store_and_refuses_multi_label_rows():
    from types import SimpleNamespace

    from emoeval.datasets.base import Row
    from emoeval.generative.scoring import response_table
    from emoeval.store import Record

    rows = [Row("a", "sad", text="x", metadata={"speaker": "s1"}),
            Row("b", "happy", text="y", metadata={"gender": "f"})]
    store = SimpleNamespace(records={"a": Record("a", None, None, text="sad"),
                                     "b": Record("b", None, "HTTP 500: down [4 attempts]")})
    table = response_table(rows, store, FOUR, FOUR, {}, "restrict")
    assert table.to_dict("records") == [
        {"id": "a", "label": "sad", "response": "sad", "error": "", "speaker": "s1",
         "gender": ""},
        {"id": "b", "label": "happy", "response": "", "error": "HTTP 500: down [4 attempts]",
         "speaker": "", "gender": "f"}]
    with pytest.raises(EmoevalError, match="multi-label"):
        response_table([Row("c", ["sad", "angry"], text="z")], store, FOUR, FOUR, {},
                       "restrict")
