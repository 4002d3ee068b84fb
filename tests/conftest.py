"""Shared fixtures; builders live in helpers/builders.py."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# builders is importable through pytest's `pythonpath` (pyproject.toml: "tests/helpers")
from builders import build_audio_classifier, build_text_classifier, write_wav  # noqa: E402

# --- markers (registered in pyproject.toml), applied here so no test has to remember them:
# `models` builds or loads a torch/transformers/sentence-transformers/ONNX/Ray model,
# `shared_data` reads ../shared/data, `slow` is both of those plus the folders and tests
# measured above ~1.5 s on a loaded 2-core machine. `pytest -m "not slow"` is the quick run.
MODEL_FIXTURES = {"audio_model", "audio_model_nomask", "text_model", "fitted_audio_model",
                  "fitted_text_model", "status_models", "emotion_classifier", "tiny_clap",
                  "tiny_sentence_model"}
MODEL_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:torch|transformers|onnxruntime|onnx|ray|"
                          r"sentence_transformers)\b", re.MULTILINE)
# builders' build_* functions, and the MiniLM sentence-transformers model behind zeroshot:
MODEL_BUILD = re.compile(r"\bbuild_\w+\(|zeroshot:|\bminilm\b")
SHARED_DATA_USE = re.compile(r"\bshared_data\b|\bSHARED_DATA\b")
TESTS_DIR = str(Path(__file__).parent)
SLOW_FOLDERS = {"engines", "throughput"}
#: tests measured above ~1.5 s (on a loaded 2-core machine, `--durations`) that the rules
#: above miss, by module (path relative to tests/): the names of its slow tests, or None
#: when most of its tests are slow or share a slow fixture
SLOW_TESTS: dict[str, tuple[str, ...] | None] = {
    "module": ("test name",),
    "compare/test_runs.py": None,
    "core/test_light_install.py": None,
    "test_architecture.py": None,
    "test_results.py": ("test_a_missing_core_key_is_a_bug_and_nothing_is_written",),
    "core/test_cli_help.py": ("test_quantize_passes_label_group_and_target_cols_on",),
    "faults/test_store_bad_lines.py": (
        "test_every_valid_record_survives_bad_lines_and_a_kill",
        "test_a_rerun_after_a_hand_edit_asks_nothing_again_and_says_so",
    ),
    "compare/test_dimensional.py": None,
    "compare/test_like_with_like.py": None,
    "adapters/test_python_adapter.py": ("test_audio_dataset_gives_decoded_arrays",),
    "annotations/test_agreement.py": ("test_long_binary_end_to_end",),
    "compare/test_inputs.py": (
        "test_cli_prints_verdicts_and_writes_the_report",
        "test_the_same_predictions_twice_say_so",
    ),
    "compare/test_paired_stats.py": (
        "test_bootstrap_distribution_matches_naive_resampling",
        "test_p_value_agrees_with_the_share_of_naive_resamples_beyond_zero",
    ),
    "core/test_cli.py": (
        "test_collapsed_model_is_flagged_in_results_and_report",
        "test_evaluate_models_file_runs_each_then_compares",
        "test_evaluate_text_end_to_end_and_rescore_detailed_results",
        "test_kill_9_mid_run_then_resume_loses_and_redoes_nothing",
        "test_limit_is_stratified_seeded_and_resumable",
        "test_merge_then_keep_labels",
        "test_other_model_in_same_out_is_refused",
        "test_report_rerenders_without_a_model",
        "test_score_reproduces_seed_002_exactly",
    ),
    "dimensional/test_evaluate.py": (
        "test_dim_evaluate_range_mapping_is_recorded",
        "test_dim_evaluate_values_model_end_to_end",
    ),
    "dimensional/test_llm_answers.py": (
        "test_emoeval_score_rescores_a_written_answer_table_under_either_policy",
        "test_evaluate_an_llm_on_ratings_end_to_end",
    ),
    "dimensional/test_score_cli.py": (
        "test_dim_score_end_to_end",
        "test_dim_score_finds_dimensions_and_records_bad_rows",
        "test_dim_score_slices_match_scoring_each_group_alone",
    ),
    "faults/test_http_client_limits.py": (
        "test_failures_are_retried_like_other_transport_errors",
        "test_llm_evaluate_records_the_slow_answer_per_sample",
    ),
    "faults/test_serve_attacks.py": ("test_a_huge_text_never_stalls_health",),
    "faults/test_freshness.py": (
        "test_retry_errors_asks_model_crashes_again",
        "test_a_replaced_clip_gets_a_new_prediction",
        "test_a_fixed_clip_is_predicted_again",
    ),
    "faults/test_label_spelling.py": ("test_case_and_whitespace_variants_give_the_same_classes",),
    "faults/test_readers.py": ("test_one_table_in_four_formats_scores_the_same",),
    "generative/test_evaluate.py": (
        "test_evaluate_llm_end_to_end_and_rerun_costs_nothing",
        "test_evaluate_llm_on_audio_sends_wav_and_skips_bad_files",
    ),
    "generative/test_scoring.py": (
        "test_cli_reads_jsonl_with_json_answers",
        "test_cli_scores_an_answers_file_and_rescores_its_own_output",
        "test_seed_002_every_policy_matches_sklearn",
    ),
    "metrics/test_bootstrap.py": ("test_multinomial_counts_agree_with_row_resampling",),
    "metrics/test_thresholds.py": ("test_best_threshold_beats_every_other_cut",),
    "multilabel/test_scoring.py": ("test_cli_score_writes_report_and_thresholds",),
    "openvocab/test_compare.py": ("test_paired_bootstrap_of_two_runs",),
    "reports/test_render.py": (
        "test_many_classes_scale_the_figure",
        "test_render_all_creates_out_dir",
    ),
    "screening/test_statuses.py": (
        "test_a_hanging_candidate_is_stopped_at_the_time_limit",
        "test_cli_contains_a_crash_and_keeps_an_unprobed_model",
        "test_cli_verdicts_mean_what_they_say",
        "test_worker_runs_as_a_module",
    ),
    "similarity/test_cli.py": ("test_serve_command_answers_the_contract",),
    "similarity/test_endpoint.py": (
        "test_faulty_server_errors_are_recorded_per_item_and_counted",
        "test_rerun_resumes_and_retries_only_failures",
    ),
    "similarity/test_sham.py": (
        "test_sham_in_process_equals_sham_server_item_for_item",
    ),
}


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _module_imports_models(module) -> bool:
    # module level only: the lines outside any def/class body
    top = "\n".join(line for line in _source(module).splitlines()
                    if not line.startswith((" ", "\t")))
    return bool(MODEL_IMPORT.search(top))


def _sources(item) -> str:
    """The test function's source and those of every fixture of ours it uses."""
    parts = [_source(getattr(item, "function", None))]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        parts += [_source(d.func) for d in defs
                  if str(inspect.getsourcefile(d.func) or "").startswith(TESTS_DIR)]
    return "\n".join(parts)


def pytest_collection_modifyitems(config, items):
    module_models: dict[str, bool] = {}
    tests_dir = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        rel = path.relative_to(tests_dir).as_posix() if path.is_relative_to(tests_dir) else ""
        module = getattr(item, "module", None)
        if rel not in module_models:
            module_models[rel] = module is not None and _module_imports_models(module)
        source = _sources(item)
        names = set(getattr(item, "fixturenames", ()))
        # a model fixture picked by parameter (request.getfixturevalue(name))
        callspec = getattr(item, "callspec", None)
        names |= {v for v in (callspec.params.values() if callspec else ())
                  if isinstance(v, str)}
        models = (module_models[rel] or bool(names & MODEL_FIXTURES)
                  or bool(MODEL_IMPORT.search(source)) or bool(MODEL_BUILD.search(source)))
        shared = "shared_data" in names or bool(SHARED_DATA_USE.search(source))
        if models:
            item.add_marker(pytest.mark.models)
        if shared:
            item.add_marker(pytest.mark.shared_data)
        name = item.name.split("[")[0]
        measured = rel in SLOW_TESTS and (SLOW_TESTS[rel] is None or name in SLOW_TESTS[rel])
        if models or shared or rel.split("/")[0] in SLOW_FOLDERS or measured:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def urdu_labels() -> list[str]:
    return ["angry", "happy", "neutral", "sad"]


@pytest.fixture(scope="session")
def audio_model(tmp_path_factory, urdu_labels) -> Path:
    return build_audio_classifier(tmp_path_factory.mktemp("w2v_mask"), urdu_labels, True)


@pytest.fixture(scope="session")
def audio_model_nomask(tmp_path_factory, urdu_labels) -> Path:
    return build_audio_classifier(tmp_path_factory.mktemp("w2v_group"), urdu_labels, False)


@pytest.fixture(scope="session")
def text_model(tmp_path_factory) -> Path:
    return build_text_classifier(tmp_path_factory.mktemp("bert"),
                                 ["joy", "sadness", "anger", "fear"])


@pytest.fixture
def audio_csv(tmp_path) -> Path:
    """A csv dataset of 12 short clips (3 per label) with speakers, plus bad files:
    a corrupt file, an empty file and a missing one."""
    rows = ["id,path,label,speaker"]
    labels = ["angry", "happy", "neutral", "sad"]
    for i in range(12):
        write_wav(tmp_path / "clips" / f"c{i}.wav", seconds=0.3 + 0.05 * (i % 3), seed=i)
        rows.append(f"c{i},clips/c{i}.wav,{labels[i % 4]},spk{i % 3}")
    (tmp_path / "clips" / "corrupt.wav").write_bytes(b"RIFF\x00\x00not really a wav file")
    (tmp_path / "clips" / "empty.wav").write_bytes(b"")
    rows += ["bad1,clips/corrupt.wav,angry,spk0", "bad2,clips/empty.wav,sad,spk1",
             "bad3,clips/missing.wav,happy,spk2"]
    (tmp_path / "audio.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "audio.csv"
