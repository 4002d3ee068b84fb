"""Issue 19 item 6: a bad task option value (here the unanswered policy of a generative
run) is a one-line error before any request reaches the model."""

from __future__ import annotations

import pandas as pd
import pytest
from generative_llm_server import create_app
from loopback import serve
from typer.testing import CliRunner

from emoeval.cli import app


@pytest.fixture
def chat_server():
    server_app, log = create_app()
    with serve(server_app) as url:
        yield url + "/v1", log


def test_a_bad_policy_fails_before_any_request(tmp_path, chat_server):
    base, log = chat_server
    data = tmp_path / "texts.csv"
    pd.DataFrame([{"id": "t1", "text": "I won [answer=happy]", "label": "happy"},
                  {"id": "t2", "text": "They lied [answer=angry]", "label": "angry"}]
                 ).to_csv(data, index=False)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["evaluate", "--model", f"llm:{base}#scripted",
                                      "--dataset", f"csv:{data}", "--out", str(out),
                                      "--retries", "0", "--invalid-policy", "fallback:joy"])
    assert result.exit_code == 2, result.output
    # the error names the flag by its issue-19 name, --unanswered (--invalid-policy its alias)
    assert "Traceback" not in result.output and "--unanswered" in result.output
    assert len(log) == 0  # the model was never asked
    assert not (out / "predictions.jsonl").exists()
