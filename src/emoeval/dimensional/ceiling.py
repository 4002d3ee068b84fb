"""The human ceiling from individual ratings without rater ids (EmoBank's
``individual_reader_ratings.csv``: one row per single rating, ``id`` and one column per
dimension).

For every item with at least two ratings, each rating in turn is left out and compared with
the mean of the item's other ratings; the pairs (left-out rating, mean of the rest) of all
items are pooled and scored per dimension as CCC and MAE. This is how well one more human
agrees with the panel, the ceiling a model predicting the panel mean can be read against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from ..metrics.dimensional import ccc
from ..results import SCHEMA_VERSION
from ..results_io import write_json, write_text

DEFAULT_DIMENSIONS = ("V", "A", "D")


def read_ratings(path_or_frame: str | Path | pd.DataFrame | list) -> pd.DataFrame:
    """One frame of single ratings; a list of files is concatenated (e.g. reader and writer
    ratings pooled for EmoBank's combined perspective)."""
    if isinstance(path_or_frame, pd.DataFrame):
        return path_or_frame.copy()
    if isinstance(path_or_frame, (list, tuple)):
        return pd.concat([read_ratings(p) for p in path_or_frame], ignore_index=True)
    path = Path(path_or_frame)
    if not path.is_file():
        raise EmoevalError(f"{path}: no such ratings file; give a CSV with id and one column "
                           "per dimension, one row per single rating")
    return pd.read_csv(path, dtype={"id": str})


def leave_one_out_pairs(ratings: pd.DataFrame, dimension: str) -> tuple[np.ndarray, np.ndarray]:
    """(left-out rating, mean of the item's other ratings) for every rating of every item
    with at least two ratings of ``dimension``."""
    values = ratings[["id", dimension]].dropna()
    grouped = values.groupby("id")[dimension]
    total, count = grouped.transform("sum"), grouped.transform("count")
    keep = count >= 2
    single = values[dimension][keep].to_numpy(dtype=float)
    rest_mean = ((total - values[dimension]) / (count - 1))[keep].to_numpy(dtype=float)
    return single, rest_mean


def human_ceiling(path_or_frame: str | Path | pd.DataFrame | list,
                  dimensions: list[str] | None = None,
                  ids: list[str] | None = None) -> dict[str, Any]:
    """``{"dimensions": {D: {ccc, mae, n_pairs, n_items}}, "n_ratings", "n_items", "method"}``.

    ``ids``: keep only these items (e.g. the test split the model is scored on).
    """
    ratings = read_ratings(path_or_frame)
    if "id" not in ratings.columns:
        raise EmoevalError(f"the ratings have no 'id' column (columns: "
                           f"{', '.join(map(str, ratings.columns))})")
    ratings["id"] = ratings["id"].astype(str)
    if ids is not None:
        ratings = ratings[ratings["id"].isin({str(i) for i in ids})]
        if ratings.empty:
            raise EmoevalError("none of the given ids has ratings; check that the id list "
                               "and the ratings file come from the same corpus")
    dims = list(dimensions) if dimensions else [d for d in DEFAULT_DIMENSIONS
                                                if d in ratings.columns]
    if not dims:
        dims = [c for c in ratings.columns if c != "id"]
    missing = [d for d in dims if d not in ratings.columns]
    if missing:
        raise EmoevalError(f"the ratings have no column {', '.join(missing)} (columns: "
                           f"{', '.join(map(str, ratings.columns))})")
    ratings = ratings.copy()
    for dim in dims:
        numbers = pd.to_numeric(ratings[dim], errors="coerce")
        bad = numbers.isna() & ratings[dim].notna()
        if bad.any():
            raise EmoevalError(f"column {dim}: {int(bad.sum())} non-numeric ratings (first: "
                               f"{ratings.loc[bad, dim].iloc[0]!r}); fix or drop those rows")
        ratings[dim] = numbers
    out: dict[str, Any] = {}
    for dim in dims:
        single, rest = leave_one_out_pairs(ratings, dim)
        items = ratings[["id", dim]].dropna().groupby("id").size()
        out[dim] = {"ccc": ccc(single, rest),
                    "mae": float(np.mean(np.abs(single - rest))) if len(single) else None,
                    "n_pairs": int(len(single)), "n_items": int((items >= 2).sum())}
    return {"dimensions": out, "n_ratings": int(len(ratings)),
            "n_items": int(ratings["id"].nunique()),
            "method": "each rating left out against the mean of the item's other ratings; "
                      "pairs pooled over items (items with >= 2 ratings)"}


def write_ceiling(ceiling: dict[str, Any], out_dir: str, source: str) -> list[str]:
    """human_ceiling.json and human_ceiling.md in ``out_dir``."""
    from ..reports.format import finite, markdown_table

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    json_path = Path(out_dir) / "human_ceiling.json"
    write_json(json_path, {"schema_version": SCHEMA_VERSION, "source": source, **ceiling})
    rows = []
    for dim, values in ceiling["dimensions"].items():
        value, error = finite(values["ccc"]), finite(values["mae"])
        rows.append([dim, "n/a" if value is None else f"{value:.3f}",
                     "n/a" if error is None else f"{error:.3f}", f"{values['n_items']:,}",
                     f"{values['n_pairs']:,}"])
    text = "\n".join([
        "# Human ceiling", "", f"Ratings: `{source}` ({ceiling['n_ratings']:,} ratings of "
        f"{ceiling['n_items']:,} items).", "", f"Method: {ceiling['method']}.", "",
        markdown_table(["Dimension", "CCC", "MAE", "Items", "Pairs"], rows), ""])
    md_path = Path(out_dir) / "human_ceiling.md"
    write_text(md_path, text)
    return [str(json_path), str(md_path)]
