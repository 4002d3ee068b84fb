"""The ``crema-d-votes:`` shortcut on CREMA-D's own vote table (skipped when it is absent).

References come from the file itself: its ``emoVote`` column (the majority, ties joined by
':'), ``numResponses`` and ``agreement``; statsmodels on the clips with equal numbers of
raters; the krippendorff package on the vote counts.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from builders import shared_data
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa
from typer.testing import CliRunner

from emoeval.annotations import AgreementOptions, run_agreement
from emoeval.cli import app
from emoeval.errors import EmoevalError
from emoeval.metrics import agreement as agree

LETTERS = ["A", "D", "F", "H", "N", "S"]
NAMES = ["anger", "disgust", "fear", "happy", "neutral", "sad"]
ACTED = {"ANG": "A", "DIS": "D", "FEA": "F", "HAP": "H", "NEU": "N", "SAD": "S"}


@pytest.fixture(scope="module")
def votes_file():
    return shared_data("crema-d_votes") / "tabulatedVotes.csv"


@pytest.fixture(scope="module")
def votes(votes_file) -> pd.DataFrame:
    table = pd.read_csv(votes_file, dtype={"Unnamed: 0": str})
    return table.rename(columns={"Unnamed: 0": "clip_id"})


@pytest.mark.parametrize("modality,digit", [("voice", "1"), ("face", "2"),
                                            ("audiovisual", "3")])
def test_cremad_votes_against_the_files_own_columns(tmp_path, votes_file, votes, modality, digit):
    out = tmp_path / modality
    summary = run_agreement(f"crema-d-votes:{votes_file}", str(out), AgreementOptions(
        modality=modality, n_resamples=0, slice_by=["intended_label"]))
    reference = votes[votes["clip_id"].str.startswith(digit)].sort_values("fileName")
    labels = pd.read_csv(out / "benchmark_labels.csv", dtype=str, keep_default_na=False)
    assert list(labels["file_name"]) == list(reference["fileName"])
    counts = reference[LETTERS].to_numpy()
    np.testing.assert_array_equal(labels[[f"votes_{n}" for n in NAMES]].astype(int), counts)
    np.testing.assert_array_equal(labels["n_raters"].astype(int), reference["numResponses"])

    # our majority is CREMA-D's emoVote; its ties (A:D) are our ties
    letter_of = dict(zip(NAMES, LETTERS))
    ours = labels["majority_label"].map(lambda name: letter_of.get(name, "tie"))
    theirs = reference["emoVote"].where(~reference["emoVote"].str.contains(":"), "tie")
    assert (ours.to_numpy() == theirs.to_numpy()).all()
    share = reference[LETTERS].max(axis=1) / reference["numResponses"]
    np.testing.assert_allclose(share, reference["agreement"])  # the file's own definition

    assert summary["n_items"] == len(reference) and summary["invalid_ratings"]["n"] == 0
    assert summary["agreement"]["krippendorff_alpha"]["value"] == pytest.approx(
        krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
    ten = counts[counts.sum(axis=1) == 10]
    assert agree.fleiss_kappa(ten) == pytest.approx(statsmodels_fleiss_kappa(ten))

    # majority vs acted emotion, recomputed from emoVote and the file name
    acted = reference["fileName"].str.split("_").str[2].map(ACTED)
    matches = (reference["emoVote"] == acted).mean()
    assert summary["intended"]["agreement"]["value"] == pytest.approx(matches)
    per_class = summary["intended"]["per_class"]
    for letter, name in zip(LETTERS, NAMES):
        rows = acted == letter
        assert per_class[name]["majority_agrees"] == pytest.approx(
            (reference["emoVote"][rows] == letter).mean())
    assert (out / "per_intended_label_summary.csv").is_file()


def test_cremad_modality_is_required(tmp_path, votes_file):
    with pytest.raises(EmoevalError, match="--modality"):
        run_agreement(f"crema-d-votes:{votes_file}", str(tmp_path), AgreementOptions())
    result = CliRunner().invoke(app, ["agreement", f"crema-d-votes:{votes_file}", "--modality",
                                      "smell", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "voice|face|audiovisual" in result.output


def test_cremad_bad_rows_are_recorded(tmp_path, votes_file, votes):
    sample = votes[votes["clip_id"].str.startswith("1")].head(30).copy()
    sample.loc[sample.index[0], "A"] = -1
    sample.loc[sample.index[1], "fileName"] = "not_a_crema_name"
    path = tmp_path / "tabulatedVotes.csv"
    sample.rename(columns={"clip_id": ""}).to_csv(path, index=False)
    summary = run_agreement(f"crema-d-votes:{tmp_path}", str(tmp_path / "out"),
                            AgreementOptions(modality="voice", n_resamples=10))
    assert summary["n_items"] == 28 and summary["invalid_ratings"]["n"] == 2
    invalid = pd.read_csv(tmp_path / "out" / "invalid_ratings.csv", dtype=str)
    assert sorted(invalid["row"].astype(int)) == [2, 3]  # line numbers in the file


def test_cremad_grouped_by_actor_keeps_each_speaker_in_one_split(tmp_path, votes_file, votes):
    sample = votes[votes["clip_id"].str.startswith("1")].iloc[::40]
    path = tmp_path / "tabulatedVotes.csv"
    sample.rename(columns={"clip_id": ""}).to_csv(path, index=False)
    summary = run_agreement(f"crema-d-votes:{path}", str(tmp_path / "out"), AgreementOptions(
        modality="voice", group_col="actor", n_resamples=20))
    labels = pd.read_csv(tmp_path / "out" / "benchmark_labels.csv", dtype=str)
    assert labels["actor"].nunique() > 10
    assert (labels.groupby("actor")["split"].nunique() == 1).all()
    assert summary["bootstrap"]["unit"] == "actor" and summary["split"]["group_column"] == "actor"
    assert summary["agreement"]["fleiss_kappa"]["unit"] == "actor"
