"""``emobank:<dir>`` - EmoBank (JULIELab/EmoBank): 10,062 English sentences rated for
valence, arousal and dominance on 1-5.

``emobank.csv`` gives id, split (train/dev/test), V, A, D and text; ``reader.csv`` and
``writer.csv`` the per-perspective means. ``--label-group`` (the perspective) picks the
targets: ``combined`` (default, ``emobank.csv``), ``reader`` or ``writer``; texts and splits
always come from ``emobank.csv``. Without ``--split`` the test split is read.

Each row carries ``targets = {"V": .., "A": .., "D": ..}``. The core still requires a label on
every row, so ``label`` is the constant string ``"dimensional"``: it marks the row as having
continuous targets and is not an emotion class. Metadata: language "en", perspective, and the
genre (``category``) from ``meta.tsv`` when present. The one sentence whose text is empty in
the release is kept with text "" (the runner records it as an error, it is not dropped).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...errors import EmoevalError
from ..base import DIMENSIONAL_LABEL, Dataset, Row
from ..files import choose_split, require_dir

DIMENSIONS = ("V", "A", "D")
PERSPECTIVES = {"combined": "emobank.csv", "reader": "reader.csv", "writer": "writer.csv"}
EXPECTED = "emobank.csv (id, split, V, A, D, text) and reader.csv / writer.csv (EmoBank layout)"


class EmoBankDataset(Dataset):
    name = "emobank"
    default_split = None  # resolved in load_rows: test > dev > train
    target_range = (1.0, 5.0)

    def _root(self) -> Path:
        return require_dir(self.argument, self.name, EXPECTED)

    @property
    def perspective(self) -> str:
        chosen = (self.options.label_group or "combined").lower()
        if chosen not in PERSPECTIVES:
            raise EmoevalError(f"emobank: unknown perspective {chosen!r}; use --label-group "
                               f"{' | '.join(PERSPECTIVES)}")
        return chosen

    def _read(self, name: str) -> pd.DataFrame:
        path = self._root() / name
        if not path.is_file():
            raise EmoevalError(f"emobank: {path} not found; expected {EXPECTED}")
        frame = pd.read_csv(path, dtype={"id": str}, keep_default_na=False, na_values=[""])
        needed = ["id", *DIMENSIONS] + (["split", "text"] if name == "emobank.csv" else [])
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise EmoevalError(f"emobank: {path} lacks columns {', '.join(missing)}; "
                               f"expected {EXPECTED}")
        return frame

    def splits(self) -> list[str]:
        return sorted(self._read("emobank.csv")["split"].dropna().astype(str).unique())

    def load_rows(self, split: str | None) -> list[Row]:
        corpus = self._read("emobank.csv")
        split = choose_split(f"{self.name}:{self.argument}", split,
                             sorted(corpus["split"].dropna().astype(str).unique()),
                             EXPECTED)
        corpus = corpus[corpus["split"].astype(str) == split]
        perspective = self.perspective
        if perspective == "combined":
            targets = corpus[["id", *DIMENSIONS]]
        else:
            targets = self._read(PERSPECTIVES[perspective])[["id", *DIMENSIONS]]
        merged = corpus[["id", "split", "text"]].merge(targets, on="id", how="left")
        lacking = merged[merged[list(DIMENSIONS)].isna().any(axis=1)]["id"].tolist()
        if lacking:
            raise EmoevalError(f"emobank: {len(lacking)} {split} sentences have no "
                               f"{perspective} ratings (first: {lacking[0]}); check "
                               f"{PERSPECTIVES[perspective]}")
        genres = self._genres()
        rows = []
        for record in merged.itertuples(index=False):
            metadata = {"language": "en", "perspective": perspective}
            if record.id in genres:
                metadata["genre"] = genres[record.id]
            text = "" if pd.isna(record.text) else str(record.text)
            rows.append(Row(id=str(record.id), label=DIMENSIONAL_LABEL, text=text, split=split,
                            metadata=metadata,
                            targets={d: float(getattr(record, d)) for d in DIMENSIONS}))
        return rows

    def _genres(self) -> dict[str, str]:
        path = self._root() / "meta.tsv"
        if not path.is_file():
            return {}
        meta = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        if "id" not in meta.columns or "category" not in meta.columns:
            return {}
        return dict(zip(meta["id"], meta["category"].str.strip()))
