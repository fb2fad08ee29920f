"""AudioLDM and MusicLDM conditioning: CLAP's pooled text embedding as the U-Net's class label.

AudioLDM (Liu et al. 2023, sec. 2.2) and MusicLDM condition their U-Net on one vector per prompt:
the CLAP text tower's pooled, projected and L2-normalised embedding, which the U-Net projects
(``class_embed_type="simple_projection"``) and concatenates to its timestep embedding
(``class_embeddings_concat``); the U-Net has no cross-attention. The unconditional half of guidance
is the embedding of the empty (or negative) prompt.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .interface import Conditioner, UNetKwargs


def clap_text_embedding(tokenizer, text_encoder, prompts: list[str], device) -> torch.Tensor:
    """CLAP's L2-normalised text embedding (B, projection_dim) of each prompt.

    ``text_encoder`` is a ``ClapTextModelWithProjection`` (AudioLDM) or a whole ``ClapModel``
    (MusicLDM, AudioLDM2). Prompts are padded to the longest one: RoBERTa's positions skip the
    padding and the mask hides it, so the embedding is that of a prompt padded to any length.
    """
    tokens = tokenizer(prompts, padding=True, max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt")
    ids, mask = tokens.input_ids.to(device), tokens.attention_mask.to(device)
    if hasattr(text_encoder, "get_text_features"):
        embeds = text_encoder.get_text_features(ids, attention_mask=mask)
        embeds = getattr(embeds, "pooler_output", embeds)  # transformers 5 returns an output object
    else:
        embeds = text_encoder(ids, attention_mask=mask).text_embeds
    return F.normalize(embeds, dim=-1)


def clap_projection_dim(text_encoder) -> int:
    """Width of CLAP's projected text embedding."""
    return text_encoder.config.projection_dim


class ClapClassConditioner(Conditioner):
    """Prompts → ``class_labels`` (B, projection_dim): CLAP's normalised text embedding.

    Args:
        tokenizer: CLAP's RoBERTa tokenizer.
        text_encoder: ``ClapTextModelWithProjection`` or ``ClapModel``.
        class_embedding_width (`int`): The U-Net's ``projection_class_embeddings_input_dim``.
    """

    def __init__(self, tokenizer, text_encoder, class_embedding_width: int):
        if tokenizer is None or text_encoder is None:
            raise ValueError("CLAP class conditioning needs both the tokenizer and the text_encoder; one is missing.")
        width = clap_projection_dim(text_encoder)
        if width != class_embedding_width:
            raise ValueError(
                f"The text_encoder's CLAP embedding has projection_dim={width}, but the U-Net's "
                f"projection_class_embeddings_input_dim is {class_embedding_width}; they must be equal."
            )
        self.tokenizer = tokenizer
        self.text_encoder = text_encoder
        self.width = width

    @property
    def encodes_prompts(self) -> bool:
        return True

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        return {"class_labels": clap_text_embedding(self.tokenizer, self.text_encoder, prompts, device).to(dtype)}

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        if embeds.ndim != 2 or embeds.shape[1] != self.width:
            raise ValueError(
                f"prompt_embeds for CLAP class conditioning must have shape (B, {self.width}), got {tuple(embeds.shape)}."
            )
        return {"class_labels": embeds.to(device, dtype)}
