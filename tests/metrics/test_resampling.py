"""The one resampling-unit rule (contracts section 4): ``auto|sample|<column>``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emoeval.errors import EmoevalError
from emoeval.metrics.resampling import check_ci_unit, resolve_ci_unit
from emoeval.scoring import speaker_groups


def table(**columns) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"s{i}" for i in range(6)], **columns})


def test_auto_takes_the_speaker_when_every_row_names_one():
    groups, unit, n_groups = resolve_ci_unit(table(speaker=list("aabbcc")))
    assert unit == "speaker" and n_groups == 3 and list(groups) == list("aabbcc")
    # one speaker, or a row without one: samples
    assert resolve_ci_unit(table(speaker=["a"] * 6)) == (None, "sample", 6)
    assert resolve_ci_unit(table(speaker=["a", "b", None, "a", "b", "a"])).unit == "sample"
    # evaluate/score's rule is this one
    assert speaker_groups(table(speaker_id=list("aabbcc")))[1] == "speaker"


def test_auto_candidates_come_from_the_caller():
    rows = table(actor=list("xxyyzz"), speaker=list("aabbcc"))
    groups, unit, n_groups = resolve_ci_unit(rows, "auto", auto_units={"actor": "actor"})
    assert (unit, n_groups) == ("actor", 3)


def test_sample_and_a_named_column():
    rows = table(speaker=list("aabbcc"), session=["1", "1", "1", "2", "2", None])
    assert resolve_ci_unit(rows, "sample") == (None, "sample", 6)
    groups, unit, n_groups = resolve_ci_unit(rows, "session")
    # a missing value is one pooled group, as the bootstraps pool it
    assert unit == "session" and n_groups == 3 and pd.isna(groups[-1])
    assert np.array_equal(groups[:5], ["1", "1", "1", "2", "2"])


def test_a_missing_column_is_a_one_line_error():
    with pytest.raises(EmoevalError, match=r"--ci-unit 'actor': no such column .*speaker"):
        resolve_ci_unit(table(speaker=list("aabbcc")), "actor")
    assert check_ci_unit(None, []) == "auto"
