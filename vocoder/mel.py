"""The mel spectrogram's settings: one record held by the spectrogram and by every vocoder that inverts it.

``latentaudio.spectrogram.MelSpectrogram`` computes a normalised log-mel from these settings; the
Griffin-Lim vocoder and a Vocos magnitude prior undo it from the same settings. Each holds one
:class:`MelSpectrogramConfig`, so whether a vocoder fits a spectrogram is a comparison of two
records (:meth:`MelSpectrogramConfig.mismatches`), and the window table and the filterbank have
one definition.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Mapping, Optional

import torch
import torchaudio

WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window}

# Vocoder configs call two of the settings by HiFi-GAN's names.
VOCODER_NAMES = {"sample_rate": "sampling_rate", "n_mels": "num_mels"}


@dataclass(frozen=True)
class MelSpectrogramConfig:
    """Settings of a normalised log-mel: ``(log(max(mel, log_floor)) - norm_mean) / norm_std``.

    ``mel`` is the ``power``-th power of a centred, reflect-padded STFT magnitude projected on
    ``n_mels`` mel filters. ``win_length`` and ``f_max`` are resolved on creation (``None`` means
    ``n_fft`` and ``sample_rate / 2``), so two configs for the same spectrogram compare equal.
    """

    sample_rate: int = 16000  # Hz
    n_fft: int = 1024
    win_length: Optional[int] = None  # None: n_fft
    hop_length: int = 160  # samples between frames: one mel frame per hop
    window: str = "hann"  # a key of WINDOWS
    n_mels: int = 64
    f_min: float = 0.0  # lowest mel filter edge, Hz
    f_max: Optional[float] = 8000.0  # highest mel filter edge, Hz; None: sample_rate / 2
    mel_scale: str = "slaney"  # "slaney" (with Slaney area normalisation) or "htk"
    power: float = 1.0  # exponent of the magnitude: 1 magnitude, 2 power
    log_floor: float = 1e-5  # clamp before the log: the level of silence
    norm_mean: float = 0.0  # subtracted from the log-mel
    norm_std: float = 1.0  # divides the log-mel after the mean is removed

    def __post_init__(self):
        win_length = self.win_length or self.n_fft
        f_max = float(self.f_max) if self.f_max is not None else self.sample_rate / 2
        object.__setattr__(self, "win_length", win_length)
        object.__setattr__(self, "f_max", f_max)
        _require(self.sample_rate > 0, "sample_rate", self.sample_rate, "a positive integer")
        _require(0 < self.hop_length <= win_length <= self.n_fft, "hop_length/win_length", (self.hop_length, win_length),
                 f"0 < hop_length <= win_length <= n_fft={self.n_fft}")
        _require(self.n_mels > 0, "n_mels", self.n_mels, "a positive integer")
        _require(0 <= self.f_min < f_max <= self.sample_rate / 2, "f_min/f_max", (self.f_min, f_max),
                 f"0 <= f_min < f_max <= sample_rate / 2 = {self.sample_rate / 2}")
        _require(self.window in WINDOWS, "window", self.window, f"one of {sorted(WINDOWS)}")
        _require(self.mel_scale in ("slaney", "htk"), "mel_scale", self.mel_scale, "'slaney' or 'htk'")
        _require(self.log_floor > 0, "log_floor", self.log_floor, "a positive number")
        _require(self.norm_std > 0, "norm_std", self.norm_std, "a positive number")

    @classmethod
    def from_vocoder_config(cls, config: Mapping) -> "MelSpectrogramConfig":
        """The settings a vocoder config names (``sampling_rate``/``num_mels`` for ``sample_rate``/``n_mels``)."""
        names = {VOCODER_NAMES.get(field.name, field.name): field.name for field in fields(cls)}
        return cls(**{names[key]: value for key, value in config.items() if key in names})

    def vocoder_kwargs(self) -> dict:
        """These settings under the names vocoder configs use."""
        return {VOCODER_NAMES.get(key, key): value for key, value in asdict(self).items()}

    def mismatches(self, settings: Mapping) -> list[tuple[str, object, object]]:
        """``(name, theirs, ours)`` for every setting in ``settings`` (spectrogram names) that differs from ours."""
        return [(key, value, getattr(self, key)) for key, value in settings.items() if value != getattr(self, key)]

    # ------------------------------------------------------------ framing
    @property
    def min_samples(self) -> int:
        """The shortest waveform the STFT takes: the centred STFT reflects n_fft // 2 samples at each end."""
        return self.n_fft // 2 + 1

    def num_frames(self, num_samples: int) -> int:
        """Frames the centred STFT yields for ``num_samples`` samples."""
        return num_samples // self.hop_length + 1

    # ---------------------------------------------------------- the values
    @property
    def silence_level(self) -> float:
        """The normalised value of a silent bin."""
        return (math.log(self.log_floor) - self.norm_mean) / self.norm_std

    def normalize(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.norm_mean) / self.norm_std

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalize`: back to natural-log mel magnitudes."""
        return mel * self.norm_std + self.norm_mean

    # ----------------------------------------------------------- transforms
    def window_tensor(self) -> torch.Tensor:
        """The STFT window (win_length,)."""
        return WINDOWS[self.window](self.win_length)

    def filterbank(self) -> torch.Tensor:
        """The mel filterbank (n_fft / 2 + 1, n_mels), built as ``torchaudio.transforms.MelSpectrogram`` builds it."""
        return torchaudio.functional.melscale_fbanks(
            self.n_fft // 2 + 1, self.f_min, self.f_max, self.n_mels, self.sample_rate,
            norm="slaney" if self.mel_scale == "slaney" else None, mel_scale=self.mel_scale,
        )

    def transform(self) -> torchaudio.transforms.MelSpectrogram:
        """Waveform (..., L) to the mel magnitudes (..., n_mels, L // hop_length + 1), before the log."""
        return torchaudio.transforms.MelSpectrogram(
            sample_rate=self.sample_rate, n_fft=self.n_fft, win_length=self.win_length, hop_length=self.hop_length,
            f_min=self.f_min, f_max=self.f_max, n_mels=self.n_mels, window_fn=WINDOWS[self.window], power=self.power,
            center=True, pad_mode="reflect", norm="slaney" if self.mel_scale == "slaney" else None,
            mel_scale=self.mel_scale,
        )


def _require(condition: bool, name: str, value, expected: str) -> None:
    if not condition:
        raise ValueError(f"Invalid spectrogram setting {name}={value!r}: expected {expected}.")
