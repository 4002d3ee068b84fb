"""The ``protocol`` block of ``results.json`` (contracts-v2 section 3): how a headline was
computed, and whether the evaluated samples overlap what the model was trained on.

A scorer records what it decided (unanswered policy, resampling unit and groups, threshold
source); :func:`protocol_block` adds what the run knows (label merges and maps, sample
counts, the training manifest). A training manifest is a probe's ``trained_on.json`` or a
user's ``--train-manifest FILE`` (a CSV/JSONL with an ``id`` and/or ``speaker`` column):
speakers seen in training make a speaker-dependent split, which the results warn about.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import EmoevalError
from .tables import is_missing

#: overlapping speakers named in results.json (the count is always complete)
MAX_LISTED = 20


@dataclass(frozen=True)
class TrainManifest:
    """Ids and speakers a model was trained on; ``speakers_known``: the manifest has a
    speaker column (else speaker overlap cannot be told)."""

    source: str
    ids: frozenset[str] = field(default_factory=frozenset)
    speakers: frozenset[str] = field(default_factory=frozenset)
    speakers_known: bool = False


def read_train_manifest(path: str) -> TrainManifest:
    """``--train-manifest FILE``: a CSV/TSV/JSONL/Parquet with an ``id`` and/or a ``speaker``
    column; anything else is a one-line error (checked before any model runs)."""
    from .tables import read_frame

    if not os.path.isfile(path):
        raise EmoevalError(f"--train-manifest {path!r}: no such file")
    try:
        table = read_frame(path, text_columns=("id", "speaker"))
    except EmoevalError:
        raise
    except Exception as exc:  # a file the table readers cannot parse is the user's input
        raise EmoevalError(f"--train-manifest {path!r}: cannot read it ({exc})") from None
    has_id, has_speaker = "id" in table.columns, "speaker" in table.columns
    if not (has_id or has_speaker):
        raise EmoevalError(f"--train-manifest {path!r} needs an 'id' or 'speaker' column (has: "
                           f"{', '.join(map(str, table.columns)) or 'none'})")

    def values(column: str) -> frozenset[str]:
        if column not in table.columns:
            return frozenset()
        return frozenset(str(v) for v in table[column] if not is_missing(v))

    return TrainManifest(source=f"--train-manifest {os.path.basename(path)}",
                         ids=values("id"), speakers=values("speaker"),
                         speakers_known=has_speaker)


def adapter_manifest(adapter: Any) -> TrainManifest | None:
    """The training manifest a model knows of itself (a probe's ``trained_on.json``)."""
    trained_on = getattr(adapter, "trained_on", None)
    if not callable(trained_on):
        return None
    seen = trained_on()
    if not seen:
        return None
    return TrainManifest(source="trained_on.json", ids=frozenset(i for i, _ in seen))


def training_overlap(manifest: TrainManifest | None, rows: list) -> dict[str, Any] | None:
    """How many evaluated ids and speakers the manifest also holds (None without one)."""
    if manifest is None:
        return None
    ids = {r.id for r in rows} & manifest.ids
    speakers = ({str(r.metadata.get("speaker")) for r in rows
                 if not is_missing(r.metadata.get("speaker"))} & manifest.speakers)
    return {"source": manifest.source, "n_manifest_ids": len(manifest.ids),
            "n_manifest_speakers": len(manifest.speakers),
            "speakers_known": manifest.speakers_known,
            "n_overlapping_ids": len(ids), "n_overlapping_speakers": len(speakers),
            "overlapping_speakers": sorted(speakers)[:MAX_LISTED],
            "overlapping_ids": sorted(ids)[:MAX_LISTED]}


def overlap_warnings(overlap: Mapping[str, Any] | None) -> list[str]:
    """A warning when evaluated samples share speakers (or ids) with the training data."""
    if not overlap:
        return []
    warnings = []
    if overlap["n_overlapping_speakers"]:
        named = ", ".join(overlap["overlapping_speakers"][:5])
        warnings.append(f"{overlap['n_overlapping_speakers']} evaluated speakers ({named}"
                        f"{', ...' if overlap['n_overlapping_speakers'] > 5 else ''}) are also "
                        f"in the training data ({overlap['source']}): the split is not "
                        "speaker-independent, so the figures overstate performance on new "
                        "speakers")
    if overlap["n_overlapping_ids"]:
        warnings.append(f"{overlap['n_overlapping_ids']} evaluated samples are in the training "
                        f"data ({overlap['source']}, first: {overlap['overlapping_ids'][0]})")
    return warnings


def protocol_block(scored: Mapping[str, Any] | None, *, merges: Mapping[str, str] | None = None,
                   label_map: Mapping[str, Any] | None = None,
                   sample_counts: Mapping[str, int] | None = None,
                   overlap: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The scorer's protocol with what the run knows added (scorer's keys kept)."""
    block: dict[str, Any] = {"unanswered_policy": None, "resampling_unit": None,
                             "n_groups": None, "label_merges": dict(merges or {}),
                             "label_map": dict(label_map) if label_map else None,
                             "threshold_source": None, "tuning_split": None,
                             "sample_counts": {}, "training_overlap": None}
    block.update({k: v for k, v in (scored or {}).items() if v is not None})
    block["sample_counts"] = {**dict(sample_counts or {}), **block.get("sample_counts", {})}
    if overlap is not None:
        block["training_overlap"] = dict(overlap)
    return block
