"""``agreement --ci-unit auto|sample|<column>`` (issue 20, contracts section 4): what the
intervals resample, with the unit and the number of groups beside every interval."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from builders import shared_data
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()
N_SPEAKERS, CLIPS_PER_SPEAKER = 20, 10


@pytest.fixture
def votes_by_speaker(tmp_path):
    """Vote counts (6 raters, categories a/b/c) where agreement is a property of the
    speaker: raters agree on every clip of half the speakers and split on the others."""
    rng = np.random.default_rng(0)
    rows = []
    for speaker in range(N_SPEAKERS):
        clear = speaker % 2 == 0
        for clip in range(CLIPS_PER_SPEAKER):
            winner = int(rng.integers(3))
            votes = [0, 0, 0]
            if clear:
                votes[winner] = 6
            else:
                votes = [2, 2, 2]
                votes[winner] += 1
                votes[(winner + 1) % 3] -= 1
            rows.append({"clip": f"s{speaker:02d}_c{clip}", "speaker": f"s{speaker:02d}",
                         "a": votes[0], "b": votes[1], "c": votes[2]})
    path = tmp_path / "votes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run(path, out, *extra):
    return runner.invoke(app, ["agreement", str(path), "--item-col", "clip,speaker",
                               "--count-cols", "a,b,c", "--out", str(out),
                               "--n-resamples", "300", *extra])


def test_ci_unit_column_resamples_speakers_and_says_so(votes_by_speaker, tmp_path):
    by_item = run(votes_by_speaker, tmp_path / "items", "--ci-unit", "sample")
    by_speaker = run(votes_by_speaker, tmp_path / "speakers", "--ci-unit", "speaker")
    assert by_item.exit_code == 0, by_item.output
    assert by_speaker.exit_code == 0, by_speaker.output
    items = json.loads((tmp_path / "items" / "summary.json").read_text())
    speakers = json.loads((tmp_path / "speakers" / "summary.json").read_text())
    n_items = N_SPEAKERS * CLIPS_PER_SPEAKER
    assert items["bootstrap"]["unit"] == "item" and items["bootstrap"]["n_groups"] == n_items
    assert speakers["bootstrap"]["unit"] == "speaker"
    assert speakers["bootstrap"]["n_groups"] == N_SPEAKERS
    for name in ("fleiss_kappa", "krippendorff_alpha", "mean_item_agreement"):
        interval = speakers["agreement"][name]
        assert (interval["unit"], interval["n_groups"]) == ("speaker", N_SPEAKERS)
        assert items["agreement"][name]["n_groups"] == n_items
    # the point estimate does not depend on the unit; the interval does: agreement is a
    # property of the speaker, so resampling clips claims far too much precision
    kappa_items, kappa_speakers = items["agreement"]["fleiss_kappa"], \
        speakers["agreement"]["fleiss_kappa"]
    assert kappa_items["value"] == pytest.approx(kappa_speakers["value"])
    width = {name: k["high"] - k["low"] for name, k in (("items", kappa_items),
                                                       ("speakers", kappa_speakers))}
    assert width["speakers"] > 1.5 * width["items"]
    report = (tmp_path / "speakers" / "report.md").read_text()
    assert f"{N_SPEAKERS} `speaker` groups" in report


def test_ci_unit_naming_no_column_is_one_line_before_any_work(votes_by_speaker, tmp_path):
    result = run(votes_by_speaker, tmp_path / "out", "--ci-unit", "actor")
    assert result.exit_code == 2
    assert "--ci-unit 'actor': no such column" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cremad_votes_resample_actors_by_default(tmp_path):
    votes_file = shared_data("crema-d_votes") / "tabulatedVotes.csv"
    votes = pd.read_csv(votes_file, dtype={"Unnamed: 0": str})
    voice = votes[votes["Unnamed: 0"].str.startswith("1")]
    actors = voice["fileName"].str.split("_").str[0].nunique()
    sample = voice.iloc[::10]  # a tenth of the clips keeps the test quick; all 91 actors
    path = tmp_path / "tabulatedVotes.csv"
    sample.rename(columns={"Unnamed: 0": ""}).to_csv(path, index=False)
    result = runner.invoke(app, ["agreement", f"crema-d-votes:{path}", "--modality", "voice",
                                 "--out", str(tmp_path / "out"), "--n-resamples", "100",
                                 "--slice-by", "intended_label"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    n_actors = sample["fileName"].str.split("_").str[0].nunique()
    assert n_actors == actors == 91
    assert (summary["bootstrap"]["unit"], summary["bootstrap"]["n_groups"]) == ("actor", 91)
    kappa = summary["agreement"]["fleiss_kappa"]
    assert (kappa["unit"], kappa["n_groups"]) == ("actor", 91) and kappa["low"] < kappa["high"]
    assert summary["intended"]["agreement"]["unit"] == "actor"
    assert summary["intended"]["agreement"]["n_groups"] == 91
    slices = pd.read_csv(tmp_path / "out" / "per_intended_label_summary.csv")
    assert set(slices["ci_unit"]) == {"actor"}
