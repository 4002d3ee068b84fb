"""``--synonyms judge:llm:...`` against a loopback fake judge: cached, pinned, recorded."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.openvocab.judge import PROMPT_VERSION
from emoeval.openvocab.synonyms import load_npy_answers
from fake_judge import SERVER_MODEL, serve_judge

TABLE = pd.DataFrame({
    "id": ["a", "b", "c", "d"],
    "label": ["['happy', 'worried']", "['angry']", "['sad', 'garbled']", "['calm']"],
    "prediction": ["['joyful']", "['furious', 'sad']", "['sad']", "[]"],
})


def run_score(tmp_path, url, table, out_name, cache):
    path = tmp_path / f"{out_name}.csv"
    table.to_csv(path, index=False)
    return CliRunner().invoke(app, [
        "score", str(path), "--task", "open-vocabulary", "--synonyms",
        f"judge:llm:{url}#judge-model", "--judge-cache", str(cache),
        "--out", str(tmp_path / out_name)])


def test_judge_groups_once_then_reads_the_cache(tmp_path):
    cache = tmp_path / "cache"
    with serve_judge() as (url, judge):
        first = run_score(tmp_path, url, TABLE, "first", cache)
        assert first.exit_code == 0, first.output
        assert len(judge.requests) == 4  # one per sample with a truth set
        sent = judge.requests[0]
        assert sent["model"] == "judge-model" and sent["temperature"] == 0
        again = run_score(tmp_path, url, TABLE, "again", cache)
        assert again.exit_code == 0, again.output
        assert len(judge.requests) == 4  # the rerun sent nothing
    results = json.loads((tmp_path / "first" / "results.json").read_text())
    rerun = json.loads((tmp_path / "again" / "results.json").read_text())
    assert rerun["metrics"] == results["metrics"]
    source = results["synonyms"]
    assert source["model"] == "judge-model" and source["server_models"] == [SERVER_MODEL]
    assert source["prompt_version"] == PROMPT_VERSION
    assert (source["n_requests"], source["n_cached"]) == (4, 0)
    assert (rerun["synonyms"]["n_requests"], rerun["synonyms"]["n_cached"]) == (0, 4)
    assert rerun["synonyms"]["server_models"] == [SERVER_MODEL]

    detailed = pd.read_csv(tmp_path / "first" / "detailed_results.csv").set_index("id")
    assert detailed.loc["a", "recall"] == 0.5 and detailed.loc["a", "accuracy"] == 1.0
    assert detailed.loc["b", ["accuracy", "recall"]].tolist() == [0.5, 1.0]
    # the unreadable judge answer is an outcome under the policy, recorded with its text
    assert detailed.loc["c", "kind"] == "unanswered"
    assert "judge answer unreadable" in detailed.loc["c", "detail"]
    assert detailed.loc["c", "synonyms"] == "I would rather not group these."
    assert results["unanswered"]["by_reason"]["judge answer unreadable"] == 1

    # the raw answers in MER2024's per-sample layout, readable as a --synonyms source
    answers = load_npy_answers(str(tmp_path / "first" / "openset-synonym"))
    assert set(answers) == {"a", "b", "c", "d"}
    assert json.loads(answers["a"]) == [["happy", "joyful"], ["worried"]]


def test_two_models_share_the_judges_groupings(tmp_path):
    cache = tmp_path / "cache"
    other = TABLE.assign(prediction=["['happy']", "['sad', 'furious']", "['sad']", "['calm']"])
    with serve_judge() as (url, judge):
        assert run_score(tmp_path, url, TABLE, "model_a", cache).exit_code == 0
        before = len(judge.requests)
        assert run_score(tmp_path, url, other, "model_b", cache).exit_code == 0
        # only a sample whose sorted word union changed is asked again (a: joyful is gone);
        # b (same words, another order), c and d share model_a's cached groupings
        asked = {tuple(json.loads(r["messages"][0]["content"].split("JSON array:\n")[1]
                                  .split("\n")[0])) for r in judge.requests[before:]}
    assert asked == {("happy", "worried")}


def test_unreachable_judge_is_a_transport_outcome(tmp_path):
    from emoeval.http import ClientOptions
    from emoeval.openvocab.judge import ask_judge, parse_judge

    judge = parse_judge("judge:llm:http://127.0.0.1:9/v1#judge-model")
    run, _ = ask_judge(judge, {"a": ["happy"]}, cache_dir=str(tmp_path),
                       options=ClientOptions(retries=0, timeout=2, backoff=0))
    assert run.answers == {} and "a" in run.failures
    assert not list(tmp_path.glob("*.json"))  # failures are not cached


@pytest.mark.parametrize("spec", ["judge:llm:http://127.0.0.1:1/v1", "judge:gpt4"])
def test_bad_judge_spec_is_one_line(tmp_path, spec):
    path = tmp_path / "p.csv"
    TABLE.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["score", str(path), "--task", "open-vocabulary",
                                      "--synonyms", spec, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_taxonomy_through_the_judge_and_its_agreement_with_the_rules(tmp_path):
    from sklearn.metrics import cohen_kappa_score

    table = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"],
        "label": ["['happy']", "['angry']", "['happy']", "['worried']", "['angry']"],
        # rules: glad and furious through the judge's groups (happy+glad, angry+furious),
        # joyful and anxious by alias, calm nowhere (<none>); the fake judge's classes:
        # happy, angry, happy, worried, neutral
        "prediction": ["['glad']", "['furious']", "['joyful']", "['anxious']", "['calm']"],
    })
    path = tmp_path / "p.csv"
    table.to_csv(path, index=False)
    with serve_judge() as (url, judge):
        args = ["score", str(path), "--task", "open-vocabulary", "--synonyms",
                f"judge:llm:{url}#judge-model", "--judge-cache", str(tmp_path / "cache"),
                "--to-taxonomy", "neutral,happy,angry,worried"]
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o")])
        assert result.exit_code == 0, result.output
        n_first = len(judge.requests)
        assert CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o2")]).exit_code == 0
        assert len(judge.requests) == n_first  # the taxonomy answers are cached too
    tax = json.loads((tmp_path / "o" / "results.json").read_text())["taxonomy"]
    rows = pd.read_csv(tmp_path / "o" / "detailed_results.csv").set_index("id")
    assert rows["predicted_class"].tolist() == ["happy", "angry", "happy", "worried", "<none>"]
    assert rows["judge_class"].tolist() == ["happy", "angry", "happy", "worried", "neutral"]
    assert rows.loc["a", "judge_class_answer"] == '"Happy."'
    rule, by_judge = rows["predicted_class"].astype(str), rows["judge_class"].astype(str)
    agreement = tax["judge"]["agreement"]
    assert agreement["n"] == 5 and agreement["n_differ"] == 1
    assert agreement["differ"] == [{"id": "e", "words": ["calm"], "rule": "<none>",
                                    "judge": "neutral"}]
    assert agreement["cohen_kappa"] == pytest.approx(cohen_kappa_score(
        rule, by_judge, labels=["neutral", "happy", "angry", "worried", "<none>"]))
    assert tax["single_label_judge"]["metrics"]["accuracy"] == pytest.approx(0.8)
    assert "Rule-based classes against the judge" in (tmp_path / "o" / "report.md").read_text()
