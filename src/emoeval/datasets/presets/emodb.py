"""``emodb:<dir>`` - Berlin EmoDB, e.g. ``03a01Fa.wav``.

Characters 1-2 speaker, 3-5 text code, 6 emotion (W anger, L boredom, E disgust, A fear,
F happiness, T sadness, N neutral), the rest the version letter.
Metadata: speaker, gender (from the corpus' speaker table), language "de", text_code, version.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..files import FileNamePreset

EMOTIONS = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness",
            "T": "sadness", "N": "neutral"}
GENDERS = {"03": "male", "08": "female", "09": "female", "10": "male", "11": "male",
           "12": "male", "13": "female", "14": "female", "15": "male", "16": "female"}
PATTERN = re.compile(r"(\d\d)([a-z]\d\d)([WLEAFTN])([a-z]*)")


class EmoDBDataset(FileNamePreset):
    name = "emodb"
    naming = "SSTTTEv.wav (EmoDB: speaker, text code, emotion letter, version; e.g. 03a01Fa.wav)"
    language = "de"

    def parse(self, path: Path, root: Path):
        m = PATTERN.fullmatch(path.stem)
        if not m:
            return None
        speaker, text_code, emotion, version = m.groups()
        metadata = {"speaker": speaker, "text_code": text_code, "version": version}
        if speaker in GENDERS:
            metadata["gender"] = GENDERS[speaker]
        return EMOTIONS[emotion], metadata
