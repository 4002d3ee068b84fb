"""The results core: what ``results.json`` holds (schema version 2), typed and checked.

Every task writes the same core keys (counts, metrics, errors, slices, the run record) and
may add its own (``threshold``, ``answers``, ...). ``coverage``, ``policies`` and
``protocol`` are the keys of schema version 2 (see the shared contracts, section 3); the
issues that compute them fill them in, and until then they are present and empty.
:func:`check_results` is called by the writer: a missing core key is a bug, not a user
error, so it raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, TypedDict

from .errors import EmoevalError

#: the schema version every JSON file the tool writes carries (an integer)
SCHEMA_VERSION = 2
#: the versions readers accept: 1.0 (written as "1.0" or 1) and 2
READABLE_VERSIONS = ("1.0", 1, 2)


class Coverage(TypedDict):
    """Which samples got an answer; ``n_samples`` is the sum of the four counts."""

    n_answered: int
    n_unanswered: int
    n_input_errors: int
    n_transport_errors: int
    answered_share: Optional[float]


class Protocol(TypedDict, total=False):
    """How the headline was computed (every field optional until an issue fills it)."""

    unanswered_policy: Optional[str]
    resampling_unit: Optional[str]
    n_groups: Optional[int]
    label_merges: dict[str, str]
    label_map: Optional[dict[str, Optional[str]]]
    threshold_source: Optional[str]
    tuning_split: Optional[str]
    sample_counts: dict[str, int]
    training_overlap: Optional[dict[str, Any]]


class ErrorSample(TypedDict):
    id: str
    error: str


class Errors(TypedDict):
    """Rows left out of the metrics: counts by kind (the text before ':') and each row."""

    by_kind: dict[str, int]
    samples: list[ErrorSample]


class ScoredPart(TypedDict, total=False):
    """What a task's scorer returns (its own keys may be added beside these)."""

    labels: list[str]
    n_samples: int
    n_scored: int
    n_errors: int
    metrics: dict[str, Any]
    ci: dict[str, Any]
    slices: dict[str, Any]
    warnings: list[str]
    errors: Errors


class Results(ScoredPart, total=False):
    """``results.json``."""

    schema_version: int
    task: str
    model: dict[str, Any]
    dataset: dict[str, Any]
    label_mapping: Optional[dict[str, Any]]
    efficiency: Optional[dict[str, Any]]
    run: dict[str, Any]
    coverage: Optional[Coverage]
    policies: dict[str, dict[str, Any]]
    protocol: Protocol


#: keys every results.json has, whatever the task
REQUIRED_KEYS = ("schema_version", "task", "model", "dataset", "labels", "n_samples",
                 "n_scored", "n_errors", "metrics", "ci", "slices", "warnings", "errors",
                 "label_mapping", "efficiency", "run", "coverage", "policies", "protocol")
ERRORS_KEYS = ("by_kind", "samples")
COVERAGE_KEYS = tuple(Coverage.__annotations__)


def with_schema_keys(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` with the keys of schema version 2 that a scorer did not fill (empty)."""
    results.setdefault("coverage", None)
    results.setdefault("policies", {})
    results.setdefault("protocol", {})
    return results


def check_results(results: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when a core key is missing or malformed (a bug in a scorer)."""
    missing = [key for key in REQUIRED_KEYS if key not in results]
    if missing:
        raise ValueError(f"results lack the core keys {', '.join(missing)} "
                         f"(task {results.get('task')!r})")
    if results["schema_version"] != SCHEMA_VERSION:
        raise ValueError(f"results carry schema_version {results['schema_version']!r}, "
                         f"not {SCHEMA_VERSION}")
    errors = results["errors"]
    if not isinstance(errors, Mapping) or any(key not in errors for key in ERRORS_KEYS):
        raise ValueError(f"results 'errors' needs {', '.join(ERRORS_KEYS)}: {errors!r}")
    coverage = results["coverage"]
    if coverage is not None:
        absent = [key for key in COVERAGE_KEYS if key not in coverage]
        if absent:
            raise ValueError(f"results 'coverage' lacks {', '.join(absent)}")
        counted = sum(coverage[key] for key in COVERAGE_KEYS if key.startswith("n_"))
        if counted != results["n_samples"]:
            raise ValueError(f"coverage counts {counted} samples, results {results['n_samples']}")


def schema_version(data: Mapping[str, Any], source: str) -> int:
    """The schema version of a file the tool wrote, as an integer (1 or 2; a file without
    one is read as 1); a file of another version is refused with a message naming
    ``source``."""
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise EmoevalError(f"{source}: schema_version {version!r} is not one this emoeval "
                           f"reads ({', '.join(map(repr, READABLE_VERSIONS))}); re-create it "
                           "with this version")
    return 1 if version in ("1.0", 1) else 2
