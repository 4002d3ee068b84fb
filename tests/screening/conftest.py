"""Tiny local models, one per screening status, and a small labelled tone dataset.

Every model is built from a config (random weights), saved, and screened through the real
``hf:`` path in a worker process; nothing touches the network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from builders import build_audio_classifier

EMOTIONS = ["angry", "happy", "neutral", "sad"]
RATE = 16000
TINY_WAV2VEC2 = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, conv_dim=(16, 16, 16), conv_stride=(5, 4, 4),
                     conv_kernel=(10, 4, 4), num_conv_pos_embeddings=16,
                     num_conv_pos_embedding_groups=2, feat_extract_norm="layer",
                     do_stable_layer_norm=True)


def tone(index: int, seconds: float = 0.3) -> np.ndarray:
    """A sine tone whose pitch depends on ``index``, with a little noise."""
    t = np.arange(int(RATE * seconds)) / RATE
    noise = 0.05 * np.random.default_rng(index).standard_normal(len(t))
    return (0.3 * np.sin(2 * np.pi * (150 + 90 * index) * t) + noise).astype(np.float32)


def save_feature_extractor(folder: Path) -> None:
    from transformers import Wav2Vec2FeatureExtractor

    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=RATE, padding_value=0.0,
                             do_normalize=True, return_attention_mask=True
                             ).save_pretrained(folder)


def fitted_classifier(folder: Path, clips: list[np.ndarray], labels: list[str]) -> Path:
    """Fit a tiny classifier's head to ``clips`` and their ``labels`` (least squares on the
    pooled features), so it predicts the probe tones right with a confidence that varies
    from clip to clip: a usable model must beat chance on the probe (issue 20), which a
    random head does not."""
    import torch
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    model = Wav2Vec2ForSequenceClassification.from_pretrained(folder).eval()
    extractor = Wav2Vec2FeatureExtractor.from_pretrained(folder)
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    with torch.no_grad():
        pooled = torch.stack([
            model.projector(model.wav2vec2(**extractor(c, sampling_rate=RATE,
                                                       return_tensors="pt")).last_hidden_state
                            ).mean(1)[0] for c in clips]).double()
        centred = pooled - pooled.mean(0)
        targets = torch.zeros(len(clips), len(names), dtype=torch.float64)
        for i, label in enumerate(labels):
            targets[i, names.index(label)] = 2.0 + 0.5 * (i % 5)  # confidence varies
        weight = torch.linalg.lstsq(centred, targets - targets.mean(0)).solution.T
        model.classifier.weight.copy_(weight.float())
        model.classifier.bias.copy_((targets.mean(0) - weight @ pooled.mean(0)).float())
    model.save_pretrained(folder)
    return folder


def build_emotion_classifier(folder: Path, clips: list[np.ndarray]) -> Path:
    build_audio_classifier(folder, EMOTIONS, seed=0)
    return fitted_classifier(folder, clips, [EMOTIONS[i % 4] for i in range(len(clips))])


def build_forced_classifier(folder: Path, label: str = "neutral") -> Path:
    """A classifier whose bias makes one label win whatever the input."""
    import torch
    from transformers import Wav2Vec2ForSequenceClassification

    build_audio_classifier(folder, EMOTIONS, seed=1)
    model = Wav2Vec2ForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():
        model.classifier.bias[EMOTIONS.index(label)] = 50.0
    model.save_pretrained(folder)
    return folder


def build_ctc_model(folder: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    Wav2Vec2ForCTC(Wav2Vec2Config(vocab_size=12, **TINY_WAV2VEC2)).save_pretrained(folder)
    save_feature_extractor(folder)
    return folder


def build_base_model(folder: Path) -> Path:
    """A wav2vec2 body with no head, as microsoft/wavlm-base-plus is published."""
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    Wav2Vec2Model(Wav2Vec2Config(**TINY_WAV2VEC2)).save_pretrained(folder)
    save_feature_extractor(folder)
    return folder


def build_speechbrain_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hyperparams.yaml").write_text("sample_rate: 16000\nwav2vec2_hub: facebook/x\n")
    (folder / "label_encoder.txt").write_text("'neu' => 0\n'ang' => 1\n")
    return folder


@pytest.fixture(scope="session")
def tone_dataset(tmp_path_factory) -> Path:
    """16 tones (4 per label) in a CSV with speaker and language (en) columns."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("tones")
    lines = ["path,label,speaker,language"]
    for i in range(16):
        path = root / "clips" / f"t{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(i), RATE)
        lines.append(f"clips/t{i:02d}.wav,{EMOTIONS[i % 4]},s{i % 2},en")
    (root / "tones.csv").write_text("\n".join(lines) + "\n")
    return root / "tones.csv"


@pytest.fixture(scope="session")
def status_models(tmp_path_factory) -> dict[str, Path]:
    """One local model folder per status a local model can earn."""
    root = tmp_path_factory.mktemp("screening_models")
    clips = [tone(i) for i in range(16)]
    return {
        "emotion": build_emotion_classifier(root / "emotion", clips),
        "ctc": build_ctc_model(root / "ctc"),
        "base": build_base_model(root / "base"),
        "placeholder_labels": build_audio_classifier(root / "placeholder", ["LABEL_0",
                                                                             "LABEL_1"]),
        "forced": build_forced_classifier(root / "forced"),
        "speechbrain": build_speechbrain_folder(root / "speechbrain"),
    }

