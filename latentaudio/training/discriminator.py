"""A patch discriminator on mel images and its adversarial losses, for VAE training.

The discriminator of latent diffusion's autoencoder (Rombach et al. 2022, App. G; the PatchGAN
of Isola et al. 2017): strided 4x4 convolutions that score overlapping patches of the
(B, 1, T, n_mels) mel image as real or reconstructed. Training state only; never saved with a
pipeline.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vocoder import discriminator_loss, generator_adversarial_loss

ADVERSARIAL_LOSSES = ("hinge", "lsgan")


class PatchDiscriminator(nn.Module):
    """Patch logits (B, 1, T', M') of mel images (B, 1, T, n_mels).

    Args:
        channels (`int`, defaults to 64): Width of the first layer; doubled per layer up to x8.
        num_layers (`int`, defaults to 3): Strided layers (each halves both axes).
    """

    def __init__(self, channels: int = 64, num_layers: int = 3):
        super().__init__()
        layers, width = [nn.Conv2d(1, channels, 4, 2, 1), nn.LeakyReLU(0.2)], channels
        for i in range(1, num_layers + 1):
            out = channels * min(2**i, 8)
            stride = 2 if i < num_layers else 1  # the last layer widens the patch without shrinking
            # GroupNorm(1, ·) rather than BatchNorm: no statistics to synchronise across processes.
            layers += [nn.Conv2d(width, out, 4, stride, 1, bias=False), nn.GroupNorm(1, out), nn.LeakyReLU(0.2)]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)


def discriminator_adversarial_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Loss of the discriminator on real and (detached) reconstructed logits."""
    if kind == "hinge":  # Lim & Ye 2017
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return discriminator_loss([real], [fake])  # LSGAN, Mao et al. 2017


def generator_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    """Loss of the autoencoder for being caught: push reconstructed logits up."""
    return -fake.mean() if kind == "hinge" else generator_adversarial_loss([fake])
