"""The conditioning seam: prompts → the U-Net's keyword arguments, for both halves of guidance.

A :class:`Conditioner` owns everything between the prompt and the U-Net call. Pipelines ask it for
a dict of keyword arguments (``encoder_hidden_states`` and ``encoder_attention_mask`` for
cross-attention text states; ``class_labels`` for a pooled embedding such as CLAP's; more for
structured attributes) and splat it into ``unet(sample, t, **kwargs)``; they never look inside.

Classifier-free guidance (Ho & Salimans 2022) batches the unconditional rows first, then the
conditional ones; :func:`cat_rows`, :func:`repeat_rows` and :func:`blend` do that for any such
dict. An attention mask (a key containing ``attention_mask``) may be ``None``, meaning every
position is attended; beside a tensor it counts as all ones.
"""

from __future__ import annotations

from typing import Optional

import torch

# Keyword arguments of the U-Net, each (B, ...) or None.
UNetKwargs = dict[str, Optional[torch.Tensor]]


def is_mask(name: str) -> bool:
    return "attention_mask" in name


def _rows(kwargs: UNetKwargs) -> int:
    return next(value.shape[0] for value in kwargs.values() if value is not None)


def _filled(kwargs: UNetKwargs, name: str, like: torch.Tensor) -> torch.Tensor:
    """``kwargs[name]``, or all ones shaped like ``like`` with this dict's rows when it is a None mask."""
    if kwargs.get(name) is not None:
        return kwargs[name]
    if not is_mask(name):
        raise ValueError(f"{name} is None in one batch and a tensor in another; only attention masks may be None.")
    return torch.ones((_rows(kwargs), *like.shape[1:]), dtype=like.dtype, device=like.device)


def repeat_rows(kwargs: UNetKwargs, n: int) -> UNetKwargs:
    """Each row ``n`` times in a row (``num_waveforms_per_prompt`` takes of every prompt)."""
    return {name: None if value is None else value.repeat_interleave(n, dim=0) for name, value in kwargs.items()}


def mask_name(name: str) -> str:
    """The mask that goes with states ``name``: ``encoder_hidden_states_1`` → ``encoder_attention_mask_1``."""
    return name.replace("hidden_states", "attention_mask")


def pad_sequences(parts: list[UNetKwargs]) -> list[UNetKwargs]:
    """Zero-pad masked token states (B, L, D) to the longest L among ``parts``, their masks with zeros.

    Two batches of token states of different lengths (T5 pads each batch to its longest prompt)
    can then be stacked or blended; the padding is masked out, so the U-Net sees the same tokens.
    """
    parts = [dict(part) for part in parts]
    for name in dict.fromkeys(key for part in parts for key in part):
        mask = mask_name(name)
        values = [part.get(name) for part in parts]
        if mask == name or any(value is None or value.ndim != 3 for value in values):
            continue
        length = max(value.shape[1] for value in values)
        if all(value.shape[1] == length for value in values) or not any(mask in part for part in parts):
            continue
        for part, value in zip(parts, values):
            extra = length - value.shape[1]
            filled = _filled(part, mask, torch.ones(value.shape[:2], device=value.device))
            part[name] = torch.nn.functional.pad(value, (0, 0, 0, extra))
            part[mask] = torch.nn.functional.pad(filled, (0, extra))
    return parts


def cat_rows(parts: list[UNetKwargs]) -> UNetKwargs:
    """Stack batches row-wise: ``cat_rows([uncond, cond])`` is the guidance batch."""
    parts = pad_sequences(parts)
    merged = {}
    for name in dict.fromkeys(key for part in parts for key in part):
        given = [part.get(name) for part in parts]
        like = next((value for value in given if value is not None), None)
        if like is None:
            merged[name] = None
            continue
        values = [_filled(part, name, like) for part in parts]
        if any(value.shape[1:] != like.shape[1:] for value in values):
            raise ValueError(
                f"Prompt and negative-prompt conditioning must have the same shape, got {name} of shapes "
                f"{[tuple(value.shape) for value in values]}."
            )
        merged[name] = torch.cat(values)
    return merged


def conditional_rows(conditions: UNetKwargs) -> UNetKwargs:
    """The conditional half of a guidance batch (``cat_rows([uncond, cond])``, as :meth:`Conditioner.unet_kwargs`
    lays it out): ``cond``, each tensor's second half of rows."""
    return {name: None if value is None else value.chunk(2)[1] for name, value in conditions.items()}


def blend(a: UNetKwargs, b: UNetKwargs, alpha: float) -> UNetKwargs:
    """Linear blend of two batches' conditioning; a position attended by either is attended in between.

    Exactly ``a`` at 0 and ``b`` at 1.
    """
    if alpha == 0:
        return a
    if alpha == 1:
        return b
    a, b = pad_sequences([a, b])
    blended = {}
    for name in dict.fromkeys([*a, *b]):
        if a.get(name) is None and b.get(name) is None:
            blended[name] = None
        elif is_mask(name):
            like = a[name] if a.get(name) is not None else b[name]
            blended[name] = torch.maximum(_filled(a, name, like), _filled(b, name, like))
        else:
            blended[name] = torch.lerp(a[name], b[name], alpha)
    return blended


class Conditioner:
    """Turns prompts (or precomputed embeddings) into the U-Net's keyword arguments.

    Subclasses say how one batch of prompts is encoded (:meth:`prompt_kwargs`), how precomputed
    embeddings map onto the U-Net's arguments (:meth:`given_kwargs`) and whether they can encode
    text at all (:attr:`encodes_prompts`); :meth:`unet_kwargs` does the rest for every kind.
    """

    @property
    def encodes_prompts(self) -> bool:
        raise NotImplementedError

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        """U-Net keyword arguments for one batch of prompts, one row per prompt."""
        raise NotImplementedError

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        """U-Net keyword arguments for precomputed embeddings (``prompt_embeds``) and their mask."""
        raise NotImplementedError

    def negative_kwargs(self, negatives: list[str], cond: UNetKwargs, device, dtype) -> UNetKwargs:
        """U-Net keyword arguments of the negative prompts, given the prompts' own (``cond``); by default
        they are encoded alike, but an encoder may need to match the prompts' token length."""
        return self.prompt_kwargs(negatives, device, dtype)

    def unet_kwargs(
        self,
        prompts: list,
        negatives: Optional[list],
        num_per_prompt: int,
        do_guidance: bool,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        prompt_attention_mask: Optional[torch.Tensor] = None,
        negative_prompt_attention_mask: Optional[torch.Tensor] = None,
        *,
        device,
        dtype,
    ) -> Optional[UNetKwargs]:
        """The U-Net's keyword arguments, unconditional rows first when guiding.

        Returns ``None`` when there is nothing to condition on (no encoder and no embeddings).
        Each prompt's row is repeated ``num_per_prompt`` times; the negative prompts (``""`` by
        default) make the unconditional half.
        """
        if prompt_embeds is not None:
            cond = self.given_kwargs(prompt_embeds, prompt_attention_mask, device, dtype)
        elif self.encodes_prompts:
            cond = self.prompt_kwargs(prompts, device, dtype)
        else:
            return None
        cond = repeat_rows(cond, num_per_prompt)
        if not do_guidance:
            return cond
        if negative_prompt_embeds is not None:
            uncond = self.given_kwargs(negative_prompt_embeds, negative_prompt_attention_mask, device, dtype)
        elif self.encodes_prompts:
            uncond = self.negative_kwargs(negatives or [""] * len(prompts), cond, device, dtype)
        else:
            raise ValueError("Guidance with prompt_embeds and no text encoder needs negative_prompt_embeds.")
        return cat_rows([repeat_rows(uncond, num_per_prompt), cond])
