"""``goemotions:<dir>`` - GoEmotions in its original layout (Demszky et al., 2020).

``{train,dev,test}.tsv`` without a header: the comment text, comma-separated label ids
(indices into ``labels.txt``, one name a line; 27 is neutral) and the Reddit comment id.
A row is multi-label: its label is the list of names. Ids are the comment ids (unique
across the three files). Without ``--split``: test. Metadata: language "en".

``--label-group ekman`` regroups the 28 labels into Ekman's six with
``ekman_mapping.json``, ``--label-group sentiment`` into positive / negative / ambiguous with
``sentiment_dict.json``. Neither file lists neutral, so neutral stays a group of its own;
a label missing from the mapping file is an error naming it. A row's groups are the union of
its labels' groups (``[amusement, joy]`` -> ``[joy]``), the rule the GoEmotions authors
used.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import EmoevalError
from ..base import Dataset, Row
from ..files import choose_split, require_dir

SPLITS = ("train", "dev", "test")
EXPECTED = "train.tsv / dev.tsv / test.tsv and labels.txt (GoEmotions layout)"
GROUP_FILES = {"ekman": "ekman_mapping.json", "sentiment": "sentiment_dict.json"}
NEUTRAL = "neutral"


class GoEmotionsDataset(Dataset):
    name = "goemotions"
    default_split = None  # resolved in load_rows: test > dev > train

    def _root(self) -> Path:
        return require_dir(self.argument, self.name, EXPECTED)

    def splits(self) -> list[str]:
        root = self._root()
        return [s for s in SPLITS if (root / f"{s}.tsv").is_file()]

    def label_names(self, root: Path) -> list[str]:
        path = root / "labels.txt"
        if not path.is_file():
            raise EmoevalError(f"{self.name}: {path} not found; expected {EXPECTED}")
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        return [n for n in names if n]

    def group_of(self, root: Path, names: list[str]) -> dict[str, str]:
        """Label name -> the name it is reported as (itself without --label-group)."""
        group = self.options.label_group
        if not group:
            return {n: n for n in names}
        if group not in GROUP_FILES:
            raise EmoevalError(f"{self.name}: --label-group {group!r} is not known; use "
                               f"{' or '.join(GROUP_FILES)}")
        path = root / GROUP_FILES[group]
        if not path.is_file():
            raise EmoevalError(f"{self.name}: --label-group {group} needs {path}")
        try:
            groups = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise EmoevalError(f"{path}: not valid JSON ({exc.msg})") from None
        mapping = {NEUTRAL: NEUTRAL}  # neither file lists neutral: it is its own group
        for group_name, members in groups.items():
            for member in members:
                mapping[str(member)] = str(group_name)
        missing = [n for n in names if n not in mapping]
        if missing:
            raise EmoevalError(f"{path} does not place {', '.join(missing)} in a group; add "
                               "them to the file")
        return mapping

    def load_rows(self, split: str | None) -> list[Row]:
        root = self._root()
        split = choose_split(f"{self.name}:{self.argument}", split, self.splits(),
                             f"{EXPECTED} in {root}")
        names = self.label_names(root)
        group_of = self.group_of(root, names)
        path = root / f"{split}.tsv"
        rows = []
        with open(path, encoding="utf-8", newline="") as f:
            # split on "\n" only: comments may hold other Unicode line separators
            lines = f.read().split("\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            fields = line.removesuffix("\r").split("\t")
            if len(fields) != 3:
                raise EmoevalError(f"{path} line {number}: expected 3 tab-separated fields "
                                   f"(text, label ids, comment id), found {len(fields)}")
            text, ids, comment_id = fields
            labels = []
            for label_id in ids.split(","):
                label_id = label_id.strip()
                if not label_id.isdigit() or int(label_id) >= len(names):
                    raise EmoevalError(f"{path} line {number}: label id {label_id!r} is not "
                                       f"an index into labels.txt (0-{len(names) - 1})")
                labels.append(group_of[names[int(label_id)]])
            rows.append(Row(id=comment_id.strip(), label=sorted(set(labels)), text=text,
                            split=split, metadata={"language": "en"}))
        return rows
