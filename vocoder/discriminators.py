"""HiFi-GAN discriminators: multi-period and multi-scale (Kong et al. 2020, Sec. 2.2-2.3).

Both are training state only; a released vocoder ships the generator alone. Each takes a
waveform of shape (B, L) or (B, 1, L) and returns ``(logits, feature_maps)``: one flattened
logit tensor of shape (B, N_i) per sub-discriminator, and for each sub-discriminator the
list of its intermediate activations (for the feature-matching loss). A trainer calls a
discriminator once on real audio and once on generated audio.

``channels`` sets the width of the first layer; later layers grow from it and stop at
``max_channels``. The defaults reproduce the paper's widths; tests use a few channels.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

DiscriminatorOutput = Tuple[List[torch.Tensor], List[List[torch.Tensor]]]


class PeriodDiscriminator(nn.Module):
    """Looks at every ``period``-th sample: audio folded to (B, 1, L / period, period), 2D convs."""

    def __init__(self, period: int, channels: int, max_channels: int, slope: float):
        super().__init__()
        self.period, self.slope = period, slope
        widths = [1] + [min(channels * factor, max_channels) for factor in (1, 4, 16, 32, 32)]
        strides = (3, 3, 3, 3, 1)
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(c_in, c_out, (5, 1), (stride, 1), padding=(2, 0)))
            for c_in, c_out, stride in zip(widths, widths[1:], strides)
        )
        self.conv_post = weight_norm(nn.Conv2d(widths[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, audio: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        batch, length = audio.shape
        remainder = -length % self.period
        if remainder:  # pad to a whole number of periods
            audio = F.pad(audio, (0, remainder), mode="reflect" if remainder < length else "constant")
        x = audio.view(batch, 1, -1, self.period)  # (B, 1, L / period, period)
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.slope)
            features.append(x)
        x = self.conv_post(x)
        features.append(x)
        return x.flatten(1), features


class ScaleDiscriminator(nn.Module):
    """Strided, grouped 1D convs over the waveform at one resolution."""

    def __init__(self, channels: int, max_channels: int, groups: int, slope: float, norm=weight_norm):
        super().__init__()
        self.slope = slope
        widths = [1] + [min(channels * factor, max_channels) for factor in (1, 1, 2, 4, 8, 8, 8)]
        # (kernel, stride, groups) per layer: a wide input conv, strided grouped convs, a plain conv.
        layers = [(15, 1, 1)] + [(41, s, groups) for s in (2, 2, 4, 4, 1)] + [(5, 1, 1)]
        self.convs = nn.ModuleList(
            norm(nn.Conv1d(c_in, c_out, kernel, stride, groups=g, padding=kernel // 2))
            for c_in, c_out, (kernel, stride, g) in zip(widths, widths[1:], layers)
        )
        self.conv_post = norm(nn.Conv1d(widths[-1], 1, 3, padding=1))

    def forward(self, audio: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        x = audio.unsqueeze(1)  # (B, 1, L)
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.slope)
            features.append(x)
        x = self.conv_post(x)
        features.append(x)
        return x.flatten(1), features


class MultiPeriodDiscriminator(nn.Module):
    """One :class:`PeriodDiscriminator` per period.

    Args:
        periods (`Sequence[int]`, defaults to ``(2, 3, 5, 7, 11)``): Periods, in samples.
        channels (`int`, defaults to 32): Width of the first layer (then x4, x16, x32).
        max_channels (`int`, defaults to 1024): Cap on any layer's width.
        leaky_relu_slope (`float`, defaults to 0.1): Negative slope of the activations.
    """

    def __init__(self, periods: Sequence[int] = (2, 3, 5, 7, 11), channels: int = 32,
                 max_channels: int = 1024, leaky_relu_slope: float = 0.1):
        super().__init__()
        if not periods or min(periods) < 1:
            raise ValueError(f"periods={list(periods)} must be a non-empty list of positive integers.")
        self.discriminators = nn.ModuleList(
            PeriodDiscriminator(p, channels, max_channels, leaky_relu_slope) for p in periods
        )

    def forward(self, audio: torch.Tensor) -> DiscriminatorOutput:
        """Score a waveform of shape (B, L) or (B, 1, L); see the module docstring for outputs."""
        audio = _as_batch(audio)
        return _run_all(self.discriminators, [audio] * len(self.discriminators))


class MultiScaleDiscriminator(nn.Module):
    """One :class:`ScaleDiscriminator` per scale; each scale halves the sample rate (average pool).

    The first scale uses spectral norm and the others weight norm, as in the paper.

    Args:
        num_scales (`int`, defaults to 3): Number of resolutions.
        channels (`int`, defaults to 128): Width of the first layer (then x2, x4, x8).
        max_channels (`int`, defaults to 1024): Cap on any layer's width.
        groups (`int`, defaults to 16): Groups of the strided convolutions; must divide ``channels``.
        leaky_relu_slope (`float`, defaults to 0.1): Negative slope of the activations.
    """

    def __init__(self, num_scales: int = 3, channels: int = 128, max_channels: int = 1024,
                 groups: int = 16, leaky_relu_slope: float = 0.1):
        super().__init__()
        if num_scales < 1:
            raise ValueError(f"num_scales={num_scales} must be at least 1.")
        if channels % groups or max_channels % groups:
            raise ValueError(f"groups={groups} must divide channels={channels} and max_channels={max_channels}.")
        self.discriminators = nn.ModuleList(
            ScaleDiscriminator(channels, max_channels, groups, leaky_relu_slope,
                               norm=spectral_norm if i == 0 else weight_norm)
            for i in range(num_scales)
        )
        self.pool = nn.AvgPool1d(4, 2, padding=2)

    def forward(self, audio: torch.Tensor) -> DiscriminatorOutput:
        """Score a waveform of shape (B, L) or (B, 1, L); see the module docstring for outputs."""
        audio = _as_batch(audio)
        scales = [audio]
        for _ in self.discriminators[1:]:
            scales.append(self.pool(scales[-1].unsqueeze(1)).squeeze(1))  # (B, ~L / 2)
        return _run_all(self.discriminators, scales)


def _as_batch(audio: torch.Tensor) -> torch.Tensor:
    if audio.dim() == 3 and audio.shape[1] == 1:
        audio = audio.squeeze(1)
    if audio.dim() != 2:
        raise ValueError(f"Expected audio of shape (B, L) or (B, 1, L), got {tuple(audio.shape)}.")
    return audio


def _run_all(discriminators: nn.ModuleList, inputs: List[torch.Tensor]) -> DiscriminatorOutput:
    """Apply the i-th discriminator to the i-th input and collect the outputs."""
    logits, features = [], []
    for discriminator, audio in zip(discriminators, inputs):
        logit, feature_maps = discriminator(audio)
        logits.append(logit)
        features.append(feature_maps)
    return logits, features
