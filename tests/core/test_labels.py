import numpy as np
import pytest

from emoeval.errors import EmoevalError
from emoeval.labels import (apply_label_options, build_mapping, canonical, load_label_map,
                            parse_merge)


@pytest.mark.parametrize("alias,expected", [
    ("joy", "happy"), ("Happiness", "happy"), ("sadness", "sad"), ("ANGER", "angry"),
    ("fearful", "fear"), ("pleasant_surprise", "surprise"), ("pleasant surprise", "surprise"),
    ("anxious", "worried"), ("exc", "excited"), ("fru", "frustrated"), ("bored", "boredom"),
    ("neu", "neutral"), ("contempt", "contempt"), ("calm", "calm")])
def test_alias_families(alias, expected):
    assert canonical(alias) == expected


@pytest.mark.parametrize("code", ["A", "W", "F", "N", "LABEL_0", "optimism"])
def test_single_letters_and_non_emotions_are_not_global_aliases(code):
    assert canonical(code) is None


def test_mapping_sums_probabilities_of_labels_mapping_to_one_dataset_label():
    mapping = build_mapping(["joy", "happiness", "sadness", "calm"], ["happy", "sad"],
                            label_map={"happiness": "happy"})
    assert mapping.model_to_dataset == {"joy": "happy", "happiness": "happy",
                                        "sadness": "sad", "calm": None}
    assert mapping.how["joy"] == "alias" and mapping.how["happiness"] == "label-map"
    projected = mapping.project(np.array([[0.2, 0.3, 0.4, 0.1]]))
    np.testing.assert_allclose(projected, [[0.5, 0.4]])
    # restrict: best mapped label even though joy+happiness individually lose to sadness
    assert mapping.predict(np.array([[0.2, 0.3, 0.4, 0.1]])) == ["happy"]


def test_unmapped_policy_wrong_counts_unmapped_top_label_as_a_miss():
    scores = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    restrict = build_mapping(["happy", "sad", "calm"], ["happy", "sad"])
    wrong = build_mapping(["happy", "sad", "calm"], ["happy", "sad"], unmapped_policy="wrong")
    assert restrict.predict(scores) == ["sad", "happy"]
    assert wrong.predict(scores) == ["<calm>", "happy"]


def test_unpredictable_dataset_labels_and_shared_labels():
    mapping = build_mapping(["angry", "happy"], ["angry", "happy", "boredom"])
    assert mapping.unpredictable_dataset_labels == ["boredom"]
    assert mapping.shared_labels == ["angry", "happy"]


def test_no_overlap_is_a_clear_error():
    with pytest.raises(EmoevalError, match="label-map"):
        build_mapping(["LABEL_0", "LABEL_1"], ["happy", "sad"])


def test_label_map_target_must_be_a_dataset_label():
    with pytest.raises(EmoevalError, match="not a dataset label"):
        build_mapping(["x"], ["happy"], label_map={"x": "joyous"})


def test_merge_parsing_and_declared_labels():
    assert parse_merge(["exc=happy", "fru=angry,sur=surprise"]) == {
        "exc": "happy", "fru": "angry", "sur": "surprise"}
    with pytest.raises(EmoevalError, match="source=target"):
        parse_merge(["exc"])
    assert apply_label_options(["exc", "hap", "sad"], declared=["happy", "sad"],
                               merge={"exc": "happy"}, label_map={"hap": "happy"}) == [
        "happy", "happy", "sad"]
    with pytest.raises(EmoevalError, match="fru"):
        apply_label_options(["fru", "sad"], declared=["sad"], merge={}, label_map={})


@pytest.mark.parametrize("name,text", [
    ("map.yaml", "joy: happy\nother:\n"),
    ("map.csv", "source,target\njoy,happy\nother,\n"),
])
def test_label_map_files(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert load_label_map(str(path)) == {"joy": "happy", "other": None}
