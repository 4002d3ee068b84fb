"""``crema-d:<dir>`` - CREMA-D audio, ``AAAA_SSS_EEE_LL.wav``.

AAAA actor (speaker), SSS sentence code, EEE emotion, LL intensity (LO, MD, HI, XX =
unspecified). Gender comes from ``VideoDemographics.csv`` (columns ActorID, Sex) when that
file is anywhere under ``dir``; otherwise rows have no gender.
Metadata: speaker, gender (if known), language "en", sentence, intensity.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ...errors import EmoevalError
from ..files import FileNamePreset

EMOTIONS = {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral",
            "SAD": "sad"}
INTENSITY = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
PATTERN = re.compile(r"(\d{4})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD)_(LO|MD|HI|XX)")


def read_genders(root: Path) -> dict[str, str]:
    """ActorID -> male/female from VideoDemographics.csv, or {} when there is none."""
    table = next(iter(sorted(root.rglob("VideoDemographics.csv"))), None)
    if table is None:
        return {}
    with open(table, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not {"ActorID", "Sex"} <= set(reader.fieldnames or []):
            raise EmoevalError(f"{table}: expected columns ActorID and Sex; found "
                               f"{', '.join(reader.fieldnames or [])}")
        return {r["ActorID"].strip(): r["Sex"].strip().lower() for r in reader}


class CremaDDataset(FileNamePreset):
    name = "crema-d"
    naming = "AAAA_SSS_EEE_LL.wav (CREMA-D, e.g. 1001_DFA_ANG_XX.wav)"
    language = "en"

    def prepare(self, root: Path) -> None:
        self.genders = read_genders(root)

    def parse(self, path: Path, root: Path):
        m = PATTERN.fullmatch(path.stem)
        if not m:
            return None
        actor, sentence, emotion, intensity = m.groups()
        metadata = {"speaker": actor, "sentence": sentence, "intensity": INTENSITY[intensity]}
        if actor in self.genders:
            metadata["gender"] = self.genders[actor]
        return EMOTIONS[emotion], metadata
