"""A small OpenAI-compatible chat-completions server (FastAPI) that answers from a script.

Tests run it on loopback (``from loopback import serve``). What it does is read from markers
in the prompt text, so a dataset row says how the "model" behaves for it:

``[answer=TEXT]``  answer TEXT (default: ``neutral``)
``[500-once]``     HTTP 500 on the first attempt, then the answer
``[500-always]``   HTTP 500 on every attempt
``[429]``          HTTP 429 with ``Retry-After: 7`` on the first attempt, then the answer
``[429-zero]``     the same with ``Retry-After: 0``
``[slow]``         the answer after 1.5 s (past a short client timeout)
``[not-json]``     HTTP 200 whose body is not JSON
``[no-choices]``   HTTP 200 JSON without ``choices``

With ``reject_schema=True`` a request carrying ``response_format`` gets HTTP 400, as from a
server without structured output; an accepted ``response_format`` gets ``{"emotion": ...}``.

Run as a script (``python tests/generative/generative_llm_server.py --port 8011``) it serves
the *demo* script instead: the label comes from the NRC emotion lexicon (emoeval's
``lexicon:nrc`` adapter, a real if simple text model) and is worded the way chat models
answer: a bare label, a sentence, JSON, a hedge naming two emotions, an emotion outside the
label set, a refusal, now and then a 500 or a 429 first. See docs/generative.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import Counter
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

_ANSWER = re.compile(r"\[answer=([^\]]*)\]")
_LABELS = re.compile(r"from this list: ([^\n]*?)\.\s*\n")


def prompt_text(body: dict[str, Any]) -> str:
    """The text of the last user message (string content or its text parts)."""
    content = body["messages"][-1]["content"]
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return str(content)


def completion(content: str, model: str) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}]}


def scripted_answer(prompt: str, body: dict[str, Any]) -> str:
    match = _ANSWER.search(prompt)
    return match.group(1) if match else "neutral"


def scripted_faults(prompt: str) -> str:
    """The transport behaviour markers of a prompt, as one string."""
    return " ".join(m for m in ("[500-once]", "[500-always]", "[429]", "[429-zero]", "[slow]",
                                "[not-json]", "[no-choices]") if m in prompt)


def demo_faults(prompt: str) -> str:
    """For the demo run: about 1 prompt in 25 gets a 500 first, 1 in 25 a 429 (retried
    after 1 s) and 1 in 60 a 500 on every attempt."""
    bucket = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16) % 300
    if bucket < 12:
        return "[500-once]"
    if bucket < 24:
        return "[429-one]"
    if bucket < 29:
        return "[500-always]"
    return ""


def create_app(answer: Callable[[str, dict[str, Any]], str] = scripted_answer,
               reject_schema: bool = False, faults: Callable[[str], str] = scripted_faults,
               ) -> tuple[FastAPI, list[dict[str, Any]]]:
    """The app and the log of every request body it received (one entry per attempt)."""
    app = FastAPI()
    log: list[dict[str, Any]] = []
    attempts: Counter = Counter()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        log.append(body)
        prompt = prompt_text(body)
        fault = faults(prompt)
        key = hashlib.sha256(json.dumps(body["messages"], sort_keys=True).encode()).hexdigest()
        attempts[key] += 1
        first = attempts[key] == 1
        if reject_schema and "response_format" in body:
            return JSONResponse({"error": {"message": "response_format is not supported"}},
                                status_code=400)
        if "[500-always]" in fault or ("[500-once]" in fault and first):
            return JSONResponse({"error": {"message": "internal error"}}, status_code=500)
        if "[429" in fault and first:
            wait = {"[429-zero]": "0", "[429-one]": "1"}.get(fault, "7")
            return JSONResponse({"error": {"message": "rate limited"}}, status_code=429,
                                headers={"Retry-After": wait})
        if "[slow]" in fault:
            await asyncio.sleep(1.5)
        if "[not-json]" in fault:
            return PlainTextResponse("<html>502 Bad Gateway</html>")
        if "[no-choices]" in fault:
            return {"object": "error", "message": "model overloaded"}
        content = answer(prompt, body)
        if "response_format" in body:
            content = json.dumps({"emotion": content})
        return completion(content, body.get("model", ""))

    return app, log


# --------------------------------------------------------------------------- demo script


def _demo_model():
    from emoeval.adapters.lexicon import LexiconAdapter

    return LexiconAdapter("nrc")


def demo_answer_factory() -> Callable[[str, dict[str, Any]], str]:
    """Answers for any dataset: the NRC lexicon picks the emotion, the wording varies."""
    import numpy as np

    from emoeval.labels import canonical

    model = _demo_model()
    nrc_to_family = {"anger": "angry", "disgust": "disgust", "fear": "fear", "joy": "happy",
                     "sadness": "sad", "surprise": "surprise"}
    outside = {"angry": "frustrated", "sad": "disappointed", "fear": "nervous",
               "happy": "excited", "surprise": "confused", "disgust": "contempt",
               "neutral": "calm"}

    def answer(prompt: str, body: dict[str, Any]) -> str:
        labels_match = _LABELS.search(prompt)
        labels = [x.strip() for x in labels_match.group(1).split(",")] if labels_match else []
        text = prompt.split("Text:", 1)[-1].strip()
        model.set_candidate_labels(labels)
        scores = np.asarray(model.predict([text]))[0]
        by_family = {canonical(label): label for label in labels}
        if scores.any():
            ranked = [model.labels[i] for i in np.argsort(-scores)]
            families = [nrc_to_family.get(name, canonical(name) or name) for name in ranked]
        else:
            families = ["neutral"]
        best = by_family.get(families[0], labels[0] if labels else "neutral")
        second = next((by_family[f] for f in families[1:] if f in by_family and
                       by_family[f] != best), None)
        style = int(hashlib.sha256(text.encode()).hexdigest(), 16) % 20
        if style < 7:
            return best
        if style < 10:
            return f"The emotion expressed is {best}."
        if style < 12:
            return json.dumps({"emotion": best})
        if style == 12:
            return f"{best.capitalize()}. The writer is clearly {best}, not neutral."
        if style == 13 and second:
            return f"It could be {best} or {second}."
        if style == 14:
            return outside.get(canonical(best) or "", "confused")
        if style == 15:
            return "I'm sorry, but I can't determine the emotion from this text alone."
        if style == 16:
            return f'{{"emotion": "{best}"'  # cut off: malformed JSON
        return f"Emotion: {best}"

    return answer


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8011)
    args = parser.parse_args()
    app, _ = create_app(demo_answer_factory(), faults=demo_faults)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
