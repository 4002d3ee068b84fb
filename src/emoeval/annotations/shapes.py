"""Input shapes of human ratings, all read into one :class:`RatingTable`.

* **long**: one row per rating (item columns, a rater column, a rating column);
* **counts**: one row per item with a vote count per category;
* ``crema-d-votes:<file>``: CREMA-D's ``tabulatedVotes.csv`` for one modality.

Bad rows (an empty rating, a value off the scale, a second rating of an item by the same
rater, a count that is not a whole number, ...) never stop the run: each is recorded in
``RatingTable.invalid`` with its row number and reason, left out, and reported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmoevalError
from .scales import Scale, match_values, resolve_scale, scale_for_columns

INVALID_COLUMNS = ("row", "reason")
CREMAD_SHORTCUT = "crema-d-votes"
CREMAD_MODALITIES = {"voice": "1", "face": "2", "audiovisual": "3"}
CREMAD_VOTE_CODES = {"A": "ANG", "D": "DIS", "F": "FEA", "H": "HAP", "N": "NEU", "S": "SAD"}


@dataclass
class RatingTable:
    """Ratings of one set of items, whatever shape they came in.

    ``items``: one row per item (item columns, then metadata columns), sorted by the item
    columns. ``counts``: ``(N, K)`` votes per item and category (``scale.categories`` order).
    ``group``: per item, the index of its group (the audio file by default) in
    ``group_names``; splits and bootstrap resamples keep a group together. ``intended``:
    per item, the index of the intended (acted) category, -1 when unknown; None without an
    intended column. ``ratings`` (long shape only): one row per valid rating with ``item``
    (row in ``items``), ``rater`` and ``category`` (index). ``invalid``: the bad input rows.
    """

    source: str
    shape: str
    item_columns: list[str]
    metadata_columns: list[str]
    items: pd.DataFrame
    scale: Scale
    counts: np.ndarray
    group_column: str
    group: np.ndarray
    group_names: list[str]
    invalid: pd.DataFrame
    intended: np.ndarray | None = None
    intended_column: str | None = None
    ratings: pd.DataFrame | None = None
    rater_column: str | None = None
    rating_column: str | None = None
    count_columns: list[str] | None = None
    modality: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: what ``--ci-unit auto`` resamples when the source knows it (column -> unit name);
    #: None: the group column
    auto_units: dict[str, str] | None = None

    @property
    def n_items(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_raters_per_item(self) -> np.ndarray:
        return self.counts.sum(axis=1).astype(np.int64)


# --------------------------------------------------------------------------- reading


def read_table(path: str, what: str) -> pd.DataFrame:
    """A CSV/TSV/JSONL/Parquet file as a table of stripped strings ("" for missing)."""
    from ..results_io import read_predictions_file

    if not os.path.isfile(path):
        raise EmoevalError(f"{what} {path!r} not found; give a CSV, TSV, JSONL or Parquet file")
    try:
        table = read_predictions_file(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise EmoevalError(f"{what} {path!r} could not be read as a table: "
                           f"{str(exc).splitlines()[0]}") from None
    table = table.astype(object).where(table.notna(), "")
    return table.apply(lambda column: column.astype(str).str.strip())


def require_columns(table: pd.DataFrame, columns: list[str], path: str, flags: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise EmoevalError(f"{path}: no column {', '.join(map(repr, missing))} (found "
                           f"{', '.join(map(str, table.columns))}); set {flags}")


def _row_numbers(table: pd.DataFrame, path: str) -> np.ndarray:
    """1-based line numbers as a person sees them (the header is line 1 in CSV/TSV)."""
    offset = 2 if path.lower().endswith((".csv", ".tsv", ".txt")) else 1
    return np.arange(len(table)) + offset


def _invalid_frame(rows: list[pd.DataFrame]) -> pd.DataFrame:
    rows = [frame for frame in rows if len(frame)]
    if not rows:
        return pd.DataFrame(columns=list(INVALID_COLUMNS))
    return pd.concat(rows, ignore_index=True).sort_values("row", kind="stable",
                                                         ignore_index=True)


def _mark(table: pd.DataFrame, mask: np.ndarray, reason, shown: list[str]) -> pd.DataFrame:
    """The rows under ``mask`` as invalid-row records (row number, reason, shown columns)."""
    picked = table.loc[mask, ["__row", *shown]].rename(columns={"__row": "row"})
    picked.insert(1, "reason", reason if isinstance(reason, str) else np.asarray(reason)[mask])
    return picked


def _group_index(items: pd.DataFrame, group_column: str) -> tuple[np.ndarray, list[str]]:
    codes, names = pd.factorize(items[group_column].astype(str), sort=True)
    return codes.astype(np.int64), [str(name) for name in names]


def _intended_codes(values: pd.Series, scale: Scale, column: str,
                    warnings: list[str]) -> np.ndarray:
    """Category index of each item's intended label (exact name, then alias), -1 if none."""
    from ..labels import build_mapping

    distinct = sorted({value for value in values if value})
    if not distinct:
        raise EmoevalError(f"--intended-col {column}: the column is empty")
    try:
        mapping = build_mapping(distinct, list(scale.categories))
    except EmoevalError:
        raise EmoevalError(f"--intended-col {column}: none of its values "
                           f"({', '.join(distinct[:8])}) names a rating category "
                           f"({', '.join(scale.categories)})") from None
    position = {category: index for index, category in enumerate(scale.categories)}
    lookup = {value: position[target] if target is not None else -1
              for value, target in mapping.model_to_dataset.items()}
    codes = np.array([lookup.get(value, -1) for value in values], dtype=np.int64)
    unmapped = sorted(value for value, target in mapping.model_to_dataset.items()
                      if target is None)
    if unmapped:
        n_items = int(np.isin(values.to_numpy(), unmapped).sum())
        warnings.append(f"intended labels with no rating category ({', '.join(unmapped)}) on "
                        f"{n_items} items: left out of the majority-vs-intended comparison")
    missing = int((values == "").sum())
    if missing:
        warnings.append(f"{missing} items have no intended label: left out of the "
                        "majority-vs-intended comparison")
    return codes


def _default_group_column(item_columns: list[str], group_column: str | None,
                          available: list[str]) -> str:
    column = group_column or item_columns[0]
    if column not in available:
        raise EmoevalError(f"--group-col {column}: no such column (found "
                           f"{', '.join(available)})")
    return column


# --------------------------------------------------------------------------- long shape


def read_long(path: str, *, item_columns: list[str], rater_column: str, rating_column: str,
              scale_spec: str, present_from: str | None = None,
              intended_column: str | None = None, group_column: str | None = None
              ) -> RatingTable:
    """One row per rating -> a :class:`RatingTable` (rater ids kept for pairwise statistics)."""
    if not item_columns:
        raise EmoevalError("long ratings need --item-cols naming the columns that identify an "
                           "item, e.g. --item-cols file_name,queried_emotion,task_type")
    table = read_table(path, "ratings file")
    needed = [*item_columns, rater_column, rating_column]
    if intended_column:
        needed.append(intended_column)
    require_columns(table, needed, path,
                    "--item-cols, --rater-col, --rating-col" + (", --intended-col"
                                                               if intended_column else ""))
    if len(set(needed)) != len(needed):
        raise EmoevalError("--item-cols, --rater-col and --rating-col must name different "
                           "columns")
    table = table.copy()
    table["__row"] = _row_numbers(table, path)
    shown = list(dict.fromkeys([*item_columns, rater_column, rating_column]))
    invalid: list[pd.DataFrame] = []
    ok = np.ones(len(table), dtype=bool)
    for column, what in [*[(c, f"empty item column {c}") for c in item_columns],
                         (rater_column, "empty rater"), (rating_column, "empty rating")]:
        empty = ok & (table[column].to_numpy() == "")
        invalid.append(_mark(table, empty, what, shown))
        ok &= ~empty

    observed = sorted(set(table.loc[ok, rating_column]))
    if not observed:
        raise EmoevalError(f"{path}: no ratings ({len(table)} rows, none with an item, a rater "
                           f"and a rating in {rating_column!r})")
    scale = resolve_scale(scale_spec, present_from, observed)
    codes = match_values(table[rating_column].to_numpy(), scale)
    off_scale = ok & (codes < 0)
    reasons = np.array([f"rating {value!r} is not on the scale ({', '.join(scale.categories)})"
                        for value in table[rating_column]], dtype=object)
    invalid.append(_mark(table, off_scale, reasons, shown))
    ok &= ~off_scale

    # a duplicate of a row that is itself bad does not count: look among the valid rows only
    duplicate = ok & _duplicated_within(table, ok, [*item_columns, rater_column])
    invalid.append(_mark(table, duplicate, "second rating of this item by this rater (the "
                         "first is kept)", shown))
    ok &= ~duplicate

    valid = table.loc[ok].copy()
    valid["__category"] = codes[ok]
    if valid.empty:
        raise EmoevalError(f"{path}: no valid ratings left ({len(table)} rows, all bad); see "
                           "the reasons with --out")
    item_keys = valid[item_columns]
    items = item_keys.drop_duplicates().sort_values(item_columns, kind="stable",
                                                    ignore_index=True)
    item_of_row = pd.MultiIndex.from_frame(items).get_indexer(pd.MultiIndex.from_frame(item_keys))
    counts = np.zeros((len(items), len(scale.categories)), dtype=np.int64)
    np.add.at(counts, (item_of_row, valid["__category"].to_numpy()), 1)

    warnings: list[str] = []
    intended = None
    if intended_column:
        first = (valid.assign(__item=item_of_row)
                 .loc[lambda frame: frame[intended_column] != ""]
                 .groupby("__item")[intended_column].agg(["first", "nunique"]))
        values = pd.Series([""] * len(items))
        values.iloc[first.index.to_numpy()] = first["first"].to_numpy()
        conflicting = int((first["nunique"] > 1).sum())
        if conflicting:
            warnings.append(f"{conflicting} items carry different {intended_column} values "
                            "on different rows: the first is used")
        items["intended_label"] = values.to_numpy()
        intended = _intended_codes(values, scale, intended_column, warnings)

    group_column = _default_group_column(item_columns, group_column, list(items.columns))
    group, group_names = _group_index(items, group_column)
    ratings = pd.DataFrame({"item": item_of_row.astype(np.int64),
                            "rater": valid[rater_column].to_numpy(),
                            "category": valid["__category"].to_numpy().astype(np.int64)})
    return RatingTable(
        source=path, shape="long", item_columns=list(item_columns),
        metadata_columns=["intended_label"] if intended_column else [], items=items,
        scale=scale, counts=counts, group_column=group_column, group=group,
        group_names=group_names, invalid=_invalid_frame(invalid), intended=intended,
        intended_column=intended_column, ratings=ratings, rater_column=rater_column,
        rating_column=rating_column, warnings=warnings)


def _duplicated_within(table: pd.DataFrame, mask: np.ndarray, columns: list[str]) -> np.ndarray:
    """``duplicated(keep='first')`` computed among the rows under ``mask`` only."""
    result = np.zeros(len(table), dtype=bool)
    result[np.flatnonzero(mask)] = table.loc[mask].duplicated(columns, keep="first").to_numpy()
    return result


# --------------------------------------------------------------------------- counts shape


def _counts_table(table: pd.DataFrame, *, source: str, item_columns: list[str],
                  count_columns: list[str], scale: Scale, metadata_columns: list[str],
                  intended_column: str | None, group_column: str | None,
                  invalid: list[pd.DataFrame], modality: str | None = None) -> RatingTable:
    """Shared by the counts shape and the CREMA-D shortcut: ``table`` has ``__row``."""
    shown = list(dict.fromkeys([*item_columns, *count_columns]))
    ok = np.ones(len(table), dtype=bool)
    for column in item_columns:
        empty = ok & (table[column].to_numpy() == "")
        invalid.append(_mark(table, empty, f"empty item column {column}", shown))
        ok &= ~empty
    numbers = table[count_columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad_cells = ~np.isfinite(numbers) | (numbers < 0) | (numbers != np.round(numbers))
    bad = ok & bad_cells.any(axis=1)
    reasons = np.array([
        "vote count not a whole number >= 0 in "
        + ", ".join(c for c, b in zip(count_columns, row) if b) for row in bad_cells],
        dtype=object)
    invalid.append(_mark(table, bad, reasons, shown))
    ok &= ~bad
    no_votes = ok & (np.nan_to_num(numbers).sum(axis=1) == 0)
    invalid.append(_mark(table, no_votes, "no votes", shown))
    ok &= ~no_votes
    duplicate = ok & _duplicated_within(table, ok, item_columns)
    invalid.append(_mark(table, duplicate, "item listed twice (the first is kept)", shown))
    ok &= ~duplicate

    if not ok.any():
        raise EmoevalError(f"{source}: no valid items left ({len(table)} rows, all bad)")
    keep = [*item_columns, *[c for c in metadata_columns if c not in item_columns]]
    if intended_column and intended_column not in keep:
        keep.append(intended_column)
    valid = table.loc[ok, keep].copy()
    valid["__counts"] = list(numbers[ok].astype(np.int64))
    valid = valid.sort_values(item_columns, kind="stable", ignore_index=True)
    counts = np.stack(valid.pop("__counts").to_list()).astype(np.int64)
    warnings: list[str] = []
    intended = None
    metadata = [c for c in metadata_columns if c not in item_columns]
    if intended_column:
        values = valid[intended_column]
        if intended_column not in metadata:
            valid = valid.rename(columns={intended_column: "intended_label"})
            values = valid["intended_label"]
            metadata.append("intended_label")
        intended = _intended_codes(values.reset_index(drop=True), scale, intended_column,
                                   warnings)
    group_column = _default_group_column(item_columns, group_column, list(valid.columns))
    group, group_names = _group_index(valid, group_column)
    return RatingTable(
        source=source, shape="counts", item_columns=list(item_columns),
        metadata_columns=metadata, items=valid, scale=scale, counts=counts,
        group_column=group_column, group=group, group_names=group_names,
        invalid=_invalid_frame(invalid), intended=intended, intended_column=intended_column,
        count_columns=list(count_columns), modality=modality, warnings=warnings)


def read_counts(path: str, *, item_columns: list[str], count_columns: list[str],
                scale_spec: str | None = None, present_from: str | None = None,
                intended_column: str | None = None, group_column: str | None = None
                ) -> RatingTable:
    """One row per item with one vote-count column per category -> a :class:`RatingTable`."""
    if not item_columns:
        raise EmoevalError("vote counts need --item-col naming the item id column")
    if len(count_columns) < 2:
        raise EmoevalError("--count-cols needs two or more columns, e.g. --count-cols "
                           "A,D,F,H,N,S")
    table = read_table(path, "vote-count file")
    require_columns(table, [*item_columns, *count_columns,
                            *([intended_column] if intended_column else [])], path,
                    "--item-col, --count-cols" + (", --intended-col" if intended_column else ""))
    scale = scale_for_columns(scale_spec, present_from, count_columns)
    table = table.copy()
    table["__row"] = _row_numbers(table, path)
    return _counts_table(table, source=path, item_columns=item_columns,
                         count_columns=count_columns, scale=scale, metadata_columns=[],
                         intended_column=intended_column, group_column=group_column,
                         invalid=[])


# --------------------------------------------------------------------------- CREMA-D


def read_cremad_votes(argument: str, modality: str | None,
                      group_column: str | None = None) -> RatingTable:
    """``crema-d-votes:<tabulatedVotes.csv or its folder>`` for one modality.

    The clip id's first digit is the modality (1 voice, 2 face, 3 audio-visual); columns
    A, D, F, H, N, S count the votes for anger, disgust, fear, happy, neutral, sad; the
    intended emotion is the third field of ``fileName`` (``AAAA_SSS_EEE_LL``). Items are
    grouped by ``file_name`` unless ``group_column`` names another column (``actor`` gives
    speaker-independent splits and speaker-clustered intervals).
    """
    from ..datasets.presets.cremad import EMOTIONS, INTENSITY, PATTERN

    if modality not in CREMAD_MODALITIES:
        raise EmoevalError(f"{CREMAD_SHORTCUT}: give --modality "
                           f"{'|'.join(CREMAD_MODALITIES)} (the clip id's first digit: 1 "
                           "voice, 2 face, 3 audio-visual)")
    path = Path(argument).expanduser()
    if path.is_dir():
        path = path / "tabulatedVotes.csv"
    table = read_table(str(path), f"{CREMAD_SHORTCUT} file")
    id_column = table.columns[0]
    require_columns(table, [*CREMAD_VOTE_CODES, "fileName"], str(path),
                    "the CREMA-D tabulatedVotes.csv columns")
    table = table.copy()
    table["__row"] = _row_numbers(table, str(path))
    table = table[table[id_column].str[:1] == CREMAD_MODALITIES[modality]]
    if table.empty:
        raise EmoevalError(f"{path}: no clip ids start with {CREMAD_MODALITIES[modality]} "
                           f"({modality}); is this CREMA-D's tabulatedVotes.csv?")
    parts = table["fileName"].str.extract("^" + PATTERN.pattern + "$")
    named = parts[0].notna().to_numpy()
    invalid = [_mark(table, ~named, "fileName does not follow AAAA_SSS_EEE_LL",
                     ["fileName"])]
    categories = [EMOTIONS[CREMAD_VOTE_CODES[letter]] for letter in CREMAD_VOTE_CODES]
    frame = pd.DataFrame({
        "file_name": table["fileName"].to_numpy(),
        "clip_id": table[id_column].to_numpy(),
        "actor": parts[0].fillna("").to_numpy(),
        "sentence": parts[1].fillna("").to_numpy(),
        "intended_label": parts[2].map(EMOTIONS).fillna("").to_numpy(),
        "intended_level": parts[3].map(INTENSITY).fillna("").to_numpy(),
        "__row": table["__row"].to_numpy()})
    for letter, category in zip(CREMAD_VOTE_CODES, categories):
        frame[category] = table[letter].to_numpy()
    frame = frame.reset_index(drop=True)
    # rows with an unreadable fileName are already recorded; keep them out of the items
    frame = frame[named].reset_index(drop=True)
    scale = Scale("nominal", tuple(categories))
    result = _counts_table(frame, source=f"{CREMAD_SHORTCUT}:{path}", item_columns=["file_name"],
                           count_columns=categories, scale=scale,
                           metadata_columns=["clip_id", "actor", "sentence", "intended_label",
                                             "intended_level"],
                           intended_column="intended_label",
                           group_column=group_column or "file_name",
                           invalid=invalid, modality=modality)
    result.count_columns = list(CREMAD_VOTE_CODES)
    # an actor's clips are not independent (one voice, one face): intervals resample actors
    result.auto_units = {"actor": "actor"}
    return result


def is_cremad_spec(spec: str) -> bool:
    return re.match(rf"^{CREMAD_SHORTCUT}:", spec or "") is not None
