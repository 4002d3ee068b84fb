"""`pip install emoeval` without extras: the light commands run, a heavy one names its extra.

Each command runs in a subprocess whose import system refuses every module an extra installs
(as if it were not installed), so this holds on a machine that has them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

from emoeval.errors import EmoevalError
from emoeval.extras import MODULE_EXTRAS, extras_named, require_all

SRC = Path(__file__).resolve().parents[2] / "src"

# a meta-path finder ahead of all others: an extra's module is "not installed"
BLOCKER = f"""
import sys
BLOCKED = {sorted(MODULE_EXTRAS)!r}

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
sys.argv[0] = "emoeval"
from emoeval.cli import app
app()
"""


def emoeval_without_extras(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC), HF_HUB_OFFLINE="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-c", BLOCKER, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def write_predictions(path: Path, hit_rate: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = ["angry", "happy", "neutral", "sad"]
    truth = [labels[i % 4] for i in range(80)]
    prediction = [t if rng.random() < hit_rate else labels[rng.integers(4)] for t in truth]
    table = pd.DataFrame({"id": [f"s{i}" for i in range(80)], "label": truth,
                          "prediction": prediction,
                          "speaker": [f"spk{i % 5}" for i in range(80)]})
    table.to_csv(path, index=False)
    return table


def test_the_blocker_really_blocks(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    probe = BLOCKER.replace("from emoeval.cli import app\napp()", "import torch")
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "No module named 'torch'" in result.stderr


def test_help_lists_every_command(tmp_path):
    result = ok(emoeval_without_extras("--help", cwd=tmp_path))
    for command in ("evaluate", "score", "report", "compare", "agreement", "similarity",
                    "serve", "demo"):
        assert command in result.stdout


def test_score_report_and_compare(tmp_path):
    strong = write_predictions(tmp_path / "strong.csv", 0.8, seed=0)
    write_predictions(tmp_path / "weak.csv", 0.4, seed=1)
    ok(emoeval_without_extras("score", "strong.csv", "--out", "strong", cwd=tmp_path))
    ok(emoeval_without_extras("score", "weak.csv", "--out", "weak", cwd=tmp_path))
    results = json.loads((tmp_path / "strong" / "results.json").read_text())
    assert results["metrics"]["accuracy"] == pytest.approx(
        accuracy_score(strong["label"], strong["prediction"]))
    assert results["metrics"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(strong["label"], strong["prediction"]))

    (tmp_path / "strong" / "report.md").unlink()
    ok(emoeval_without_extras("report", "strong", cwd=tmp_path))
    assert (tmp_path / "strong" / "report.md").stat().st_size > 0

    ok(emoeval_without_extras("compare", "strong", "weak", "--out", "cmp", "--n-resamples",
                              "200", cwd=tmp_path))
    leaderboard = pd.read_csv(tmp_path / "cmp" / "leaderboard.csv")
    assert len(leaderboard) == 2 and (tmp_path / "cmp" / "compare.html").is_file()


def test_agreement(tmp_path):
    rng = np.random.default_rng(0)
    rows = [{"file_name": f"clip{i}.wav", "queried_emotion": emotion, "user": f"rater{r}",
             "rating": "yes" if (i + r + len(emotion)) % 3 and rng.random() < 0.8 else "no"}
            for i in range(20) for emotion in ("Anger", "Joy") for r in range(3)]
    ratings = pd.DataFrame(rows)
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    ok(emoeval_without_extras("agreement", "ratings.csv", "--item-cols",
                              "file_name,queried_emotion", "--rater-col", "user",
                              "--rating-col", "rating", "--scale", "binary",
                              "--n-resamples", "20", "--out", "agree", cwd=tmp_path))
    summary = json.loads((tmp_path / "agree" / "summary.json").read_text())
    matrix = ratings.pivot_table(index="user", columns=["file_name", "queried_emotion"],
                                 values="rating", aggfunc="first")
    reliability = matrix.replace({"no": 0.0, "yes": 1.0}).astype(float).to_numpy()
    assert summary["agreement"]["krippendorff_alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal"))


def endpoint_score(text: str, filename: str) -> float:
    """The loopback endpoint's answer: deterministic, never exactly the threshold."""
    return (len(text) * 7 + int(filename[4:6])) % 10 / 10 + 0.05


class SimilarityHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the stdlib's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = json.dumps({"score": endpoint_score(body["text"], body["audio_filename"])})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


def test_similarity_against_an_endpoint(tmp_path):
    rows = []
    for clip in range(8):
        sf.write(tmp_path / f"clip{clip:02d}.wav", np.zeros(1600, dtype=np.float32), 16000)
        for emotion in ("Anger", "Joy"):
            rows.append({"file_name": f"clip{clip:02d}.wav", "queried_emotion": emotion,
                         "majority_present": int((clip + len(emotion)) % 2 == 0)})
    items = pd.DataFrame(rows)
    items.to_csv(tmp_path / "items.csv", index=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimilarityHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ok(emoeval_without_extras(
            "similarity", "--items", "items.csv", "--audio-dir", ".", "--endpoint",
            f"http://127.0.0.1:{server.server_address[1]}/v1/similarity", "--threshold",
            "0.5", "--prompt-template", "{label}", "--out", "sim", cwd=tmp_path))
    finally:
        server.shutdown()
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text())
    scores = [endpoint_score(e, f) for e, f in zip(items["queried_emotion"], items["file_name"])]
    predicted = [int(s >= 0.5) for s in scores]
    assert summary["overall"]["n"] == len(items)
    assert summary["overall"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(items["majority_present"], predicted))
    assert summary["overall"]["roc_auc"] == pytest.approx(
        roc_auc_score(items["majority_present"], scores))


def test_demo_runs_the_lexicon_alone_and_says_what_hf_adds(tmp_path):
    result = ok(emoeval_without_extras("demo", "--out", "demo", cwd=tmp_path))
    assert "pip install 'emoeval[hf]'" in result.stdout and "zeroshot:minilm" in result.stdout
    results = json.loads((tmp_path / "demo" / "lexicon_nrc" / "results.json").read_text())
    assert results["n_samples"] == 350 and results["n_errors"] == 0
    assert not (tmp_path / "demo" / "zeroshot_minilm").exists()


@pytest.mark.parametrize("args, extra", [
    (["evaluate", "--model", "hf:some/model", "--dataset", "csv:texts.csv", "--out", "run"],
     "hf"),
    (["evaluate", "--model", "onnx:model.onnx", "--dataset", "csv:texts.csv", "--out", "run"],
     "onnx"),
    (["serve", "--sham"], "serve"),
])
def test_a_heavy_command_names_its_pip_install_line(tmp_path, args, extra):
    (tmp_path / "texts.csv").write_text("id,text,label\na,so happy,happy\nb,I cry,sad\n")
    result = emoeval_without_extras(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].endswith(f"pip install 'emoeval[{extra}]'"), \
        result.stderr


def test_an_import_that_bypassed_require_still_names_its_extra():
    with pytest.raises(EmoevalError, match=r"^the x: adapter needs the \[serve\] extra "
                                           r"\(uvicorn is not installed\): "
                                           r"pip install 'emoeval\[serve\]'$"):
        with extras_named("the x: adapter"):
            raise ModuleNotFoundError("No module named 'uvicorn.config'", name="uvicorn.config")
    # a module no extra installs is a bug, not a missing extra
    with pytest.raises(ModuleNotFoundError):
        with extras_named():
            raise ModuleNotFoundError("No module named 'no_such_module'", name="no_such_module")


def test_require_all_names_every_missing_extra_in_one_pip_line():
    with pytest.raises(EmoevalError) as error:
        require_all((("json", "hf"), ("no_such_module_a", "hf"), ("no_such_module_b", "onnx")),
                    "emoeval quantize")
    message = str(error.value)
    assert "no_such_module_a, no_such_module_b not installed" in message
    assert "json" not in message and message.endswith("pip install 'emoeval[hf,onnx]'")


def test_require_tells_a_broken_install_from_a_missing_one(tmp_path, monkeypatch):
    from emoeval.extras import require

    (tmp_path / "fake_backend.py").write_text("import no_such_dependency_of_the_backend\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(EmoevalError, match=r"fake_backend is installed but fails to import: "
                                           r"No module named 'no_such_dependency_of_the_"
                                           r"backend'\): pip install 'emoeval\[hf\]'$"):
        require("fake_backend", "hf", "the fake: adapter")
    with pytest.raises(EmoevalError, match=r"^the fake: adapter needs the \[hf\] extra "
                                           r"\(no_such_backend is not installed\)"):
        require("no_such_backend", "hf", "the fake: adapter")
