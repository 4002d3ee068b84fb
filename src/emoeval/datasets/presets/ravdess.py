"""``ravdess:<dir>`` - RAVDESS audio, ``MM-VV-EE-II-SS-RR-AA.wav``.

MM modality (03 audio-only), VV vocal channel (01 speech, 02 song), EE emotion, II intensity
(01 normal, 02 strong), SS statement, RR repetition, AA actor (odd male, even female).
Only speech is read unless ``include_song`` is set on the instance; song files are listed
in ``self.excluded``, not in ``self.skipped``.
Metadata: speaker (actor, two digits), gender, language "en", intensity, statement,
repetition, vocal_channel.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..files import EXCLUDED, FileNamePreset

EMOTIONS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
            "06": "fearful", "07": "disgust", "08": "surprised"}
INTENSITY = {"01": "normal", "02": "strong"}
CHANNEL = {"01": "speech", "02": "song"}
PATTERN = re.compile(r"\d\d-(0[12])-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)")


class RavdessDataset(FileNamePreset):
    name = "ravdess"
    naming = "03-01-EE-II-SS-RR-AA.wav (RAVDESS)"
    language = "en"
    include_song = False

    def parse(self, path: Path, root: Path):
        m = PATTERN.fullmatch(path.stem)
        if not m:
            return None
        channel, emotion, intensity, statement, repetition, actor = m.groups()
        if channel == "02" and not self.include_song:
            return EXCLUDED
        return EMOTIONS[emotion], {
            "speaker": actor, "gender": "male" if int(actor) % 2 else "female",
            "intensity": INTENSITY[intensity], "statement": statement,
            "repetition": repetition, "vocal_channel": CHANNEL[channel]}
