"""Prompts rewritten into the captions a model was trained on, before any other conditioner reads them.

A model trained on one caption template (the General MIDI one-shots of ``latentaudio data soundfont``:
"a soft acoustic grand piano note, C4") follows that template far better than a user's own words, which
reach it only as near as the text encoder places them. When a pipeline's ``prompt_template`` is set,
:class:`TemplateConditioner` hands the conditioner it wraps each prompt as
:func:`latentaudio.prompts.template_caption` rewrites it: "kick, deep and boomy" becomes "a moderately
loud kick drum hit". Negative prompts and precomputed embeddings pass as they are.
"""

from __future__ import annotations

from typing import Optional

import torch

from ..prompts import check_prompt_template, template_caption
from .interface import Conditioner, UNetKwargs


class TemplateConditioner(Conditioner):
    """``inner``, reading every prompt rewritten into ``template`` (one of :data:`~latentaudio.prompts.PROMPT_TEMPLATES`)
    for a take ``seconds`` long (the length a ``"gm_music"`` prompt for material is read stating; `None`: unknown)."""

    def __init__(self, inner: Conditioner, template: str, seconds: Optional[float] = None):
        check_prompt_template(template)
        self.inner, self.template, self.seconds = inner, template, seconds

    @property
    def encodes_prompts(self) -> bool:
        return self.inner.encodes_prompts

    def rewrite(self, prompts: list[str]) -> list[str]:
        """The prompts as the inner conditioner reads them."""
        return [template_caption(prompt, self.template, self.seconds) for prompt in prompts]

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        return self.inner.prompt_kwargs(self.rewrite(prompts), device, dtype)

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        return self.inner.given_kwargs(embeds, mask, device, dtype)

    def negative_kwargs(self, negatives: list[str], cond: UNetKwargs, device, dtype) -> UNetKwargs:
        return self.inner.negative_kwargs(negatives, cond, device, dtype)
