"""Decode audio files: soundfile to read, downmix to mono, soxr to resample.

Every failure raises SampleError with a message that names the file and the problem, so the
runner can record it per sample and go on.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import SampleError


def load_audio(path: str, target_rate: int | None) -> np.ndarray:
    """Mono float32 samples at ``target_rate`` (the file's own rate when None)."""
    import soundfile as sf

    if not os.path.exists(path):
        raise SampleError(f"missing audio file: {path}")
    if os.path.getsize(path) == 0:
        raise SampleError(f"empty audio file (0 bytes): {path}")
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, ...
        raise SampleError(f"unreadable audio file {path}: {exc}") from None
    if data.shape[0] == 0:
        raise SampleError(f"audio file has no samples: {path}")
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.all(np.isfinite(mono)):
        raise SampleError(f"audio file contains NaN or infinite samples: {path}")
    if target_rate and rate != target_rate:
        import soxr

        mono = soxr.resample(mono, rate, target_rate).astype(np.float32, copy=False)
    return np.ascontiguousarray(mono, dtype=np.float32)


def audio_duration(path: str) -> float | None:
    """Duration in seconds from the header alone (None when unreadable)."""
    import soundfile as sf

    try:
        info = sf.info(path)
        return info.frames / float(info.samplerate)
    except Exception:
        return None
