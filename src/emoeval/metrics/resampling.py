"""What a bootstrap resamples: ``--ci-unit auto|sample|<column>`` (contracts, section 4).

One rule for every command that draws an interval (evaluate, score, compare, agreement,
similarity):

- ``sample``: rows are resampled independently;
- ``<column>``: whole groups of rows sharing that column's value are resampled (a cluster
  bootstrap); the unit is named after the column;
- ``auto`` (the default): the grouping the data knows. By default that is the speaker
  (``speaker`` or ``speaker_id``, when every row names one and there are two or more); a
  command that knows another grouping (an agreement preset's actor) passes its own
  candidates. Without one, samples.

Rows of one speaker (or actor) are not independent; resampling them as if they were gives
intervals that are too narrow. The unit and the number of groups stand beside every interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import EmoevalError

AUTO = "auto"
SAMPLE = "sample"
#: ``auto`` candidates by default: column -> unit name, first usable wins
SPEAKER_UNITS: Mapping[str, str] = {"speaker": "speaker", "speaker_id": "speaker"}


class Resampling(NamedTuple):
    """What to resample: ``groups`` (one id per row, or None for rows), the unit's name and
    how many units there are (rows for ``sample``)."""

    groups: np.ndarray | None
    unit: str
    n_groups: int

    def to_dict(self) -> dict[str, object]:
        return {"unit": self.unit, "n_groups": self.n_groups}


def check_ci_unit(ci_unit: str | None, columns: Iterable[str], *,
                  option: str = "--ci-unit") -> str:
    """``ci_unit`` normalised (None -> ``auto``), or a one-line error when it names a column
    the data does not have. Call it before any work."""
    value = (ci_unit or AUTO).strip()
    if value in (AUTO, SAMPLE):
        return value
    have = [str(c) for c in columns]
    if value not in have:
        raise EmoevalError(f"{option} {value!r}: no such column (give auto, sample or one of: "
                           f"{', '.join(have) or 'no columns'})")
    return value


def _usable(column: pd.Series) -> bool:
    return bool(column.notna().all()) and column.nunique() > 1


def count_groups(groups: np.ndarray) -> int:
    """Distinct group ids; missing ids (None, NaN, blank) count as one pooled group, as the
    bootstraps pool them (:func:`emoeval.metrics.stats.group_codes`)."""
    from .stats import group_codes

    if len(groups) == 0:
        return 0
    return int(group_codes(groups, len(groups)).max()) + 1


def resolve_ci_unit(table: pd.DataFrame, ci_unit: str | None = AUTO, *,
                    auto_units: Mapping[str, str] = SPEAKER_UNITS) -> Resampling:
    """The resampling of ``table``'s rows under ``ci_unit`` (``auto``, ``sample`` or a column).

    ``auto_units``: the columns ``auto`` may group by, in order, each with its unit name
    (``{"actor": "actor"}``); the first that names a value on every row and two or more
    distinct values wins. A named column that is missing is a one-line error.
    """
    value = check_ci_unit(ci_unit, table.columns)
    if value == SAMPLE:
        return Resampling(None, SAMPLE, int(len(table)))
    if value == AUTO:
        for column, unit in auto_units.items():
            if column in table.columns and _usable(table[column]):
                groups = table[column].astype(str).to_numpy()
                return Resampling(groups, unit, count_groups(groups))
        return Resampling(None, SAMPLE, int(len(table)))
    groups = table[value].map(lambda v: None if v is None or (isinstance(v, float)
                                                              and np.isnan(v)) else str(v))
    groups = groups.to_numpy(dtype=object)
    return Resampling(groups, value, count_groups(groups))
