"""Clip lengths in seconds, samples and latent frames: plain arithmetic shared by the pipelines (through
:class:`~latentaudio.codec.MelCodec`) and the torch-free generator of :mod:`latentaudio.standalone`."""

from __future__ import annotations

import math


def latent_frames(num_samples: int, samples_per_latent_frame: int, frame_multiple: int = 1) -> int:
    """Latent frames covering ``num_samples``, rounded up to a multiple of ``frame_multiple``."""
    frames = math.ceil(num_samples / samples_per_latent_frame)
    return math.ceil(frames / frame_multiple) * frame_multiple


def length_in_samples(audio_length_in_s, sample_rate: int, shortest: float, longest: float, longest_name: str) -> int:
    """``audio_length_in_s`` in samples, after checking it is a number of seconds from ``shortest`` to
    ``longest`` (``longest_name`` says where that limit comes from, for the error).

    Raises:
        ValueError: Not a number, or out of that range.
    """
    if isinstance(audio_length_in_s, bool) or not isinstance(audio_length_in_s, (int, float)) or not shortest <= audio_length_in_s <= longest:
        raise ValueError(
            f"audio_length_in_s={audio_length_in_s!r} is out of range: expected a number of seconds from "
            f"{shortest:g} (one latent frame) to {longest:g} ({longest_name})."
        )
    return round(audio_length_in_s * sample_rate)
