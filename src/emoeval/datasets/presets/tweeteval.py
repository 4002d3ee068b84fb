"""``tweeteval:<dir>`` - a TweetEval task folder (e.g. ``emotion``).

``{split}_text.txt`` holds one tweet a line, ``{split}_labels.txt`` the label id on the same
line and ``mapping.txt`` the names (``0<TAB>anger``). Splits are train/val/test, whichever have
both files. Without ``--split``: test if present, else val, else train. Ids are
``<split>-<line number>`` (1-based). Metadata: language "en".
"""

from __future__ import annotations

from pathlib import Path

from ...errors import EmoevalError
from ..base import Dataset, Row
from ..files import choose_split, require_dir

SPLITS = ("train", "val", "test")
EXPECTED = "{split}_text.txt, {split}_labels.txt and mapping.txt (TweetEval layout)"


def read_lines(path: Path) -> list[str]:
    """Lines split on newline only: tweets may hold other Unicode line separators."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line, it does not start a new one
    return [line.removesuffix("\r") for line in lines]


class TweetEvalDataset(Dataset):
    name = "tweeteval"
    default_split = None  # resolved in load_rows: test > val > train

    def _root(self) -> Path:
        return require_dir(self.argument, self.name, EXPECTED)

    def splits(self) -> list[str]:
        root = self._root()
        return [s for s in SPLITS
                if (root / f"{s}_text.txt").is_file() and (root / f"{s}_labels.txt").is_file()]

    def _mapping(self, root: Path) -> dict[str, str]:
        path = root / "mapping.txt"
        if not path.is_file():
            raise EmoevalError(f"{self.name}: {path} not found; expected {EXPECTED}")
        mapping = {}
        for number, line in enumerate(read_lines(path), 1):
            if not line.strip():
                continue
            key, sep, name = line.strip().partition("\t")
            if not sep or not name.strip():
                raise EmoevalError(f"{path} line {number}: expected '<id><TAB><label name>'")
            mapping[key.strip()] = name.strip()
        return mapping

    def load_rows(self, split: str | None) -> list[Row]:
        root = self._root()
        split = choose_split(f"{self.name}:{self.argument}", split, self.splits(),
                             f"{EXPECTED} in {root}")
        mapping = self._mapping(root)
        texts = read_lines(root / f"{split}_text.txt")
        labels = read_lines(root / f"{split}_labels.txt")
        if len(texts) != len(labels):
            raise EmoevalError(f"{self.name}: {split}_text.txt has {len(texts)} lines but "
                               f"{split}_labels.txt has {len(labels)}; they must match line "
                               "for line")
        rows = []
        for number, (text, label_id) in enumerate(zip(texts, labels), 1):
            label_id = label_id.strip()
            if label_id not in mapping:
                raise EmoevalError(f"{self.name}: {split}_labels.txt line {number}: label id "
                                   f"{label_id!r} is not in mapping.txt "
                                   f"({', '.join(mapping)})")
            rows.append(Row(id=f"{split}-{number}", label=mapping[label_id], text=text,
                            split=split, metadata={"language": "en"}))
        return rows
