"""Text conditioning: any transformers text encoder + its tokenizer, projected to the U-Net's width.

A pipeline holds three optional components — ``tokenizer``, ``text_encoder`` and
``text_projection`` — and :class:`TextConditioner` turns prompts into the U-Net's
``encoder_hidden_states`` with them. Any encoder whose output has ``last_hidden_state``
works: ``CLIPTextModel``, ``T5EncoderModel``, ``ClapTextModelWithProjection``, BERT-family
sentence encoders such as all-MiniLM-L6-v2 (see :mod:`.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin

from .interface import Conditioner, UNetKwargs
from .registry import text_width

POOLING_MODES = ("tokens", "mean")
MAX_TEXT_TOKENS = 77  # CLIP's context; longer prompts are truncated for every encoder alike


class TextProjection(ModelMixin, ConfigMixin):
    """Maps text-encoder hidden states to the U-Net's cross-attention width.

    Args:
        in_features (`int`): Hidden size of the text encoder.
        out_features (`int`): ``cross_attention_dim`` of the U-Net.
        pooling (`str`, defaults to ``"tokens"``): ``"tokens"`` keeps one state per token;
            ``"mean"`` conditions on a single mask-aware mean of the token states (the
            sentence embedding of encoders trained that way, e.g. all-MiniLM-L6-v2, so
            paraphrases land near each other).
        normalize (`bool`, defaults to `False`): L2-normalise the pooled embedding before the
            projection, as sentence-transformers does.
    """

    @register_to_config
    def __init__(self, in_features: int, out_features: int, pooling: str = "tokens", normalize: bool = False):
        super().__init__()
        if pooling not in POOLING_MODES:
            raise ValueError(f"Unknown pooling {pooling!r}; expected one of {POOLING_MODES}.")
        self.proj = torch.nn.Linear(in_features, out_features)

    def forward(self, hidden_states: torch.Tensor, attention_mask: Optional[torch.Tensor] = None):
        """Project text states.

        Args:
            hidden_states (`torch.Tensor`): (B, L, in_features).
            attention_mask (`torch.Tensor`, *optional*): (B, L), 1 for real tokens.

        Returns:
            `(states, mask)`: states (B, L', out_features) with L' = 1 for mean pooling, and the
            mask that goes with them (``None`` when every position is real).
        """
        states, mask = self.pool(hidden_states, attention_mask)
        return self.proj(states), mask

    def pool(self, hidden_states: torch.Tensor, attention_mask: Optional[torch.Tensor] = None):
        """The parameter-free part of :meth:`forward`: (B, 1, in_features) and no mask for mean
        pooling, the states and mask unchanged for ``"tokens"``. Pooling twice changes nothing."""
        if self.config.pooling == "mean":
            weights = torch.ones_like(hidden_states[..., 0]) if attention_mask is None else attention_mask.to(hidden_states)
            pooled = (hidden_states * weights[..., None]).sum(1) / weights.sum(1, keepdim=True).clamp(min=1)
            if self.config.normalize:
                pooled = F.normalize(pooled, dim=-1)
            return pooled[:, None], None
        return hidden_states, attention_mask


def mean_pooled(projection: Optional[TextProjection]) -> bool:
    """Whether ``projection`` conditions on one mean-pooled state (so token padding cannot change it)."""
    return projection is not None and projection.config.pooling == "mean"


@dataclass
class TextEmbeddings:
    """Cross-attention inputs: states (B, L, D) and an optional mask (B, L)."""

    states: torch.Tensor
    mask: Optional[torch.Tensor] = None

    @classmethod
    def given(cls, states: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> "TextEmbeddings":
        """Wrap user-supplied text states (B, L, D) and their optional mask (B, L)."""
        if states.ndim != 3:
            raise ValueError(f"Text embeddings must have shape (B, L, D), got {tuple(states.shape)}.")
        if mask is not None and not isinstance(mask, torch.Tensor):
            raise TypeError(f"The attention mask must be a torch.Tensor, got {type(mask).__name__}.")
        if mask is not None and tuple(mask.shape) != tuple(states.shape[:2]):
            raise ValueError(f"The attention mask has shape {tuple(mask.shape)}, expected {tuple(states.shape[:2])}.")
        return cls(states.to(device, dtype), None if mask is None else mask.to(device))

    def unet_kwargs(self) -> UNetKwargs:
        return {"encoder_hidden_states": self.states, "encoder_attention_mask": self.mask}


class TextConditioner(Conditioner):
    """Encodes prompts with a tokenizer, a transformers text encoder and an optional projection.

    The U-Net attends to the states through cross-attention (``encoder_hidden_states``,
    ``encoder_attention_mask``). Without an encoder (an unconditional model) it conditions only on
    given ``prompt_embeds``.

    Args:
        tokenizer: A transformers tokenizer.
        text_encoder: A transformers model whose output has ``last_hidden_state``.
        projection (`TextProjection`, *optional*): Needed when the encoder's width differs
            from ``cross_attention_dim`` or when pooling is wanted.
        cross_attention_dim (`int`): Width the U-Net expects.
    """

    def __init__(self, tokenizer, text_encoder, projection: Optional[TextProjection], cross_attention_dim: int):
        if (tokenizer is None) != (text_encoder is None):
            raise ValueError("A text encoder needs its tokenizer and a tokenizer needs its encoder; got only one.")
        self.tokenizer = tokenizer
        self.text_encoder = text_encoder
        self.projection = projection
        self.cross_attention_dim = cross_attention_dim
        if text_encoder is not None:
            hidden = text_width(text_encoder)
            width = projection.config.out_features if projection is not None else hidden
            if projection is not None and projection.config.in_features != hidden:
                raise ValueError(
                    f"The text projection takes in_features={projection.config.in_features}, but the text "
                    f"encoder's hidden_size is {hidden}."
                )
            if width != cross_attention_dim:
                raise ValueError(
                    f"Text states have width {width}, but the U-Net's cross_attention_dim is "
                    f"{cross_attention_dim}; add a TextProjection({hidden}, {cross_attention_dim})."
                )

    @classmethod
    def unprojected(cls, tokenizer, text_encoder) -> "TextConditioner":
        """The encoder's own states, before any projection (what a trainable projection takes)."""
        return cls(tokenizer, text_encoder, None, text_width(text_encoder))

    @property
    def max_length(self) -> int:
        return min(self.tokenizer.model_max_length, MAX_TEXT_TOKENS)

    @torch.no_grad()
    def encode(self, prompts: list[str], device: torch.device, dtype: torch.dtype, longest: bool = False) -> TextEmbeddings:
        """Encode a list of prompts to cross-attention states of shape (B, L, D).

        Prompts are padded to :attr:`max_length`, the fixed token count the U-Net's cross-attention
        was trained with, unless ``longest`` is set or the projection mean-pools: a mask-aware mean
        is the same whatever the padding, and padding a few-word prompt to the longest one of its
        batch instead of the encoder's maximum costs a tenth of the encoder's work.
        """
        tokens = self.tokenize(prompts, longest)
        return self.encode_tokens(tokens.input_ids.to(device), tokens.attention_mask.to(device), dtype)

    def tokenize(self, prompts: list[str], longest: bool = False):
        """The tokenizer's output for ``prompts`` as :meth:`encode` pads and truncates them (PyTorch tensors)."""
        return self.tokenizer(prompts, max_length=self.max_length, truncation=True, return_tensors="pt",
                              padding=self.pads_to_longest(longest) or "max_length")

    def pads_to_longest(self, longest: bool = False) -> bool:
        """Whether :meth:`encode` pads a batch's tokens to its longest prompt (else to :attr:`max_length`)."""
        return longest or mean_pooled(self.projection)

    def encode_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, dtype: torch.dtype) -> TextEmbeddings:
        """:meth:`encode` from the tokenizer's output: ``input_ids`` and ``attention_mask`` (B, L)."""
        states = self.text_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state.to(dtype)
        mask = attention_mask
        if self.projection is not None:
            states, mask = self.projection(states, mask)
        return TextEmbeddings(states, mask)

    @property
    def encodes_prompts(self) -> bool:
        return self.text_encoder is not None

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        return self.encode(prompts, device, dtype).unet_kwargs()

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        if embeds.ndim == 3 and embeds.shape[-1] != self.cross_attention_dim:
            raise ValueError(
                f"Text embeddings have width {embeds.shape[-1]}, but the U-Net's cross_attention_dim is "
                f"{self.cross_attention_dim}; pass states of shape (B, L, {self.cross_attention_dim})."
            )
        return TextEmbeddings.given(embeds, mask, device, dtype).unet_kwargs()
