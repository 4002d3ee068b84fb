"""End-to-end runs of the ``emoeval`` CLI into tmp_path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()

# Seed 002 (Emotion-LLaMA on MER2023 test3): published confusion matrix and headline numbers.
SEED_002_LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
SEED_002_MATRIX = [[179, 1, 2, 1, 0, 0], [2, 154, 7, 3, 2, 1], [10, 10, 134, 6, 2, 4],
                   [2, 2, 1, 250, 0, 2], [1, 0, 3, 1, 6, 3], [5, 1, 3, 2, 1, 33]]
SEED_002_PUBLISHED = {"accuracy": 90.65, "precision_weighted": 90.44,
                      "recall_weighted": 90.65, "f1_weighted": 90.45}
SEED_002_CLASS_ACCURACY = {"neutral": 97.81, "sad": 97.28, "angry": 91.12, "happy": 80.72,
                           "surprise": 73.33, "worried": 42.86}


def invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def write_text_csv(path: Path, n_per_label: int = 6) -> Path:
    texts = {"happy": "so happy and glad", "sad": "I cry, so sad", "angry": "angry and furious",
             "neutral": "the bus leaves at nine"}
    rows = []
    for label, text in texts.items():
        for i in range(n_per_label):
            # every third happy sentence is misread by the keyword model
            body = "the weather is fine" if label == "happy" and i % 3 == 0 else text
            rows.append({"id": f"{label}-{i}", "text": f"{body} #{i}", "label": label,
                         "speaker": f"s{i % 3}", "channel": "chat" if i % 2 else "mail"})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_score_reproduces_seed_002_exactly(tmp_path):
    rows = []
    for t, true in enumerate(SEED_002_LABELS):
        for p, pred in enumerate(SEED_002_LABELS):
            rows += [{"id": f"{true}-{pred}-{k}", "label": true, "prediction": pred}
                     for k in range(SEED_002_MATRIX[t][p])]
    pd.DataFrame(rows).to_csv(tmp_path / "answers.csv", index=False)
    result = invoke("score", tmp_path / "answers.csv", "--task", "classification",
                    "--out", tmp_path / "scored")
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "scored" / "results.json").read_text())
    assert res["n_samples"] == 834
    for key, published in SEED_002_PUBLISHED.items():
        assert round(100 * res["metrics"][key], 2) == published
    for label, published in SEED_002_CLASS_ACCURACY.items():
        assert round(100 * res["per_class"][label]["recall"], 2) == published
    assert res["confusion_matrix"]["counts"] == [
        [SEED_002_MATRIX[SEED_002_LABELS.index(t)][SEED_002_LABELS.index(p)]
         for p in res["labels"]] for t in res["labels"]]
    assert (tmp_path / "scored" / "report.md").exists()


def test_evaluate_text_end_to_end_and_rescore_detailed_results(tmp_path):
    data = write_text_csv(tmp_path / "text.csv")
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", "python:toy_models:keyword_scores", "--dataset",
                    f"csv:{data}", "--out", out, "--slice-by", "channel", "--batch-size", "4")
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    detailed = pd.read_csv(out / "detailed_results.csv")
    assert list(detailed.columns[:5]) == ["id", "label", "prediction", "confidence", "error"]
    assert {"score_angry", "score_happy", "score_neutral", "score_sad", "speaker",
            "channel"} <= set(detailed.columns)
    truth, pred = detailed["label"], detailed["prediction"]
    assert res["metrics"]["accuracy"] == pytest.approx(accuracy_score(truth, pred))
    assert res["metrics"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(truth, pred))
    assert res["metrics"]["f1_macro"] == pytest.approx(f1_score(truth, pred, average="macro"))
    assert res["ci"]["accuracy"]["unit"] == "speaker"
    assert set(res["slices"]["channel"]) == {"chat", "mail"}
    # the model's "calm" has no dataset counterpart: listed, and restricted away
    assert res["label_mapping"]["unmapped_model_labels"] == ["calm"]
    for key in ("schema_version", "task", "model", "dataset", "labels", "n_samples", "n_scored",
                "n_errors", "metrics", "metrics_shared_labels", "ci", "per_class",
                "confusion_matrix", "slices", "label_mapping", "efficiency", "run"):
        assert key in res
    # a detailed_results.csv written by emoeval is itself a valid input to `score`
    rescored = invoke("score", out / "detailed_results.csv", "--out", tmp_path / "rescore")
    assert rescored.exit_code == 0, rescored.output
    res2 = json.loads((tmp_path / "rescore" / "results.json").read_text())
    assert res2["metrics"] == res["metrics"] and res2["ci"] == res["ci"]


def test_report_rerenders_without_a_model(tmp_path):
    data = write_text_csv(tmp_path / "text.csv")
    out = tmp_path / "run"
    assert invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                  f"csv:{data}", "--out", out).exit_code == 0
    for name in ("report.md", "confusion_matrix.png", "per_class_metrics.png"):
        (out / name).unlink()
    (out / "predictions.jsonl").rename(out / "moved.jsonl")  # prove no model output is read
    result = invoke("report", out)
    assert result.exit_code == 0, result.output
    for name in ("report.md", "confusion_matrix.png", "per_class_metrics.png"):
        assert (out / name).stat().st_size > 0


def test_limit_is_stratified_seeded_and_resumable(tmp_path):
    data = write_text_csv(tmp_path / "text.csv", n_per_label=10)
    out = tmp_path / "run"
    assert invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                  f"csv:{data}", "--out", out, "--limit", "8").exit_code == 0
    first = pd.read_csv(out / "detailed_results.csv")
    assert first["label"].value_counts().to_dict() == {"angry": 2, "happy": 2, "neutral": 2,
                                                       "sad": 2}
    assert invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                  f"csv:{data}", "--out", out, "--limit", "8").exit_code == 0
    assert pd.read_csv(out / "detailed_results.csv")["id"].tolist() == first["id"].tolist()


def test_other_model_in_same_out_is_refused(tmp_path):
    data = write_text_csv(tmp_path / "text.csv")
    out = tmp_path / "run"
    assert invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                  f"csv:{data}", "--out", out).exit_code == 0
    result = invoke("evaluate", "--model", "python:toy_models:keyword_scores", "--dataset",
                    f"csv:{data}", "--out", out)
    assert result.exit_code == 2
    assert "another --out" in result.output


@pytest.mark.parametrize("args,message", [
    (["--labels", "happy,sad"], "angry, neutral"),
    (["--keep-labels", "joy"], "not in the data"),
    (["--text-col", "body"], "body"),
    (["--slice-by", "nope"], "nope"),
])
def test_input_errors_are_one_line_and_name_the_problem(tmp_path, args, message):
    data = write_text_csv(tmp_path / "text.csv")
    result = invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                    f"csv:{data}", "--out", tmp_path / "run", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_names_before_any_model_runs(tmp_path):
    data = write_text_csv(tmp_path / "text.csv")
    result = invoke("evaluate", "--model", "lexicn:nrc", "--dataset", f"csv:{data}",
                    "--out", tmp_path / "run")
    assert result.exit_code == 2 and "did you mean 'lexicon'" in result.output
    result = invoke("evaluate", "--model", "lexicon:nrc", "--dataset", f"ravdes:{tmp_path}",
                    "--out", tmp_path / "run2")
    assert result.exit_code == 2 and "did you mean 'ravdess'" in result.output


def test_merge_then_keep_labels(tmp_path):
    # --keep-labels names classes after --merge (IEMOCAP: --merge exc=happy --keep-labels ...)
    data = write_text_csv(tmp_path / "text.csv")
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                    f"csv:{data}", "--out", out, "--keep-labels", "happy,sad",
                    "--merge", "angry=sad")
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert res["labels"] == ["happy", "sad"]
    assert res["n_samples"] == 18


def test_audio_evaluation_records_bad_files_and_finishes(tmp_path, audio_model, audio_csv):
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", f"hf:{audio_model}", "--dataset", f"csv:{audio_csv}",
                    "--out", out, "--batch-size", "4")
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert res["n_samples"] == 15 and res["n_scored"] == 12 and res["n_errors"] == 3
    detailed = pd.read_csv(out / "detailed_results.csv").set_index("id")
    assert "unreadable" in detailed.loc["bad1", "error"]
    assert "empty audio file" in detailed.loc["bad2", "error"]
    assert "missing audio file" in detailed.loc["bad3", "error"]
    report = (out / "report.md").read_text()
    assert "bad1" in report and "bad3" in report
    assert res["efficiency"]["n_parameters"] > 0


def test_kill_9_mid_run_then_resume_loses_and_redoes_nothing(tmp_path):
    data = write_text_csv(tmp_path / "text.csv", n_per_label=10)  # 40 rows, batches of 2
    out, log = tmp_path / "run", tmp_path / "calls.log"
    env = dict(os.environ, TOY_LOG=str(log), TOY_SLEEP="0.15",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1] / "helpers"),
                                           os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "emoeval.cli", "evaluate", "--model",
           "python:toy_models:slow_logged", "--dataset", f"csv:{data}", "--out", str(out),
           "--batch-size", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        seen = log.read_text().splitlines() if log.exists() else []
        if len(seen) >= 10:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = set(log.read_text().splitlines())
    assert 10 <= len(before) < 40, "the run must be killed part-way"
    stored_before = {json.loads(l)["id"] for l in (out / "predictions.jsonl").read_text()
                     .splitlines() if l.endswith("}")}
    done = subprocess.run(cmd, env=dict(env, TOY_SLEEP="0"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    redone = [t for t in calls[len(before):] if t in before]
    # only a batch in flight at the kill may be redone; nothing that reached the store
    assert len(redone) <= 2
    assert len(set(calls)) == 40
    res = json.loads((out / "results.json").read_text())
    assert res["n_samples"] == 40 and res["n_scored"] == 40
    ids = [json.loads(l)["id"] for l in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 40
    assert stored_before <= set(ids)


def test_models_and_datasets_listings():
    models = invoke("models")
    assert models.exit_code == 0 and "zeroshot" in models.output and "python" in models.output
    datasets = invoke("datasets")
    assert datasets.exit_code == 0 and "crema-d" in datasets.output


def test_collapsed_model_is_flagged_in_results_and_report(tmp_path):
    rows = [{"id": i, "label": ["happy", "sad"][i % 2], "prediction": "happy"} for i in range(20)]
    pd.DataFrame(rows).to_csv(tmp_path / "p.csv", index=False)
    assert invoke("score", tmp_path / "p.csv", "--out", tmp_path / "out").exit_code == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert any("collapsed" in w for w in res["warnings"])
    assert "## Warnings" in (tmp_path / "out" / "report.md").read_text()
    # a healthy model gets no such warning
    rows = [{"id": i, "label": ["happy", "sad"][i % 2], "prediction": ["happy", "sad"][i % 2]}
            for i in range(20)]
    pd.DataFrame(rows).to_csv(tmp_path / "q.csv", index=False)
    assert invoke("score", tmp_path / "q.csv", "--out", tmp_path / "ok").exit_code == 0
    assert json.loads((tmp_path / "ok" / "results.json").read_text())["warnings"] == []


def test_preset_files_outside_the_naming_are_reported(tmp_path, audio_model):
    from builders import write_wav

    for i, name in enumerate(["03a01Wa.wav", "03a02Na.wav", "08b01Fc.wav", "08b02Tb.wav",
                              "notes-take-1.wav"]):
        write_wav(tmp_path / "emodb" / "wav" / name, seconds=0.3, seed=i)
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", f"hf:{audio_model}", "--dataset",
                    f"emodb:{tmp_path / 'emodb'}", "--out", out)
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert res["n_samples"] == 4
    assert any("skipped" in w and "notes-take-1.wav" in w for w in res["warnings"])
    # the tiny model knows angry/happy/neutral/sad: anger, happiness, neutral, sadness map
    assert res["label_mapping"]["how"] == {"angry": "alias", "happy": "alias",
                                           "neutral": "exact", "sad": "alias"}


def test_score_refuses_options_of_other_tasks_and_unknown_tasks(tmp_path):
    pd.DataFrame([{"id": 1, "label": "a", "prediction": "a"}]).to_csv(tmp_path / "p.csv",
                                                                     index=False)
    # every task takes --unanswered now (issue 19); --mention is generative's alone
    result = invoke("score", tmp_path / "p.csv", "--out", tmp_path / "o", "--mention", "first")
    assert result.exit_code == 2 and "--mention does not apply to --task classification" \
        in result.output
    result = invoke("score", tmp_path / "p.csv", "--out", tmp_path / "o", "--task", "clasification")
    assert result.exit_code == 2 and "did you mean 'classification'" in result.output


def test_evaluate_models_file_runs_each_then_compares(tmp_path):
    data = write_text_csv(tmp_path / "text.csv", n_per_label=8)
    models = tmp_path / "candidates.yaml"
    models.write_text("- python:toy_models:keyword_label\n"
                      "- spec: python:toy_models:keyword_scores\n"
                      "  notes: scores with a calm class the data lacks\n"
                      "  label_map: {calm: neutral}\n"
                      "- python:toy_models:does_not_exist\n")
    out = tmp_path / "runs"
    result = invoke("evaluate", "--models", models, "--dataset", f"csv:{data}", "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "models.json").read_text())
    assert len(summary["runs"]) == 2
    assert list(summary["failures"]) == ["python:toy_models:does_not_exist"]
    second = json.loads((Path(summary["runs"][1]) / "results.json").read_text())
    assert second["label_mapping"]["model_to_dataset"]["calm"] == "neutral"
    leaderboard = pd.read_csv(out / "compare" / "leaderboard.csv")
    assert len(leaderboard) == 2
    assert (out / "compare" / "compare.md").exists()


def test_evaluate_needs_exactly_one_of_model_and_models(tmp_path):
    data = write_text_csv(tmp_path / "text.csv")
    result = invoke("evaluate", "--dataset", f"csv:{data}", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "exactly one of --model" in result.output


def test_stray_task_option_fails_before_the_model_runs(tmp_path):
    data = write_text_csv(tmp_path / "text.csv")
    out = tmp_path / "run"
    result = invoke("evaluate", "--model", "python:toy_models:keyword_label", "--dataset",
                    f"csv:{data}", "--out", out, "--mention", "first")
    # classification takes --unanswered since issue 19; --mention is generative's alone
    assert result.exit_code == 2
    assert "--mention does not apply to --task classification" in result.output
    assert not (out / "predictions.jsonl").exists()


def test_cli_refuses_an_option_the_model_does_not_take(tmp_path):
    """A flag meant for another backend (--prompt is llm:'s) fails before any run rather
    than being silently ignored."""
    from emoeval.adapters.base import load_adapter
    from emoeval.errors import EmoevalError

    with pytest.raises(EmoevalError, match="--prompt does not apply to python: models"):
        load_adapter("python:toy_models:keyword_label", prompt="p.txt")
    with pytest.raises(EmoevalError, match="--output-names does not apply to lexicon:"):
        load_adapter("lexicon:nrc", output_names=["valence"])
    assert load_adapter("python:toy_models:keyword_label", modality="text").modality == "text"
