"""``llm:<base url>#<model>``: any OpenAI-compatible chat-completions server as a model.

vLLM, llama.cpp server, Ollama and hosted APIs all take ``POST <base url>/chat/completions``
(the base URL as the OpenAI client takes it, usually ending in ``/v1``; a URL that already
ends in ``/chat/completions`` is used as it is). The model answers in words: this adapter
returns the raw answer text per input (``output = "text"``) and the ``generative`` task
extracts the label (see :mod:`emoeval.answers.labels`).

Request
    One user message: the prompt template with ``{labels}`` replaced by the label set
    (comma-separated, in the dataset's order) and, for text, ``{text}`` by the input. Audio
    goes as an ``input_audio`` content part after the prompt: the clip decoded by emoeval
    (so a missing or corrupt file fails that sample before any request), mono, resampled to
    ``sampling_rate`` (16 kHz) and sent as 16-bit PCM WAV, base64. Decoding settings:
    ``temperature`` 0 and ``max_tokens``. With ``structured_output=True`` the request also
    carries ``response_format`` with a JSON schema whose ``emotion`` field is an enum of the
    labels; a server that answers 400 to it gets plain-text requests from then on.

Ratings
    On a dataset with continuous targets, ``set_dimensions(dimensions, value_range)`` switches
    to the rating prompt (``emoeval/answers/prompts/dimensional_<modality>.txt``, or the
    user's ``prompt``)
    with ``{dimensions}`` (``valence (V), arousal (A), dominance (D)``), ``{scale}``
    (``1 to 5``), ``{definitions}`` (what each end of the scale means, one line per
    dimension), ``{answer_format}`` (the JSON object to answer with) and ``{text}``. The
    structured-output schema then has one number field per dimension, bounded by the scale.
    :mod:`emoeval.answers.ratings` reads the answers; :mod:`emoeval.answers.prompts` fills
    the templates.

Transport
    :class:`emoeval.http.EndpointClient` with the shared flags ``concurrency``, ``timeout``
    (connect to last byte), ``max_response_bytes`` (default 10 MB), ``retries``,
    ``api_key_env``; ``backoff`` (first wait, doubling), ``max_retry_after``
    (cap on a ``Retry-After`` header) and ``sleep`` (tests pass a recorder) complete it. A
    request that still fails becomes a per-sample :class:`SampleError` (status ``error``).

Cache
    The answers live in the run's prediction store, keyed by the model fingerprint, which
    covers the base URL, the model name, the prompt template, the label set (or the rated
    dimensions and their scale), the decoding settings and the input encoding; the store
    refuses another dataset (its fingerprint hashes every input). A rerun or resume
    therefore sends no request for an answered sample.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any, Callable

import numpy as np

from ..answers import prompts
from ..answers.prompts import (
    PLACEHOLDER_DIMENSIONS,
    PLACEHOLDER_LABELS,
    PLACEHOLDER_TEXT,
    default_prompt,
)
from ..errors import EmoevalError, SampleError
from ..http import DEFAULT_MAX_RESPONSE_BYTES, ClientOptions, EndpointClient, Reply
from ..store import TRANSPORT
from .base import ModelAdapter

ADAPTER_VERSION = "emoeval-llm-1"
DEFAULT_MAX_TOKENS = 128
DEFAULT_SAMPLING_RATE = 16000


def parse_llm_argument(argument: str) -> tuple[str, str]:
    """``http://host:8000/v1#model-name`` -> (chat-completions URL, model name)."""
    base, sep, model = argument.partition("#")
    base, model = base.strip(), model.strip()
    if not sep or not model:
        raise EmoevalError(f"llm spec {argument!r} names no model: use llm:<base url>#<model>, "
                           "e.g. llm:http://localhost:8000/v1#Qwen/Qwen2-Audio-7B-Instruct")
    if not base.startswith(("http://", "https://")):
        raise EmoevalError(f"llm spec {argument!r}: the base URL must start with http:// or "
                           "https://, e.g. llm:http://localhost:8000/v1#<model>")
    base = base.rstrip("/")
    url = base if base.endswith("/chat/completions") else base + "/chat/completions"
    return url, model


def wav_base64(samples: np.ndarray, sampling_rate: int) -> str:
    """Mono float samples -> 16-bit PCM WAV bytes, base64."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(samples, dtype=np.float32), sampling_rate, format="WAV",
             subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def answer_text(reply: Reply) -> str | SampleError:
    """The answer of one chat-completions reply, or the SampleError that replaces it."""
    if not reply.ok:
        tries = f"{reply.attempts} attempt{'s' if reply.attempts != 1 else ''}"
        return SampleError(f"{reply.error} [{tries}]", kind=TRANSPORT)
    try:
        message = reply.json["choices"][0]["message"]
        if not isinstance(message, dict):
            raise TypeError
    except (KeyError, IndexError, TypeError):
        # the server's fault, not the model's answer: asked again like a failed request
        return SampleError(f"malformed response: no choices[0].message in "
                           f"{reply.text[:120]!r}", kind=TRANSPORT)
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if content is None:
        content = message.get("refusal") or ""
    return str(content)


class LLMAdapter(ModelAdapter):
    name = "llm"
    output = "text"

    def __init__(self, argument: str, spec: str = "", prompt: str | None = None,
                 concurrency: int = 4, timeout: float = 60.0, retries: int = 3,
                 api_key_env: str | None = None, backoff: float = 1.0,
                 max_retry_after: float = 60.0,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 structured_output: bool = False,
                 max_tokens: int = DEFAULT_MAX_TOKENS, modality: str | None = None,
                 sampling_rate: int = DEFAULT_SAMPLING_RATE,
                 sleep: Callable[[float], None] | None = None, **options: Any):
        super().__init__(argument, spec=spec, **options)
        self.url, self.model = parse_llm_argument(argument)
        self.client_options = ClientOptions(concurrency=int(concurrency), timeout=float(timeout),
                                            retries=int(retries), api_key_env=api_key_env,
                                            backoff=float(backoff),
                                            max_retry_after=float(max_retry_after),
                                            max_response_bytes=int(max_response_bytes))
        self.client_options.api_key()  # an unset variable fails now, before any run
        self.prompt_path = prompt
        #: the --prompt file's text (None: the shipped prompts)
        self.user_template: str | None = None
        if prompt is not None:
            try:
                with open(prompt, encoding="utf-8") as f:
                    self.user_template = f.read()
            except OSError as exc:
                raise EmoevalError(f"--prompt {prompt}: cannot read it ({exc.strerror})") from None
        #: the template in use, chosen by set_candidate_labels / set_dimensions
        self.template: str | None = self.user_template
        self.structured_output = bool(structured_output)
        self.max_tokens = int(max_tokens)
        if modality not in (None, "text", "audio"):
            raise EmoevalError(f"llm modality {modality!r}: use text or audio")
        self.modality = modality  # None: the dataset's (set by evaluate)
        self.sampling_rate = int(sampling_rate)
        self._sleep = sleep
        self._labels: list[str] = []
        #: rating mode (set_dimensions): the dimensions asked for and their scale
        self._dimensions: list[str] | None = None
        self._value_range: tuple[float, float] | None = None
        self._client: EndpointClient | None = None
        #: why structured output was dropped (the server's 400), None while it is in use
        self.structured_refused: str | None = None
        self.n_requests = 0

    # --- labels and prompt --------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    @property
    def dimensions(self) -> list[str] | None:
        """The rated dimensions (None: the model names a class)."""
        return list(self._dimensions) if self._dimensions is not None else None

    def set_candidate_labels(self, dataset_labels: list[str]) -> None:
        """The dataset's labels become the answer set; the prompt lists them."""
        self._labels = list(dataset_labels)
        if self._dimensions is not None:
            return  # rating: set_dimensions chose the prompt
        if (self.user_template is not None and PLACEHOLDER_LABELS not in self.user_template
                and PLACEHOLDER_DIMENSIONS in self.user_template):
            # a rating prompt: set_dimensions (which evaluate calls next on a dataset with
            # continuous targets) adopts it; without that call prompt_for refuses it
            self.template = None
            return
        self.template = (self.user_template if self.user_template is not None
                         else default_prompt(self.modality or "text"))
        self._check_template(PLACEHOLDER_LABELS, "the prompt must list the allowed labels")

    def set_dimensions(self, dimensions: list[str], value_range: tuple[float, float] | None
                       ) -> None:
        """Rate ``dimensions`` on ``value_range`` instead of naming a class: the rating
        prompt (or the user's, which must hold ``{dimensions}``) and, with structured output,
        one number field per dimension."""
        dimensions = list(dimensions)
        if not dimensions:
            raise EmoevalError("llm: no dimensions to rate")
        if value_range is None:
            raise EmoevalError("llm: the model is asked for ratings on a scale, and this dataset "
                               "declares none; give the scale with --target-range lo,hi "
                               "(e.g. --target-range 1,5)")
        low, high = float(value_range[0]), float(value_range[1])
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise EmoevalError(f"llm: rating scale {value_range!r} needs finite lo < hi")
        self._dimensions, self._value_range = dimensions, (low, high)
        self.template = (self.user_template if self.user_template is not None
                         else default_prompt(self.modality or "text", dimensional=True))
        self._check_template(PLACEHOLDER_DIMENSIONS,
                             "a rating prompt must name the dimensions to rate (its other "
                             "placeholders: {scale}, {definitions}, {answer_format})")

    def _check_template(self, placeholder: str, why: str) -> None:
        modality = self.modality or "text"
        where = f"--prompt {self.prompt_path}" if self.prompt_path else "the default prompt"
        if placeholder not in self.template:
            raise EmoevalError(f"{where} has no {placeholder} placeholder: {why}")
        if modality == "text" and PLACEHOLDER_TEXT not in self.template:
            raise EmoevalError(f"{where} has no {PLACEHOLDER_TEXT} placeholder: put it where "
                               "the input text goes")
        if modality == "audio" and PLACEHOLDER_TEXT in self.template:
            raise EmoevalError(f"{where} has a {PLACEHOLDER_TEXT} placeholder but the input is "
                               "audio (sent as an input_audio part): remove it")

    def _ready_template(self) -> str:
        if self.template is not None:
            return self.template
        if self.user_template is not None:
            raise EmoevalError(f"--prompt {self.prompt_path} has {PLACEHOLDER_DIMENSIONS} but no "
                               f"{PLACEHOLDER_LABELS}: it is a rating prompt, and this dataset "
                               "has class labels; list them with {labels}")
        raise EmoevalError("llm adapter: call set_candidate_labels(labels) before predict")

    def prompt_for(self, text: str | None = None) -> str:
        template = self._ready_template()
        if self._dimensions is not None:
            return prompts.rating_prompt(template, self._dimensions, self._value_range, text)
        return prompts.label_prompt(template, self._labels, text)

    def answer_keys(self) -> list[str]:
        """The JSON keys a rating answer is asked for (``valence`` for EmoBank's ``V``)."""
        return prompts.answer_keys(self._dimensions or [])

    def answer_format(self) -> str:
        """``{"valence": <number>, "arousal": <number>, ...}``: the prompt's
        ``{answer_format}``."""
        return prompts.answer_format(self._dimensions or [])

    def response_format(self) -> dict[str, Any]:
        """The structured-output schema: the label enum, or one bounded number per
        dimension."""
        if self._dimensions is not None:
            low, high = self._value_range
            keys = self.answer_keys()
            properties = {k: {"type": "number", "minimum": low, "maximum": high} for k in keys}
            schema = {"type": "object", "properties": properties, "required": keys,
                      "additionalProperties": False}
            return {"type": "json_schema",
                    "json_schema": {"name": "ratings", "strict": True, "schema": schema}}
        return {"type": "json_schema", "json_schema": {
            "name": "emotion", "strict": True,
            "schema": {"type": "object",
                       "properties": {"emotion": {"type": "string", "enum": self.labels}},
                       "required": ["emotion"], "additionalProperties": False}}}

    # --- requests -----------------------------------------------------------------------
    def request_body(self, item: Any, structured: bool) -> dict[str, Any]:
        if isinstance(item, str):
            content: Any = self.prompt_for(item)
        else:
            content = [{"type": "text", "text": self.prompt_for()},
                       {"type": "input_audio",
                        "input_audio": {"data": wav_base64(item, self.sampling_rate),
                                        "format": "wav"}}]
        body: dict[str, Any] = {"model": self.model,
                                "messages": [{"role": "user", "content": content}],
                                "temperature": 0, "max_tokens": self.max_tokens}
        if structured:
            body["response_format"] = self.response_format()
        return body

    def client(self) -> EndpointClient:
        if self._client is None:
            kwargs = {"sleep": self._sleep} if self._sleep is not None else {}
            self._client = EndpointClient(self.client_options, **kwargs)
        return self._client

    def predict(self, inputs: list[Any]) -> list[str | SampleError]:
        """One request per input, ``concurrency`` in flight; answers in input order."""
        structured = self.structured_output and self.structured_refused is None
        bodies = [self.request_body(x, structured) for x in inputs]
        replies = self.client().post_many(self.url, bodies)
        self.n_requests += sum(r.attempts for r in replies)
        if structured:
            refused = [i for i, r in enumerate(replies) if r.status == 400]
            if refused:
                self.structured_refused = replies[refused[0]].text[:200]
                plain = self.client().post_many(
                    self.url, [self.request_body(inputs[i], False) for i in refused])
                self.n_requests += sum(r.attempts for r in plain)
                for i, reply in zip(refused, plain):
                    replies[i] = reply
        return [answer_text(r) for r in replies]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- identity -----------------------------------------------------------------------
    def fingerprint_parts(self) -> list[str]:
        """Everything that changes an answer: server, model, prompt, labels (or the rated
        dimensions and their scale), decoding, input encoding (never the API key)."""
        decoding = {"temperature": 0, "max_tokens": self.max_tokens,
                    "structured_output": self.structured_output}
        template = self._ready_template() if self.user_template is not None else self.template
        parts = [ADAPTER_VERSION, self.url, self.model, template or "",
                 json.dumps(self._labels), json.dumps(decoding, sort_keys=True),
                 f"modality={self.modality}"]
        if self._dimensions is not None:  # only then: class-answer fingerprints stay as they were
            parts.append(json.dumps({"dimensions": self._dimensions,
                                     "value_range": list(self._value_range)}))
        if self.modality == "audio":
            parts.append(f"wav pcm16 mono {self.sampling_rate} Hz")
        return parts

    def efficiency(self) -> dict[str, Any]:
        info: dict[str, Any] = {"n_parameters": None, "size_bytes": None,
                                "requests": self.n_requests}
        if self.structured_output:
            info["structured_output"] = (
                f"refused by the server (HTTP 400), plain text used: {self.structured_refused}"
                if self.structured_refused else "json_schema")
        return info
