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

from dataclasses import asdict
from typing import Optional

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin

from vocoder.mel import MelSpectrogramConfig


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
    # loads in half precision (from_pretrained(..., dtype=torch.bfloat16)) or is cast to it (_apply).
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
        # The one record of these settings (validated there); vocoders that invert the mel hold an equal one.
        self.mel_config = MelSpectrogramConfig(
            sample_rate=sample_rate, n_fft=n_fft, win_length=win_length, hop_length=hop_length, window=window,
            n_mels=n_mels, f_min=f_min, f_max=f_max, mel_scale=mel_scale, power=power, log_floor=log_floor,
            norm_mean=norm_mean, norm_std=norm_std,
        )
        self.register_to_config(win_length=self.mel_config.win_length, f_max=self.mel_config.f_max)
        # The window and filterbank are saved with the model, so a folder records exactly what it used.
        self.transform = self.mel_config.transform()

    def _apply(self, fn, recurse=True):
        """``Module._apply`` (which ``to``, ``half``, ``cuda`` ... call), keeping the transform's window and
        filterbank in float32: a pipeline cast to half precision as a whole still computes its log-mel in float32."""
        super()._apply(fn, recurse)
        self.transform.float()
        return self

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
        return self.mel_config.silence_level

    @property
    def min_samples(self) -> int:
        """The shortest waveform the transform takes: the centred STFT reflects n_fft // 2 samples at each end."""
        return self.mel_config.min_samples

    def num_frames(self, num_samples: int) -> int:
        """Frames the transform yields for ``num_samples`` samples (centred STFT)."""
        return self.mel_config.num_frames(num_samples)

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
        return self.mel_config.normalize(log_mel)

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalize`: back to natural-log mel magnitudes."""
        return self.mel_config.denormalize(mel)


def downsampling_factor(num_levels: int) -> int:
    """How much a diffusers encoder or U-Net of ``num_levels`` blocks shrinks each axis: every block but the last halves it."""
    return 2 ** (num_levels - 1)


def vae_compression(vae) -> int:
    """Time and frequency downsampling factor of a diffusers ``AutoencoderKL``."""
    return downsampling_factor(len(vae.config.block_out_channels))


def check_compatible(spectrogram: MelSpectrogram, vae=None, vocoder=None) -> None:
    """Raise ``ValueError`` naming both values when a component disagrees with the spectrogram.

    Args:
        spectrogram (`MelSpectrogram`): The reference settings.
        vae (`AutoencoderKL`, *optional*): Must take and return 1-channel mel images whose
            mel axis is divisible by its compression factor.
        vocoder (*optional*): Any module of :mod:`vocoder`: its ``mel_config``, where it holds one,
            must equal the spectrogram's; otherwise its ``mel_settings`` where it states them (a
            ``SpeechT5HifiGanVocoder``), else its config's ``sampling_rate`` and ``num_mels`` and its
            ``hop_length``, must match.
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
        # A vocoder that inverts the mel itself (Griffin-Lim, a Vocos magnitude prior) holds the whole mel config;
        # a learned one fixes only the sample rate, the mel bins and the hop.
        held = getattr(vocoder, "mel_config", None)
        settings = asdict(held) if held is not None else getattr(vocoder, "mel_settings", None) or {
            "sample_rate": vocoder.config.get("sampling_rate"), "n_mels": vocoder.config.get("num_mels"),
            "hop_length": getattr(vocoder, "hop_length", None),
        }
        mismatches = spectrogram.mel_config.mismatches(settings)
        if mismatches:
            key, actual, value = mismatches[0]
            raise ValueError(
                f"The vocoder has {key}={actual}, but the spectrogram has {value}; "
                "they must match (retrain the vocoder or fix the spectrogram config)."
            )


def check_trained_mel(spectrogram: MelSpectrogram, trained_mel: Optional[dict]) -> dict:
    """The mel settings the components were trained on: ``trained_mel``, which ``spectrogram`` must match,
    or the spectrogram's own where none were recorded.

    Raises:
        ValueError: A setting differs (named with both values), or ``trained_mel`` is not a set of mel settings.
    """
    if trained_mel is None:
        return asdict(spectrogram.mel_config)
    try:
        recorded = MelSpectrogramConfig(**trained_mel)
    except (TypeError, ValueError) as error:
        raise ValueError(f"trained_mel={trained_mel!r} is not a set of mel settings: {error}") from None
    mismatches = spectrogram.mel_config.mismatches(asdict(recorded))
    if mismatches:
        key, trained, value = mismatches[0]
        raise ValueError(
            f"The spectrogram has {key}={value}, but the VAE, U-Net and vocoder were trained on {key}={trained} "
            "(model_index.json: trained_mel); use the spectrogram they were trained with."
        )
    return asdict(recorded)
