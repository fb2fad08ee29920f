"""Beat-phase channels: the tempo a prompt states, as a signal over time beside the latent.

The structured embedding (:mod:`.pitch`) gives the U-Net the stated tempo as one vector added to the
timestep embedding of every block. To put onsets at that period the U-Net must turn the vector into
positions along the time axis, which a convolutional network does poorly: the embedding is the same
at every frame. Beat-phase channels state the positions directly. For a tempo of ``bpm`` and latent
frame ``f`` (``start`` frames into the take, ``Δ`` seconds a frame)

    φ(f) = 2π · (bpm / 60) · (start + f) · Δ,        channels = [sin φ(f), cos φ(f)]

broadcast over the latent's frequency bins and concatenated to the noisy latent, as inpainting U-Nets
take their mask (``conv_in`` widened by :data:`BEAT_CHANNELS` input channels). Phase 0 is the take's
first frame: every loop and phrase of the music builders starts on its downbeat, and a continuation
keeps counting from the start of the audio it continues. Rhythm controls of music diffusion models
(e.g. the beat and downbeat curves of Music ControlNet, Wu et al. 2024) are time-varying in this way.

The channels are read from the U-Net's ``class_labels``, the structured features
(:data:`~latentaudio.note_features.MUSIC_FEATURES`): the tempo columns' leading 1 says a tempo was
stated and the next holds ``log2(bpm / 120)``. So every rule about when a tempo counts carries over
unchanged: a prompt without one, the unconditional half of guidance, precomputed embeddings and the
trainer's ``music_dropout`` give zero channels. :func:`with_beat_channels` adds the input channels at
zero, so an upgraded U-Net predicts exactly as before until it is trained.

A U-Net with beat-phase channels may take the key channels of :mod:`.key` after them
(:func:`with_key_channels`, zero at the start as well). What a U-Net takes is read from its channel
counts: the latent alone, the latent and the beat, or the latent, the beat and the key.
:func:`unet_input` builds whichever sample it takes.
"""

from __future__ import annotations

import math
from typing import Optional

import torch

from ..note_features import FEATURE_WIDTHS, TEMPO_REFERENCE_BPM
from .guidance import extend_unet
from .key import KEY_CHANNELS, key_channels, pitch_class_spectra
from .pitch import has_music_embedding

__all__ = ["BEAT_CHANNELS", "beat_channels", "check_unet_channels", "has_beat_channels", "has_key_channels", "stated_tempo",
           "unet_input", "with_beat_channels", "with_input_channels", "with_key_channels"]

BEAT_CHANNELS = 2  # sin and cos of the beat phase
TEMPO_COLUMN = FEATURE_WIDTHS[1]  # the music features follow the note's and the instrument's: the tempo's "stated" flag, then log2(bpm / 120)


def _extra_channels(unet) -> int:
    return unet.config.in_channels - unet.config.out_channels


def has_beat_channels(unet) -> bool:
    """Whether ``unet`` takes beat-phase channels beside the latent (its input is the output plus them, and
    perhaps the key channels after them)."""
    return _extra_channels(unet) in (BEAT_CHANNELS, BEAT_CHANNELS + KEY_CHANNELS)


def has_key_channels(unet) -> bool:
    """Whether ``unet`` takes key channels (:mod:`.key`) after its beat-phase channels."""
    return _extra_channels(unet) == BEAT_CHANNELS + KEY_CHANNELS


def check_unet_channels(unet, latent_channels: int) -> None:
    """Raise ``ValueError`` unless ``unet`` predicts ``latent_channels`` channels and takes them (plus beat-phase
    channels, and perhaps key channels, which need the music embedding that states the tempo and the key)."""
    extra = _extra_channels(unet) if has_beat_channels(unet) else 0
    if unet.config.out_channels != latent_channels or unet.config.in_channels != latent_channels + extra:
        raise ValueError(
            f"The U-Net has in/out channels {unet.config.in_channels}/{unet.config.out_channels}, but the VAE's "
            f"latent_channels is {latent_channels}; expected {latent_channels}/{latent_channels} "
            f"({latent_channels + BEAT_CHANNELS}/{latent_channels} with beat-phase channels, "
            f"{latent_channels + BEAT_CHANNELS + KEY_CHANNELS}/{latent_channels} with key channels as well).")
    if has_beat_channels(unet) and not has_music_embedding(unet):
        raise ValueError("The U-Net takes beat-phase channels but has no music embedding to state a tempo; "
                         "expected projection_class_embeddings_input_dim of the music features.")


def with_beat_channels(unet):
    """``unet`` taking beat-phase channels: ``conv_in`` widened by :data:`BEAT_CHANNELS` zero input
    channels, so it predicts exactly as before until trained. Returns ``unet`` itself when it takes them.

    The tempo comes from the music embedding's columns, so the U-Net must have one
    (``with_pitch_embedding(unet, music=True)``).
    """
    if has_beat_channels(unet):
        return unet
    if not has_music_embedding(unet):
        raise ValueError("Beat-phase channels follow the tempo of the U-Net's structured embedding, but this U-Net has "
                         f"projection_class_embeddings_input_dim={unet.config.projection_class_embeddings_input_dim!r}; "
                         "add the music embedding first (with_pitch_embedding(unet, music=True)).")
    if unet.config.in_channels != unet.config.out_channels:
        raise ValueError(f"The U-Net takes {unet.config.in_channels} input channels for {unet.config.out_channels} output "
                         "channels; beat-phase channels widen a U-Net whose input is the latent alone.")
    return _widened(unet, BEAT_CHANNELS)


def with_key_channels(unet):
    """``unet`` taking key channels after its beat-phase channels: ``conv_in`` widened by :data:`KEY_CHANNELS`
    zero input channels, so it predicts exactly as before until trained. Returns ``unet`` itself when it takes them."""
    if has_key_channels(unet):
        return unet
    if not has_beat_channels(unet):
        raise ValueError(f"Key channels follow the beat-phase channels, but this U-Net takes {unet.config.in_channels} input "
                         f"channels for {unet.config.out_channels} output channels; add the beat-phase channels first "
                         "(with_beat_channels(unet)).")
    return _widened(unet, KEY_CHANNELS)


def with_input_channels(unet, in_channels: int):
    """``unet`` widened as a trained U-Net of its config that takes ``in_channels`` input channels was: beat-phase
    channels, then key channels, each added at zero (for weights saved from such a U-Net to load into it).

    Raises:
        ValueError: No such widening takes ``in_channels``.
    """
    extra = in_channels - unet.config.out_channels
    if extra in (BEAT_CHANNELS, BEAT_CHANNELS + KEY_CHANNELS):
        unet = with_beat_channels(unet)
    if extra == BEAT_CHANNELS + KEY_CHANNELS:
        unet = with_key_channels(unet)
    if unet.config.in_channels != in_channels:
        raise ValueError(f"in_channels={in_channels}: a U-Net with {unet.config.in_channels} input channels for "
                         f"{unet.config.out_channels} output channels widens to {unet.config.out_channels + BEAT_CHANNELS} "
                         f"(beat-phase channels) or {unet.config.out_channels + BEAT_CHANNELS + KEY_CHANNELS} (and key channels).")
    return unet


def _widened(unet, channels: int):
    weight = unet.conv_in.weight.detach()
    widened = torch.cat([weight, weight.new_zeros(weight.shape[0], channels, *weight.shape[2:])], dim=1)
    return extend_unet(unet, "conv_in.", weights={**unet.state_dict(), "conv_in.weight": widened},
                       in_channels=unet.config.in_channels + channels)


def stated_tempo(class_labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row of the structured features (B, 253): whether a tempo is stated (1 or 0) and its beats a second."""
    stated = class_labels[:, TEMPO_COLUMN].float()
    beats_per_second = TEMPO_REFERENCE_BPM / 60 * 2.0 ** class_labels[:, TEMPO_COLUMN + 1].float()
    return stated, beats_per_second


def beat_channels(class_labels: Optional[torch.Tensor], rows: int, frames: int, bins: int, frame_seconds: float,
                  start: int = 0) -> torch.Tensor:
    """Beat-phase channels (rows, BEAT_CHANNELS, frames, bins), float32, for latent frames ``start`` to
    ``start + frames`` of a take whose frames last ``frame_seconds``; zeros where no tempo is stated
    (and everywhere when ``class_labels`` is ``None``)."""
    if class_labels is None:
        return torch.zeros(rows, BEAT_CHANNELS, frames, bins)
    stated, beats_per_second = stated_tempo(class_labels)
    seconds = (start + torch.arange(frames, device=class_labels.device, dtype=torch.float32)) * frame_seconds
    phase = 2 * math.pi * beats_per_second[:, None] * seconds[None, :]  # (B, frames)
    channels = torch.stack([torch.sin(phase), torch.cos(phase)], dim=1) * stated[:, None, None]
    return channels[..., None].expand(-1, -1, -1, bins)


def unet_input(unet, latents: torch.Tensor, class_labels: Optional[torch.Tensor], frame_seconds: Optional[float],
               start: int = 0, spectrogram=None) -> torch.Tensor:
    """What ``unet`` takes as its sample: ``latents`` (B, C, F, M) themselves, or with the beat-phase
    channels of ``class_labels`` concatenated when the U-Net takes them (``frame_seconds``: a latent frame's
    length, which they need; ``start``: the first frame's place in the take, for a window of a longer one),
    and the key channels after them when it takes those (``spectrogram``: the pipeline's
    :class:`~latentaudio.spectrogram.MelSpectrogram`, whose filterbank places the notes)."""
    if not has_beat_channels(unet):
        return latents
    if frame_seconds is None or not frame_seconds > 0:
        raise ValueError(f"frame_seconds={frame_seconds!r}: a U-Net with beat-phase channels needs the length of a latent "
                         "frame in seconds (the pipeline's latent_frame_in_s) to place the beats.")
    batch, _, frames, bins = latents.shape
    parts = [latents, beat_channels(class_labels, batch, frames, bins, frame_seconds, start).to(latents.device, latents.dtype)]
    if has_key_channels(unet):
        if spectrogram is None:
            raise ValueError("A U-Net with key channels needs the pipeline's spectrogram (its mel filterbank places the notes); "
                             "got spectrogram=None.")
        spectra = pitch_class_spectra(spectrogram)
        parts.append(key_channels(class_labels, batch, frames, bins, spectra).to(latents.device, latents.dtype))
    return torch.cat(parts, dim=1)
