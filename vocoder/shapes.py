"""The input contract every vocoder of this package shares: a normalised log-mel (B, num_mels, T) or (num_mels, T)."""

from __future__ import annotations

import torch


def check_mel(mel: torch.Tensor, num_mels: int) -> None:
    """Raise ``ValueError`` naming the shape unless ``mel`` is (B, num_mels, T) or (num_mels, T)."""
    if mel.dim() not in (2, 3) or mel.shape[-2] != num_mels:
        raise ValueError(
            f"Expected a mel of shape (B, {num_mels}, T) or ({num_mels}, T), got {tuple(mel.shape)}: "
            f"the mel axis must have num_mels={num_mels} bins."
        )
