"""The shared answer vocabulary (emoeval.answers.statuses) and the one unanswered-policy
mechanism (emoeval.answers.policies), checked against contracts-v2 sections 1 and 2."""

from __future__ import annotations

import numpy as np
import pytest

from emoeval.answers.labels import label_predictions
from emoeval.answers.policies import (
    DIMENSIONAL_POLICIES,
    MULTI_LABEL_POLICIES,
    OPEN_VOCABULARY_POLICIES,
    SINGLE_LABEL_POLICIES,
    Policy,
)
from emoeval.answers.statuses import (
    LABEL_STATUSES,
    RATING_STATUSES,
    STATUSES,
    UNUSABLE,
    outcome_kind,
    outcome_kinds,
    unusable_of,
)
from emoeval.errors import EmoevalError

LABELS = ["neutral", "angry", "happy", "sad"]


def test_every_status_maps_onto_one_outcome_kind():
    assert outcome_kind("valid") == "ok"
    # contracts-v2 section 1: out of taxonomy, ambiguous, unparsable or empty -> unanswered
    for status in ("ambiguous", "out_of_taxonomy", "incomplete", "out_of_range", "invalid"):
        assert outcome_kind(status) == "unanswered"
    assert outcome_kind("error") == "transport"
    assert outcome_kind("error", failed="input") == "input"
    assert {outcome_kind(s) for s in STATUSES} == {"ok", "unanswered", "transport"}
    with pytest.raises(ValueError, match="unknown answer status"):
        outcome_kind("maybe")
    with pytest.raises(ValueError):
        outcome_kind("error", failed="unanswered")
    assert list(outcome_kinds(["valid", "invalid", "error"])) == ["ok", "unanswered",
                                                                  "transport"]


def test_each_pipeline_uses_a_part_of_the_one_vocabulary():
    assert set(LABEL_STATUSES) <= set(STATUSES) and set(RATING_STATUSES) <= set(STATUSES)
    assert unusable_of(LABEL_STATUSES) == ("ambiguous", "out_of_taxonomy", "invalid")
    assert unusable_of(RATING_STATUSES) == ("ambiguous", "incomplete", "out_of_range",
                                            "invalid")
    assert set(UNUSABLE) == set(STATUSES) - {"valid", "error"}


# (choices, values it takes, its default, values it refuses): contracts-v2 section 2
TASK_POLICIES = [
    (SINGLE_LABEL_POLICIES, ["wrong", "exclude", "fallback:neutral"], "wrong",
     ["midpoint", "fallback", "fallback:", "wrong:sad", "neutral"]),
    (MULTI_LABEL_POLICIES, ["wrong", "exclude"], "wrong", ["midpoint", "fallback:neutral"]),
    (DIMENSIONAL_POLICIES, ["exclude", "midpoint"], "exclude", ["wrong", "fallback:neutral"]),
    (OPEN_VOCABULARY_POLICIES, ["wrong", "exclude"], "wrong", ["midpoint", "fallback:sad"]),
]


@pytest.mark.parametrize("choices, taken, default, refused", TASK_POLICIES)
def test_each_task_takes_its_values_and_names_them_when_refusing(choices, taken, default,
                                                                 refused):
    assert str(choices.parse(None, LABELS)) == default
    for value in taken:
        assert str(choices.parse(value, LABELS)) == value
        assert str(choices.parse(f" {value} ", LABELS)) == value
    for value in refused:
        with pytest.raises(EmoevalError) as caught:
            choices.parse(value, LABELS)
        message = str(caught.value)
        # the flag is --unanswered since issue 19 (--invalid-policy its alias)
        assert "\n" not in message and "--unanswered" in message
        for name in choices.names:  # the message names every allowed value
            assert name in message


def test_a_fallback_must_name_a_label():
    assert SINGLE_LABEL_POLICIES.parse("fallback:sad", LABELS) == Policy("fallback", "sad")
    with pytest.raises(EmoevalError, match="'calm' is not a label"):
        SINGLE_LABEL_POLICIES.parse("fallback:calm", LABELS)


def test_every_policy_side_by_side():
    assert [str(p) for p in SINGLE_LABEL_POLICIES.every(["a", "b"])] == [
        "wrong", "exclude", "fallback:a", "fallback:b"]
    assert [str(p) for p in DIMENSIONAL_POLICIES.every()] == ["exclude", "midpoint"]
    assert [str(p) for p in MULTI_LABEL_POLICIES.every(LABELS)] == ["wrong", "exclude"]


KINDS = ["ok", "unanswered", "transport", "input", "unanswered", "ok"]


@pytest.mark.parametrize("policy", ["wrong", "exclude", "fallback:sad", "midpoint"])
def test_a_policy_decides_each_sample_from_its_outcome_kind(policy):
    name = policy.partition(":")[0]
    outcome = Policy(name, policy.partition(":")[2] or None).apply(KINDS)
    kinds = np.array(KINDS)
    answered, unanswered = kinds == "ok", kinds == "unanswered"
    # the rule of the module docstring, restated: errors never score; exclude drops the
    # unanswered, every other policy scores them with a stand-in
    stand_in = unanswered if name != "exclude" else np.zeros(len(KINDS), dtype=bool)
    assert outcome.substituted.tolist() == stand_in.tolist()
    assert outcome.excluded.tolist() == (unanswered & ~stand_in).tolist()
    assert outcome.scored.tolist() == (answered | stand_in).tolist()
    assert not outcome.scored[(kinds == "transport") | (kinds == "input")].any()


def test_label_predictions_under_each_single_label_policy():
    statuses = ["valid", "ambiguous", "error", "invalid", "out_of_taxonomy"]
    extracted = ["sad", "", "", "", ""]
    predictions, scored = label_predictions(Policy("wrong"), statuses, extracted)
    assert predictions.tolist() == ["sad", "<ambiguous>", "", "<invalid>", "<out_of_taxonomy>"]
    assert scored.tolist() == [True, True, False, True, True]
    predictions, scored = label_predictions(Policy("fallback", "neutral"), statuses, extracted)
    assert predictions.tolist() == ["sad", "neutral", "", "neutral", "neutral"]
    assert scored.tolist() == [True, True, False, True, True]
    predictions, scored = label_predictions(Policy("exclude"), statuses, extracted)
    assert predictions.tolist() == ["sad", "", "", "", ""]
    assert scored.tolist() == [True, False, False, False, False]
    with pytest.raises(ValueError, match="does not apply to label answers"):
        label_predictions(Policy("midpoint"), statuses, extracted)
