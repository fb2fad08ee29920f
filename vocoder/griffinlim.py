"""Griffin-Lim vocoder: a training-free fallback with the same interface as the HiFi-GAN generator.

Inverting a normalised log-mel takes three steps: undo the normalisation and the log, map the
mel bins back to linear-frequency bins, and estimate the phase with fast Griffin-Lim
(Perraudin et al., "A fast Griffin-Lim algorithm", WASPAA 2013, as in torchaudio).

The mel-to-linear step is a non-negative least-squares fit: it starts from the Moore-Penrose
pseudo-inverse of the mel filterbank with negatives clipped to zero (what torchaudio's
``InverseMelScale`` computes by ``lstsq`` at every call), then refines it with ``nnls_iter``
multiplicative updates (Lee & Seung, "Algorithms for non-negative matrix factorization",
NIPS 2001, with the basis fixed). The refinement halves the log-mel error of quiet bins,
where the clipped pseudo-inverse is poor, at the cost of two small matrix products per step.

The filterbank is a persistent buffer, so ``save_pretrained`` has weights to write and
``from_pretrained`` finds a weights file (diffusers refuses a folder without one). The vocoder
has no parameters.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Optional

import torch
import torch.nn.functional as F
import torchaudio
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin

from .mel import MelSpectrogramConfig
from .shapes import check_mel


class GriffinLimVocoder(ModelMixin, ConfigMixin):
    r"""Normalised log-mel (B, num_mels, T) to waveform (B, T * hop_length) by Griffin-Lim.

    The mel settings are those of the spectrogram that made the mel: the vocoder holds them as one
    :class:`~vocoder.mel.MelSpectrogramConfig` (:attr:`mel_config`; build one from a spectrogram's with
    :meth:`from_mel_config`), whose ``sample_rate`` and ``n_mels`` are called ``sampling_rate`` and
    ``num_mels`` here, as in every vocoder config. The filterbank is the config's (torchaudio's).

    Args:
        sampling_rate (`int`, defaults to 16000): Sample rate, in Hz.
        n_fft (`int`, defaults to 1024): FFT size.
        win_length (`int`, *optional*): Window length; defaults to ``n_fft``.
        hop_length (`int`, defaults to 160): Samples per mel frame.
        num_mels (`int`, defaults to 64): Mel bins.
        f_min (`float`, defaults to 0.0): Lowest mel filter edge, in Hz.
        f_max (`float`, *optional*, defaults to 8000.0): Highest edge; ``None`` means ``sampling_rate / 2``.
        mel_scale (`str`, defaults to ``"slaney"``): ``"slaney"`` or ``"htk"``.
        power (`float`, defaults to 1.0): Exponent of the STFT magnitude inside the mel.
        log_floor (`float`, defaults to 1e-5): Clamp before the log; bins at the floor become silence.
        norm_mean (`float`, defaults to 0.0): Mean removed from the log-mel.
        norm_std (`float`, defaults to 1.0): Scale dividing the log-mel.
        n_iter (`int`, defaults to 32): Griffin-Lim iterations (quality against speed).
        nnls_iter (`int`, defaults to 50): Refinement steps of the mel-to-linear inverse; 0 keeps
            the clipped pseudo-inverse.
        window (`str`, defaults to ``"hann"``): ``"hann"`` or ``"hamming"``, as in the spectrogram.
        momentum (`float`, defaults to 0.99): Fast Griffin-Lim momentum; 0 gives the original algorithm.
    """

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        sampling_rate: int = 16000,
        n_fft: int = 1024,
        win_length: Optional[int] = None,
        hop_length: int = 160,
        num_mels: int = 64,
        f_min: float = 0.0,
        f_max: Optional[float] = 8000.0,
        mel_scale: str = "slaney",
        power: float = 1.0,
        log_floor: float = 1e-5,
        norm_mean: float = 0.0,
        norm_std: float = 1.0,
        n_iter: int = 32,
        nnls_iter: int = 50,
        window: str = "hann",
        momentum: float = 0.99,
    ):
        super().__init__()
        self.mel_config = MelSpectrogramConfig(
            sample_rate=sampling_rate, n_fft=n_fft, win_length=win_length, hop_length=hop_length, window=window,
            n_mels=num_mels, f_min=f_min, f_max=f_max, mel_scale=mel_scale, power=power, log_floor=log_floor,
            norm_mean=norm_mean, norm_std=norm_std,
        )
        self.register_to_config(win_length=self.mel_config.win_length, f_max=self.mel_config.f_max)
        filterbank = self.mel_config.filterbank()  # (F, num_mels) with F = n_fft / 2 + 1; mel = filterbank.T @ spectrogram
        self.register_buffer("filterbank", filterbank)
        # float64: the filterbank is badly conditioned where filters barely overlap.
        pseudo_inverse = torch.linalg.pinv(filterbank.T.double()).float()  # (F, num_mels)
        self.register_buffer("pseudo_inverse", pseudo_inverse, persistent=False)
        self.register_buffer("window_tensor", self.mel_config.window_tensor(), persistent=False)

    @classmethod
    def from_mel_config(cls, mel_config: MelSpectrogramConfig, **kwargs) -> "GriffinLimVocoder":
        """A vocoder that inverts exactly the spectrogram ``mel_config`` describes; ``kwargs`` set the iterations."""
        return cls(**mel_config.vocoder_kwargs(), **kwargs)

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Invert a normalised log-mel spectrogram.

        Args:
            mel (`torch.Tensor`): Shape (B, num_mels, T) or (num_mels, T).

        Returns:
            `torch.Tensor`: float32 waveform clipped to [-1, 1], of shape (B, T * hop_length) (or
            (T * hop_length,)).
        """
        config = self.config
        check_mel(mel, config.num_mels)
        linear = self.linear_spectrogram(mel)  # (B, F, T): |STFT| ** power
        # A centred STFT of `frames * hop` samples has `frames + 1` frames, so the last frame is
        # repeated once; more for very short inputs, since the STFT reflects n_fft / 2 samples.
        num_frames = mel.shape[-1]
        frames = max(num_frames, config.n_fft // (2 * config.hop_length) + 1)
        linear = F.pad(linear, (0, frames + 1 - num_frames), mode="replicate")
        audio = torchaudio.functional.griffinlim(
            linear, self.window_tensor.float(), config.n_fft, config.hop_length, config.win_length, config.power,
            config.n_iter, config.momentum, length=frames * config.hop_length, rand_init=False,
        )  # zero-phase start (rand_init=False): deterministic, and as good as a random one here
        return audio[..., : num_frames * config.hop_length].clamp(-1.0, 1.0)

    @property
    def spectrogram_settings(self) -> dict:
        """:attr:`mel_config` as a dict of ``MelSpectrogram`` config keys: the spectrogram this inversion assumes."""
        return asdict(self.mel_config)

    def linear_spectrogram(self, mel: torch.Tensor) -> torch.Tensor:
        """The linear-frequency spectrogram ``|STFT| ** power`` (..., n_fft / 2 + 1, T) that a normalised
        log-mel (..., num_mels, T) summarises: the normalisation and log undone, then :meth:`mel_to_linear`."""
        # Everything runs in float32 whatever the module's dtype: half precision FFTs are
        # unsupported on CPU, and a half precision filterbank would lose the quiet bins.
        log_mel = self.mel_config.denormalize(mel.float())
        # Bins at the floor were silent (or quieter): make them exactly 0. The margin absorbs float error.
        mel_power = torch.exp(log_mel) * (log_mel > math.log(self.mel_config.log_floor) + 1e-3)
        return self.mel_to_linear(mel_power)

    def mel_to_linear(self, mel_power: torch.Tensor) -> torch.Tensor:
        """Non-negative least-squares inverse of the filterbank (see the module docstring).

        Args:
            mel_power (`torch.Tensor`): float32 mel magnitudes (not logs) of shape (..., num_mels, T).

        Returns:
            `torch.Tensor`: Linear-frequency magnitudes of shape (..., n_fft / 2 + 1, T), all >= 0.
        """
        filterbank = self.filterbank.float()  # (F, num_mels); mel = filterbank.T @ linear
        # A small positive start: multiplicative updates can never move an entry away from 0.
        linear = (self.pseudo_inverse.float() @ mel_power).clamp(min=1e-10)
        numerator = filterbank @ mel_power  # (..., F, T)
        for _ in range(self.config.nnls_iter):
            linear = linear * numerator / (filterbank @ (filterbank.T @ linear)).clamp(min=1e-12)
        return linear
