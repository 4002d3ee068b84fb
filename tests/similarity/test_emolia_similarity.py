"""emolia-bench's benchmark end to end on both subsets: our agreement labels, our similarity
(sham and endpoint) and a server that behaves like their sham server, checked against their
``benchmark.py`` rules re-implemented here."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI, Request
from loopback import serve
from typer.testing import CliRunner

from emoeval.annotations import AgreementOptions, run_agreement
from emoeval.cli import app
from emoeval.similarity import SimilarityConfig, run_similarity

sys.path.insert(0, str(Path(__file__).parents[1] / "annotations"))
from emolia_builders import write_dim, write_emo  # noqa: E402

VARIABLES = {"BKGN": {"short_description": "Background noise",
                      "levels": {"1": "Faint room tone behind the voice.",
                                 "2": "Clearly audible background noise."}},
             "TEMP": {"short_description": "Tempo", "levels": {"0": "Glacially slow speech."}}}


# ---- their rules (LAION-AI/emolia-bench benchmark.py), re-implemented for the checks ----

def their_sham(stem: str, text: str) -> float:
    """benchmark.py sham_similarity."""
    digest = hashlib.sha256(b"clap-sham-v1" + stem.encode() + b"|" + text.encode()).digest()
    return 2.0 * (int.from_bytes(digest[:8], "big") / 2 ** 64) - 1.0


def their_dim_prompt(dimension: str, level: str) -> str:
    """benchmark.py dim_to_prompt."""
    spec = VARIABLES.get(dimension)
    if not spec:
        return f"Speech audio matching the description of {dimension} at level {level}."
    description = spec.get("levels", {}).get(str(level))
    if not description:
        return (f"Speech audio expressing the dimension "
                f"'{spec.get('short_description', dimension)}' at level {level}.")
    return description


def their_emo_prompt(emotion: str) -> str:
    """benchmark.py emotion_to_prompt."""
    label = emotion.replace("___", " / ").replace("_", " ").strip()
    return f"Speech audio in which the speaker expresses or conveys {label}."


def their_balanced_accuracy(truth: list[int], predicted: list[int]) -> float:
    """benchmark.py binary_metrics' balanced accuracy (NaN when a class is missing)."""
    tp = sum(t and p for t, p in zip(truth, predicted))
    fn = sum(t and not p for t, p in zip(truth, predicted))
    tn = sum(not t and not p for t, p in zip(truth, predicted))
    fp = sum(not t and p for t, p in zip(truth, predicted))
    if not (tp + fn) or not (tn + fp):
        return float("nan")
    return (tp / (tp + fn) + tn / (tn + fp)) / 2


def their_dim_run(labels: pd.DataFrame, stem_of) -> float:
    """benchmark.py run_subset for emolia-dim: every label row, threshold 0.0."""
    truth, predicted = [], []
    for row in labels.itertuples(index=False):
        prompt = their_dim_prompt(row.dimension, str(row.level))
        truth.append(int(row.majority_present))
        predicted.append(int(their_sham(stem_of(row), prompt) >= 0.0))
    return their_balanced_accuracy(truth, predicted)


# ---- fixtures in their layout ----

def dim_tree(tmp_path: Path) -> tuple[Path, Path]:
    """analysis_outputs/emolia-dim from our agreement, and dataset/emolia-dim/{data,
    variables.json} with every clip at <DIM>/<level>/<polarity>/sample_NN.mp3."""
    annotations = write_dim(tmp_path)
    out = tmp_path / "analysis_outputs" / "emolia-dim"
    run_agreement(str(annotations), str(out), AgreementOptions(preset="emolia-dim",
                                                               n_resamples=20))
    labels = pd.read_csv(out / "benchmark_labels.csv", dtype={"level": str})
    data = tmp_path / "dataset" / "emolia-dim" / "data"
    for row in labels.itertuples(index=False):
        clip = data / row.dimension / str(row.level) / row.polarity / row.file_name
        clip.parent.mkdir(parents=True, exist_ok=True)
        clip.write_bytes(b"ID3" + row.file_name.encode())
    (data.parent / "variables.json").write_text(json.dumps(VARIABLES))
    return out, data


def test_dim_sham_gives_their_balanced_accuracy(tmp_path):
    out, data = dim_tree(tmp_path)
    labels = pd.read_csv(out / "benchmark_labels.csv", dtype={"level": str})
    summary = run_similarity(SimilarityConfig(
        items=str(out / "benchmark_labels.csv"), out=str(tmp_path / "sim"),
        audio_dir=str(data), audio_path="emolia-dim", sham=True, n_resamples=20))
    expected = their_dim_run(labels, lambda row: Path(row.file_name).stem
                             + f"__{row.dimension}_{row.level}_{row.polarity}")
    assert summary["overall"]["n"] == len(labels)  # ties scored as absent, as theirs
    assert summary["overall"]["balanced_accuracy"] == pytest.approx(expected, abs=1e-12)
    predictions = pd.read_csv(tmp_path / "sim" / "predictions.csv", dtype={"level": str})
    lang = predictions[predictions["dimension"] == "LANG"]
    assert set(lang["level"]) == {"European", "Asian"}
    assert lang["prompt"].str.startswith("Speech audio matching the description of LANG").all()
    # --ties exclude (ours) is reported beside
    tied = labels["majority_present_tie"].astype(bool)
    other = summary["tie_rule"]
    assert other["rule"] == "peer" and other["n_raters_tied"] == int(tied.sum()) > 0
    assert other["other_n"] == int((~tied).sum())
    rest = labels[~tied]
    assert other["other_balanced_accuracy"] == pytest.approx(their_dim_run(
        rest, lambda row: Path(row.file_name).stem
        + f"__{row.dimension}_{row.level}_{row.polarity}"), abs=1e-12)


def test_a_stem_matching_several_clips_is_an_error_naming_them(tmp_path):
    out, data = dim_tree(tmp_path)
    result = CliRunner().invoke(app, ["similarity", "--items", str(out / "benchmark_labels.csv"),
                                      "--audio-dir", str(data), "--sham",
                                      "--out", str(tmp_path / "sim")])
    assert result.exit_code == 2
    assert "matches" in result.output and "sample_0" in result.output
    assert "Traceback" not in result.output


def their_sham_server(seen: list[dict]) -> FastAPI:
    """sham_clap_server.py: hashes the stem of audio_filename with the text."""
    server = FastAPI()

    @server.post("/v1/similarity")
    async def similarity(request: Request):
        body = json.loads(await request.body())
        seen.append(body)
        stem = Path(str(body.get("audio_filename") or "unknown.mp3")).stem
        return {"similarity": their_sham(stem, body["text"]), "stem": stem}

    return server


def test_endpoint_against_their_sham_server_matches_their_client(tmp_path):
    out, data = dim_tree(tmp_path)
    labels = pd.read_csv(out / "benchmark_labels.csv", dtype={"level": str})
    seen: list[dict] = []
    with serve(their_sham_server(seen)) as url:
        summary = run_similarity(SimilarityConfig(
            items=str(out / "benchmark_labels.csv"), out=str(tmp_path / "sim"),
            audio_dir=str(data), audio_path="emolia-dim",
            endpoint=f"{url}/v1/similarity", n_resamples=20))
    # their client sends the basename: their server hashes the bare stem
    expected = their_dim_run(labels, lambda row: Path(row.file_name).stem)
    assert summary["overall"]["balanced_accuracy"] == pytest.approx(expected, abs=1e-12)
    assert all("/" not in body["audio_filename"] for body in seen)
    paths = {body["audio_path"] for body in seen}
    assert len(paths) == len(labels) and "LANG/European/positive/sample_00.mp3" in paths


def test_emo_sham_on_our_labels_matches_their_benchmark(tmp_path):
    annotations = write_emo(tmp_path)
    out = tmp_path / "analysis_outputs" / "emolia-emo"
    run_agreement(str(annotations), str(out), AgreementOptions(preset="emolia-emo",
                                                               n_resamples=20))
    labels = pd.read_csv(out / "benchmark_labels.csv")
    data = tmp_path / "dataset" / "emolia-emo" / "data"
    for row in labels.itertuples(index=False):
        clip = data / f"{row.queried_emotion}_best" / row.file_name
        if not any(data.rglob(row.file_name)):
            clip.parent.mkdir(parents=True, exist_ok=True)
            clip.write_bytes(b"ID3")
    summary = run_similarity(SimilarityConfig(
        items=str(out / "benchmark_labels.csv"), out=str(tmp_path / "sim"),
        audio_dir=str(data), sham=True, n_resamples=20))
    truth = labels["majority_present"].astype(int).tolist()
    predicted = [int(their_sham(Path(row.file_name).stem,
                                their_emo_prompt(row.queried_emotion)) >= 0.0)
                 for row in labels.itertuples(index=False)]
    expected = their_balanced_accuracy(truth, predicted)
    assert summary["overall"]["n"] == len(labels)
    value = summary["overall"]["balanced_accuracy"]
    assert (math.isnan(expected) and value is None) or value == pytest.approx(expected)


def their_post(url: str, text: str, audio: Path, send_audio: bool) -> float:
    """benchmark.py post_similarity: basename in audio_filename; the mp3 bytes, or (no audio
    send) audio_stem; the answer's similarity, score or logit."""
    import base64

    import httpx

    payload = {"text": text, "audio_filename": audio.name}
    if send_audio and audio.suffix.lower() == ".mp3" and audio.exists():
        payload["audio_base64"] = base64.standard_b64encode(audio.read_bytes()).decode()
    else:
        payload["audio_stem"] = audio.stem
    body = httpx.post(url, json=payload, timeout=30).json()
    return float(next(body[k] for k in ("similarity", "score", "logit") if k in body))


@pytest.mark.parametrize("send_audio", [True, False])
def test_their_client_against_our_sham_server_gives_our_numbers(tmp_path, send_audio):
    from emoeval.serve import create_app
    from emoeval.similarity.pair_scoring import load_pair_scorer

    out, data = dim_tree(tmp_path)
    labels = pd.read_csv(out / "benchmark_labels.csv", dtype={"level": str})
    ours = run_similarity(SimilarityConfig(
        items=str(out / "benchmark_labels.csv"), out=str(tmp_path / "sim"),
        audio_dir=str(data), audio_path="emolia-dim", sham=True, n_resamples=20,
        send_audio=send_audio))
    with serve(create_app(load_pair_scorer(None, sham=True), data_dir=str(data))) as url:
        truth, predicted = [], []
        for row in labels.itertuples(index=False):
            clip = data / row.dimension / str(row.level) / row.polarity / row.file_name
            score = their_post(f"{url}/v1/similarity",
                               their_dim_prompt(row.dimension, str(row.level)), clip,
                               send_audio)
            assert score == pytest.approx(their_sham(Path(row.file_name).stem,
                                                     their_dim_prompt(row.dimension,
                                                                      str(row.level))))
            truth.append(int(row.majority_present))
            predicted.append(int(score >= 0.0))
    # the served sham hashes the bare stem (their server's rule); our offline sham hashes
    # their compound dim stem (their offline rule): each matches its own reference
    served = their_balanced_accuracy(truth, predicted)
    assert served == pytest.approx(their_dim_run(labels, lambda r: Path(r.file_name).stem))
    assert ours["overall"]["n"] == len(labels)


@pytest.mark.parametrize("send_audio", [True, False])
def test_their_client_on_emo_against_our_serve_equals_our_similarity(tmp_path, send_audio):
    from emoeval.serve import create_app
    from emoeval.similarity.pair_scoring import load_pair_scorer

    annotations = write_emo(tmp_path)
    out = tmp_path / "analysis_outputs" / "emolia-emo"
    run_agreement(str(annotations), str(out), AgreementOptions(preset="emolia-emo",
                                                               n_resamples=0))
    labels = pd.read_csv(out / "benchmark_labels.csv")
    data = tmp_path / "dataset" / "emolia-emo" / "data"
    clips = {}
    for row in labels.itertuples(index=False):
        clip = data / f"{row.source_emotion.split('|')[0]}_best" / row.file_name
        clip.parent.mkdir(parents=True, exist_ok=True)
        clip.write_bytes(b"ID3")
        clips[row.file_name] = clip
    ours = run_similarity(SimilarityConfig(
        items=str(out / "benchmark_labels.csv"), out=str(tmp_path / "sim"),
        audio_dir=str(data), sham=True, n_resamples=20))
    predictions = pd.read_csv(tmp_path / "sim" / "predictions.csv")
    by_item = {(r.file_name, r.queried_emotion, r.task_type): r.similarity
               for r in predictions.itertuples(index=False)}
    with serve(create_app(load_pair_scorer(None, sham=True), data_dir=str(data))) as url:
        for row in labels.itertuples(index=False):
            score = their_post(f"{url}/v1/similarity", their_emo_prompt(row.queried_emotion),
                               clips[row.file_name], send_audio)
            assert score == pytest.approx(
                by_item[(row.file_name, row.queried_emotion, row.task_type)], abs=1e-12)
    assert ours["overall"]["n"] == len(labels)
