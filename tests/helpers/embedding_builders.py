"""A tiny sentence-transformers model (BERT -> mean pooling -> normalise) built locally, for
the embedding runtimes' tests (importable as ``embedding_builders``; pytest's `pythonpath`
holds this folder)."""

from __future__ import annotations

from pathlib import Path

from builders import build_text_classifier


def build_tiny_sentence_model(folder: Path, pooling: str = "mean") -> Path:
    """Tiny BERT weights (random, seeded) wrapped as a sentence-transformers model."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, \
        Transformer

    bert = build_text_classifier(folder / "bert", ["a", "b"], seed=1)
    torch.manual_seed(1)
    transformer = Transformer(str(bert), max_seq_length=32)
    pool = Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)
    model = SentenceTransformer(modules=[transformer, pool, Normalize()], device="cpu")
    model.save(str(folder / "st"))
    return folder / "st"
