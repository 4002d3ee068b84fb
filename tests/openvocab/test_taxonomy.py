"""``--to-taxonomy``: open answers scored as classes through aliases and synonym groups."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.openvocab.scoring import score_open_vocabulary

CLASSES = ["happy", "angry", "sad"]


@pytest.fixture
def scored(tmp_path):
    synonyms = tmp_path / "groups.json"
    synonyms.write_text('[["down", "gloomy", "sad"]]', "utf-8")
    table = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "label": ["['happy']", "['anger']", "['sad']", "['bewildered']"],
        "prediction": ["['joyful']", "['sad', 'mad']", "['gloomy', 'happy']", "['happy']"],
    })
    return score_open_vocabulary(table, synonyms=str(synonyms), to_taxonomy=",".join(CLASSES),
                                 n_resamples=50)


def test_words_map_by_alias_and_synonym_group_with_ties_stated(scored):
    part, table = scored
    rows = table.set_index("id")
    assert rows.loc["a", "predicted_class"] == "happy"           # joyful: alias of happy
    assert rows.loc["b", "predicted_class"] == "angry"           # sad vs mad: tie, class order
    assert bool(rows.loc["b", "predicted_class_tie"])
    assert rows.loc["c", "predicted_classes"] == "happy,sad"     # gloomy: via its group
    assert rows.loc["d", "truth_class"] == "<none>"
    tax = part["taxonomy"]
    assert tax["mapping"]["gloomy"] == "sad" and tax["mapping_how"]["gloomy"] == "synonym group"
    assert tax["mapping"]["mad"] == "angry" and tax["mapping_how"]["mad"] == "alias"
    assert tax["n_truth_unmapped"] == 1 and tax["single_label"]["n_ties"] == 2
    usable = rows[rows["truth_class"] != "<none>"]
    single = tax["single_label"]["metrics"]
    assert single["accuracy"] == pytest.approx(accuracy_score(usable["truth_class"],
                                                              usable["predicted_class"]))
    assert single["f1_macro"] == pytest.approx(f1_score(
        usable["truth_class"], usable["predicted_class"], labels=CLASSES, average="macro",
        zero_division=0))


def test_cli_writes_the_per_word_mapping(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": ["a", "b"], "label": ["happy", "sad"],
                  "prediction": ["joyful, content", "sorrow"]}).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["score", str(path), "--task", "open-vocabulary",
                                      "--to-taxonomy", "happy,sad", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    mapping = pd.read_csv(tmp_path / "o" / "word_to_class.csv", keep_default_na=False)
    assert dict(zip(mapping["word"], mapping["class"])) == {"content": "", "joyful": "happy",
                                                           "sorrow": "sad"}
    assert "As a classifier" in (tmp_path / "o" / "report.md").read_text()
