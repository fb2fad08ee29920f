"""Fine-tuning a trained pipeline on a new audio folder: all U-Net weights, or LoRA adapters.

``latentaudio finetune`` is the diffusion trainer with :class:`~.config.FinetuneConfig`'s
gentler defaults (lower learning rate, fewer steps, no EMA): without a rank every U-Net weight
(and the text projection) adapts; with ``lora_rank`` only rank-r adapters on the U-Net's
attention layers train, at ``lora_learning_rate``, and the output holds both the fused pipeline
and the adapter alone (see :mod:`.lora`).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from .config import FinetuneConfig
from .diffusion import train_diffusion


def finetune(model, data, output, lora_rank: Optional[int] = None, max_steps: Optional[int] = None,
             config: Optional[FinetuneConfig] = None, resume: bool = False, allow_changed_settings: bool = False):
    """Adapt the pipeline in ``model`` to the audiofolder ``data``; the result goes to ``output``.

    Args:
        model: The trained pipeline folder to start from.
        data: The new audiofolder (e.g. from ``latentaudio data music21``).
        output: Folder for the fine-tuned pipeline, its checkpoints and logs.
        lora_rank (`int`, *optional*): Train LoRA adapters of this rank instead of every weight.
        max_steps (`int`, *optional*): Optimizer updates; the config's when `None`.
        config (`FinetuneConfig`, *optional*): Defaults to ``FinetuneConfig()``.
        resume (`bool`): Continue from the newest intact checkpoint in ``output/checkpoints``.
        allow_changed_settings (`bool`): Resume although model or settings differ from the checkpoint's.
    """
    config = config or FinetuneConfig()
    overrides = {"lora_rank": lora_rank, "max_steps": max_steps}
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    return train_diffusion(model, data, output, config, resume, allow_changed_settings)
