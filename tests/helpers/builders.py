"""Builders shared by tests: tiny transformers models saved to disk, audio files, and the
path to ../shared/data. Importable as ``builders`` (pytest's `pythonpath` holds this folder).

Nothing here touches the network: models are built from configs (random weights) and
loaded back through emoeval's real ``hf:`` path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """Path to a set in ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"../shared/data/{name} is not present")
    return path


def build_audio_classifier(folder: Path, labels: list[str], attention_mask: bool = True,
                           seed: int = 0) -> Path:
    """A tiny wav2vec2 sequence classifier with its feature extractor, saved to ``folder``.

    ``attention_mask=False`` gives the wav2vec2-base flavour (group norm, no mask), whose
    output changes under zero padding.
    """
    import torch
    from transformers import (Wav2Vec2Config, Wav2Vec2FeatureExtractor,
                              Wav2Vec2ForSequenceClassification)

    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16, 16, 16), conv_stride=(5, 4, 4), conv_kernel=(10, 4, 4),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        feat_extract_norm="layer" if attention_mask else "group",
        do_stable_layer_norm=attention_mask, classifier_proj_size=16,
        num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={l: i for i, l in enumerate(labels)})
    model = Wav2Vec2ForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                             do_normalize=True, return_attention_mask=attention_mask
                             ).save_pretrained(folder)
    return folder


def build_text_classifier(folder: Path, labels: list[str], seed: int = 0) -> Path:
    """A tiny BERT sequence classifier with a word-level vocabulary, saved to ``folder``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    torch.manual_seed(seed)
    words = ("i am so happy sad angry afraid scared furious glad today this is the a very "
             "not good bad day news what tired love hate cry smile").split()
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=64, num_labels=len(labels),
                        id2label=dict(enumerate(labels)),
                        label2id={l: i for i, l in enumerate(labels)})
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    return folder


def write_wav(path: Path, seconds: float = 0.5, rate: int = 16000, seed: int = 0,
              channels: int = 1) -> Path:
    import soundfile as sf

    rng = np.random.default_rng(seed)
    samples = (0.1 * rng.standard_normal((int(seconds * rate), channels))).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples if channels > 1 else samples[:, 0], rate)
    return path


