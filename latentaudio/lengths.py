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


CUT_FADE_S = 0.01  # the fade that ends a take cut from a longer pass


def pass_frames(num_samples: int, samples_per_latent_frame: int, frame_multiple: int, shortest_frames: int = 0) -> int:
    """Latent frames the sampler denoises for a request of ``num_samples``: those covering it
    (:func:`latent_frames`), and at least ``shortest_frames``.

    A model that learnt its sounds as whole clips makes a short request better as the first part of
    a whole clip than as a shorter latent (a pipeline's ``shortest_pass_length_in_s``)."""
    return max(latent_frames(num_samples, samples_per_latent_frame, frame_multiple), shortest_frames)


def cut_fade(sample_rate: int, num_samples: int) -> list[float]:
    """Gains for the last samples of a take of ``num_samples`` cut from a longer pass: a half cosine from 1
    to 0 over :data:`CUT_FADE_S` (at least one sample; its end only, for a take shorter than that), so the
    cut ends in silence rather than a click."""
    count = max(round(CUT_FADE_S * sample_rate), 1)
    return [0.5 + 0.5 * math.cos(math.pi * (i + 1) / count) for i in range(count)][-num_samples:]
