"""What makes a take play in a loop: a latent denoised and decoded as a circle, a mel stretched to the loop's
exact length, and a waveform whose first sample continues its last.

A loop of ``num_samples`` is generated as one period of ``P = round(num_samples / samples_per_latent_frame)``
latent frames. Every stage that has a receptive field (the U-Net, the VAE decoder, the vocoder) sees the period
with :func:`loop_context_frames` of its own frames from the other end on each side (:func:`circular_index`), so
no frame of the loop is next to an edge: the end is rendered leading into the start, and the start following the
end. The period's mel (``P`` latent frames long) is then stretched by at most half a latent frame
(:func:`periodic_mel`) to the loop's exact length, which need not be whole latent frames (two bars at 124 bpm
are 61,935 samples at 16 kHz), vocoded with the loop's start after its end, and closed (:func:`close_loop`).
A clip given as a loop (variations of a loop) is read the other way: its mel, heard around its wrap, squeezed to
``P`` latent frames and encoded with the same context.
"""

from __future__ import annotations

import math
from typing import Optional

import torch

LOOP_FADE_FRAMES = 2  # latent frames over which a loop's start fades from its in-sequence rendering into its own


def check_loop(loop) -> None:
    """Raise ``ValueError`` unless ``loop`` is a bool (a pipeline's ``loop`` argument)."""
    if not isinstance(loop, bool):
        raise ValueError(f"loop={loop!r} must be True (a take that plays in a loop) or False.")


def loop_period_frames(num_samples: int, samples_per_latent_frame: int) -> int:
    """Latent frames of one period of a loop ``num_samples`` long: the nearest whole number, at least one."""
    return max(1, round(num_samples / samples_per_latent_frame))


def loop_context_frames(period: int) -> int:
    """Frames of context each stage sees on each side of a loop's period: a quarter of it, at least two."""
    return max(2, math.ceil(period / 4))


def circular_index(period: int, before: int, after: int, shift: int = 0, device=None) -> torch.Tensor:
    """Indices (before + period + after,) into one period that read it from frame ``shift - before`` on, around
    the circle: ``x[..., circular_index(P, c, c)]`` is ``x`` with ``c`` frames of its end before it and ``c`` of its
    start after it."""
    return (torch.arange(-before, period + after, device=device) + shift) % period


def read_frames(mel: torch.Tensor, positions: torch.Tensor, period: Optional[int] = None) -> torch.Tensor:
    """``mel`` (..., T) read at fractional frame ``positions`` (N,), between the two nearest frames (linear
    interpolation of the log-mel): (..., N). With ``period``, positions count around a circle of that many frames;
    without, they must lie within ``[0, T - 1]``."""
    below = torch.floor(positions)
    weight = (positions - below).to(mel.dtype)
    below = below.long()
    above = below + 1
    if period is not None:
        below, above = below % period, above % period
    else:
        above = above.clamp(max=mel.shape[-1] - 1)  # a position on the last frame reads it alone
    return torch.lerp(mel[..., below], mel[..., above], weight)


def periodic_mel(mel: torch.Tensor, num_samples: int, hop_length: int, first: int, last: int) -> torch.Tensor:
    """Mel frames ``first`` to ``last`` (exclusive; either may lie outside one period) of the loop whose one
    period is ``mel`` (..., n_mels, T), stretched in time so that the period lasts ``num_samples``: frame ``k``
    (sample ``k · hop_length`` of the loop played on and on) is read at ``k · T · hop_length / num_samples`` of
    the period (:func:`read_frames`). When the period is ``num_samples`` long already
    (``T · hop_length == num_samples``) the frames are ``mel``'s own, repeated."""
    period = mel.shape[-1]
    positions = torch.arange(first, last, device=mel.device, dtype=torch.float64) * (period * hop_length / num_samples)
    return read_frames(mel, positions, period)


def close_loop(audio: torch.Tensor, num_samples: int, fade: int) -> torch.Tensor:
    """The first ``num_samples`` of ``audio`` (..., L), rendered on past them into the loop's start, made to
    play in a loop: over its first ``fade`` samples it fades from ``audio[..., num_samples:]`` (the start as
    rendered after the end, in one sequence with it) into its own start, so that its first sample continues
    its last."""
    if not 0 < fade <= num_samples or audio.shape[-1] < num_samples + fade:
        raise ValueError(f"A loop of {num_samples} samples closed over {fade} needs at least {num_samples + fade} "
                         f"rendered samples and 0 < fade <= its length; got {audio.shape[-1]}.")
    weight = 1.0 - torch.arange(fade, device=audio.device, dtype=audio.dtype) / fade
    start = torch.lerp(audio[..., :fade], audio[..., num_samples : num_samples + fade], weight)
    return torch.cat([start, audio[..., fade:num_samples]], dim=-1)
