"""``urdu:<dir>`` - URDU-Dataset: folders Angry/Happy/Neutral/Sad of ``S{G}{X}_F{nn}_{E}{yy}.wav``.

The label is the emotion folder's name lower-cased (angry, happy, neutral, sad); a file
outside such a folder takes it from E (A, H, N, S). G is the speaker's gender (M/F), and
speaker = G + X (e.g. "M1", as in the corpus' labels). Metadata: speaker, gender, language
"ur".
"""

from __future__ import annotations

import re
from pathlib import Path

from ..files import FileNamePreset

EMOTIONS = {"A": "angry", "H": "happy", "N": "neutral", "S": "sad"}
FOLDERS = {e.lower() for e in EMOTIONS.values()}
GENDERS = {"M": "male", "F": "female"}
PATTERN = re.compile(r"S([MF])(\d+)_F\d+_([AHNS])\d+")


class UrduDataset(FileNamePreset):
    name = "urdu"
    naming = "<Emotion>/S{G}{X}_F{nn}_{E}{yy}.wav (URDU-Dataset, e.g. Angry/SM1_F10_A010.wav)"
    language = "ur"

    def parse(self, path: Path, root: Path):
        m = PATTERN.fullmatch(path.stem)
        if not m:
            return None
        gender, number, letter = m.groups()
        folders = [f.lower() for f in path.relative_to(root).parts[:-1]]
        label = next((f for f in reversed(folders) if f in FOLDERS), EMOTIONS[letter])
        return label, {"speaker": gender + number, "gender": GENDERS[gender]}
