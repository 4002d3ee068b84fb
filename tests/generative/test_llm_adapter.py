"""The llm: adapter against a scripted OpenAI-compatible server on loopback (uvicorn)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import soundfile as sf
from generative_llm_server import create_app
from loopback import serve

from emoeval.adapters.base import load_adapter
from emoeval.adapters.llm import LLMAdapter, parse_llm_argument
from emoeval.errors import EmoevalError, SampleError

LABELS = ["neutral", "angry", "happy", "sad"]


@pytest.fixture(scope="module")
def server():
    app, log = create_app()
    with serve(app) as url:
        yield url + "/v1", log


@pytest.fixture(scope="module")
def schemaless_server():
    app, log = create_app(reject_schema=True)
    with serve(app) as url:
        yield url + "/v1", log


def adapter(base: str, **options) -> tuple[LLMAdapter, list[float]]:
    waits: list[float] = []
    llm = load_adapter(f"llm:{base}#test-model", **{"sleep": waits.append, "backoff": 0.5,
                                                    "timeout": 5, **options})
    llm.modality = options.get("modality", "text")
    llm.set_candidate_labels(LABELS)
    return llm, waits


def test_answers_come_back_raw_in_input_order(server):
    base, log = server
    llm, _ = adapter(base, concurrency=3)
    texts = [f"sample {i} [answer={a}]" for i, a in
             enumerate(["sad", "The speaker sounds angry.", '{"emotion": "happy"}', "",
                        "doubt"])]
    answers = llm.predict(texts)
    assert answers == ["sad", "The speaker sounds angry.", '{"emotion": "happy"}', "", "doubt"]
    body = log[-1]
    assert body["model"] == "test-model" and body["temperature"] == 0
    assert "response_format" not in body
    prompt = body["messages"][0]["content"]
    assert "neutral, angry, happy, sad" in prompt and "[answer=" in prompt


def test_transport_failures_become_sample_errors(server):
    base, _ = server
    llm, waits = adapter(base, retries=2)
    answers = llm.predict(["a [500-always]", "b [not-json]", "c [no-choices]",
                           "d [answer=sad]"])
    assert isinstance(answers[0], SampleError)
    assert str(answers[0]).startswith("HTTP 500") and "[3 attempts]" in str(answers[0])
    assert waits == [0.5, 1.0]  # exponential backoff from --backoff, without sleeping
    assert isinstance(answers[1], SampleError) and "not valid JSON" in str(answers[1])
    assert isinstance(answers[2], SampleError) and "malformed response" in str(answers[2])
    assert answers[3] == "sad"


def test_500_then_success_and_429_honours_retry_after(server):
    base, log = server
    llm, waits = adapter(base)
    before = len(log)
    assert llm.predict(["e [500-once][answer=happy]"]) == ["happy"]
    assert waits == [0.5]
    llm, waits = adapter(base)
    assert llm.predict(["f [429][answer=angry]"]) == ["angry"]
    assert waits == [7.0]  # the server's Retry-After, not the backoff
    assert len(log) - before == 4


def test_a_reply_past_the_timeout_is_an_error(server):
    base, _ = server
    llm, waits = adapter(base, timeout=0.3, retries=1, backoff=0)
    answers = llm.predict(["g [slow][answer=sad]", "h [answer=sad]"])
    assert isinstance(answers[0], SampleError)
    assert str(answers[0]) == "timeout after 0.3 s [2 attempts]"
    assert answers[1] == "sad"


def test_structured_output_sends_a_schema_enum(server):
    base, log = server
    llm, _ = adapter(base, structured_output=True)
    assert llm.predict(["i [answer=sad]"]) == ['{"emotion": "sad"}']
    schema = log[-1]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["emotion"]["enum"] == LABELS
    assert llm.efficiency()["structured_output"] == "json_schema"


def test_structured_output_falls_back_to_plain_text_on_400(schemaless_server):
    base, log = schemaless_server
    llm, _ = adapter(base, structured_output=True)
    assert llm.predict(["j [answer=sad]", "k [answer=happy]"]) == ["sad", "happy"]
    assert len(log) == 4  # two refused, two plain
    assert llm.structured_refused and "not supported" in llm.structured_refused
    assert llm.predict(["l [answer=angry]"]) == ["angry"]
    assert len(log) == 5 and "response_format" not in log[-1]  # no second try with a schema
    assert "refused" in llm.efficiency()["structured_output"]


def test_audio_goes_as_an_input_audio_part(server):
    base, log = server
    llm, _ = adapter(base, modality="audio")
    clip = (0.1 * np.sin(np.linspace(0, 200, 8000))).astype(np.float32)
    assert llm.predict([clip]) == ["neutral"]
    content = log[-1]["messages"][0]["content"]
    assert content[0]["type"] == "text" and "neutral, angry, happy, sad" in content[0]["text"]
    assert content[1]["type"] == "input_audio"
    assert content[1]["input_audio"]["format"] == "wav"
    samples, rate = sf.read(io.BytesIO(base64.b64decode(content[1]["input_audio"]["data"])))
    assert rate == 16000 and len(samples) == len(clip)
    assert np.allclose(samples, clip, atol=1 / 2 ** 14)


def test_api_key_from_the_environment(server, monkeypatch):
    base, _ = server
    with pytest.raises(EmoevalError, match="LLM_TEST_KEY"):
        load_adapter(f"llm:{base}#m", api_key_env="LLM_TEST_KEY")
    monkeypatch.setenv("LLM_TEST_KEY", "secret-token")
    llm = load_adapter(f"llm:{base}#m", api_key_env="LLM_TEST_KEY")
    llm.set_candidate_labels(LABELS)
    assert "secret-token" not in "".join(llm.fingerprint_parts())
    assert llm.client()._client.headers["authorization"] == "Bearer secret-token"


def test_fingerprint_covers_prompt_model_url_and_decoding(tmp_path, server):
    base, _ = server

    def fingerprint(spec=f"llm:{base}#m", labels=LABELS, **options) -> str:
        llm = load_adapter(spec, **options)
        llm.modality = "text"
        llm.set_candidate_labels(labels)
        return llm.fingerprint()

    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Which emotion? One of {labels}.\n{text}")
    reference = fingerprint()
    assert fingerprint() == reference
    assert fingerprint(prompt=str(prompt)) != reference
    assert fingerprint(spec=f"llm:{base}#other") != reference
    assert fingerprint(spec="llm:http://127.0.0.1:9/v1#m") != reference
    assert fingerprint(max_tokens=8) != reference
    assert fingerprint(structured_output=True) != reference
    assert fingerprint(labels=LABELS[::-1]) != reference
    assert fingerprint(concurrency=9, timeout=1) == reference  # transport is not identity


def test_bad_specs_and_prompts(tmp_path):
    with pytest.raises(EmoevalError, match="names no model"):
        parse_llm_argument("http://localhost:8000/v1")
    with pytest.raises(EmoevalError, match="must start with http"):
        parse_llm_argument("localhost:8000#m")
    assert parse_llm_argument("http://h:1/v1/#m") == ("http://h:1/v1/chat/completions", "m")
    assert parse_llm_argument("https://h/v1/chat/completions#a/b:7b") == (
        "https://h/v1/chat/completions", "a/b:7b")
    with pytest.raises(EmoevalError, match="cannot read"):
        load_adapter("llm:http://h/v1#m", prompt=str(tmp_path / "missing.txt"))
    no_labels = tmp_path / "p1.txt"
    no_labels.write_text("What emotion is this? {text}")
    llm = load_adapter("llm:http://h/v1#m", prompt=str(no_labels))
    llm.modality = "text"
    with pytest.raises(EmoevalError, match="no \\{labels\\} placeholder"):
        llm.set_candidate_labels(LABELS)
    (tmp_path / "p2.txt").write_text("Pick one of {labels}.")
    llm = load_adapter("llm:http://h/v1#m", prompt=str(tmp_path / "p2.txt"))
    llm.modality = "text"
    with pytest.raises(EmoevalError, match="no \\{text\\} placeholder"):
        llm.set_candidate_labels(LABELS)
