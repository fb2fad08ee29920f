"""The mel VAE: a diffusers ``AutoencoderKL`` over 1-channel mel images.

Layout. A log-mel spectrogram (B, n_mels, T) is viewed as an image (B, 1, T, n_mels):
time is the height, frequency the width, as in AudioLDM. An autoencoder with ``k``
entries in ``block_out_channels`` compresses both axes by ``f = 2 ** (k - 1)``, so the
latent is (B, latent_channels, T / f, n_mels / f). With the default spectrogram (hop 160
at 16 kHz, 64 mels) and ``f = 4`` one latent frame covers 40 ms and 16 mel bins become
one latent bin; the U-Net works on (latent_channels, 25 per second, 16).

The latent is multiplied by ``vae.config.scaling_factor`` before diffusion (and divided
after), so that it has roughly unit variance; training sets it from data. The steps between
audio, mel and latent at given lengths are :mod:`latentaudio.codec`'s.
"""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL

from .spectrogram import vae_compression


def build_vae(
    block_out_channels=(32, 64, 128),
    latent_channels: int = 8,
    layers_per_block: int = 2,
    norm_num_groups: int = 32,
    sample_size: int = 64,
    mid_block_add_attention: bool = True,
) -> AutoencoderKL:
    """A randomly initialised mel ``AutoencoderKL`` (1 channel in and out, KL bottleneck)."""
    levels = len(block_out_channels)
    return AutoencoderKL(
        in_channels=1,
        out_channels=1,
        down_block_types=("DownEncoderBlock2D",) * levels,
        up_block_types=("UpDecoderBlock2D",) * levels,
        block_out_channels=tuple(block_out_channels),
        layers_per_block=layers_per_block,
        latent_channels=latent_channels,
        norm_num_groups=norm_num_groups,
        sample_size=sample_size,
        scaling_factor=1.0,
        force_upcast=False,
        mid_block_add_attention=mid_block_add_attention,
    )


def mel_to_image(mel: torch.Tensor) -> torch.Tensor:
    """(B, n_mels, T) -> (B, 1, T, n_mels)."""
    return mel.transpose(-1, -2).unsqueeze(1)


def image_to_mel(image: torch.Tensor) -> torch.Tensor:
    """(B, 1, T, n_mels) -> (B, n_mels, T)."""
    return image.squeeze(1).transpose(-1, -2)


def posterior(vae: AutoencoderKL, mel: torch.Tensor):
    """The VAE's posterior (a diffusers ``DiagonalGaussianDistribution``, unscaled) over the latent of mel (B, n_mels, T)."""
    return vae.encode(mel_to_image(mel).to(vae.dtype)).latent_dist


def encode_mel(vae: AutoencoderKL, mel: torch.Tensor, generator=None, sample: bool = True) -> torch.Tensor:
    """Scaled latents (B, C, T/f, n_mels/f) of mel (B, n_mels, T); T must be divisible by f.

    Args:
        sample: Draw from the posterior (training); ``False`` takes its mode (editing).
    """
    factor = vae_compression(vae)
    if mel.shape[-1] % factor:
        raise ValueError(f"Mel length {mel.shape[-1]} frames is not a multiple of the VAE's factor {factor}.")
    distribution = posterior(vae, mel)
    latents = distribution.sample(generator) if sample else distribution.mode()
    return latents * vae.config.scaling_factor


def decode_latents(vae: AutoencoderKL, latents: torch.Tensor) -> torch.Tensor:
    """Mel (B, n_mels, T) from scaled latents (B, C, T/f, n_mels/f)."""
    image = vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor).sample
    return image_to_mel(image)
