"""Reduced precision by one rule (contracts section 6): INT8 labels never depend on the batch
size, verification takes a stratified sample, embeddings are checked by cosine, and a run
reports its agreement with a reference run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from onnx_builders import TEXT_WORDS, evaluate_with_runtime

from emoeval.datasets.base import Row
from emoeval.onnx import verify
from emoeval.onnx.speed import alternating_times, ratio_spread, speed_block


def write_text_csv(folder, n: int = 24):
    """Keyword sentences of varied lengths (so a padded batch would pad most of them)."""
    rng = np.random.default_rng(3)
    lines = ["id,text,label"]
    labels = list(TEXT_WORDS)
    for i in range(n):
        label = labels[i % len(labels)]
        words = [str(rng.choice(TEXT_WORDS[label]))] + ["so", "very", "today", "the", "day"][
            : int(rng.integers(0, 6))]
        lines.append(f"s{i},i am {' '.join(words)},{label}")
    path = folder / "texts.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def detailed(out) -> pd.DataFrame:
    return pd.read_csv(out / "detailed_results.csv", dtype=str,
                       keep_default_na=False).set_index("id")


def test_int8_outputs_do_not_depend_on_the_batch_size(fitted_text_model, tmp_path, cache_dir):
    dataset = f"csv:{write_text_csv(tmp_path)}"
    model = f"hf:{fitted_text_model}"
    for size in (1, 8):
        result = evaluate_with_runtime(model, dataset, tmp_path / f"b{size}", "onnx-int8",
                                       "--batch-size", str(size))
        assert result.exit_code == 0, result.output
    one, eight = detailed(tmp_path / "b1"), detailed(tmp_path / "b8")
    scores = [c for c in one.columns if c.startswith("score_")]
    assert scores and len(one) == 24
    # identical to the last digit written, not merely the same labels
    pd.testing.assert_frame_equal(one[["prediction", *scores]], eight[["prediction", *scores]])


def test_the_onnx_adapter_runs_a_dynamic_int8_file_one_input_per_call(
        fitted_text_model, tmp_path, cache_dir):
    from emoeval.adapters.base import load_adapter
    from emoeval.onnx.runtime import prepare_runtime

    rows = [Row(id=f"r{i}", label="joy", text=t) for i, t in enumerate(
        ["i am so happy", "sad", "angry news this day today", "scared"])]
    int8 = load_adapter(prepare_runtime(f"hf:{fitted_text_model}", "onnx-int8", rows))
    fp32 = load_adapter(prepare_runtime(f"hf:{fitted_text_model}", "onnx", rows))
    assert int8.one_per_call and not fp32.one_per_call
    texts = [r.text for r in rows]
    together = int8.predict(texts)
    alone = np.concatenate([int8.predict([t]) for t in texts])
    assert np.array_equal(together, alone)


def test_verification_takes_a_stratified_sample():
    # a corpus sorted by class: the first 8 rows would all be "a"
    rows = [Row(id=f"{label}{i}", label=label, text=f"{label} {i}")
            for label in "abcd" for i in range(20)]
    order = verify.stratified_order(rows)
    assert sorted(r.id for r in order) == sorted(r.id for r in rows)
    first = [r.label for r in order[:8]]
    assert {label: first.count(label) for label in "abcd"} == dict.fromkeys("abcd", 2)
    assert [r.id for r in verify.stratified_order(rows)] == [r.id for r in order]  # seeded

    class Text:
        modality = "text"

    inputs, ids = verify.verification_inputs(rows, Text(), 64)
    assert len(ids) == 64 and len(set(ids)) == 64
    labels = [i[0] for i in ids]
    assert {label: labels.count(label) for label in "abcd"} == dict.fromkeys("abcd", 16)
    assert len(verify.verification_inputs(rows[:10], Text(), 64)[1]) == 10  # all when fewer


def embedding_reference(vectors: np.ndarray, directions=None) -> verify.Reference:
    return verify.Reference(encoded=[{}] * len(vectors), logits=vectors,
                            latency_ms=[1.0] * len(vectors), source="test", embedding=True,
                            directions=directions)


def test_embeddings_are_verified_by_cosine_and_by_label():
    rng = np.random.default_rng(0)
    fp32 = rng.standard_normal((64, 16))
    reference = embedding_reference(fp32)

    def check(vectors, precision="int8", ref=reference):
        return verify.compare(ref, vectors, [1.0] * len(vectors), "m", precision)

    close = fp32 + 0.01 * rng.standard_normal(fp32.shape)
    passed = check(close)
    cosines = np.einsum("ij,ij->i", verify.unit_rows(close), verify.unit_rows(fp32))
    assert passed.passed and passed.cosine_mean == pytest.approx(cosines.mean())
    assert passed.cosine_min == pytest.approx(cosines.min())
    one_off = close.copy()
    one_off[5] = rng.standard_normal(16)  # one embedding far from FP32: the minimum fails
    failed = check(one_off)
    assert not failed.passed and failed.cosine_min < verify.MIN_COSINE
    assert failed.cosine_mean >= verify.MIN_MEAN_COSINE - 0.02
    with pytest.raises(Exception, match="cosine to FP32 mean"):
        verify.require(failed)
    # with label directions, a changed nearest label fails even at a cosine near 1
    directions = np.eye(16)[:2]
    near_tie = np.tile(np.r_[1.0, 0.99, np.zeros(14)], (64, 1))
    flipped = near_tie.copy()
    flipped[7, :2] = [0.99, 1.0]  # now nearer the second label
    labelled = check(flipped, ref=embedding_reference(near_tie, directions))
    assert labelled.cosine_min > 0.9999 and labelled.n_label_disagreements == 1
    assert not labelled.passed and "the same label" in labelled.criterion
    assert check(near_tie, ref=embedding_reference(near_tie, directions)).passed
    assert check(fp32, "fp32").passed


def test_evaluate_reports_its_agreement_with_a_reference(fitted_text_model, tmp_path,
                                                         cache_dir):
    dataset = f"csv:{write_text_csv(tmp_path, 12)}"
    model = f"hf:{fitted_text_model}"
    result = evaluate_with_runtime(model, dataset, tmp_path / "torch", "torch")
    assert result.exit_code == 0, result.output
    result = evaluate_with_runtime(model, dataset, tmp_path / "int8", "onnx-int8",
                                   "--reference", str(tmp_path / "torch"))
    assert result.exit_code == 0, result.output
    assert "same label as the reference" in " ".join(result.output.split())
    block = json.loads((tmp_path / "int8" / "results.json").read_text())["reference"]
    torch_table, int8_table = detailed(tmp_path / "torch"), detailed(tmp_path / "int8")
    equal = int((torch_table["prediction"] == int8_table["prediction"]).sum())
    assert block["n_compared"] == 12 and block["n_equal"] == equal
    assert block["label_agreement"] == pytest.approx(equal / 12)
    scores = [c for c in torch_table.columns if c.startswith("score_")]
    difference = np.abs(torch_table[scores].astype(float).to_numpy()
                        - int8_table[scores].astype(float).to_numpy()).max()
    assert block["max_abs_score_difference"] == pytest.approx(difference, abs=1e-9)

    result = evaluate_with_runtime(model, dataset, tmp_path / "x", "torch", "--reference",
                                   str(tmp_path / "nothing-here"))
    assert result.exit_code == 2 and "--reference" in result.output
    assert "Traceback" not in result.output


def test_speed_ratios_come_with_their_spread():
    calls = []
    runs = {"slow": lambda item: calls.append(("slow", item)),
            "fast": lambda item: calls.append(("fast", item))}
    seconds = alternating_times(runs, [1, 2, 3], repeats=5)
    assert {name: len(times) for name, times in seconds.items()} == {"slow": 5, "fast": 5}
    assert len(calls) == 2 + 2 * 5 * 3  # a warm-up each, then every input every repeat
    firsts = [calls[2 + 6 * r][0] for r in range(5)]  # who starts each repeat: alternates
    assert firsts == ["slow", "fast", "slow", "fast", "slow"]
    spread = ratio_spread([2.0, 2.0, 4.0, 2.0, 2.0], [1.0, 2.0, 1.0, 1.0, 0.5])
    assert spread == {"median": 2.0, "q25": 2.0, "q75": 4.0, "n_repeats": 5}
    block = speed_block({"a": [1.0] * 5, "b": [0.5] * 5}, [("b", "a")], 10)
    assert block["ratios"]["b vs a"]["median"] == 2.0
    assert block["latency_ms_median"] == {"a": 100.0, "b": 50.0}
