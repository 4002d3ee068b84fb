"""``emoeval agreement`` on emolia-bench's files writes their columns, tables and keys with
their values, checked against ``emolia_reference`` (their rules re-implemented in the tests)."""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import emolia_reference as ref
import numpy as np
import pandas as pd
import pytest
from emolia_builders import write_dim, write_emo
from typer.testing import CliRunner

from emoeval.annotations import AgreementOptions, run_agreement
from emoeval.cli import app
from emoeval.errors import EmoevalError


def _close(ours, theirs) -> bool:
    if isinstance(theirs, dict):
        return set(ours) == set(theirs) and all(_close(ours[k], theirs[k]) for k in theirs)
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        return ours is None or (isinstance(ours, float) and math.isnan(ours))
    return ours == pytest.approx(theirs, abs=1e-9)


def _run(path: Path, out: Path, preset: str, **changes) -> dict:
    options = AgreementOptions(preset=preset, n_resamples=0)
    for name, value in changes.items():
        setattr(options, name, value)
    return run_agreement(str(path), str(out), options)


@pytest.fixture
def emo(tmp_path) -> Path:
    return write_emo(tmp_path)


@pytest.fixture
def dim(tmp_path) -> Path:
    return write_dim(tmp_path)


LABEL_CHECKS = ["usernames", "n_raters", "majority_present", "majority_present_votes",
                "majority_present_tie", "all_agree_binary", "benchmark_bucket",
                "reaction_time_ms_mean", "reaction_time_ms_median", "sample_time_ms_mean"]


def _compare_labels(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str],
                    columns: list[str]) -> None:
    assert len(ours) == len(theirs)
    # same rows in the same order (their sort), so benchmark.py --limit picks the same items
    assert ours[keys].astype(str).values.tolist() == theirs[keys].astype(str).values.tolist()
    for column in columns:
        left, right = ours[column].to_numpy(), theirs[column].to_numpy()
        if np.issubdtype(np.asarray(right).dtype, np.floating):
            assert np.allclose(left.astype(float), right.astype(float)), column
        else:
            assert [str(v) for v in left] == [str(v) for v in right], column


def test_emo_labels_summary_and_tables_match_their_rules(tmp_path, emo):
    out = tmp_path / "out"
    summary = _run(emo, out, "emolia-emo", preselection_prior=True)
    cleaned, keys = ref.prepared(emo, ordinal=True)
    theirs = ref.labels(cleaned, keys, ordinal=True)
    ours = pd.read_csv(out / "benchmark_labels.csv")  # as their benchmark.py reads it
    _compare_labels(ours, theirs, keys, LABEL_CHECKS + [
        "majority_rating_int", "majority_rating_votes", "majority_rating_tie",
        "all_agree_ordinal", "source_emotion", "intended_present", "matches_intended_label"])
    # the cases the fixture holds, with their values
    tie = ours["majority_present_tie"]
    assert tie.any() and (ours.loc[tie, "majority_present"] == 0).all()
    assert (ours.loc[tie, "benchmark_bucket"] == "majority_absent").all()
    assert (ours.loc[tie, "benchmark_bucket_emoeval"] == "tie").all()
    single = ours["n_raters"] == 1
    assert single.any() and not ours.loc[single, "all_agree_binary"].any()
    assert (ours.loc[single, "all_agree_binary_emoeval"] == 1).all()
    split = ours["majority_rating_tie"] & (ours["n_raters"] == 3)
    assert split.any() and (ours.loc[split, "majority_rating"] == "not_present").all()
    for level in ("strongly_present", "weakly_present", "not_present"):
        assert f"{level}_votes" in ours

    block = summary["agreement_emolia"]
    reference = ref.agreement(cleaned, keys, ordinal=True)
    for key, value in reference.items():
        assert _close(block[key], value), key
    for alias, source in (("human_upper_bound_binary", "pairwise_exact_binary"),
                          ("human_accuracy_binary", "human_pairwise_accuracy"),
                          ("human_balanced_accuracy_binary", "human_pairwise_balanced_accuracy"),
                          ("human_loo_accuracy_binary", "human_loo_accuracy"),
                          ("human_loo_n_annotations", "human_loo_n_annotations")):
        assert _close(summary[alias], reference[source]), alias
        assert alias + "_emoeval" in summary
    augmented = ref.augmented(cleaned, keys, ordinal=True)
    for key, value in augmented.items():
        assert _close(summary["augmented_agreement"][key], value), key
    raw = pd.read_csv(emo)
    assert summary["rows_raw"] == len(raw) and summary["rows_deduplicated"] == len(cleaned)
    assert summary["ratings_replaced"] == len(raw) - len(cleaned) > 0
    assert summary["items_total"] == len(theirs)
    assert summary["items_complete"] == int((theirs["n_raters"] == 3).sum())
    assert summary["majority_present_rate"] == pytest.approx(theirs["majority_present"].mean())
    assert summary["preselection_confirm_rate"] == pytest.approx(
        theirs["matches_intended_label"].mean())

    incomplete = pd.read_csv(out / "incomplete_items.csv")
    expected = ref.incomplete(cleaned, keys)
    assert incomplete[[*keys, "ratings_observed", "usernames"]].astype(str).values.tolist() \
        == expected.astype(str).values.tolist()

    # analysis.py emo_per_emotion: items, rates; lowest majority-present rate first
    per_emotion = pd.read_csv(out / "per_emotion_summary.csv")
    grouped = theirs.groupby("queried_emotion").agg(
        items=("file_name", "size"), majority_present_rate=("majority_present", "mean"),
        unanimous_binary_rate=("all_agree_binary", "mean")).reset_index()
    grouped = grouped.sort_values(["majority_present_rate", "items"], ascending=[True, False],
                                  kind="stable", ignore_index=True)
    assert list(per_emotion["queried_emotion"]) == list(grouped["queried_emotion"])
    assert np.allclose(per_emotion["unanimous_binary_rate"], grouped["unanimous_binary_rate"])
    per_task = pd.read_csv(out / "per_task_type_summary.csv", keep_default_na=False)
    task_rows = per_task[per_task["task_type"] != "(all)"].set_index("task_type")
    for task, group in theirs.groupby("task_type"):
        assert int(task_rows.loc[task, "items"]) == len(group)
        assert float(task_rows.loc[task, "preselection_confirm_rate"]) == pytest.approx(
            group["matches_intended_label"].mean())
    assert {row["task_type"] for row in summary["task_types"]} == set(theirs["task_type"])

    panel = summary["extra_raters"][0]
    assert panel["rater"] == "gemini3flash_preselect"
    assert _close(panel["with_rater"]["loo_accuracy"], augmented["preselection_loo_accuracy"])
    report = (out / "report.md").read_text()
    assert "emolia-bench" in report and "gemini3flash_preselect" in report
    assert f"{summary['ratings_replaced']} ratings were replaced" in report


def test_dim_labels_flags_and_keys_match_their_rules(tmp_path, dim):
    out = tmp_path / "out"
    summary = _run(dim, out, "emolia-dim")
    cleaned, keys = ref.prepared(dim, ordinal=False)
    theirs = ref.labels(cleaned, keys, ordinal=False)
    ours = pd.read_csv(out / "benchmark_labels.csv")
    _compare_labels(ours, theirs, keys, LABEL_CHECKS + ["matches_intended_polarity"])
    assert {"yes_votes", "no_votes", "flagged"} <= set(ours.columns)
    assert "European" in set(ours["level"].astype(str))
    assert ours["majority_present_tie"].any()
    assert set(ours["benchmark_bucket"]) <= {"unanimous_yes", "majority_yes", "unanimous_no",
                                             "majority_no", "single_rater_yes",
                                             "single_rater_no"}
    # analysis.py run_dim: flags mark items (item keys of flags.csv), nothing is dropped
    flags = pd.read_csv(dim.parent / "flags.csv", dtype=str)
    flagged = set(map(tuple, flags[keys].values.tolist()))
    expected = [tuple(row) in flagged for row in ours[keys].astype(str).values.tolist()]
    assert list(ours["flagged"]) == expected and any(expected)
    assert summary["items_flagged"] == sum(expected)
    assert len(summary["flags"]) == len(flags) and (out / "flags.csv").is_file()

    reference = ref.agreement(cleaned, keys, ordinal=False)
    for key, value in reference.items():
        assert _close(summary["agreement_emolia"][key], value), key
    for key, value in ref.augmented(cleaned, keys, ordinal=False).items():
        assert _close(summary["augmented_agreement"][key], value), key
    assert summary["majority_yes_rate"] == pytest.approx(theirs["majority_present"].mean())
    assert summary["polarity_match_rate"] == pytest.approx(
        theirs["matches_intended_polarity"].mean())
    assert {row["polarity"] for row in summary["polarities"]} == {"positive", "negative"}
    coverage = theirs["n_raters"].value_counts()
    for n, count in coverage.items():
        assert summary["rater_coverage"][str(n)] == count
    # a fourth rater: their pairwise exact agreement counts unrated cells as disagreement;
    # ours (beside) compares only the items both rated
    assert "pairwise_exact_binary_emoeval" in summary["agreement_emolia"]

    excluded = _run(dim, tmp_path / "excluded", "emolia-dim", exclude_flagged=True)
    assert excluded["items_total"] == len(theirs) - sum(expected)


def test_extra_rater_is_placed_among_the_humans(tmp_path, dim):
    cleaned, keys = ref.prepared(dim, ordinal=False)
    items = cleaned[keys].drop_duplicates()
    model = items.assign(username="model_a", rating=np.where(
        items["polarity"] == "positive", "yes", "no"))
    path = tmp_path / "model.csv"
    model.to_csv(path, index=False)
    summary = _run(dim, tmp_path / "out", "emolia-dim", extra_raters=[str(path)])
    block = summary["extra_raters"][0]
    # the model says what the prior says, so it must score like the preselection prior
    prior = ref.augmented(cleaned, keys, ordinal=False)
    assert block["rater"] == "model_a"
    assert _close(block["with_rater"]["pairwise_accuracy"],
                  prior["preselection_pairwise_accuracy"])
    assert _close(block["vs_human_majority"]["accuracy"],
                  prior["gemini_vs_human_consensus_accuracy"])
    assert block["confirm_rate"] == pytest.approx(summary["polarity_match_rate"])
    assert block["humans_only"]["n_full_coverage_items"] >= 0

    model.assign(username="other").pipe(lambda f: pd.concat([model, f])).to_csv(
        tmp_path / "two.csv", index=False)
    with pytest.raises(EmoevalError, match="one rater per file"):
        _run(dim, tmp_path / "bad", "emolia-dim", extra_raters=[str(tmp_path / "two.csv")])


def test_readme_emolia_examples_run_verbatim(tmp_path, monkeypatch):
    """The agreement page's emolia commands (docs/agreement.md, moved there from the README),
    on their layout."""
    write_emo(tmp_path)
    write_dim(tmp_path)
    monkeypatch.chdir(tmp_path)
    readme = (Path(__file__).parents[2] / "docs" / "agreement.md").read_text(encoding="utf-8")
    commands = [block for block in _bash_commands(readme)
                if "annotations/emolia-" in block and block.startswith("emoeval agreement ")]
    assert len(commands) >= 3
    runner = CliRunner()
    for command in commands:
        arguments = shlex.split(command)[1:] + ["--n-resamples", "10"]
        result = runner.invoke(app, arguments)
        assert result.exit_code == 0, (command, result.output)
        out = Path(arguments[arguments.index("--out") + 1])
        labels = pd.read_csv(out / "benchmark_labels.csv")
        assert labels["majority_present"].notna().all()
        assert json.loads((out / "summary.json").read_text())["subset"] in {"emolia-emo",
                                                                           "emolia-dim"}
    combined = [c for c in _bash_commands(readme) if c.startswith("emoeval agreement-report")
                and "emolia" in c]
    assert len(combined) == 1
    result = runner.invoke(app, shlex.split(combined[0])[1:])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "analysis_outputs" / "report.md").read_text()
    emo = json.loads((tmp_path / "analysis_outputs" / "emolia-emo" / "summary.json").read_text())
    assert "| emolia-emo |" in report and "| emolia-dim |" in report
    assert f"{emo['augmented_agreement']['preselection_pairwise_accuracy']:.3f}" in report


def _bash_commands(text: str) -> list[str]:
    """Commands of the README's bash blocks, continuation lines joined."""
    commands, inside, current = [], False, ""
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line.startswith("```bash") and not inside
            continue
        if not inside or line.lstrip().startswith("#"):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            commands.append(current.strip())
            current = ""
    return [c for c in commands if c]
