"""Guidance folded into the U-Net: a guidance-scale embedding added to the timestep embedding.

A consistency-distilled student (Luo et al. 2023, "Latent Consistency Models", Sec. 4.2) learns
the teacher's classifier-free-guided prediction for a guidance weight ``w`` it is told, so one
U-Net call per step replaces the guided pair. ``w`` enters as a sinusoidal embedding (Kingma et
al. 2021's VDM embedding of ``1000 w``) through the ``cond_proj`` layer that diffusers'
``UNet2DConditionModel`` adds to its timestep embedding when ``time_cond_proj_dim`` is set, the
layout diffusers' LCM pipelines read. Here ``w`` is ``guidance_scale - 1``: the guided prediction
``uncond + guidance_scale (cond - uncond)`` equals ``cond + w (cond - uncond)``.
"""

from __future__ import annotations

import math
from typing import Optional

import torch

GUIDANCE_EMBEDDING_DIM = 256  # width of the sinusoidal embedding of w (diffusers' LCM checkpoints use 256)


def extend_unet(unet, new_prefix: str, weights: Optional[dict] = None, **settings):
    """``unet`` rebuilt with further config ``settings``, keeping every weight it has; the new
    parameters (all under ``new_prefix``) keep their fresh initialisation. ``weights`` replaces
    ``unet``'s state dict where a setting reshapes a weight it already has (a wider input layer)."""
    from diffusers import UNet2DConditionModel

    # Private keys such as _use_default_values would make from_config drop the new settings.
    config = {key: value for key, value in unet.config.items() if not key.startswith("_")}
    config.update(settings)
    extended = UNet2DConditionModel.from_config(config)
    missing, unexpected = extended.load_state_dict(unet.state_dict() if weights is None else weights, strict=False)
    if unexpected or any(not name.startswith(new_prefix) for name in missing):
        raise RuntimeError(f"Extending the U-Net with {settings} lost weights: missing {missing}, unexpected {unexpected}.")
    extended.to(unet.device)
    return extended if unet.dtype == extended.dtype else extended.to(dtype=unet.dtype)


def embeds_guidance(unet) -> bool:
    """Whether ``unet`` takes the guidance weight as an embedding (one call per step, no guided pair)."""
    return unet.config.get("time_cond_proj_dim") is not None


def with_guidance_embedding(unet, dim: int = GUIDANCE_EMBEDDING_DIM):
    """``unet`` taking a guidance embedding, zero-initialised so it predicts as before until trained.

    Returns ``unet`` itself when it already takes one.
    """
    if embeds_guidance(unet):
        return unet
    extended = extend_unet(unet, "time_embedding.cond_proj.", time_cond_proj_dim=dim)
    torch.nn.init.zeros_(extended.time_embedding.cond_proj.weight)
    return extended


def guidance_embedding(guidance_scale, batch_size: int, dim: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """Embeddings (B, dim) of ``w = guidance_scale - 1``: ``[sin(1000 w f), cos(1000 w f)]`` over
    geometric frequencies ``f`` from 1 to 1/10000 (as diffusers' ``get_guidance_scale_embedding``).

    Args:
        guidance_scale: One number, or a tensor (B,) of scales, one per sample.
    """
    w = torch.as_tensor(guidance_scale, dtype=torch.float32).flatten() - 1.0
    w = w.expand(batch_size) if w.numel() == 1 else w
    if w.numel() != batch_size:
        raise ValueError(f"Got {w.numel()} guidance scales for a batch of {batch_size}; give one, or one per sample.")
    half = dim // 2
    frequencies = torch.exp(torch.arange(half, dtype=torch.float32, device=w.device) * -(math.log(10000.0) / (half - 1)))
    angles = 1000.0 * w[:, None] * frequencies[None, :]
    embedding = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    if dim % 2:
        embedding = torch.nn.functional.pad(embedding, (0, 1))
    return embedding.to(device=device, dtype=dtype)
