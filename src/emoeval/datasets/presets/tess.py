"""``tess:<dir>`` - Toronto Emotional Speech Set, ``OAF_word_emotion.wav`` / ``YAF_...``.

Speaker OAF (older) or YAF (younger talker), both female; emotion suffix angry, disgust,
fear, happy, neutral, sad, or ps = "pleasant surprise". Only the file name is parsed (folder
names such as ``OAF_Pleasant_surprise`` vary between copies).
Metadata: speaker, gender "female", language "en", word.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..files import FileNamePreset

EMOTIONS = {"angry": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
            "neutral": "neutral", "sad": "sad", "ps": "pleasant surprise"}
PATTERN = re.compile(r"(OAF|YAF)_(.+)_(angry|disgust|fear|happy|neutral|sad|ps)",
                     re.IGNORECASE)


class TessDataset(FileNamePreset):
    name = "tess"
    naming = "OAF_word_emotion.wav / YAF_word_emotion.wav (TESS, e.g. OAF_back_ps.wav)"
    language = "en"

    def parse(self, path: Path, root: Path):
        m = PATTERN.fullmatch(path.stem)
        if not m:
            return None
        speaker, word, emotion = m.groups()
        return EMOTIONS[emotion.lower()], {"speaker": speaker.upper(), "gender": "female",
                                           "word": word}
