"""``savee:<dir>`` - SAVEE, ``DC/a01.wav`` (original layout) or ``DC_a01.wav`` (flat copies).

Speaker DC, JE, JK or KL (all male), from the file-name prefix or else the nearest folder
of that name. Emotion prefix: sa sadness, su surprise (two letters, checked first), a anger,
d disgust, f fear, h happiness, n neutral; then the sentence number.
Metadata: speaker, gender "male", language "en", sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..files import FileNamePreset

EMOTIONS = {"sa": "sadness", "su": "surprise", "a": "anger", "d": "disgust", "f": "fear",
            "h": "happiness", "n": "neutral"}
SPEAKERS = ("DC", "JE", "JK", "KL")
# alternation order matters: sa/su before a
PATTERN = re.compile(r"(?:(DC|JE|JK|KL)_)?(sa|su|a|d|f|h|n)(\d+)")


class SaveeDataset(FileNamePreset):
    name = "savee"
    naming = "<speaker>/<emotion><nn>.wav or <speaker>_<emotion><nn>.wav (SAVEE, e.g. DC/a01.wav)"
    language = "en"

    def parse(self, path: Path, root: Path):
        m = PATTERN.fullmatch(path.stem)
        if not m:
            return None
        speaker, emotion, sentence = m.groups()
        if speaker is None:
            folders = path.relative_to(root).parts[:-1]
            speaker = next((f for f in reversed(folders) if f in SPEAKERS), None)
        if speaker is None:  # without a speaker two files can share a name: not SAVEE layout
            return None
        return EMOTIONS[emotion], {"speaker": speaker, "gender": "male", "sentence": sentence}
