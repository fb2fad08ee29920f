"""Vocos-style generator: mel frames to STFT frames with a ConvNeXt, then an inverse STFT.

Siuzdak, "Vocos: Closing the gap between time-domain and Fourier-based neural vocoders for
high-quality audio synthesis", 2023. Instead of upsampling mel frames to samples with a stack
of transposed convolutions (HiFi-GAN), the network stays at the frame rate: a ConvNeXt backbone
(Liu et al. 2022) maps each mel frame to the magnitude and phase of one STFT frame, and a fixed
inverse STFT turns those into audio. Every layer runs once per frame instead of once per
sample, so a generator of this kind costs a small fraction of a HiFi-GAN's compute per second
of audio: the reason it is the default model's vocoder, trained on two CPU cores.

The head predicts a log magnitude ``m`` and a phase angle ``p`` per frequency bin; the frame
is ``exp(m) · (cos p + i sin p)``, so phase wrapping is implicit (Vocos, Sec. 3.2). The inverse
STFT is centred, like the analysis in :class:`latentaudio.spectrogram.MelSpectrogram`, so frame
``t`` of the input describes the audio around sample ``t · hop_length``.

With ``magnitude_prior`` the head's log magnitude is a correction added to the log of the
linear spectrogram the mel summarises (the non-negative least-squares inverse of the mel
filterbank that :class:`~vocoder.griffinlim.GriffinLimVocoder` starts from), and starts at zero.
The network then begins where Griffin-Lim's magnitude is, and learns the phase and a
correction, instead of learning the mel inverse itself. Quiet bins gain most: nearly half the
mel bins of one-shot notes lie within a decade of the log floor, where a magnitude the network
has to produce from scratch is noise, but the prior's is silence. The prior needs the
synthesis STFT to be the analysis STFT (``n_fft`` and a Hann window of ``n_fft`` samples) and
the spectrogram's mel settings, which the prior holds as one config
(:attr:`VocosGenerator.mel_config`) so a pipeline can compare it with its spectrogram's.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from .griffinlim import GriffinLimVocoder
from .mel import MelSpectrogramConfig
from .shapes import check_mel


# Magnitude of the prior's silent bins: -200 dB under a full-scale sine, far below any audible output.
PRIOR_FLOOR = 1e-8


class ConvNeXtBlock(nn.Module):
    """Depthwise conv, LayerNorm, pointwise MLP, layer scale, residual; keeps (B, C, T) shapes."""

    def __init__(self, dim: int, intermediate_dim: int, kernel_size: int, layer_scale: float):
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.expand = nn.Linear(dim, intermediate_dim)
        self.project = nn.Linear(intermediate_dim, dim)
        self.scale = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.depthwise(x).transpose(1, 2))  # (B, T, C)
        y = self.project(nn.functional.gelu(self.expand(y))) * self.scale
        return x + y.transpose(1, 2)


class VocosGenerator(ModelMixin, ConfigMixin):
    r"""Vocos-style vocoder mapping (B, num_mels, T) log-mel to (B, T * hop_length) audio.

    Args:
        num_mels (`int`, defaults to 64): Mel bins of the input; must match the spectrogram.
        sampling_rate (`int`, defaults to 16000): Sample rate of the output, in Hz (recorded so
            the generator can be checked against a spectrogram; the network does not use it).
        hop_length (`int`, defaults to 160): Output samples per mel frame; must match the spectrogram.
        n_fft (`int`, defaults to 640): Size of the synthesis STFT (also its Hann window); at
            least ``2 * hop_length`` so consecutive frames overlap. Vocos uses ``4 * hop_length``.
        dim (`int`, defaults to 128): Channels of the ConvNeXt backbone.
        intermediate_dim (`int`, defaults to 384): Hidden width of each block's pointwise MLP.
        num_layers (`int`, defaults to 8): ConvNeXt blocks.
        kernel_size (`int`, defaults to 7): Odd kernel of the input and depthwise convolutions,
            in frames: the receptive field is ``num_layers * (kernel_size - 1) + kernel_size`` frames.
        magnitude_prior (`bool`, defaults to False): Predict the log magnitude as a correction of
            the mel's least-squares inverse (see the module docstring). The settings below must
            then equal the spectrogram's, and ``n_fft`` its ``n_fft`` and ``win_length``.
        f_min (`float`, defaults to 0.0), f_max (`float`, defaults to 8000.0), mel_scale (`str`,
            defaults to ``"slaney"``), power (`float`, defaults to 1.0), log_floor (`float`,
            defaults to 1e-5), norm_mean (`float`, defaults to 0.0), norm_std (`float`, defaults
            to 1.0): The spectrogram's mel settings, used by the prior only.
        nnls_iter (`int`, defaults to 50): Refinement steps of the prior's mel inverse.
    """

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        num_mels: int = 64,
        sampling_rate: int = 16000,
        hop_length: int = 160,
        n_fft: int = 640,
        dim: int = 128,
        intermediate_dim: int = 384,
        num_layers: int = 8,
        kernel_size: int = 7,
        magnitude_prior: bool = False,
        f_min: float = 0.0,
        f_max: float = 8000.0,
        mel_scale: str = "slaney",
        power: float = 1.0,
        log_floor: float = 1e-5,
        norm_mean: float = 0.0,
        norm_std: float = 1.0,
        nnls_iter: int = 50,
    ):
        super().__init__()
        if n_fft < 2 * hop_length:
            raise ValueError(
                f"n_fft={n_fft} must be at least 2 * hop_length={2 * hop_length}: the inverse STFT "
                "needs overlapping frames to reach every sample."
            )
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={kernel_size} must be odd to keep the number of frames.")
        for name, value in (("num_mels", num_mels), ("hop_length", hop_length), ("dim", dim),
                            ("intermediate_dim", intermediate_dim), ("num_layers", num_layers)):
            if value < 1:
                raise ValueError(f"{name}={value} must be a positive integer.")
        self.embed = nn.Conv1d(num_mels, dim, kernel_size, padding=kernel_size // 2)
        self.embed_norm = nn.LayerNorm(dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(dim, intermediate_dim, kernel_size, layer_scale=1.0 / num_layers) for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, n_fft + 2)  # log magnitude and phase of n_fft / 2 + 1 bins
        self.prior = None
        if magnitude_prior:
            # The prior inverts the mel with the synthesis STFT: n_fft, and a Hann window of n_fft samples.
            self.prior = GriffinLimVocoder(
                sampling_rate=sampling_rate, n_fft=n_fft, hop_length=hop_length, num_mels=num_mels, f_min=f_min,
                f_max=f_max, mel_scale=mel_scale, power=power, log_floor=log_floor, norm_mean=norm_mean,
                norm_std=norm_std, nnls_iter=nnls_iter,
            )
            with torch.no_grad():  # a zero correction: the first output has the prior's magnitude
                self.head.weight[: n_fft // 2 + 1].zero_()
                self.head.bias[: n_fft // 2 + 1].zero_()
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        # A full-scale sine peaks at n_fft / 4 in a Hann-windowed STFT; cap the magnitude well above
        # that, so an untrained head cannot overflow the inverse transform.
        self.max_log_magnitude = math.log(n_fft)

    @property
    def hop_length(self) -> int:
        """Output samples per input mel frame."""
        return self.config.hop_length

    @classmethod
    def from_mel_config(cls, mel_config: MelSpectrogramConfig, **kwargs) -> "VocosGenerator":
        """A generator for the spectrogram ``mel_config`` describes; ``kwargs`` set the network.

        With ``magnitude_prior=True`` the prior inverts exactly that spectrogram, so the synthesis
        STFT takes its ``n_fft``, which needs its window to be a Hann window of ``n_fft`` samples.
        """
        settings = dict(sampling_rate=mel_config.sample_rate, num_mels=mel_config.n_mels, hop_length=mel_config.hop_length)
        if kwargs.get("magnitude_prior"):
            if (mel_config.window, mel_config.win_length) != ("hann", mel_config.n_fft):
                raise ValueError(
                    f"A Vocos magnitude prior needs a Hann window of n_fft={mel_config.n_fft} samples; the spectrogram "
                    f"has window={mel_config.window!r}, win_length={mel_config.win_length}."
                )
            settings = {key: value for key, value in mel_config.vocoder_kwargs().items()
                        if key not in ("win_length", "window")}
        return cls(**{**kwargs, **settings})

    @property
    def mel_config(self) -> Optional[MelSpectrogramConfig]:
        """The spectrogram the magnitude prior inverts; ``None`` without a prior (the network learned the mel)."""
        return self.prior.mel_config if self.prior is not None else None

    @property
    def spectrogram_settings(self) -> dict:
        """:attr:`mel_config` as a dict of ``MelSpectrogram`` config keys; empty without a prior."""
        return self.prior.spectrogram_settings if self.prior is not None else {}

    def spectrum(self, mel: torch.Tensor) -> torch.Tensor:
        """The complex STFT frames (B, n_fft / 2 + 1, T) the generator synthesises from (B, num_mels, T)."""
        return torch.polar(*self.polar_spectrum(mel))  # magnitude · (cos p + i sin p)

    def polar_spectrum(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`spectrum` as float32 magnitude and phase (B, n_fft / 2 + 1, T) each."""
        x = self.embed_norm(self.embed(mel).transpose(1, 2)).transpose(1, 2)  # (B, dim, T)
        for block in self.blocks:
            x = block(x)
        log_magnitude, phase = self.head(self.final_norm(x.transpose(1, 2))).float().transpose(1, 2).chunk(2, dim=1)
        if self.prior is not None:
            with torch.no_grad():
                linear = self.prior.linear_spectrogram(mel) ** (1.0 / self.config.power)  # (B, F, T) magnitudes
            log_magnitude = log_magnitude + linear.clamp(min=PRIOR_FLOOR).log()
        return log_magnitude.clamp(max=self.max_log_magnitude).exp(), phase

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Synthesise audio from a normalised log-mel spectrogram.

        Args:
            mel (`torch.Tensor`): Shape (B, num_mels, T) or (num_mels, T), where B is the batch
                size and T the number of frames.

        Returns:
            `torch.Tensor`: Float32 waveform of shape (B, T * hop_length) (or (T * hop_length,)).
        """
        check_mel(mel, self.config.num_mels)
        unbatched = mel.dim() == 2
        magnitude, phase = self.polar_spectrum(mel.unsqueeze(0) if unbatched else mel)
        c = self.config
        if torch.onnx.is_in_onnx_export():  # ONNX has no complex tensors and no inverse STFT
            audio = istft_by_convolution(magnitude, phase, self.window.float(), c.hop_length)
        else:
            audio = torch.istft(torch.polar(magnitude, phase), c.n_fft, c.hop_length, c.n_fft, self.window.float(),
                                center=True, length=magnitude.shape[-1] * c.hop_length)  # (B, T * hop)
        return audio[0] if unbatched else audio


def istft_by_convolution(magnitude: torch.Tensor, phase: torch.Tensor, window: torch.Tensor, hop_length: int) -> torch.Tensor:
    """``torch.istft`` of ``magnitude · e^(i phase)`` (B, n_fft / 2 + 1, T), centred, ``T · hop_length``
    samples long, computed with real operations only (what an ONNX graph can hold).

    One transposed convolution does the inverse real DFT, the synthesis window and the overlap-add
    at once: its kernel for bin ``k`` is ``window[n] · a_k cos(2π k n / N) / N`` for the real part
    and ``-window[n] · a_k sin(2π k n / N) / N`` for the imaginary part (``a_k`` = 1 at DC and
    Nyquist, 2 between: the bins a one-sided spectrum leaves out). Dividing by the overlap-added
    squared window and trimming ``N / 2`` samples each side gives ``torch.istft``'s output.
    """
    n_fft = window.numel()
    frames = magnitude.shape[-1]
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None]
    n = torch.arange(n_fft, dtype=torch.float64)[None, :]
    weight = torch.full_like(k, 2.0)
    weight[0] = weight[-1] = 1.0
    angle = 2 * math.pi * k * n / n_fft
    basis = torch.cat([weight * torch.cos(angle), -weight * torch.sin(angle)]) / n_fft * window.double()  # (2F, N)
    spectrum = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=1)  # (B, 2F, T)
    audio = nn.functional.conv_transpose1d(spectrum, basis.to(spectrum.dtype)[:, None, :], stride=hop_length)
    ones = torch.ones_like(magnitude[:1, :1])  # (1, 1, T)
    envelope = nn.functional.conv_transpose1d(ones, (window ** 2).to(ones.dtype)[None, None, :], stride=hop_length)
    start = n_fft // 2
    audio = audio[:, 0, start : start + frames * hop_length]
    envelope = envelope[:, 0, start : start + frames * hop_length]
    return audio / envelope.clamp(min=1e-11)
