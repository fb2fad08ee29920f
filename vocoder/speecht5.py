"""transformers' ``SpeechT5HifiGan`` behind this package's vocoder interface.

The AudioLDM family's weights (AudioLDM, MusicLDM, AudioLDM2) ship this HiFi-GAN. It takes the
natural-log mel frames first, (B, T, num_mels), and standardises them itself with its stored
``mean``/``scale`` when ``normalize_before`` is set; every vocoder here takes (B, num_mels, T).
:class:`SpeechT5HifiGanVocoder` is the same model with the axes swapped at its input, so the
weights load unchanged from a diffusers folder's ``vocoder/`` and save back the transformers way.
"""

from __future__ import annotations

import math

import torch
# PreTrainedModel beside the class: diffusers finds a component's save/load methods among the base
# classes its module holds, so a saved pipeline reloads this vocoder the transformers way.
from transformers import PreTrainedModel, SpeechT5HifiGan  # noqa: F401

from .shapes import check_mel


class SpeechT5HifiGanVocoder(SpeechT5HifiGan):
    """``SpeechT5HifiGan`` mapping a log-mel (B, num_mels, T) to audio (B, T * hop_length).

    Its transformers config names the mel bins ``model_in_dim``; :attr:`mel_settings` reports the
    settings a spectrogram must share with it under the spectrogram's names.
    """

    @property
    def hop_length(self) -> int:
        """Output samples per input mel frame: the product of the upsample rates."""
        return math.prod(self.config.upsample_rates)

    @property
    def mel_settings(self) -> dict:
        """The spectrogram settings these weights fix: sample rate, mel bins and hop."""
        return {"sample_rate": self.config.sampling_rate, "n_mels": self.config.model_in_dim, "hop_length": self.hop_length}

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Synthesise audio from a natural-log mel spectrogram.

        Args:
            mel (`torch.Tensor`): Shape (B, num_mels, T) or (num_mels, T).

        Returns:
            `torch.Tensor`: Waveform of shape (B, T * hop_length) (or (T * hop_length,)).
        """
        check_mel(mel, self.config.model_in_dim)
        return super().forward(mel.transpose(-1, -2))
