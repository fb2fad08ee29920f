"""Vocoders: normalised log-mel spectrogram (B, num_mels, T) to waveform (B, T * hop_length).

This package knows nothing of latentaudio; a vocoder is matched to a spectrogram through its
config keys ``sampling_rate`` and ``num_mels`` and its ``hop_length`` property, and a vocoder that
inverts the mel itself holds the spectrogram's whole :class:`MelSpectrogramConfig` as ``mel_config``.
Every class builds from a spectrogram's settings with ``from_mel_config``.

- :class:`HifiGanGenerator`: a HiFi-GAN generator, upsampling frames to samples with convolutions.
- :class:`VocosGenerator`: a Vocos-style generator, predicting STFT frames for an inverse STFT;
  far cheaper per second of audio (the default model's vocoder).
- :class:`GriffinLimVocoder`: a training-free fallback with the same interface.
- :class:`SpeechT5HifiGanVocoder`: transformers' ``SpeechT5HifiGan`` (the AudioLDM family's vocoder)
  behind the same interface; it fixes only sample rate, mel bins and hop (``mel_settings``).
- :class:`MultiPeriodDiscriminator`, :class:`MultiScaleDiscriminator` and the losses: training only.
"""

from .discriminators import MultiPeriodDiscriminator, MultiScaleDiscriminator
from .griffinlim import GriffinLimVocoder
from .hifigan import HifiGanGenerator
from .losses import (
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    mel_l1_loss,
    multi_resolution_stft_distance,
)
from .mel import MelSpectrogramConfig
from .speecht5 import SpeechT5HifiGanVocoder
from .vocos import VocosGenerator


def load_vocoder(path, **kwargs):
    """Load a saved vocoder of any class in this package from its folder (``config.json`` names the class).

    Args:
        path: A vocoder folder, or a pipeline folder holding one in ``vocoder/``.
        **kwargs: Passed to ``from_pretrained`` (e.g. ``torch_dtype``).
    """
    import json
    from pathlib import Path

    folder = Path(path)
    if (folder / "model_index.json").is_file():
        folder = folder / "vocoder"
    config = folder / "config.json"
    if not config.is_file():
        raise FileNotFoundError(f"No vocoder config.json in {folder}")
    name = json.loads(config.read_text()).get("_class_name")
    classes = {cls.__name__: cls for cls in (HifiGanGenerator, VocosGenerator, GriffinLimVocoder)}
    if name not in classes:
        raise ValueError(f"{config} names the class {name!r}; expected one of {', '.join(classes)}.")
    return classes[name].from_pretrained(folder, **kwargs)

__all__ = [
    "HifiGanGenerator",
    "VocosGenerator",
    "GriffinLimVocoder",
    "SpeechT5HifiGanVocoder",
    "load_vocoder",
    "MelSpectrogramConfig",
    "MultiPeriodDiscriminator",
    "MultiScaleDiscriminator",
    "discriminator_loss",
    "generator_adversarial_loss",
    "feature_matching_loss",
    "mel_l1_loss",
    "multi_resolution_stft_distance",
]
