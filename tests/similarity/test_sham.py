"""The sham matches emolia-bench byte for byte, in-process and as a server."""

from __future__ import annotations

import hashlib
import struct

import pandas as pd
import pytest
from loopback import serve

from emoeval.serve import create_app
from emoeval.similarity import SimilarityConfig, run_similarity, sham_similarity
from emoeval.similarity.pair_scoring import ShamScorer


def independent_sham(stem: str, text: str) -> float:
    """Written from the seed's description, independently of emoeval's code."""
    digest = hashlib.sha256(b"clap-sham-v1" + stem.encode("utf-8") + b"|"
                            + text.encode("utf-8")).digest()
    (value,) = struct.unpack(">Q", digest[:8])
    return value / 18446744073709551616.0 * 2 - 1


@pytest.mark.parametrize("stem,text", [
    ("EN_B00025_S06526_W000000", "Speech audio in which the speaker expresses or conveys "
                                 "Sadness."),
    ("DE_B00003_S00243_W000006", "Speech audio in which the speaker expresses or conveys "
                                 "Anger / Frustration."),
    ("sample_03", "Ein Sprecher, der Überraschung ausdrückt: «ça va»"),
    ("", ""),
])
def test_sham_equals_the_seed_formula(stem, text):
    assert sham_similarity(stem, text) == independent_sham(stem, text)
    assert -1.0 <= sham_similarity(stem, text) < 1.0


def test_sham_in_process_equals_sham_server_item_for_item(emolia, tmp_path):
    base = dict(items=str(emolia["items"]), audio_dir=str(emolia["audio"]))
    local = run_similarity(SimilarityConfig(out=str(tmp_path / "local"), sham=True, **base))
    with serve(create_app(ShamScorer())) as url:
        remote = run_similarity(SimilarityConfig(out=str(tmp_path / "remote"),
                                                 endpoint=url + "/v1/similarity", **base))
        stems_only = run_similarity(SimilarityConfig(
            out=str(tmp_path / "stems"), endpoint=url + "/v1/similarity", send_audio=False,
            **base))
    tables = [pd.read_csv(tmp_path / name / "predictions.csv")
              for name in ("local", "remote", "stems")]
    for table in tables[1:]:
        assert table["item_id"].tolist() == tables[0]["item_id"].tolist()
        assert table["similarity"].tolist() == pytest.approx(tables[0]["similarity"].tolist(),
                                                             nan_ok=True, abs=0, rel=0)
        assert table["ok"].tolist() == tables[0]["ok"].tolist()
    ok = tables[0][tables[0]["ok"]]
    for row in ok.itertuples():
        assert row.similarity == independent_sham(row.file_name.rsplit(".", 1)[0], row.prompt)
    # the clip that is not in the folder is audio_missing, as in the seed tool
    missing = tables[0][~tables[0]["ok"]]
    assert missing["error"].tolist() == ["audio_missing"]
    assert local["overall"] == remote["overall"] == stems_only["overall"]
    assert local["mode"] == "sham_hash" and remote["mode"] == "remote"
