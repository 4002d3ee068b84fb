"""Like with like: on which samples each leaderboard row stands.

Pairs are always tested on the samples both runs scored. The leaderboard ranks each run on
its own scored samples unless those differ between the runs of one dataset: then (or with
``--common-samples``) every run's metrics and CIs are recomputed from its
``detailed_results.csv`` on the samples *every* run scored, and the comparison says so. A
run whose table cannot be trusted (missing, or not reproducing its results.json) keeps the
whole dataset on the runs' own samples, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import EmoevalError
from ..metrics.classification import classification_summary
from ..metrics.dimensional import bootstrap_dimension_ci, dimension_metrics, resample_indices
from ..metrics.multilabel import bootstrap_multilabel_ci, multilabel_summary
from ..metrics.resampling import resolve_ci_unit
from ..metrics.stats import bootstrap_ci
from ..registry import sample_layout
from .runs import DatasetGroup, Run

#: what one sample of a dataset source is called ("on 1,176 shared tweets")
SAMPLE_NOUNS = {
    "tweeteval": "tweets", "goemotions": "comments", "emobank": "sentences",
    "demo": "texts", "audiofolder": "clips", "ravdess": "clips", "crema-d": "clips",
    "emodb": "clips", "tess": "clips", "savee": "clips", "urdu": "clips",
}
OWN, SHARED = "own", "shared"


def sample_noun(group: DatasetGroup) -> str:
    """The dataset's word for a sample, "samples" when the source does not say."""
    source, colon, _ = group.spec.partition(":")
    return SAMPLE_NOUNS.get(source, "samples") if colon else "samples"


def count_text(n: int | None, noun: str, shared: bool) -> str:
    """``1,176 shared tweets`` / ``1,421 tweets``."""
    if n is None:
        return f"an unknown number of {noun}"
    return f"{n:,} {'shared ' if shared else ''}{noun}"


def scored_ids(run: Run) -> set[str] | None:
    scored = run.scored()
    return None if scored is None else set(scored["id"])


def own_view(run: Run) -> dict[str, Any]:
    results = run.results
    return {"metrics": results.get("metrics"), "ci": results.get("ci"),
            "n_compared": results.get("n_scored"), "sample_set": OWN}


def differing_sets(group: DatasetGroup, noun: str) -> tuple[set[str] | None, str | None]:
    """The ids every run scored (None when a table is unreadable), and a warning with the
    counts when the runs' scored samples differ."""
    sets = {run.name: scored_ids(run) for run in group.runs}
    readable = [ids for ids in sets.values() if ids is not None]
    if len(group.runs) < 2 or len(readable) < len(sets):
        return None, None
    shared = set.intersection(*readable)
    if all(ids == shared for ids in readable):
        return shared, None
    listing = ", ".join(f"{name} {len(ids):,}" for name, ids in sets.items())
    return shared, (f"runs on {group.name} were scored on different {noun} ({listing} "
                    f"scored; {len(shared):,} scored by every run): a figure on one run's "
                    f"own {noun} is not comparable with another's")


def leaderboard_views(groups: list[DatasetGroup], common_samples: bool | None,
                      problem_of: Callable[[Run], str | None], n_resamples: int, seed: int,
                      warnings: list[str]) -> dict[str, dict[str, Any]]:
    """Per run name: the metrics, CIs and sample count its leaderboard row shows.

    ``common_samples``: None recomputes on the shared samples when the runs' scored samples
    differ, True always, False never. ``problem_of(run)`` says why a run's table cannot be
    trusted (None when it can). True with no shared sample is a one-line error.
    """
    views = {run.name: own_view(run) for group in groups for run in group.runs}
    for group in groups:
        noun = sample_noun(group)
        shared, warning = differing_sets(group, noun)
        if warning:
            warnings.append(warning)
        wanted = common_samples if common_samples is not None else warning is not None
        if not wanted or len(group.runs) < 2:
            if warning:
                warnings.append(f"the leaderboard of {group.name} ranks each run on its own "
                                f"scored {noun} (--no-common-samples)")
            continue
        problems = [p for p in (problem_of(run) for run in group.runs) if p]
        if shared is not None and not shared and common_samples:
            raise EmoevalError(f"--common-samples: the runs on {group.name} share no scored "
                               f"sample; compare them without it (each on its own {noun})")
        if problems or not shared:
            why = problems[0] if problems else f"no {noun} was scored by every run"
            warnings.append(f"the leaderboard of {group.name} ranks each run on its own "
                            f"scored {noun}: the shared set cannot be rebuilt ({why})")
            continue
        for run in group.runs:
            views[run.name] = shared_view(run, shared, n_resamples, seed)
        warnings.append(f"the leaderboard of {group.name} is computed on the {len(shared):,} "
                        f"{noun} every run scored (--common-samples)")
    return views


def shared_view(run: Run, ids: set[str], n_resamples: int, seed: int) -> dict[str, Any]:
    """The run's metrics and CIs recomputed on the scored rows whose id is in ``ids``."""
    table = run.scored()
    table = table[table["id"].isin(ids)]
    groups, unit, _ = resolve_ci_unit(table)
    recompute = RECOMPUTE.get(sample_layout(run.task))
    if recompute is None:  # a task this module cannot rebuild keeps its own figures
        return own_view(run)
    metrics, ci = recompute(run, table, groups, unit, n_resamples, seed)
    return {"metrics": metrics, "ci": ci, "n_compared": int(len(table)), "sample_set": SHARED}


def _single_label(run: Run, table: pd.DataFrame, groups, unit: str, n_resamples: int,
                  seed: int) -> tuple[dict, dict]:
    y_true = table["label"].to_numpy(dtype=object)
    y_pred = table["prediction"].to_numpy(dtype=object)
    metrics = classification_summary(y_true, y_pred, run.labels)["metrics"]
    return metrics, bootstrap_ci(y_true, y_pred, run.labels, groups=groups, unit=unit,
                                 n_resamples=n_resamples, seed=seed)


def _multilabel(run: Run, table: pd.DataFrame, groups, unit: str, n_resamples: int,
                seed: int) -> tuple[dict, dict]:
    from .multilabel_pair import multilabel_arrays

    truth, decisions, scores = multilabel_arrays(table, run.labels)
    metrics = multilabel_summary(truth, decisions, scores, run.labels)["metrics"]
    return metrics, bootstrap_multilabel_ci(truth, decisions, scores, groups=groups,
                                            unit=unit, n_resamples=n_resamples, seed=seed)


def _dimensional(run: Run, table: pd.DataFrame, groups, unit: str, n_resamples: int,
                 seed: int) -> tuple[dict, dict]:
    from ..dimensional.scoring import TRUE_SUFFIX
    from .dimensional_pair import dimension_values, predicted_values

    dimensions = run.labels
    truth = dimension_values(table, dimensions, TRUE_SUFFIX)
    predicted = predicted_values(run, table, dimensions)
    indices = (resample_indices(len(table), groups, n_resamples, seed)
               if len(table) > 1 else None)
    metrics, ci = {}, {}
    for j, dimension in enumerate(dimensions):
        metrics[dimension] = dimension_metrics(truth[:, j], predicted[:, j])
        ci[dimension] = bootstrap_dimension_ci(truth[:, j], predicted[:, j], groups=groups,
                                               unit=unit, n_resamples=n_resamples, seed=seed,
                                               indices=indices)
    return metrics, ci


# by the task's sample layout (registry.sample_layout)
RECOMPUTE: dict[str, Callable[..., tuple[dict, dict]]] = {
    "label": _single_label,
    "label_set": _multilabel,
    "values": _dimensional,
}

