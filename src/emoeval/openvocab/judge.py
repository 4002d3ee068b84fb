"""``--synonyms judge:llm:<url>#<model>``: an LLM groups each sample's words, pinned and cached.

One request per sample: the union of its truth and predicted words, sorted, inside the
versioned prompt ``prompts/group_synonyms.v<N>.txt`` (``--to-taxonomy`` asks the same way
for the class of the predicted words, ``prompts/taxonomy_class.v<N>.txt``). Answers are
cached on disk under ``$EMOEVAL_CACHE_DIR/openvocab-judge`` (default
``~/.cache/emoeval/openvocab-judge``; or ``--judge-cache DIR``), one JSON file per key =
(judge model, prompt version and digest, sorted words): a rerun sends no request, and two
models scored with the same judge share every grouping of the same words. A failed request
is not cached (the sample is a ``transport`` outcome, asked again next run); an answer that
cannot be read as groups is cached like any answer (the judge said it) and scored under the
unanswered policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from ..errors import EmoevalError
from ..http import ClientOptions, EndpointClient

PROMPT_FILE = "group_synonyms.v1.txt"
PROMPT_VERSION = "group_synonyms.v1"
TAXONOMY_PROMPT_FILE = "taxonomy_class.v1.txt"  # --to-taxonomy with a judge
JUDGE_PREFIX = "judge:llm:"
MAX_TOKENS = 1024


@dataclass(frozen=True)
class Judge:
    url: str
    model: str
    spec: str
    prompt: str
    prompt_version: str

    @property
    def prompt_digest(self) -> str:
        return hashlib.sha256(self.prompt.encode("utf-8")).hexdigest()[:12]


def prompt_text(name: str = PROMPT_FILE) -> str:
    return (files("emoeval.openvocab") / "prompts" / name).read_text("utf-8")


def parse_judge(spec: str, prompt_file: str = PROMPT_FILE, **fields: str) -> Judge:
    """``judge:llm:http://host:8000/v1#model`` -> a Judge with a shipped prompt, its
    ``{field}`` placeholders (other than ``{words}``) filled in; the cache key's prompt
    digest covers the filled text."""
    from ..adapters.llm import parse_llm_argument

    if not spec.startswith(JUDGE_PREFIX):
        raise EmoevalError(f"--synonyms {spec!r}: a judge is written judge:llm:<url>#<model>")
    url, model = parse_llm_argument(spec[len(JUDGE_PREFIX):])
    prompt = prompt_text(prompt_file)
    for name, value in fields.items():
        prompt = prompt.replace("{" + name + "}", value)
    return Judge(url=url, model=model, spec=spec, prompt=prompt,
                 prompt_version=prompt_file.removesuffix(".txt"))


def default_cache_dir() -> str:
    base = os.environ.get("EMOEVAL_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "emoeval")
    return os.path.join(base, "openvocab-judge")


def request_words(words: list[str]) -> list[str]:
    """The words one request asks about: the sorted, de-duplicated, stripped union."""
    return sorted({w.strip() for w in words if w.strip()})


def cache_key(judge: Judge, words: list[str]) -> str:
    identity = [judge.model, judge.prompt_version, judge.prompt_digest, words]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class JudgeRun:
    """What one scoring run got from the judge."""

    answers: dict[str, str] = field(default_factory=dict)   # sample id -> answer text
    failures: dict[str, str] = field(default_factory=dict)  # sample id -> transport error
    server_models: set[str] = field(default_factory=set)
    n_requests: int = 0
    n_cached: int = 0

    def describe(self, judge: Judge, cache_dir: str) -> dict[str, Any]:
        return {"kind": "judge", "spec": judge.spec, "model": judge.model,
                "server_models": sorted(self.server_models),
                "prompt_file": judge.prompt_version + ".txt",
                "prompt_version": judge.prompt_version, "prompt_sha256_12": judge.prompt_digest,
                "cache_dir": cache_dir, "n_requests": self.n_requests,
                "n_cached": self.n_cached, "n_failed": len(self.failures)}


def _read_cached(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None  # absent or torn: ask again
    return record if isinstance(record, dict) and "answer" in record else None


def _write_cached(path: str, record: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def _reply_answer(reply) -> tuple[str | None, str | None]:
    """(answer text, None) or (None, transport error) for one chat-completions reply."""
    from ..adapters.llm import answer_text

    text = answer_text(reply)
    if isinstance(text, str):
        return text, None
    return None, str(text)


def ask_judge(judge: Judge, words_by_id: dict[str, list[str]], *, cache_dir: str | None = None,
              options: ClientOptions | None = None) -> tuple[JudgeRun, str]:
    """Groupings for every sample id (cache first, then one request per missing key).

    Returns the run and the cache folder used."""
    root = cache_dir or default_cache_dir()
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as exc:
        raise EmoevalError(f"judge cache {root}: cannot create it ({exc})") from None
    run = JudgeRun()
    wanted: dict[str, list[str]] = {}  # key -> words, asked once however many samples share it
    key_of: dict[str, str] = {}
    for sample_id, words in words_by_id.items():
        asked = request_words(words)
        key = cache_key(judge, asked)
        key_of[sample_id] = key
        record = _read_cached(os.path.join(root, key + ".json"))
        if record is not None:
            run.answers[sample_id] = str(record["answer"])
            if record.get("server_model"):
                run.server_models.add(str(record["server_model"]))
            run.n_cached += 1
        else:
            wanted.setdefault(key, asked)
    if wanted:
        keys = list(wanted)
        bodies = [{"model": judge.model, "temperature": 0, "max_tokens": MAX_TOKENS,
                   "messages": [{"role": "user", "content": judge.prompt.replace(
                       "{words}", json.dumps(wanted[k], ensure_ascii=False))}]}
                  for k in keys]
        with EndpointClient(options or ClientOptions()) as client:
            replies = client.post_many(judge.url, bodies)
        run.n_requests = len(bodies)
        fresh: dict[str, tuple[str | None, str | None]] = {}
        for key, reply in zip(keys, replies):
            answer, error = _reply_answer(reply)
            fresh[key] = (answer, error)
            if answer is None:
                continue
            server_model = reply.json.get("model") if isinstance(reply.json, dict) else None
            if server_model:
                run.server_models.add(str(server_model))
            _write_cached(os.path.join(root, key + ".json"), {
                "judge_model": judge.model, "server_model": server_model,
                "prompt_version": judge.prompt_version, "prompt_sha256_12": judge.prompt_digest,
                "words": wanted[key], "answer": answer,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
        for sample_id, key in key_of.items():
            if sample_id in run.answers or key not in fresh:
                continue
            answer, error = fresh[key]
            if answer is None:
                run.failures[sample_id] = error or "no answer"
            else:
                run.answers[sample_id] = answer
    return run, root
