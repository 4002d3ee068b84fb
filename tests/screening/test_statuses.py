"""End to end: tiny local models, one per status, each screened in its own worker process."""

from __future__ import annotations

import json
import os
import sys

import pytest
import yaml
from typer.testing import CliRunner

from emoeval.cli import app
from emoeval.screening import ScreeningConfig, read_candidates, screen

PITCH_MODEL = '''
import numpy as np


def predict(clips):
    """Scores from the dominant pitch of each clip."""
    labels = predict.labels
    out = []
    for clip in clips:
        peak = int(np.argmax(np.abs(np.fft.rfft(clip))[1:]) + 1)
        scores = {label: 0.1 for label in labels}
        scores[labels[peak % len(labels)]] = 0.5 + 0.05 * (peak % 7)  # confidence varies
        out.append(scores)
    return out


# ordered so that the tone dataset's pitches land on their own labels for three of the four
# emotions (calm is not neutral): better than chance, as a usable model must be (issue 20)
predict.labels = ["joy", "anger", "sorrow", "calm"]
predict.modality = "audio"
'''

# the pitch model's rule, with the labels ordered so that every tone gets a wrong one:
# spread over four labels (not collapsed), and never right (chance level)
WRONG_MODEL = PITCH_MODEL.replace('["joy", "anger", "sorrow", "calm"]',
                                  '["angry", "happy", "neutral", "sad"]')
# always the third label, a placeholder name that the candidate's label_map calls neutral
COLLAPSED_MODEL = (
    "def predict(clips):\n"
    "    return [{'LABEL_0': 0.1, 'LABEL_1': 0.1, 'LABEL_2': 0.7, 'LABEL_3': 0.1}\n"
    "            for _ in clips]\n\n"
    "predict.labels = ['LABEL_0', 'LABEL_1', 'LABEL_2', 'LABEL_3']\n"
    "predict.modality = 'audio'\n")

HUB_ID = "someorg/emotion-model-never-cached"


@pytest.fixture(scope="module")
def modules_dir(tmp_path_factory):
    """Python modules for python: candidates, on the workers' PYTHONPATH."""
    folder = tmp_path_factory.mktemp("candidate_modules")
    (folder / "pitch_model.py").write_text(PITCH_MODEL)
    (folder / "wrong_model.py").write_text(WRONG_MODEL)
    (folder / "collapsed_model.py").write_text(COLLAPSED_MODEL)
    (folder / "hanging_model.py").write_text(
        "import time\ntime.sleep(3600)  # hangs at import\n\n"
        "def predict(clips):\n    return ['angry' for _ in clips]\n")
    (folder / "crashing_model.py").write_text(
        "import os\nos._exit(3)  # dies at import without a word\n")
    (folder / "silent_model.py").write_text(
        "def predict(texts):\n    return ['happy' for _ in texts]\n\n"
        "predict.labels = ['happy', 'sad', 'neutral']\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(
            [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]))
        patch.syspath_prepend(str(folder))
        yield folder


@pytest.fixture(scope="module")
def screened(tmp_path_factory, status_models, tone_dataset, modules_dir):
    root = tmp_path_factory.mktemp("screen_all")
    broken = root / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{ this is not json")
    entries = [
        {"spec": f"hf:{status_models['emotion']}", "language": "ko",
         "notes": "trained on Korean"},
        f"hf:{status_models['ctc']}",
        f"hf:{status_models['base']}",
        f"hf:{status_models['placeholder_labels']}",
        f"hf:{status_models['forced']}",
        f"hf:{status_models['speechbrain']}",
        f"hf:{root / 'no-such-model'}",
        HUB_ID,
        f"hf:{broken}",
        {"spec": "python:pitch_model:predict", "language": "en"},
    ]
    candidates = root / "candidates.yaml"
    candidates.write_text(yaml.safe_dump(entries))
    cfg = ScreeningConfig(candidates=str(candidates), out=str(root / "out"),
                          probe_dataset=f"csv:{tone_dataset}", probe_size=16, timeout=300,
                          jobs=2)
    results = screen(cfg)
    return cfg, {r["spec"]: r for r in results}, results


def by_name(screened, status_models, name):
    return screened[1][f"hf:{status_models[name]}"]


@pytest.mark.parametrize("name,status", [
    ("emotion", "usable"), ("ctc", "wrong_task"), ("base", "wrong_task"),
    ("placeholder_labels", "no_emotion_labels"), ("forced", "degenerate"),
    ("speechbrain", "needs_custom_loader")])
def test_each_local_model_gets_its_status(screened, status_models, name, status):
    assert by_name(screened, status_models, name)["status"] == status


def test_other_statuses(screened):
    _, results, _ = screened
    missing = next(r for s, r in results.items() if s.endswith("no-such-model"))
    assert missing["status"] == "not_found" and "no such folder" in missing["reason"]
    hub = results[f"hf:{HUB_ID}"]  # offline: unknown, which is not the same as absent
    assert hub["status"] == "unreachable" and "HF_HUB_OFFLINE" in hub["reason"]
    broken = next(r for s, r in results.items() if s.endswith("broken"))
    assert broken["status"] == "load_error" and broken["evidence"]["failure"]["stage"] == "load"
    # a python: model screens like any other and maps its labels by alias
    pitch = results["python:pitch_model:predict"]
    assert pitch["status"] == "usable"
    assert pitch["evidence"]["label_emotions"] == {"anger": "angry", "joy": "happy",
                                                   "calm": "calm", "sorrow": "sad"}


def test_recommendations_and_reasons(screened, status_models):
    recommendations = {r["status"]: r["recommendation"] for r in screened[2]}
    assert recommendations["usable"] == "keep"
    assert recommendations["needs_custom_loader"] == "needs loader"
    assert {recommendations[s] for s in ("wrong_task", "degenerate", "not_found",
                                         "no_emotion_labels", "load_error")} == {"exclude"}
    assert "speech recogniser" in by_name(screened, status_models, "ctc")["reason"]
    assert "bare base model" in by_name(screened, status_models, "base")["reason"]
    assert "LABEL_0, LABEL_1" in by_name(screened, status_models, "placeholder_labels")["reason"]
    assert "100% of the 16 probe predictions are 'neutral'" in \
        by_name(screened, status_models, "forced")["reason"]


def test_a_base_model_reports_its_head_as_newly_initialised(screened, status_models):
    evidence = by_name(screened, status_models, "base")["evidence"]
    assert evidence["architecture"] == "Wav2Vec2Model"
    assert evidence["model_class"] == "Wav2Vec2ForSequenceClassification"
    assert set(evidence["loading"]["head_newly_initialised"]) == {
        "classifier.weight", "classifier.bias", "projector.weight", "projector.bias"}
    assert evidence["labels"] == ["LABEL_0", "LABEL_1"]  # the random head's labels
    assert evidence["probe_skipped"] == "not probed: already wrong_task"


def test_usable_evidence(screened, status_models):
    import torch  # noqa: F401
    from transformers import Wav2Vec2ForSequenceClassification

    entry = by_name(screened, status_models, "emotion")
    evidence = entry["evidence"]
    folder = status_models["emotion"]
    model = Wav2Vec2ForSequenceClassification.from_pretrained(folder)
    assert evidence["n_parameters"] == sum(p.numel() for p in model.parameters())
    assert evidence["size_bytes"] == os.path.getsize(folder / "model.safetensors")
    assert evidence["architecture"] == "Wav2Vec2ForSequenceClassification"
    assert evidence["head_type"] == "SequenceClassification"
    assert evidence["loading"]["head_newly_initialised"] == []
    assert evidence["label_emotions"] == {e: e for e in ("angry", "happy", "neutral", "sad")}
    assert evidence["load_seconds"] > 0
    probe = evidence["probe"]
    assert probe["n_scored"] == 16 and sum(probe["distribution"].values()) == 16
    assert probe["top_share"] < 0.9 and probe["top_probability"]["std"] >= 0.01
    assert 0 <= probe["accuracy"] <= 1 and 0 <= probe["balanced_accuracy"] <= 1
    assert any("language mismatch" in w and "'ko'" in w for w in entry["warnings"])
    assert not any("language" in w for w in screened[1]["python:pitch_model:predict"]
                   ["warnings"])  # declared en, probe en


def test_outputs(screened):
    cfg, results, ordered = screened
    saved = json.loads(open(os.path.join(cfg.out, "screening.json")).read())
    assert saved["schema_version"] == 2
    listed = saved["candidates"]
    assert [r["spec"] for r in listed] == [c.spec for c in read_candidates(cfg.candidates)]
    for entry in listed:
        assert {"spec", "status", "recommendation", "reason", "evidence"} <= set(entry)
    usable = read_candidates(os.path.join(cfg.out, "candidates.usable.yaml"))
    assert [c.spec for c in usable] == [r["spec"] for r in ordered
                                        if r["recommendation"] == "keep"]
    assert usable[0].language == "ko" and usable[0].notes == "trained on Korean"
    markdown = open(os.path.join(cfg.out, "screening.md")).read()
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert [h.split(" (")[0] for h in headings] == [
        "## Usable", "## Wrong task or collapsed", "## Retry later", "## Cannot load",
        "## Not emotion models", "## Final pool"]
    assert "## Final pool (2 of 10)" in markdown


def test_a_rerun_reuses_finished_candidates(screened):
    cfg, results, _ = screened
    worker_files = {r["slug"]: os.path.join(cfg.out, "candidates", r["slug"], "worker.json")
                    for r in results.values()}
    before = {slug: os.stat(path).st_mtime_ns for slug, path in worker_files.items()}
    again = {r["spec"]: r for r in screen(cfg)}
    for spec, entry in again.items():
        assert entry["status"] == results[spec]["status"]
        rerun = entry["status"] == "unreachable"  # the network may be back: asked again
        assert entry["evidence"]["worker"]["reused"] is not rerun
        assert (os.stat(worker_files[entry["slug"]]).st_mtime_ns == before[entry["slug"]]) \
            is not rerun


def test_a_hanging_candidate_is_stopped_at_the_time_limit(tmp_path, modules_dir):
    (tmp_path / "c.yaml").write_text("- python:hanging_model:predict\n")
    # 15 s, not less: on a loaded machine the worker's imports alone can take seconds, and
    # the limit must fall while the model hangs in loading, not while it is still located
    [entry] = screen(ScreeningConfig(candidates=str(tmp_path / "c.yaml"),
                                     out=str(tmp_path / "out"), timeout=15))
    assert entry["status"] == "timeout" and entry["recommendation"] == "exclude"
    assert "15 s limit while loading the model" in entry["reason"]
    assert entry["evidence"]["worker"]["timed_out"] and \
        entry["evidence"]["worker"]["seconds"] < 60
    worker = json.loads((tmp_path / "out" / "candidates" / entry["slug"] / "worker.json")
                        .read_text())
    with pytest.raises(ProcessLookupError):  # the worker is gone, not left running
        os.kill(worker["pid"], 0)


def test_cli_contains_a_crash_and_keeps_an_unprobed_model(tmp_path, modules_dir):
    (tmp_path / "c.yaml").write_text("- python:crashing_model:predict\n"
                                     "- python:silent_model:predict\n")
    result = CliRunner().invoke(app, ["screen", str(tmp_path / "c.yaml"), "--out",
                                      str(tmp_path / "out"), "--timeout", "120"])
    assert result.exit_code == 0, result.output
    assert "2 candidates screened (1 load_error, 1 unprobed); 1 kept" in " ".join(
        result.output.split())
    crash, silent = json.loads((tmp_path / "out" / "screening.json").read_text())["candidates"]
    assert crash["status"] == "load_error" and "exit code 3" in crash["reason"]
    assert silent["status"] == "unprobed" and silent["recommendation"] == "keep"
    assert "no probe data" in silent["reason"]
    assert [c.spec for c in read_candidates(str(tmp_path / "out" / "candidates.usable.yaml"))
            ] == ["python:silent_model:predict"]
    # a rerun reuses both verdicts, the crash included
    again = CliRunner().invoke(app, ["screen", str(tmp_path / "c.yaml"), "--out",
                                     str(tmp_path / "out"), "--timeout", "120"])
    assert again.exit_code == 0 and again.output.count("(reused)") == 2
    assert json.loads((tmp_path / "out" / "screening.json").read_text())["candidates"][0][
        "reason"] == crash["reason"]


@pytest.mark.parametrize("args,message", [
    (["missing.yaml"], "not found"),
    (["{cands}", "--timeout", "0"], "--timeout 0"),
    (["{cands}", "--probe-size", "0"], "--probe-size 0"),
    (["{cands}", "--probe-dataset", "urdo:/x"], "did you mean 'urdu'"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    cands = tmp_path / "c.yaml"
    cands.write_text("- python:silent_model:predict\n")
    args = [a.format(cands=cands) for a in args]
    result = CliRunner().invoke(app, ["screen", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_worker_runs_as_a_module():
    import subprocess

    done = subprocess.run([sys.executable, "-m", "emoeval.screening.worker"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr


def test_cli_verdicts_mean_what_they_say(tmp_path, modules_dir, tone_dataset):
    """Issue 20 through the CLI: an offline hub model is retried, not dropped; a model that
    does not beat the probe's majority rate is chance_level; a collapse names the label the
    label map gives."""
    candidates = [HUB_ID, "python:pitch_model:predict", "python:wrong_model:predict",
                  {"spec": "python:collapsed_model:predict",
                   "label_map": {"LABEL_0": "angry", "LABEL_1": "happy", "LABEL_2": "neutral",
                                 "LABEL_3": "sad"}}]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(candidates))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["screen", str(tmp_path / "c.yaml"), "--out", str(out),
                                      "--probe-dataset", f"csv:{tone_dataset}",
                                      "--probe-size", "16", "--timeout", "300"])
    assert result.exit_code == 0, result.output
    hub, pitch, wrong, collapsed = json.loads((out / "screening.json").read_text())["candidates"]
    assert (hub["status"], hub["recommendation"]) == ("unreachable", "retry")
    assert [c.spec for c in read_candidates(str(out / "candidates.retry.yaml"))] == \
        [f"hf:{HUB_ID}"]
    assert "1 to retry" in " ".join(result.output.split())
    assert pitch["status"] == "usable" and "beats chance" in pitch["reason"]
    assert (wrong["status"], wrong["recommendation"]) == ("chance_level", "exclude")
    chance = wrong["evidence"]["chance"]
    assert (chance["n_correct"], chance["n"], chance["majority_rate"]) == (0, 16, 0.25)
    assert chance["p_value"] == pytest.approx(1.0)
    assert "0 of 16 probe samples right" in wrong["reason"]
    assert collapsed["status"] == "degenerate"
    assert "'neutral' (model label LABEL_2)" in collapsed["reason"]
    assert [c.spec for c in read_candidates(str(out / "candidates.usable.yaml"))] == \
        ["python:pitch_model:predict"]
    markdown = (out / "screening.md").read_text()
    assert "candidates.retry.yaml" in markdown and "Against chance: 0 of 16" in markdown
