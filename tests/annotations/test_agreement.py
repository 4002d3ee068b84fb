"""``emoeval agreement`` end to end on long and vote-count input, checked against references
computed here from the raw file (pandas, statsmodels, krippendorff, scikit-learn)."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from annotation_builders import simulate_ratings, write_csv
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa
from typer.testing import CliRunner

from emoeval.annotations import AgreementOptions, run_agreement
from emoeval.cli import app
from emoeval.errors import EmoevalError

ITEM_COLUMNS = ["file_name", "queried_emotion", "task_type"]
HEADER = [*ITEM_COLUMNS, "user", "rating"]
# emoeval's columns; emolia-bench's own (majority_present, all_agree_binary, benchmark_bucket
# by their rules, ...) come first, see test_emolia_agreement.py
LABEL_COLUMNS = [*ITEM_COLUMNS, "n_raters", "votes_no", "votes_yes", "majority_label",
                 "majority_present_emoeval", "all_agree_binary_emoeval",
                 "benchmark_bucket_emoeval", "split"]
LEVELS = ["not_present", "weakly_present", "strongly_present"]


def binary_options(**changes) -> AgreementOptions:
    options = AgreementOptions(item_cols=list(ITEM_COLUMNS), scale="binary", expected_raters=3,
                               n_resamples=100)
    for name, value in changes.items():
        setattr(options, name, value)
    return options


def read_labels(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "benchmark_labels.csv", dtype=str, keep_default_na=False)


def valid_ratings(path: Path, values) -> pd.DataFrame:
    """The raw file with the rows the fixture made bad removed, computed independently."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[raw["rating"].isin(values)]
    return raw.drop_duplicates([*ITEM_COLUMNS, "user"], keep="first")


def test_long_binary_end_to_end(tmp_path, raw_binary):
    out = tmp_path / "out"
    summary = run_agreement(str(raw_binary), str(out), binary_options())
    labels = read_labels(out)
    assert [c for c in labels.columns if c in LABEL_COLUMNS] == LABEL_COLUMNS
    assert {"majority_present", "benchmark_bucket", "n_raters"} <= set(labels.columns)

    # bad rows: recorded with their reason and line, left out, the run finishes
    invalid = pd.read_csv(out / "invalid_ratings.csv", dtype=str, keep_default_na=False)
    reasons = " | ".join(invalid["reason"])
    assert len(invalid) == 3 and summary["invalid_ratings"]["n"] == 3
    assert "empty rating" in reasons and "'maybe' is not on the scale" in reasons
    assert "second rating" in reasons

    ratings = valid_ratings(raw_binary, ["yes", "no"])
    table = (ratings.assign(present=ratings["rating"] == "yes")
             .groupby(ITEM_COLUMNS)["present"].agg(["sum", "size"]).reset_index())
    merged = labels.merge(table, on=ITEM_COLUMNS, validate="one_to_one")
    assert len(merged) == len(labels) == len(table)
    assert (merged["votes_yes"].astype(int) == merged["sum"]).all()
    assert (merged["n_raters"].astype(int) == merged["size"]).all()
    yes, no = merged["sum"], merged["size"] - merged["sum"]
    expected_present = np.where(yes > no, "1", np.where(yes < no, "0", ""))
    assert (merged["majority_present_emoeval"] == expected_present).all()
    assert (merged["benchmark_bucket_emoeval"].eq("tie") == (yes == no)).all()
    # emolia-bench's analysis.py majority_vote: a tie goes to the lowest value (absent)
    assert (merged["majority_present"] == np.where(yes > no, "1", "0")).all()
    unanimous = merged["benchmark_bucket_emoeval"].str.startswith("unanimous")
    assert (unanimous == (((yes == 0) | (no == 0)) & (merged["size"] >= 2))).all()
    single = merged["benchmark_bucket_emoeval"].str.startswith("single_rater")
    assert (single == (merged["size"] == 1)).all()

    # the split keeps every item of one audio file together
    assert (labels.groupby("file_name")["split"].nunique() == 1).all()
    assert set(labels["split"]) == {"dev", "test"}

    incomplete = pd.read_csv(out / "incomplete_items.csv")
    assert len(incomplete) == int((merged["size"] < 3).sum()) == summary["n_incomplete_items"]

    # agreement against the packages, from a rater x item matrix built here
    matrix = ratings.pivot_table(index="user", columns=ITEM_COLUMNS, values="rating",
                                 aggfunc="first")
    reliability = matrix.replace({"no": 0.0, "yes": 1.0}).astype(float).to_numpy()
    alpha = krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")
    assert summary["agreement"]["krippendorff_alpha"]["value"] == pytest.approx(alpha)
    block = summary["agreement"]
    for name in ("fleiss_kappa", "krippendorff_alpha", "pairwise_cohen_kappa"):
        assert block[name]["low"] <= block[name]["value"] <= block[name]["high"]

    kappas, exact = [], []
    users = list(matrix.index)
    for first in range(len(users)):
        for second in range(first + 1, len(users)):
            both = matrix.iloc[[first, second]].dropna(axis=1)
            if both.shape[1] >= 2:
                kappas.append(cohen_kappa_score(both.iloc[0], both.iloc[1]))
                exact.append((both.iloc[0] == both.iloc[1]).mean())
    assert block["pairwise_cohen_kappa"]["value"] == pytest.approx(np.nanmean(kappas))
    assert summary["human_upper_bound_binary_emoeval"] == pytest.approx(np.mean(exact))

    # the seed's human-ceiling keys, all present and in range
    for key in ("human_accuracy_binary", "human_balanced_accuracy_binary",
                "human_loo_accuracy_binary", "human_loo_balanced_accuracy_binary",
                "human_upper_bound_binary"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["human_loo_n_annotations"] > 0

    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["human_upper_bound_binary"] == summary["human_upper_bound_binary"]
    assert on_disk["human_upper_bound_binary_emoeval"] == \
        summary["human_upper_bound_binary_emoeval"]
    for name in ("report.md", "rater_distributions.csv", "per_task_type_summary.csv",
                 "per_queried_emotion_summary.csv", "per_user_summary.csv"):
        assert (out / name).is_file(), name
    assert not (out / "per_file_name_summary.csv").exists()  # the group column is no slice
    report = (out / "report.md").read_text()
    assert "human_upper_bound_binary" in report and "Fleiss' kappa" in report


def test_fleiss_kappa_through_the_pipeline_equals_statsmodels_on_equal_raters(tmp_path):
    rows = simulate_ratings(n_files=60, seed=5)
    frame = pd.DataFrame(rows, columns=HEADER)
    full = frame.groupby(ITEM_COLUMNS)["user"].transform("size") == 3
    path = write_csv(tmp_path / "three.csv", HEADER, frame[full].to_numpy().tolist())
    summary = run_agreement(str(path), str(tmp_path / "out"), binary_options(n_resamples=0))
    counts = pd.crosstab([frame[full][c] for c in ITEM_COLUMNS], frame[full]["rating"])
    assert summary["agreement"]["fleiss_kappa"]["value"] == pytest.approx(
        statsmodels_fleiss_kappa(counts.to_numpy()))
    assert summary["agreement"]["fleiss_kappa"]["low"] is None  # no resamples, no interval


def test_long_ordinal_binarised(tmp_path):
    rows = simulate_ratings(n_files=40, seed=6, scale="ordinal")
    path = write_csv(tmp_path / "emo.csv", HEADER, rows)
    options = binary_options(scale="ordinal:" + "<".join(LEVELS), present_from="weakly_present")
    summary = run_agreement(str(path), str(tmp_path / "out"), options)
    assert summary["scale"]["binarisation"] == "present = rating >= weakly_present"
    assert summary["agreement"]["krippendorff_alpha"]["level"] == "ordinal"

    frame = pd.DataFrame(rows, columns=HEADER)
    matrix = frame.pivot_table(index="user", columns=ITEM_COLUMNS, values="rating",
                               aggfunc="first")
    codes = matrix.replace({level: float(i) for i, level in enumerate(LEVELS)}).astype(float)
    ordinal = krippendorff.alpha(reliability_data=codes.to_numpy(), value_domain=[0.0, 1.0, 2.0],
                                 level_of_measurement="ordinal")
    assert summary["agreement"]["krippendorff_alpha"]["value"] == pytest.approx(ordinal)
    binary = krippendorff.alpha(reliability_data=(codes >= 1).astype(float).where(codes.notna()
                                                                                   ).to_numpy(),
                                level_of_measurement="nominal")
    assert summary["agreement_binary"]["krippendorff_alpha"]["value"] == pytest.approx(binary)

    labels = read_labels(tmp_path / "out")
    present = labels[["votes_weakly_present", "votes_strongly_present"]].astype(int).sum(axis=1)
    absent = labels["votes_not_present"].astype(int)
    assert (labels["majority_present_emoeval"] == np.where(
        present > absent, "1", np.where(present < absent, "0", ""))).all()
    distributions = pd.read_csv(tmp_path / "out" / "rater_distributions.csv")
    shares = distributions[[f"share_{level}" for level in LEVELS]].sum(axis=1)
    assert shares.to_numpy() == pytest.approx(np.ones(len(distributions)), abs=1e-5)


def test_counts_shape_with_intended_labels_and_ties(tmp_path):
    rows = [["c1", 5, 1, 0, "angry"], ["c2", 0, 4, 2, "happy"], ["c3", 2, 2, 1, "sad"],
            ["c4", 0, 1, 6, "sad"], ["c5", 3, 0, 3, "angry"], ["c6", 1, "x", 2, "happy"],
            ["c7", 0, 0, 0, "sad"], ["c8", 0, 5, 0, "ANG"]]
    path = write_csv(tmp_path / "votes.csv", ["clip", "anger", "happiness", "sadness",
                                              "acted"], rows)
    summary = run_agreement(str(path), str(tmp_path / "out"), AgreementOptions(
        item_cols=["clip"], count_cols=["anger", "happiness", "sadness"], intended_col="acted",
        n_resamples=50))
    labels = read_labels(tmp_path / "out")
    assert list(labels["clip"]) == ["c1", "c2", "c3", "c4", "c5", "c8"]  # c6, c7 bad
    invalid = pd.read_csv(tmp_path / "out" / "invalid_ratings.csv", dtype=str)
    assert set(invalid["reason"]) == {"vote count not a whole number >= 0 in happiness",
                                      "no votes"}
    assert list(labels["majority_label"]) == ["anger", "happiness", "", "sadness", "", "happiness"]
    assert list(labels["benchmark_bucket"]) == ["majority", "majority", "tie", "majority", "tie",
                                                "unanimous"]
    intended = summary["intended"]
    # intended labels map onto the categories by alias: angry/ANG -> anger, happy -> ...
    truth = ["anger", "happiness", "sadness", "sadness", "anger", "anger"]
    predicted = ["anger", "happiness", "(tie)", "sadness", "(tie)", "happiness"]
    assert intended["agreement"]["value"] == pytest.approx(3 / 6)
    assert intended["n_ties"] == 2
    reference = confusion_matrix(truth, predicted, labels=["anger", "happiness", "sadness"])
    assert intended["confusion_matrix"]["counts"] == reference.tolist()
    assert intended["confusion_matrix"]["other"] == [1, 0, 1]
    assert summary["human_upper_bound_binary"] is None  # no rater ids in vote counts
    assert summary["agreement"]["human_loo_accuracy"]["value"] is not None


def test_rerun_gives_the_same_files(tmp_path, raw_binary):
    for name in ("a", "b"):
        run_agreement(str(raw_binary), str(tmp_path / name), binary_options(n_resamples=30))
    for path in sorted((tmp_path / "a").iterdir()):
        if path.name in {"summary.json", "report.md"}:
            continue
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    first = json.loads((tmp_path / "a" / "summary.json").read_text())
    second = json.loads((tmp_path / "b" / "summary.json").read_text())
    first.pop("run"), second.pop("run")
    assert first == second


@pytest.mark.parametrize("changes,message", [
    ({"rating_col": "answer"}, "no column 'answer'"),
    ({"scale": "likert"}, "--scale 'likert'"),
    ({"scale": "ordinal:low"}, "two or more levels"),
    ({"scale": "nominal", "present_from": "yes"}, "nominal scale has no present"),
    ({"item_cols": []}, "--item-cols"),
    ({"dev_share": 1.5}, "--dev-share"),
])
def test_bad_options_are_one_line_errors(tmp_path, raw_binary, changes, message):
    with pytest.raises(EmoevalError, match=message):
        run_agreement(str(raw_binary), str(tmp_path / "out"), binary_options(**changes))


def test_binary_scale_needs_a_recognisable_present_answer(tmp_path):
    path = write_csv(tmp_path / "odd.csv", HEADER, [["a.wav", "Fear", "target", "u1", "ja"],
                                                   ["a.wav", "Fear", "target", "u2", "nein"]])
    with pytest.raises(EmoevalError, match="--present-from"):
        run_agreement(str(path), str(tmp_path / "out"), binary_options())
    summary = run_agreement(str(path), str(tmp_path / "out"),
                            binary_options(present_from="ja", n_resamples=0))
    assert summary["scale"]["categories"] == ["nein", "ja"]
    assert summary["buckets"] == {"tie": 1}


def test_cli_agreement(tmp_path, raw_binary):
    runner = CliRunner()
    result = runner.invoke(app, ["agreement", str(raw_binary), "--item-cols",
                                 ",".join(ITEM_COLUMNS), "--rater-col", "user", "--rating-col",
                                 "rating", "--scale", "binary", "--expected-raters", "3",
                                 "--n-resamples", "20", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Fleiss' kappa" in result.output and (tmp_path / "out" / "report.md").is_file()
    failed = runner.invoke(app, ["agreement", str(raw_binary), "--item-cols", "file,emotion",
                                 "--out", str(tmp_path / "bad")])
    assert failed.exit_code == 2 and "no column" in failed.output
