"""Scoring MER2024-format fixtures written here: awkward quoting, empty sets, .npy answers
in a folder and in a zip, every outcome kind, both policies, the single-file input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.errors import EmoevalError
from emoeval.openvocab.scoring import score_open_vocabulary
from ov_fixtures import (reference_mer2024, write_npy_folder, write_npy_zip,
                         write_openset_csv)

TRUTH = {
    "s1": "['happy', 'relaxed', 'humorous']",
    "s2": '["angry", "dissatisfied"]',
    "s3": "['worried', ' nervous']",          # a stray space inside the quotes
    "s4": "['sad']",
    "s5": "[]",                               # empty truth: an input error
    "s6": "['surprised', 'excited']",         # no .npy answer: transport
    "s7": "['Calm', \"it's fine\"]",          # an apostrophe MER's rule cuts
}
PREDICTED = {
    "s1": "['joyful', 'relaxed']",
    "s2": "['angry']",
    "s3": "['nervous', 'anxious', 'tense']",
    "s4": "[]",                               # empty prediction: unanswered
    "s5": "['happy']",
    "s6": "['surprised']",
    "s7": "['calm']",
}
GROUPS = {
    "s1": "[['happy', 'joyful'], ['relaxed'], ['humorous']]",
    "s2": "[['angry', 'dissatisfied']]",
    "s3": "[['Worried', 'anxious', ' nervous'], ['tense']]",
    "s4": "[['sad']]",
    "s5": "[['happy']]",
    "s7": "[['calm'], ['it', 's fine']]",
}


@pytest.fixture
def mer_files(tmp_path):
    return {"truth": write_openset_csv(tmp_path / "truth.csv", TRUTH),
            "predictions": write_openset_csv(tmp_path / "pred.csv", PREDICTED),
            "folder": write_npy_folder(tmp_path / "openset-synonym", GROUPS),
            "zip": write_npy_zip(tmp_path / "openset-synonym.zip", GROUPS)}


def score(files, synonyms, **options):
    return score_open_vocabulary(pd.DataFrame(), truth=str(files["truth"]),
                                 predictions=str(files["predictions"]),
                                 synonyms=str(synonyms), n_resamples=200, **options)


@pytest.mark.parametrize("where", ["folder", "zip"])
def test_mer2024_protocol_matches_the_reference_rule(mer_files, where):
    part, table = score(mer_files, mer_files[where], protocol="mer2024")
    truth = {k: v for k, v in TRUTH.items() if k != "s5"}  # MER divides by zero there
    accuracy, recall = reference_mer2024(truth, PREDICTED, GROUPS)
    assert part["metrics"]["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert part["metrics"]["recall"] == pytest.approx(recall, abs=1e-12)
    assert part["metrics"]["accuracy_recall_mean"] == pytest.approx((accuracy + recall) / 2,
                                                                    abs=1e-12)
    kinds = dict(zip(table["id"], table["kind"]))
    assert kinds == {"s1": "ok", "s2": "ok", "s3": "ok", "s4": "unanswered", "s5": "input",
                     "s6": "transport", "s7": "ok"}
    assert part["coverage"] == {"n_answered": 4, "n_unanswered": 1, "n_input_errors": 1,
                                "n_transport_errors": 1, "answered_share": 4 / 7}
    assert part["n_samples"] == sum(v for k, v in part["coverage"].items()
                                    if k.startswith("n_"))


def test_policies_side_by_side(mer_files):
    part, table = score(mer_files, mer_files["zip"], protocol="mer2024", invalid_policy="exclude")
    assert part["protocol"]["unanswered_policy"] == "exclude"
    scored = table[table["kind"] == "ok"]
    assert part["metrics"]["accuracy"] == pytest.approx(scored["accuracy"].mean())
    assert part["policies"]["exclude"]["n_scored"] == 4
    assert part["policies"]["wrong"]["n_scored"] == 5
    # wrong: the unanswered sample adds a 0 to each mean
    assert part["policies"]["wrong"]["recall"] == pytest.approx(scored["recall"].sum() / 5)


def test_default_parser_strips_words_and_counts_disagreements(mer_files):
    part, table = score(mer_files, mer_files["folder"])
    row = table.set_index("id").loc["s3"]
    assert json.loads(row["truth_words"]) == ["worried", "nervous"]
    assert row["recall"] == 1.0  # nervous and worried share a group once stripped
    assert part["parsing"]["n_parser_disagreements"] >= 2  # s3 and s7 read differently
    assert {"s3", "s7"} <= set(part["parsing"]["parser_disagreement_ids"])
    interval = part["ci"]["accuracy_recall_mean"]
    assert interval["unit"] == "sample" and interval["low"] <= interval["high"]


def test_single_file_with_delimited_sets_and_a_global_synonym_file(tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("happy, joyful, glad\n# a comment\nangry; furious\n", "utf-8")
    table = pd.DataFrame({"id": ["a", "b", "c"], "speaker": ["x", "y", "y"],
                          "label": ["happy, calm", "angry", "sad | tired"],
                          "prediction": ["joyful", "Furious, sad", ""]})
    part, scored = score_open_vocabulary(table, synonyms=str(synonyms), n_resamples=100)
    assert part["parsing"]["formats"]["label"] == {"delimited": 3}
    per_row = scored.set_index("id")
    assert per_row.loc["a", ["accuracy", "recall"]].tolist() == [1.0, 0.5]
    assert per_row.loc["b", ["accuracy", "recall"]].tolist() == [0.5, 1.0]
    assert per_row.loc["c", "kind"] == "unanswered"
    assert part["ci"]["accuracy"]["unit"] == "speaker"
    words = {w["word"]: w for w in part["per_word"]["words"]}
    assert words["happy"]["hit_rate"] == 1.0 and words["calm"]["hit_rate"] == 0.0


def test_pickled_npy_is_refused(tmp_path, mer_files):
    folder = tmp_path / "pickled"
    folder.mkdir()
    np.save(folder / "s1.npy", np.array([["happy"]], dtype=object), allow_pickle=True)
    with pytest.raises(EmoevalError, match="not a plain-text"):
        score(mer_files, folder)


def test_cli_scores_mer_files_and_renders_the_report(mer_files, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "score", "--task", "open-vocabulary", "--protocol", "mer2024",
        "--truth", str(mer_files["truth"]), "--predictions", str(mer_files["predictions"]),
        "--synonyms", str(mer_files["zip"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert f"{results['metrics']['accuracy']!r}" in result.output.replace("\n", "")
    report = (out / "report.md").read_text()
    assert "## Coverage and the unanswered policy" in report
    assert (out / "word_hit_rates.png").is_file()
    detailed = pd.read_csv(out / "detailed_results.csv")
    assert set(detailed["kind"]) == {"ok", "unanswered", "input", "transport"}


@pytest.mark.parametrize("args, message", [
    (["--protocol", "mer2023"], "--protocol"),
    (["--invalid-policy", "fallback:happy"], "does not apply"),
    (["--synonyms", "/nonexistent/syn.zip"], "no such file"),
])
def test_cli_user_mistakes_are_one_line(mer_files, tmp_path, args, message):
    result = CliRunner().invoke(app, [
        "score", "--task", "open-vocabulary", "--truth", str(mer_files["truth"]),
        "--predictions", str(mer_files["predictions"]), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_cli_needs_a_file_or_the_mer_pair(tmp_path):
    result = CliRunner().invoke(app, ["score", "--task", "open-vocabulary", "--out",
                                      str(tmp_path / "o")])
    assert result.exit_code == 2 and "--truth" in result.output


def test_slices_mark_small_groups_and_the_report_says_so(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": [f"s{i}" for i in range(12)],
                  "corpus": ["big"] * 10 + ["tiny"] * 2,
                  "label": ["happy"] * 12, "prediction": ["happy"] * 11 + ["sad"]}
                 ).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["score", str(path), "--task", "open-vocabulary",
                                      "--slice-by", "corpus", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    slices = json.loads((tmp_path / "o" / "results.json").read_text())["slices"]["corpus"]
    assert (slices["big"]["small"], slices["tiny"]["small"]) == (False, True)
    assert slices["tiny"]["accuracy"] == 0.5  # the value is kept in JSON
    assert "n/a (n=2)" in (tmp_path / "o" / "report.md").read_text()


def test_mer2024_judge_answer_without_brackets_is_unanswered(tmp_path):
    groups = write_npy_folder(tmp_path / "g", {"a": "Sorry, I cannot help.", "b": "[['sad']]"})
    truth = write_openset_csv(tmp_path / "t.csv", {"a": "['happy']", "b": "['sad']"})
    predicted = write_openset_csv(tmp_path / "p.csv", {"a": "['happy']", "b": "['sad']"})
    part, table = score_open_vocabulary(pd.DataFrame(), truth=str(truth),
                                        predictions=str(predicted), synonyms=str(groups),
                                        protocol="mer2024", n_resamples=20)
    assert dict(zip(table["id"], table["kind"])) == {"a": "unanswered", "b": "ok"}
    assert part["policies"]["wrong"]["accuracy"] == 0.5
    assert part["policies"]["exclude"]["accuracy"] == 1.0
