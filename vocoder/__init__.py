"""Vocoders: normalised log-mel spectrogram (B, num_mels, T) to waveform (B, T * hop_length).

This package knows nothing of latentaudio; a vocoder is matched to a spectrogram through its
config keys ``sampling_rate`` and ``num_mels`` and its ``hop_length`` property.

- :class:`HifiGanGenerator`: the trained vocoder (released alone, as config + safetensors).
- :class:`GriffinLimVocoder`: a training-free fallback with the same interface.
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

__all__ = [
    "HifiGanGenerator",
    "GriffinLimVocoder",
    "MultiPeriodDiscriminator",
    "MultiScaleDiscriminator",
    "discriminator_loss",
    "generator_adversarial_loss",
    "feature_matching_loss",
    "mel_l1_loss",
    "multi_resolution_stft_distance",
]
