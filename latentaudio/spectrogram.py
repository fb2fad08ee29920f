"""The spectrogram definition: the single source of truth for sample rate, FFT, hop and mel bins.

Every component of a latentaudio pipeline reads its audio geometry from one
:class:`MelSpectrogram`. The VAE, the vocoder, the datasets and the pipelines are
checked against it with :func:`check_compatible`, so a vocoder trained at another hop
length or a VAE built for another number of mel bins fails at load time with a
``ValueError`` that names both values instead of producing noise.

The defaults follow the AudioLDM convention (16 kHz, ``n_fft`` 1024, hop 160, 64 Slaney
mel bins from 0 to 8 kHz, natural-log magnitude clamped at 1e-5), so components stay
interchangeable with that ecosystem.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torchaudio
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin

# The settings a vocoder or dataset must share with the spectrogram to be usable with it.
GEOMETRY_KEYS = ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "f_min", "f_max")


class MelSpectrogram(ModelMixin, ConfigMixin):
    r"""Waveform to normalised log-mel spectrogram, and the settings every component shares.

    The output is ``(log(max(mel, log_floor)) - norm_mean) / norm_std`` where ``mel`` is the
    ``power``-th power of the STFT magnitude projected on ``n_mels`` mel filters.

    Args:
        sample_rate (`int`, defaults to 16000): Sample rate of the audio, in Hz.
        n_fft (`int`, defaults to 1024): FFT size.
        win_length (`int`, *optional*): Window length; defaults to ``n_fft``.
        hop_length (`int`, defaults to 160): Samples between frames; one mel frame per hop.
        window (`str`, defaults to ``"hann"``): ``"hann"`` or ``"hamming"``.
        n_mels (`int`, defaults to 64): Number of mel bins.
        f_min (`float`, defaults to 0.0): Lowest mel filter edge, in Hz.
        f_max (`float`, *optional*): Highest mel filter edge, in Hz; defaults to ``sample_rate / 2``.
        mel_scale (`str`, defaults to ``"slaney"``): ``"slaney"`` or ``"htk"``.
        power (`float`, defaults to 1.0): Exponent of the magnitude (1 = magnitude, 2 = power).
        log_floor (`float`, defaults to 1e-5): Clamp before the log, sets the silence level.
        norm_mean (`float`, defaults to 0.0): Subtracted from the log-mel.
        norm_std (`float`, defaults to 1.0): Divides the log-mel after the mean is removed.
    """

    config_name = "config.json"
    # The STFT and filterbank run in float32 (see forward), so they stay float32 when a pipeline
    # loads in half precision (from_pretrained(..., torch_dtype=torch.bfloat16)).
    _keep_in_fp32_modules = ["transform"]

    @register_to_config
    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        win_length: Optional[int] = None,
        hop_length: int = 160,
        window: str = "hann",
        n_mels: int = 64,
        f_min: float = 0.0,
        f_max: Optional[float] = 8000.0,
        mel_scale: str = "slaney",
        power: float = 1.0,
        log_floor: float = 1e-5,
        norm_mean: float = 0.0,
        norm_std: float = 1.0,
    ):
        super().__init__()
        win_length = win_length or n_fft
        f_max = f_max if f_max is not None else sample_rate / 2
        _require(sample_rate > 0, "sample_rate", sample_rate, "a positive integer")
        _require(0 < hop_length <= win_length <= n_fft, "hop_length/win_length", (hop_length, win_length),
                 f"0 < hop_length <= win_length <= n_fft={n_fft}")
        _require(n_mels > 0, "n_mels", n_mels, "a positive integer")
        _require(0 <= f_min < f_max <= sample_rate / 2, "f_min/f_max", (f_min, f_max),
                 f"0 <= f_min < f_max <= sample_rate / 2 = {sample_rate / 2}")
        _require(window in _WINDOWS, "window", window, f"one of {sorted(_WINDOWS)}")
        _require(mel_scale in ("slaney", "htk"), "mel_scale", mel_scale, "'slaney' or 'htk'")
        _require(log_floor > 0, "log_floor", log_floor, "a positive number")
        _require(norm_std > 0, "norm_std", norm_std, "a positive number")
        self.register_to_config(win_length=win_length, f_max=float(f_max))
        # The window and filterbank are saved with the model, so a folder records exactly what it used.
        self.transform = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=n_fft,
            win_length=win_length,
            hop_length=hop_length,
            f_min=f_min,
            f_max=f_max,
            n_mels=n_mels,
            window_fn=_WINDOWS[window],
            power=power,
            center=True,
            pad_mode="reflect",
            norm="slaney" if mel_scale == "slaney" else None,
            mel_scale=mel_scale,
        )

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    @property
    def n_mels(self) -> int:
        return self.config.n_mels

    @property
    def silence_level(self) -> float:
        """The normalised value of a silent bin."""
        return (math.log(self.config.log_floor) - self.config.norm_mean) / self.config.norm_std

    @property
    def min_samples(self) -> int:
        """The shortest waveform the transform takes: the centred STFT reflects n_fft // 2 samples at each end."""
        return self.config.n_fft // 2 + 1

    def num_frames(self, num_samples: int) -> int:
        """Frames the transform yields for ``num_samples`` samples (centred STFT)."""
        return num_samples // self.config.hop_length + 1

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """Compute the normalised log-mel spectrogram.

        Args:
            waveform (`torch.Tensor`): Mono audio of shape (B, L) or (L,), at ``sample_rate``.

        Returns:
            `torch.Tensor`: Log-mel of shape (B, n_mels, T) (or (n_mels, T)), T = L // hop + 1.
        """
        if not torch.is_floating_point(waveform):
            raise TypeError(f"waveform must be a floating point tensor, got {waveform.dtype}")
        if waveform.shape[-1] < self.min_samples:
            raise ValueError(
                f"waveform has {waveform.shape[-1]} samples; the spectrogram needs at least {self.min_samples} "
                f"(n_fft={self.config.n_fft}): pad short audio first."
            )
        # The STFT runs in float32: half precision FFTs are unsupported on CPU and lossy elsewhere.
        mel = self.transform(waveform.float())
        return self.normalize(torch.log(mel.clamp(min=self.config.log_floor)))

    def normalize(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.config.norm_mean) / self.config.norm_std

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalize`: back to natural-log mel magnitudes."""
        return mel * self.config.norm_std + self.config.norm_mean

    def geometry(self) -> dict:
        """The settings a vocoder or dataset must share with this spectrogram."""
        return {key: self.config[key] for key in GEOMETRY_KEYS}


_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window}


def _require(condition: bool, name: str, value, expected: str) -> None:
    if not condition:
        raise ValueError(f"Invalid spectrogram setting {name}={value!r}: expected {expected}.")


def vae_compression(vae) -> int:
    """Time and frequency downsampling factor of a diffusers ``AutoencoderKL``."""
    return 2 ** (len(vae.config.block_out_channels) - 1)


def check_compatible(spectrogram: MelSpectrogram, vae=None, vocoder=None) -> None:
    """Raise ``ValueError`` naming both values when a component disagrees with the spectrogram.

    Args:
        spectrogram (`MelSpectrogram`): The reference settings.
        vae (`AutoencoderKL`, *optional*): Must take and return 1-channel mel images whose
            mel axis is divisible by its compression factor.
        vocoder (*optional*): Any module whose config has ``sampling_rate``, ``num_mels`` and
            ``hop_length`` (see :mod:`vocoder`); all three must match, and so must every setting
            its ``spectrogram_settings`` (if it has that property) names.
    """
    if vae is not None:
        for key in ("in_channels", "out_channels"):
            if vae.config[key] != 1:
                raise ValueError(f"The VAE has {key}={vae.config[key]}, but mel images have 1 channel.")
        factor = vae_compression(vae)
        if spectrogram.n_mels % factor:
            raise ValueError(
                f"The spectrogram has n_mels={spectrogram.n_mels}, which the VAE's compression factor "
                f"{factor} does not divide; use a multiple of {factor} mel bins."
            )
    if vocoder is not None:
        expected = {
            "sampling_rate": spectrogram.config.sample_rate,
            "num_mels": spectrogram.config.n_mels,
            "hop_length": spectrogram.config.hop_length,
        }
        # A vocoder that inverts the mel itself (Griffin-Lim, a Vocos magnitude prior) names the rest it assumes.
        settings = getattr(vocoder, "spectrogram_settings", {})
        expected.update({key: spectrogram.config[key] for key in settings})
        for key, value in expected.items():
            if key == "hop_length":
                actual = getattr(vocoder, key, None)
            else:
                actual = settings.get(key, vocoder.config.get(key))
            if actual != value:
                raise ValueError(
                    f"The vocoder has {key}={actual}, but the spectrogram has {value}; "
                    "they must match (retrain the vocoder or fix the spectrogram config)."
                )
