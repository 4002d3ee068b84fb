"""The unanswered policy and coverage (issue 19 item 1; contracts-v2 sections 2 and 3).

An abstention is no answer: under the default ``wrong`` it is a miss, ``exclude`` leaves it
out, ``fallback:<label>`` predicts that label. Input and transport errors stay out under
every policy. Expected figures are computed independently with scikit-learn.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, precision_score, recall_score
from typer.testing import CliRunner

from builders import shared_data
from emoeval.cli import app

runner = CliRunner()
LABELS = ["angry", "happy", "neutral", "sad"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def predictions_file(path: Path) -> Path:
    """12 answered rows, 3 abstentions (blank prediction), 1 input error, 1 transport one."""
    rows = []
    for i in range(12):
        label = LABELS[i % 4]
        rows.append({"id": f"a{i}", "label": label,
                     "prediction": label if i % 3 else LABELS[(i + 1) % 4], "error": ""})
    rows += [{"id": f"u{i}", "label": LABELS[i], "prediction": "", "error": ""}
             for i in range(3)]
    rows.append({"id": "in0", "label": "sad", "prediction": "", "error": "empty text"})
    rows.append({"id": "tr0", "label": "sad", "prediction": "",
                 "error": "timeout after 30 s: no answer"})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def independent(table: pd.DataFrame, stand_in: str | None) -> dict:
    """sklearn on the detailed table: answered rows, and unanswered ones with ``stand_in``
    as their prediction (None: left out); input and transport errors never count."""
    kept = table[table["kind"].isin(["ok"] + (["unanswered"] if stand_in else []))]
    pred = [p if k == "ok" else stand_in for p, k in zip(kept["prediction"], kept["kind"])]
    return {"accuracy": accuracy_score(kept["label"], pred),
            "balanced_accuracy": recall_score(kept["label"], pred, labels=LABELS,
                                              average="macro", zero_division=0),
            "n": len(kept), "truth": list(kept["label"]), "pred": pred}


def test_score_counts_unanswered_as_misses_by_default_and_lists_every_policy(tmp_path):
    out = tmp_path / "out"
    result = invoke("score", predictions_file(tmp_path / "p.csv"), "--out", out, "--labels",
                    ",".join(LABELS))
    assert result.exit_code == 0, result.output
    assert "answered 12/17" in " ".join(result.output.split())
    res = json.loads((out / "results.json").read_text())
    assert res["coverage"] == {"n_answered": 12, "n_unanswered": 3, "n_input_errors": 1,
                               "n_transport_errors": 1, "answered_share": 12 / 17}
    table = pd.read_csv(out / "detailed_results.csv", keep_default_na=False)
    assert dict(zip(table["id"], table["kind"]))["in0"] == "input"
    wrong = independent(table, "(a marker that is never a label)")
    assert res["n_scored"] == wrong["n"] == 15
    assert res["metrics"]["accuracy"] == pytest.approx(wrong["accuracy"])
    assert res["metrics"]["balanced_accuracy"] == pytest.approx(wrong["balanced_accuracy"])
    # an abstention is a false positive of no real label: precision as sklearn gives it
    # over the labels alone
    precision = precision_score(wrong["truth"], wrong["pred"], labels=LABELS, average=None,
                                zero_division=0)
    for label, value in zip(LABELS, precision):
        assert res["per_class"][label]["precision"] == pytest.approx(value)
    exclude = independent(table, None)
    assert res["policies"]["exclude"]["n_scored"] == exclude["n"] == 12
    assert res["policies"]["exclude"]["metrics"]["accuracy"] == \
        pytest.approx(exclude["accuracy"])
    assert res["policies"]["wrong"]["metrics"]["accuracy"] == pytest.approx(wrong["accuracy"])
    assert exclude["accuracy"] > wrong["accuracy"]
    # input and transport errors are listed with their kind, whatever the policy
    kinds = {s["id"]: s["kind"] for s in res["errors"]["samples"]}
    assert kinds["in0"] == "input" and kinds["tr0"] == "transport"
    report = (out / "report.md").read_text()
    assert "## Coverage" in report and "| **wrong** (chosen) | 15 |" in report


@pytest.mark.parametrize("flag", ["--unanswered", "--invalid-policy"])
def test_exclude_and_fallback_under_either_flag(tmp_path, flag):
    data = predictions_file(tmp_path / "p.csv")
    out = tmp_path / "ex"
    assert invoke("score", data, "--out", out, flag, "exclude").exit_code == 0
    res = json.loads((out / "results.json").read_text())
    table = pd.read_csv(out / "detailed_results.csv", keep_default_na=False)
    assert res["n_scored"] == 12
    assert res["metrics"]["accuracy"] == pytest.approx(independent(table, None)["accuracy"])
    assert res["protocol"]["unanswered_policy"] == "exclude"

    out = tmp_path / "fb"
    assert invoke("score", data, "--out", out, flag, "fallback:happy").exit_code == 0
    res = json.loads((out / "results.json").read_text())
    fallback = independent(table, "happy")
    assert res["metrics"]["accuracy"] == pytest.approx(fallback["accuracy"])
    assert set(res["policies"]) == {"wrong", "exclude", "fallback:happy"}


def test_a_policy_the_task_does_not_take_is_one_line_before_any_model_runs(tmp_path):
    result = invoke("score", predictions_file(tmp_path / "p.csv"), "--out", tmp_path / "o",
                    "--unanswered", "midpoint")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "--unanswered 'midpoint'" in message and "wrong, exclude or fallback" in message
    data = tmp_path / "text.csv"
    pd.DataFrame({"id": ["a", "b"], "text": ["so happy", "so sad"],
                  "label": ["happy", "sad"]}).to_csv(data, index=False)
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", "python:toy_models:keyword_scores", "--dataset",
                    f"csv:{data}", "--out", out, "--unanswered", "fallback:nope")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (out / "predictions.jsonl").exists()


def test_evaluate_scores_an_abstention_as_a_miss(tmp_path):
    data = tmp_path / "text.csv"
    texts = ["so happy", "I cry, so sad", "angry and furious", "abstain now",
             "abstain again", "glad", "so sad"]
    labels = ["happy", "sad", "angry", "happy", "sad", "happy", "sad"]
    pd.DataFrame({"id": [f"r{i}" for i in range(7)], "text": texts,
                  "label": labels}).to_csv(data, index=False)
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", "python:toy_models:keyword_scores", "--dataset",
                    f"csv:{data}", "--out", out, "--labels", "angry,happy,sad",
                    "--unmapped", "wrong")
    assert result.exit_code == 0, result.output
    assert "answered 5/7" in " ".join(result.output.split())
    res = json.loads((out / "results.json").read_text())
    assert res["coverage"]["n_unanswered"] == 2 and res["n_scored"] == 7
    table = pd.read_csv(out / "detailed_results.csv", keep_default_na=False)
    assert list(table["kind"]) == ["ok", "ok", "ok", "unanswered", "unanswered", "ok", "ok"]
    assert res["metrics"]["accuracy"] == pytest.approx(accuracy_score(
        labels, [p if k == "ok" else "-" for p, k in zip(table["prediction"], table["kind"])]))
    assert res["policies"]["exclude"]["metrics"]["accuracy"] == pytest.approx(1.0)


def test_multilabel_scores_an_unanswered_sample_as_the_empty_set(tmp_path):
    table = pd.DataFrame({"id": ["a", "b", "c", "d"],
                          "labels": ['["joy"]', '["sad"]', '["joy"]', '["sad"]'],
                          "score_joy": [0.9, 0.2, None, 0.1], "score_sad": [0.1, 0.8, None, 0.9],
                          "error": ["", "", "model crashed on this input", ""]})
    table.to_csv(tmp_path / "m.csv", index=False)
    for policy, n_scored in (("wrong", 4), ("exclude", 3)):
        out = tmp_path / policy
        result = invoke("score", tmp_path / "m.csv", "--task", "multilabel", "--out", out,
                        "--unanswered", policy)
        assert result.exit_code == 0, result.output
        res = json.loads((out / "results.json").read_text())
        assert res["n_scored"] == n_scored
        assert res["coverage"]["n_unanswered"] == 1 and res["coverage"]["n_answered"] == 3
        assert set(res["policies"]) == {"wrong", "exclude"}
    wrong = json.loads((tmp_path / "wrong" / "results.json").read_text())
    exclude = json.loads((tmp_path / "exclude" / "results.json").read_text())
    # the empty set misses joy on c: joy's recall is 1/2 under wrong, 1 under exclude
    assert wrong["per_class"]["joy"]["recall"] == pytest.approx(0.5)
    assert exclude["per_class"]["joy"]["recall"] == pytest.approx(1.0)
    result = invoke("score", tmp_path / "m.csv", "--task", "multilabel", "--out",
                    tmp_path / "x", "--unanswered", "fallback:joy")
    assert result.exit_code == 2 and "use wrong or exclude" in result.output


def test_lexicon_on_tweeteval_val_reports_both_policies_and_its_coverage(tmp_path):
    """The issue's acceptance: lexicon:nrc abstains on some tweets; the headline counts them
    as misses and says how many were answered."""
    data = shared_data("tweeteval_emotion")
    out = tmp_path / "nrc"
    result = invoke("evaluate", "--model", "lexicon:nrc", "--dataset", f"tweeteval:{data}",
                    "--split", "val", "--out", out)
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    coverage = res["coverage"]
    assert coverage["n_unanswered"] > 0
    assert f"answered {coverage['n_answered']:,}/{res['n_samples']:,}" in \
        " ".join(result.output.split())
    assert sum(v for k, v in coverage.items() if k.startswith("n_")) == res["n_samples"]
    table = pd.read_csv(out / "detailed_results.csv", keep_default_na=False)
    labels = res["labels"]
    answered = table[table["kind"].isin(["ok", "unanswered"])]
    pred = [p if k == "ok" else "(abstained)" for p, k in
            zip(answered["prediction"], answered["kind"])]
    assert res["metrics"]["accuracy"] == pytest.approx(accuracy_score(answered["label"], pred))
    assert res["metrics"]["balanced_accuracy"] == pytest.approx(recall_score(
        answered["label"], pred, labels=labels, average="macro", zero_division=0))
    ok = table[table["kind"] == "ok"]
    assert res["policies"]["exclude"]["metrics"]["accuracy"] == pytest.approx(
        accuracy_score(ok["label"], ok["prediction"]))
    assert set(res["policies"]) == {"wrong", "exclude"}
    report = (out / "report.md").read_text()
    assert "## Coverage" in report and "## Metrics under every policy" in report


def test_compare_pairs_runs_on_the_samples_their_policy_scored(tmp_path):
    data = predictions_file(tmp_path / "p.csv")
    assert invoke("score", data, "--out", tmp_path / "wrong").exit_code == 0
    assert invoke("score", data, "--out", tmp_path / "exclude", "--unanswered",
                  "exclude").exit_code == 0
    result = invoke("compare", tmp_path / "wrong", tmp_path / "exclude", "--out",
                    tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    # under wrong the 3 abstentions are scored misses: 15 samples against exclude's 12
    assert "wrong 15, exclude 12 scored" in " ".join(result.output.split())
