"""Rating answers of LLMs (emoeval.answers.ratings, .rating_table) and the llm: adapter in
rating mode, against the scripted OpenAI-compatible server of tests/generative on loopback."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from loopback import serve

from emoeval.adapters.base import load_adapter
from emoeval.answers.prompts import spelled_dimensions
from emoeval.answers.rating_table import (
    account_answers,
    answer_summary,
    answers_headline,
    apply_answer_policy,
    dimensional_answer_columns,
    parse_answer_policy,
)
from emoeval.answers.ratings import (
    PIPELINE_VERSION,
    STATUSES,
    UNUSABLE,
    answer_names,
    parse_dimension_answer,
)
from emoeval.dimensional.scoring import score_dimensional
from emoeval.errors import EmoevalError, SampleError

from generative_llm_server import create_app  # the generative folder is on pythonpath

VAD = ["V", "A", "D"]
SCALE = (1.0, 5.0)
EVERY = {"V": 3.5, "A": 2.0, "D": 3.0}

# (answer as LLMs write it, status, values when valid)
ANSWERS = [
    ('{"valence": 3.5, "arousal": 2, "dominance": 3}', "valid", EVERY),
    ('```json\n{"valence": 3.5, "arousal": 2, "dominance": 3}\n```', "valid", EVERY),
    ('Sure! Here are the ratings:\n```json\n{"V": 3.5, "A": 2, "D": "3/5"}\n```\n'
     'The text is mildly positive.', "valid", EVERY),
    ('{"Valence (V)": "3.5", "arousal_score": 2.0, "dominance": {"score": 3, "why": "x"}}',
     "valid", EVERY),
    ('{"ratings": {"pleasure": 3.5, "activation": 2, "potency": 3}}', "valid", EVERY),
    ('[{"dimension": "valence", "value": 3.5}, {"dimension": "arousal", "value": 2}, '
     '{"dimension": "dominance", "value": 3}]', "valid", EVERY),
    ('{"valence": 3.5, "arousal": 2, "dominance": 3, "explanation": "calm, about 1"}',
     "valid", EVERY),
    ("valence: 3.5, arousal: 2, dominance: 3", "valid", EVERY),
    ("Valence = 3.5/5\nArousal = 2/5\nDominance = 3 out of 5", "valid", EVERY),
    ("- **Valence:** 3.5\n- **Arousal:** 2\n- **Dominance:** 3", "valid", EVERY),
    ("**Valence (V)**: 3.5 (slightly positive)\n**Arousal (A)**: 2 (calm)\n"
     "**Dominance (D)**: 3", "valid", EVERY),
    ("V: 3.5 A: 2 D: 3", "valid", EVERY),
    ("V=3,5; A=2; D=3", "valid", EVERY),  # a decimal comma
    ("Valence is about 3.5, arousal is around 2 and dominance would be 3.", "valid", EVERY),
    ("On a scale of 1 to 5, valence is 3.5, arousal is 2, dominance is 3.", "valid", EVERY),
    ("Valence on a scale of 1 to 5: 3.5\nArousal (1-5): 2\nDominance: 3", "valid", EVERY),
    ("| Dimension | Score |\n|---|---|\n| Valence | 3.5 |\n| Arousal | 2 |\n"
     "| Dominance | 3 |", "valid", EVERY),
    ("Valence - 3.5\nArousal - 2\nDominance - 3", "valid", EVERY),
    ('{"valence": 3.5, "arousal": 2, "dominance": 3', "valid", EVERY),  # cut-off JSON as text
    ("Valence: 3.5\nArousal: 2\nDominance: 3\n\nValence is 3.5 because the tone is warm.",
     "valid", EVERY),  # the same number twice
    # unusable
    ("I'm sorry, but I can't rate the emotions in this text.", "invalid", None),
    ("The text sounds fairly positive and calm.", "invalid", None),
    ("3.5, 2, 3", "invalid", None),  # numbers without names
    ('{"emotion": "happy"}', "invalid", None),
    ('{"valence": null, "arousal": "n/a", "dominance": null}', "invalid", None),
    ("", "invalid", None),
    ("   \n", "invalid", None),
    ("Valence: 3.5, Arousal: 2", "incomplete", None),
    ('{"valence": 3.5, "arousal": null, "dominance": 3}', "incomplete", None),
    ("Valence: 3.5\nArousal: N/A\nDominance: 3", "incomplete", None),
    ("Valence: 3-4, Arousal: 2, Dominance: 3", "ambiguous", None),
    ("Valence: 3 or 4, Arousal: 2, Dominance: 3", "ambiguous", None),
    ('{"valence": [3, 4], "arousal": 2, "dominance": 3}', "ambiguous", None),
    ("Valence: 4\nArousal: 2\nDominance: 3\n\nOn reflection, valence: 3.", "ambiguous", None),
    ("Valence: 3-4, Arousal: 2", "ambiguous", None),  # ambiguous before incomplete
    ("Valence: 6, Arousal: 2, Dominance: 3", "out_of_range", None),
    ('{"valence": 0, "arousal": 2, "dominance": 3}', "out_of_range", None),
    ("Valence: 7/10, Arousal: 2, Dominance: 3", "out_of_range", None),  # another scale
    ("Valence: 70%, Arousal: 2, Dominance: 3", "out_of_range", None),
    ("Valence: 6, Arousal: 2", "incomplete", None),  # incomplete before out_of_range
]


@pytest.mark.parametrize("answer, status, values", ANSWERS)
def test_answers_as_llms_write_them(answer, status, values):
    parsed = parse_dimension_answer(answer, VAD, SCALE)
    assert parsed.status == status, parsed.detail
    assert parsed.values == values
    assert parsed.detail  # every status says why


def test_statuses_name_the_dimension_and_the_problem():
    incomplete = parse_dimension_answer("Valence: 3.5, Arousal: 2", VAD, SCALE)
    assert "D" in incomplete.detail and incomplete.extracted == "V=3.5 A=2"
    ambiguous = parse_dimension_answer("Valence: 3 or 4, Arousal: 2, Dominance: 3", VAD, SCALE)
    assert "V 3 or 4" in ambiguous.detail and ambiguous.extracted.startswith("V=3|4")
    outside = parse_dimension_answer("Valence: 6, Arousal: 2, Dominance: 3", VAD, SCALE)
    assert "6 is outside 1 to 5" in outside.detail
    assert "refusal" in parse_dimension_answer("I cannot do that.", VAD, SCALE).detail


def test_without_a_scale_no_value_is_out_of_range():
    parsed = parse_dimension_answer("Valence: 6, Arousal: 2, Dominance: 70", VAD)
    assert parsed.status == "valid" and parsed.values == {"V": 6.0, "A": 2.0, "D": 70.0}


def test_transport_failures_are_errors_not_answers():
    by_cell = parse_dimension_answer(None, VAD, SCALE, error="HTTP 500: boom [4 attempts]")
    assert by_cell.status == "error" and by_cell.values is None
    by_exception = parse_dimension_answer(SampleError("timeout after 60 s"), VAD, SCALE)
    assert by_exception.status == "error" and "timeout" in by_exception.detail
    answered = parse_dimension_answer("V: 3 A: 3 D: 3", VAD, SCALE, error=float("nan"))
    assert answered.status == "valid"  # a NaN error cell (pandas) is no error


@pytest.mark.parametrize("answer, value", [
    ("3.5", 3.5), ("3.5/5", 3.5), ("Rating: 4", 4.0), ("**2**", 2.0), ("4.", 4.0),
    ('{"score": 4}', 4.0), ('{"arousal": 4}', 4.0), ("Arousal: 4.5 out of 5", 4.5),
    ("I'd rate the arousal 2.", 2.0), ("3,5", 3.5),
])
def test_one_dimension_takes_a_bare_number(answer, value):
    parsed = parse_dimension_answer(answer, ["arousal"], SCALE)
    assert parsed.status == "valid", parsed.detail
    assert parsed.values == {"arousal": value}


def test_negative_scales_keep_the_sign():
    assert parse_dimension_answer("Valence: -0.5", ["valence"], (-1.0, 1.0)).values == {
        "valence": -0.5}
    assert parse_dimension_answer("-0.25", ["valence"], (-1.0, 1.0)).values == {
        "valence": -0.25}
    assert parse_dimension_answer("Valence - 0.5", ["valence"], (-1.0, 1.0)).values == {
        "valence": 0.5}  # a dash with a space is a separator


def test_letters_and_common_words_need_a_separator():
    # "a" is an article, "power" and "control" ordinary words: no value without ":"
    parsed = parse_dimension_answer("A 2 star review with power 3 and control 4", VAD, SCALE)
    assert parsed.status == "invalid"
    assert parse_dimension_answer("Power: 3, Energy: 2, Pleasure: 4", VAD, SCALE).values == {
        "V": 4.0, "A": 2.0, "D": 3.0}


def test_names_follow_the_dimension_families():
    names = answer_names(["V", "A", "D"])
    assert "valence" in names["V"] and "pleasure" in names["V"] and "v" in names["V"]
    assert "activation" in names["A"] and "potency" in names["D"]
    # two dimensions of one family: only their own names count
    shared = answer_names(["valence", "V"])
    assert shared == {"valence": ("valence",), "V": ("v",)}
    assert spelled_dimensions(["V", "A", "D"]) == "valence (V), arousal (A), dominance (D)"
    assert spelled_dimensions(["valence", "intensity"]) == "valence, intensity"
    # a dimension outside every family is read by its own name
    assert parse_dimension_answer("intensity: 4", ["intensity"], SCALE).values == {
        "intensity": 4.0}


# --------------------------------------------------------------------------- accounting

TEXTS = ['{"valence": 4, "arousal": 2, "dominance": 3}', "Valence: 2\nArousal: 4\nDominance: 1",
         "Valence: 3.5, Arousal: 2", "I'm sorry, I can't help with that.", None,
         "V: 9 A: 2 D: 3", "V: 1 A: 5 D: 5"]
ERRORS = [None, "", None, None, "HTTP 500: internal error [4 attempts]", None, None]


def test_answer_columns_exclude_unusable_answers_by_default():
    columns = dimensional_answer_columns(TEXTS, ERRORS, VAD, SCALE)
    assert list(columns.columns) == ["response", "status", "extracted", "status_detail",
                                     "V_pred", "A_pred", "D_pred", "error"]
    assert list(columns["status"]) == ["valid", "valid", "incomplete", "invalid", "error",
                                       "out_of_range", "valid"]
    assert columns.loc[0, ["V_pred", "A_pred", "D_pred"]].tolist() == [4.0, 2.0, 3.0]
    assert columns.loc[4, "error"] == "HTTP 500: internal error [4 attempts]"
    unusable = columns["status"].isin(UNUSABLE)
    assert columns.loc[unusable, "error"].str.startswith("unusable answer (").all()
    assert columns.loc[2, "error"].startswith("unusable answer (incomplete): ")
    assert columns.loc[unusable | (columns["status"] == "error"),
                       ["V_pred", "A_pred", "D_pred"]].isna().all().all()
    assert (columns.loc[columns["status"] == "valid", "error"] == "").all()
    assert columns.loc[4, "response"] == "" and columns.loc[3, "response"] == TEXTS[3]


def test_midpoint_policy_rates_unusable_answers_the_middle_of_the_scale():
    columns = dimensional_answer_columns(TEXTS, ERRORS, VAD, SCALE, policy="midpoint")
    unusable = columns["status"].isin(UNUSABLE)
    assert (columns.loc[unusable, ["V_pred", "A_pred", "D_pred"]] == 3.0).all().all()
    assert (columns.loc[unusable, "error"] == "").all()
    assert columns.loc[4, "error"].startswith("HTTP 500")  # a failed request stays an error
    assert math.isnan(columns.loc[4, "V_pred"])
    # re-applying a policy to a table written under the other one is the same as reading
    excluded = dimensional_answer_columns(TEXTS, ERRORS, VAD, SCALE, policy="exclude")
    pd.testing.assert_frame_equal(apply_answer_policy(excluded, VAD, "midpoint", SCALE),
                                  columns)
    pd.testing.assert_frame_equal(apply_answer_policy(columns, VAD, "exclude", SCALE), excluded)


def test_bad_policies_are_refused():
    with pytest.raises(EmoevalError, match="exclude .* or midpoint"):
        parse_answer_policy("wrong")
    with pytest.raises(EmoevalError, match="--target-range"):
        dimensional_answer_columns(TEXTS, ERRORS, VAD, None, policy="midpoint")
    assert parse_answer_policy(None) == "exclude"


def test_account_answers_counts_every_status_and_lists_the_unusable():
    pairs = [(f"s{i}", SampleError(e) if e else t) for i, (t, e) in enumerate(zip(TEXTS, ERRORS))]
    table, summary = account_answers(pairs, VAD, SCALE)
    assert list(table["id"]) == [f"s{i}" for i in range(len(TEXTS))]
    assert summary["pipeline"] == PIPELINE_VERSION and summary["policy"] == "exclude"
    assert set(summary["by_status"]) == set(STATUSES)
    expected = {s: list(table["status"]).count(s) for s in STATUSES}
    assert summary["by_status"] == expected
    assert summary["by_status"]["error"] == 1 and summary["n_answers"] == len(TEXTS) - 1
    assert summary["valid_answer_rate"] == expected["valid"] / (len(TEXTS) - 1)
    assert [u["id"] for u in summary["unusable"]] == ["s2", "s3", "s5"]
    assert summary["unusable"][1]["status"] == "invalid"
    assert summary["unusable"][1]["response"] == TEXTS[3]
    line = answers_headline(summary)
    assert line.startswith("valid answers 3/6 (50.0%)") and "incomplete 1" in line


def test_the_dimensional_scorer_leaves_unusable_answers_out():
    rng = np.random.default_rng(3)
    n = 40
    truth = rng.uniform(1, 5, size=(n, 3))
    texts = [json.dumps(dict(zip(["valence", "arousal", "dominance"],
                                 np.round(row + rng.normal(0, 0.5, 3), 2).clip(1, 5).tolist())))
             for row in truth]
    texts[3], texts[7], texts[11] = "I cannot rate this.", "Valence: 3", "V: 3 or 4 A: 2 D: 2"
    errors = [None] * n
    errors[5] = "timeout after 60 s [4 attempts]"
    columns = dimensional_answer_columns(texts, errors, VAD, SCALE)
    table = pd.concat([pd.DataFrame({"id": [f"t{i}" for i in range(n)]}),
                       pd.DataFrame(truth, columns=["V_true", "A_true", "D_true"]), columns],
                      axis=1)
    part, detailed = score_dimensional(table, n_resamples=50)
    assert part["n_scored"] == n - 4 and part["n_errors"] == 4
    assert part["errors"]["by_kind"] == {"unusable answer (invalid)": 1,
                                         "unusable answer (incomplete)": 1,
                                         "unusable answer (ambiguous)": 1, "timeout after 60 s "
                                         "[4 attempts]": 1}
    valid_only = table[columns["status"] == "valid"].drop(columns=["error"])
    reference, _ = score_dimensional(valid_only, n_resamples=50)
    assert part["metrics"] == reference["metrics"]


def test_the_scorer_applies_the_midpoint_policy_on_the_target_scale():
    columns = dimensional_answer_columns(TEXTS, ERRORS, VAD, SCALE)
    columns.insert(0, "id", [f"r{i}" for i in range(len(TEXTS))])
    for dim in VAD:
        columns[f"{dim}_true"] = np.linspace(1, 5, len(TEXTS))
    part, table = score_dimensional(columns, n_resamples=20, invalid_policy="midpoint",
                                    target_range="1,5")
    unusable = columns["status"].isin(UNUSABLE).to_numpy()
    assert (table.loc[unusable, "V_pred"] == 3.0).all()
    assert part["answers"]["policy"] == "midpoint" and "midpoint" in part["headline"]
    failed = int((columns["status"] == "error").sum())
    assert part["n_errors"] == failed and part["n_scored"] == len(TEXTS) - failed
    with pytest.raises(EmoevalError):  # midpoint needs the scale
        score_dimensional(columns, n_resamples=20, invalid_policy="midpoint")
    plain = columns.drop(columns=["status"])
    with pytest.raises(EmoevalError, match="applies to text answers"):
        score_dimensional(plain, n_resamples=20, invalid_policy="exclude")


def test_emoeval_score_rescores_a_written_answer_table_under_either_policy(tmp_path):
    from emoeval.api import score_file

    columns = dimensional_answer_columns(TEXTS, ERRORS, VAD, SCALE)
    columns.insert(0, "id", [f"r{i}" for i in range(len(TEXTS))])
    for dim in VAD:
        columns[f"{dim}_true"] = np.linspace(1, 5, len(TEXTS))
    path = tmp_path / "detailed_results.csv"
    columns.to_csv(path, index=False)  # read back as strings, empty predictions as ""
    excluded = score_file(str(path), str(tmp_path / "x"), task="dimensional", n_resamples=20)
    midpoint = score_file(str(path), str(tmp_path / "m"), task="dimensional", n_resamples=20,
                          invalid_policy="midpoint", target_range="1,5")
    n_unusable = int(columns["status"].isin(UNUSABLE).sum())
    assert midpoint["n_scored"] == excluded["n_scored"] + n_unusable
    assert excluded["answers"]["policy"] == "exclude"
    assert midpoint["answers"]["by_status"] == excluded["answers"]["by_status"]


def test_a_written_table_reads_back_under_either_policy(tmp_path):
    columns = dimensional_answer_columns(TEXTS, ERRORS, VAD, SCALE)
    columns.insert(0, "id", [f"r{i}" for i in range(len(TEXTS))])
    path = tmp_path / "detailed_results.csv"
    columns.to_csv(path, index=False)
    read = pd.read_csv(path, keep_default_na=False, na_values=[""])
    summary = answer_summary(read)
    assert summary["by_status"] == answer_summary(columns)["by_status"]
    assert summary["n_unusable"] == 3 and summary["unusable"][0]["id"] == "r2"
    midpoint = apply_answer_policy(read, VAD, "midpoint", SCALE)
    assert (midpoint.loc[read["status"].isin(UNUSABLE), "V_pred"] == 3.0).all()
    assert midpoint.loc[0, "V_pred"] == 4.0 and midpoint.loc[4, "error"].startswith("HTTP 500")
    assert answer_summary(midpoint, "midpoint")["policy"] == "midpoint"


# ------------------------------------------------------------------------ the llm adapter


@pytest.fixture(scope="module")
def server():
    app, log = create_app()
    with serve(app) as url:
        yield url + "/v1", log


def rating_adapter(base: str, modality: str = "text", **options):
    llm = load_adapter(f"llm:{base}#test-model", **{"sleep": [].append, "backoff": 0,
                                                    "timeout": 5, **options})
    llm.modality = modality
    return llm


def test_set_dimensions_sends_the_rating_prompt(server):
    base, log = server
    llm = rating_adapter(base, retries=0)
    llm.set_candidate_labels(VAD)  # what evaluate does first, then set_dimensions
    llm.set_dimensions(VAD, SCALE)
    before = len(log)
    answers = llm.predict(['a calm day [answer={"valence": 3.5, "arousal": 2, "dominance": 3}]',
                           "a riot [answer=Valence: 2, Arousal: 5]", "x [500-always]"])
    prompts = [body["messages"][0]["content"] for body in log[before:]]
    assert len(prompts) == 3
    for prompt in prompts:
        assert "valence (V), arousal (A), dominance (D)" in prompt and "1 to 5" in prompt
        assert '{"valence": <number>, "arousal": <number>, "dominance": <number>}' in prompt
        assert "{text}" not in prompt and "{scale}" not in prompt
    assert sorted(p.rsplit("Text: ", 1)[1].split(" [")[0] for p in prompts) == [
        "a calm day", "a riot", "x"]
    assert all("response_format" not in body for body in log[before:])
    statuses = [parse_dimension_answer(a, VAD, SCALE).status for a in answers]
    assert statuses == ["valid", "incomplete", "error"]
    assert isinstance(answers[2], SampleError)


def test_set_dimensions_before_labels_and_audio(server):
    base, log = server
    llm = rating_adapter(base, modality="audio")
    llm.set_dimensions(["valence", "arousal"], (0.0, 1.0))
    llm.set_candidate_labels(["valence", "arousal"])  # must not switch back to classes
    clip = (0.1 * np.sin(np.linspace(0, 100, 4000))).astype(np.float32)
    assert llm.predict([clip]) == ["neutral"]  # the scripted default answer
    content = log[-1]["messages"][0]["content"]
    assert content[0]["type"] == "text" and content[1]["type"] == "input_audio"
    assert "valence, arousal" in content[0]["text"] and "0 to 1" in content[0]["text"]
    assert "{labels}" not in content[0]["text"]


def test_structured_output_asks_for_one_number_per_dimension(server):
    base, log = server
    llm = rating_adapter(base, structured_output=True)
    llm.set_candidate_labels(VAD)
    llm.set_dimensions(VAD, SCALE)
    llm.predict(["y [answer=3]"])
    schema = log[-1]["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["valence", "arousal", "dominance"]
    assert schema["properties"]["valence"] == {"type": "number", "minimum": 1.0, "maximum": 5.0}
    assert schema["additionalProperties"] is False


def test_a_user_prompt_uses_the_same_placeholders(tmp_path, server):
    base, log = server
    prompt = tmp_path / "rate.txt"
    prompt.write_text("Rate {dimensions} from {scale}. Answer as {answer_format}.\n{text}")
    llm = rating_adapter(base, prompt=str(prompt))
    llm.set_candidate_labels(VAD)  # a rating prompt has no {labels}: not refused here
    llm.set_dimensions(VAD, SCALE)
    llm.predict(["z [answer=V: 1 A: 1 D: 1]"])
    sent = log[-1]["messages"][0]["content"]
    assert sent.startswith("Rate valence (V), arousal (A), dominance (D) from 1 to 5. Answer "
                           'as {"valence": <number>, "arousal": <number>, "dominance": '
                           "<number>}.\nz [answer=")


def test_prompts_and_scales_that_cannot_work_are_refused(tmp_path):
    class_prompt = tmp_path / "classes.txt"
    class_prompt.write_text("Pick one of {labels}.\n{text}")
    llm = rating_adapter("http://127.0.0.1:9/v1", prompt=str(class_prompt))
    llm.set_candidate_labels(VAD)
    with pytest.raises(EmoevalError, match="no \\{dimensions\\} placeholder"):
        llm.set_dimensions(VAD, SCALE)
    with pytest.raises(EmoevalError, match="--target-range"):
        rating_adapter("http://127.0.0.1:9/v1").set_dimensions(VAD, None)
    with pytest.raises(EmoevalError, match="lo < hi"):
        rating_adapter("http://127.0.0.1:9/v1").set_dimensions(VAD, (5.0, 1.0))
    # a rating prompt on a dataset with class labels: refused before any request
    rating_prompt = tmp_path / "rating.txt"
    rating_prompt.write_text("Rate {dimensions}.\n{text}")
    llm = rating_adapter("http://127.0.0.1:9/v1", prompt=str(rating_prompt))
    llm.set_candidate_labels(["happy", "sad"])
    with pytest.raises(EmoevalError, match="rating prompt"):
        llm.fingerprint()
    with pytest.raises(EmoevalError, match="rating prompt"):
        llm.prompt_for("text")
    no_text = tmp_path / "no_text.txt"
    no_text.write_text("Rate {dimensions} from {scale}.")
    llm = rating_adapter("http://127.0.0.1:9/v1", prompt=str(no_text))
    with pytest.raises(EmoevalError, match="no \\{text\\} placeholder"):
        llm.set_dimensions(VAD, SCALE)


def test_fingerprint_covers_the_dimensions_and_the_scale():
    def fingerprint(dimensions=VAD, value_range=SCALE, **options) -> str:
        llm = rating_adapter("http://127.0.0.1:9/v1", **options)
        llm.set_candidate_labels(list(dimensions))
        if value_range is not None:
            llm.set_dimensions(list(dimensions), value_range)
        return llm.fingerprint()

    reference = fingerprint()
    assert fingerprint() == reference
    assert fingerprint(dimensions=["V", "A"]) != reference
    assert fingerprint(dimensions=["A", "V", "D"]) != reference
    assert fingerprint(value_range=(1.0, 9.0)) != reference
    assert fingerprint(value_range=None) != reference  # class answers over the same names
    assert fingerprint(max_tokens=16) != reference
    assert fingerprint(concurrency=9) == reference  # transport is not identity


def test_evaluate_an_llm_on_ratings_end_to_end(tmp_path, server):
    """csv with targets -> llm: rating prompt -> answers parsed -> CCC; unusable answers
    excluded by default, rated the midpoint on request, without asking the model again."""
    from typer.testing import CliRunner

    from emoeval.cli import app

    base, log = server
    answers = ['{"valence": 4, "arousal": 2, "dominance": 3}',
               "Valence: 2, Arousal: 4, Dominance: 2",
               "I cannot rate that.", '{"valence": 5, "arousal": 5, "dominance": 4}',
               "V: 1 A: 3", '```json\n{"V": 3, "A": 1, "D": 5}\n```']
    rows = pd.DataFrame({"id": [f"e{i}" for i in range(len(answers))],
                         "text": [f"sentence {i} [answer={a}]" for i, a in enumerate(answers)],
                         "V": [4.2, 2.1, 3.0, 4.8, 1.5, 2.9], "A": [2.2, 3.8, 3.0, 4.6, 3.1, 1.4],
                         "D": [3.1, 2.2, 3.0, 4.1, 2.0, 4.7]})
    rows.to_csv(tmp_path / "ratings.csv", index=False)
    common = ["evaluate", "--model", f"llm:{base}#test-model", "--dataset",
              f"csv:{tmp_path / 'ratings.csv'}", "--target-cols", "V,A,D", "--target-range",
              "1,5", "--retries", "0"]
    result = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "excluded")])
    assert result.exit_code == 0, result.output
    excluded = json.loads((tmp_path / "excluded" / "results.json").read_text())
    assert excluded["task"] == "dimensional" and excluded["n_scored"] == 4
    assert excluded["answers"]["by_status"]["invalid"] == 1
    assert excluded["answers"]["by_status"]["incomplete"] == 1
    sent = len(log)
    # the policy is the scorer's: the same store is scored again, and nothing is asked again
    midpoint = CliRunner().invoke(app, [*common, "--invalid-policy", "midpoint", "--out",
                                        str(tmp_path / "excluded")])
    assert midpoint.exit_code == 0, midpoint.output
    assert len(log) == sent
    scored = json.loads((tmp_path / "excluded" / "results.json").read_text())
    assert scored["n_scored"] == 6 and scored["answers"]["policy"] == "midpoint"
    table = pd.read_csv(tmp_path / "excluded" / "detailed_results.csv")
    assert table.loc[table["status"] != "valid", "V_pred"].tolist() == [3.0, 3.0]
    report = (tmp_path / "excluded" / "report.md").read_text()
    assert "## Answers" in report and "rated at the middle of the scale" in report
    assert "| e4 | incomplete |" in report
