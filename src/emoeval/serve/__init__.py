"""``emoeval serve``: any emoeval model (or the sham) behind the similarity endpoint contract.

``POST /v1/similarity`` takes ``{"text", "audio_filename", "audio_base64"}`` (or
``"audio_stem"`` instead of the audio, read from ``--data-dir``) and answers
``{"similarity": x}`` (CLAP models, the sham) or ``{"score": p}`` (classifiers: the
probability of the emotion the text names). ``GET /health`` reports the model and batching.
See :func:`emoeval.serve.app.create_app`.
"""

from .app import create_app

__all__ = ["create_app"]
