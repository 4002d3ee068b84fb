"""emolia-bench's sham scorer: a deterministic similarity in [-1, 1] that ignores the audio.

``sha256(b"clap-sham-v1" + stem + b"|" + text)`` (stem and text UTF-8 encoded), first 8 bytes
read as a big-endian unsigned integer, divided by 2**64, times 2, minus 1. The same function
serves ``emoeval similarity --sham`` and ``emoeval serve --sham``, so both give the seed tool's
scores item for item.
"""

from __future__ import annotations

import hashlib

SHAM_SEED = b"clap-sham-v1"


def sham_similarity(audio_stem: str, text: str) -> float:
    """The sham score of one (audio stem, prompt) pair."""
    digest = hashlib.sha256(SHAM_SEED + audio_stem.encode("utf-8") + b"|"
                            + text.encode("utf-8")).digest()
    return float(2.0 * (int.from_bytes(digest[:8], "big") / (2 ** 64)) - 1.0)
