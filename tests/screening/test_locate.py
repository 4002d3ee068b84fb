"""Before loading: not found, unreachable and needs-a-loader, decided from files and from
what the Hub answers (the Hub client is replaced here; nothing touches the network)."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi, errors

from emoeval.screening.locate import hub_failure, load_failure, locate


def hub_error(cls, message: str = "404 Client Error"):
    """An exception of the Hub client's class without an HTTP response behind it."""
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    return exc


@pytest.mark.parametrize("exc,status", [
    (hub_error(errors.RepositoryNotFoundError), "not_found"),
    (hub_error(errors.HFValidationError, "Repo id must be in the form"), "not_found"),
    # issue 20: a gated repo (401/403) may open after a login: screened again, not excluded
    (hub_error(errors.GatedRepoError, "403 gated"), "unreachable"),
    (hub_error(errors.OfflineModeIsEnabled, "offline mode is enabled"), "unreachable"),
    (ConnectionError("Name or service not known"), "unreachable"),
    (TimeoutError("read timed out"), "unreachable"),
])
def test_hub_answers(exc, status):
    assert hub_failure(exc, "org/model").status == status


class Answer:
    def __init__(self, status_code: int):
        self.status_code = status_code


@pytest.mark.parametrize("code,status", [(401, "unreachable"), (403, "unreachable"),
                                         (429, "unreachable"), (503, "unreachable"),
                                         (400, "load_error")])
def test_hub_http_answers_that_mean_not_now_are_unreachable(code, status):
    exc = hub_error(errors.HfHubHTTPError, f"{code} Client Error")
    exc.response = Answer(code)
    failure = hub_failure(exc, "org/model")
    assert failure.status == status
    if code in (401, 403, 429):
        assert f"answered {code}" in failure.message and "retry later" in failure.message


@pytest.fixture
def online(monkeypatch):
    """As if the Hub were reachable: HF_HUB_OFFLINE unset, and a fake file listing."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    answers: dict[str, object] = {}

    def list_repo_files(self, repo_id, **kwargs):
        answer = answers[repo_id]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(HfApi, "list_repo_files", list_repo_files)
    return answers


def test_seed_cases_online(online):
    # speechbrain/emotion-recognition-wav2vec2-IEMOCAP: a recipe, no config.json
    online["speechbrain/emotion-recognition-wav2vec2-IEMOCAP"] = [
        "hyperparams.yaml", "wav2vec2.ckpt", "model.ckpt", "label_encoder.txt", "README.md"]
    # jonatasgrosman/wav2vec2-large-xlsr-53-korean: no such repository
    online["jonatasgrosman/wav2vec2-large-xlsr-53-korean"] = hub_error(
        errors.RepositoryNotFoundError)
    online["superb/wav2vec2-base-superb-er"] = ["config.json", "pytorch_model.bin",
                                                "preprocessor_config.json"]
    online["org/flaky"] = ConnectionError("connection reset")
    statuses = {repo: getattr(locate(f"hf:{repo}")[1], "status", None) for repo in online}
    assert statuses == {"speechbrain/emotion-recognition-wav2vec2-IEMOCAP":
                        "needs_custom_loader",
                        "jonatasgrosman/wav2vec2-large-xlsr-53-korean": "not_found",
                        "superb/wav2vec2-base-superb-er": None,
                        "org/flaky": "unreachable"}


def test_offline_hub_id_is_unreachable_not_missing(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    location, failure = locate("hf:org/never-cached-emotion-model")
    assert failure.status == "unreachable" and location.kind == "hub"


def test_local_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "weights_only").mkdir()
    (tmp_path / "weights_only" / "model.pt").write_bytes(b"\0")
    assert locate("hf:models/absent")[1].status == "not_found"  # models/ is a local folder
    assert locate("hf:./absent")[1].status == "not_found"
    assert locate(f"hf:{tmp_path / 'absent'}")[1].status == "not_found"
    assert locate("hf:weights_only")[1].status == "needs_custom_loader"
    assert locate("onnx:absent.onnx")[1].status == "not_found"
    assert locate("python:no_such_module_here:predict")[1].status == "not_found"
    assert locate("hff:models/x")[1].status == "load_error"  # unknown adapter, did you mean


def test_load_exceptions():
    assert load_failure(RuntimeError("size mismatch")).status == "load_error"
    assert load_failure(hub_error(errors.OfflineModeIsEnabled)).status == "unreachable"
    assert load_failure(OSError("RepositoryNotFoundError: 404")).status == "not_found"
