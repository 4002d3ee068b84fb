"""``demo:en`` - the small English text set shipped inside emoeval.

350 original sentences written for this project, 50 per class (neutral, happy, sad, angry,
fear, disgust, surprise); see ``emoeval/data/DEMO_DATA.md``. Meant for smoke tests and the
demo, not as a benchmark. Ids come from the file's ``id`` column; each row carries
``source_style`` (chat, review, diary, news, message) and ``language`` as metadata. No splits.
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files

from ..errors import EmoevalError
from .base import Dataset, Row

#: demo argument -> packaged file name under ``emoeval/data``
DEMO_FILES: dict[str, str] = {"en": "demo_en.csv"}


def demo_resource(argument: str):
    """The packaged demo CSV for ``argument`` (a Traversable)."""
    if argument not in DEMO_FILES:
        raise EmoevalError(f"unknown demo set {argument!r}; known: "
                           f"{', '.join('demo:' + k for k in DEMO_FILES)}")
    return files("emoeval") / "data" / DEMO_FILES[argument]


class DemoDataset(Dataset):
    name = "demo"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        demo_resource(self.argument)  # unknown argument fails at construction, not later

    def splits(self) -> list[str]:
        return []

    def load_rows(self, split: str | None) -> list[Row]:
        if split is not None:
            raise EmoevalError(f"demo:{self.argument} has no splits; drop --split "
                               f"(asked for {split!r})")
        resource = demo_resource(self.argument)
        try:
            text = resource.read_text(encoding="utf-8")
        except FileNotFoundError:  # pragma: no cover - broken installation
            raise EmoevalError(f"demo:{self.argument}: {DEMO_FILES[self.argument]} is missing "
                               "from the emoeval installation; reinstall emoeval") from None
        rows = []
        for record in csv.DictReader(io.StringIO(text)):
            rows.append(Row(
                id=record["id"],
                label=record["label"],
                text=record["text"],
                metadata={"source_style": record["source_style"],
                          "language": self.argument}))
        return rows
