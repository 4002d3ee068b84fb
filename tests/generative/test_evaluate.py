"""`emoeval evaluate --model llm:...` end to end through the CLI, against a scripted server;
a rerun answers from the prediction store and sends no request."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from builders import write_wav
from generative_llm_server import create_app
from loopback import serve
from sklearn.metrics import accuracy_score
from typer.testing import CliRunner

from emoeval.cli import app

runner = CliRunner()

ROWS = [  # (id, text, label)
    ("t01", "I won the cup! [answer=happy]", "happy"),
    ("t02", "Best day ever [answer=The writer is clearly happy.]", "happy"),
    ("t03", "Fine, whatever. [answer={\"emotion\": \"neutral\"}]", "happy"),
    ("t04", "They lied to me again [answer=angry]", "angry"),
    ("t05", "Get out of my house [answer=The speaker speaks angrily.]", "angry"),
    ("t06", "This is outrageous [answer=frustrated]", "angry"),
    ("t07", "The bus leaves at nine [answer=neutral]", "neutral"),
    ("t08", "Meeting moved to 3pm [answer=doubt]", "neutral"),
    ("t09", "Noted. [answer=]", "neutral"),
    ("t10", "My dog died [answer=sadness]", "sad"),
    ("t11", "I miss her so much [answer=sad or angry]", "sad"),
    ("t12", "Nobody came to my party [429-zero][answer=sad]", "sad"),
    ("t13", "Alone again [not-json]", "sad"),
    ("t14", "   ", "neutral"),
    ("t15", "Rain all week [answer={\"emotion\": \"sad\"]", "sad"),  # JSON cut off
]


@pytest.fixture
def chat_server():
    server_app, log = create_app()
    with serve(server_app) as url:
        yield url + "/v1", log


def evaluate(dataset: str, out, model: str, *extra: str):
    return runner.invoke(app, ["evaluate", "--model", model, "--dataset", dataset, "--out",
                               str(out), "--retries", "1", "--concurrency", "2",
                               "--batch-size", "4", *extra])


def test_evaluate_llm_end_to_end_and_rerun_costs_nothing(tmp_path, chat_server):
    base, log = chat_server
    data = tmp_path / "texts.csv"
    pd.DataFrame([{"id": i, "text": t, "label": label, "speaker": f"s{n % 3}"}
                  for n, (i, t, label) in enumerate(ROWS)]).to_csv(data, index=False)
    out = tmp_path / "run"
    model = f"llm:{base}#scripted"
    result = evaluate(f"csv:{data}", out, model, "--invalid-policy", "wrong")
    assert result.exit_code == 0, result.output
    assert "valid answers" in result.output
    # one request per non-empty text, plus the 429's retry; never one for the empty text
    assert len(log) == 14 + 1
    assert all(body["temperature"] == 0 and body["model"] == "scripted" for body in log)

    res = json.loads((out / "results.json").read_text())
    assert res["task"] == "generative" and res["policy"] == "wrong"
    assert res["status_counts"] == {"valid": 9, "ambiguous": 1, "out_of_taxonomy": 2,
                                    "invalid": 1, "error": 2}
    assert res["n_errors"] == 2 and res["n_scored"] == 13
    assert res["errors"]["by_kind"] == {"empty text": 1,
                                        "response is not valid JSON [1 attempt]": 1}
    assert res["efficiency"]["requests"] == 15
    detailed = pd.read_csv(out / "detailed_results.csv", keep_default_na=False)
    assert list(detailed.columns[:5]) == ["id", "label", "prediction", "status", "response"]
    by_id = detailed.set_index("id")
    assert by_id.loc["t02", "response"] == "The writer is clearly happy."
    assert by_id.loc["t08", "extracted"] == "doubt"
    assert by_id.loc["t08", "prediction"] == "<out_of_taxonomy>"
    assert by_id.loc["t14", "status"] == "error" and by_id.loc["t14", "error"] == "empty text"
    assert by_id.loc["t15", "prediction"] == "sad"
    assert by_id.loc["t15", "status_detail"].endswith("(malformed json read as text)")
    scored = detailed[detailed["error"] == ""]
    assert res["metrics"]["accuracy"] == pytest.approx(
        accuracy_score(scored["label"], scored["prediction"]))
    report = (out / "report.md").read_text()
    assert "## Unusable answers" in report and "`frustrated`" in report

    # rerun: every answer comes from the store; only the one failed request (a body that
    # was not JSON: a transport failure, not an answer) is asked again
    result = evaluate(f"csv:{data}", out, model, "--invalid-policy", "fallback:neutral")
    assert result.exit_code == 0, result.output
    assert len(log) == 16
    again = json.loads((out / "results.json").read_text())
    assert again["policy"] == "fallback:neutral" and again["efficiency"]["requests"] == 1
    assert again["status_counts"] == res["status_counts"]
    assert again["policies"]["wrong"] == res["policies"]["wrong"]

    # another prompt is another model: refused in the same --out, nothing sent
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Emotion of this text, one of {labels}: {text}")
    result = evaluate(f"csv:{data}", out, model, "--prompt", str(prompt))
    assert result.exit_code == 2 and "already holds predictions" in result.output
    assert len(log) == 16


def test_evaluate_llm_on_audio_sends_wav_and_skips_bad_files(tmp_path, chat_server):
    base, log = chat_server
    rows = []
    for i, label in enumerate(["angry", "happy", "neutral", "sad"]):
        write_wav(tmp_path / "clips" / f"c{i}.wav", seconds=0.2, rate=22050, seed=i)
        rows.append({"path": f"clips/c{i}.wav", "label": label})
    (tmp_path / "clips" / "corrupt.wav").write_bytes(b"RIFF\x00\x00not a wav")
    rows.append({"path": "clips/corrupt.wav", "label": "sad"})
    pd.DataFrame(rows).to_csv(tmp_path / "audio.csv", index=False)
    out = tmp_path / "run"
    result = evaluate(f"csv:{tmp_path / 'audio.csv'}", out, f"llm:{base}#audio-model",
                      "--audio-col", "path")
    assert result.exit_code == 0, result.output
    assert len(log) == 4  # the corrupt file failed before any request
    content = log[0]["messages"][0]["content"]
    assert [part["type"] for part in content] == ["text", "input_audio"]
    res = json.loads((out / "results.json").read_text())
    assert res["status_counts"]["valid"] == 4 and res["status_counts"]["error"] == 1
    assert res["per_class"]["neutral"]["recall"] == 1.0  # the server always answers neutral
