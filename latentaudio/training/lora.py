"""LoRA adapters on the U-Net's attention projections (Hu et al. 2022), through peft and diffusers.

A rank-r adapter adds ``(alpha / r) · B A`` to each of the attention layers' ``to_q``, ``to_k``,
``to_v`` and ``to_out.0`` weights; only ``A`` and ``B`` train. A LoRA fine-tune writes two things:

* ``OUTPUT/`` — the whole pipeline with the adapter *fused* into the U-Net weights, so
  ``LatentAudioPipeline.from_pretrained(OUTPUT)`` generates in the new style with no extra step;
* ``OUTPUT/lora/pytorch_lora_weights.safetensors`` — the adapter alone, in diffusers' format
  (keys ``unet.…lora.down/up.weight``, rank and alpha in the metadata), to apply to the base model
  the diffusers way::

      pipe = LatentAudioPipeline.from_pretrained(BASE)
      pipe.load_lora_weights(OUTPUT / "lora")   # unfused: pipe.set_adapters / unload_lora_weights work
      pipe.fuse_lora()                          # optional: fold it in for speed

  (Load it into the *base* model, not into ``OUTPUT``, which has it fused already.)
"""

from __future__ import annotations

from pathlib import Path

from diffusers.utils import convert_state_dict_to_diffusers
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict

from ..atomic import atomic_folder
from ..pipelines import LatentAudioPipelineBase

LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
LORA_FOLDER = "lora"


def add_lora(unet, rank: int, alpha=None) -> list:
    """Freeze ``unet``, give its attention layers a rank-``rank`` adapter; returns the adapter's parameters."""
    unet.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=alpha or rank, init_lora_weights="gaussian",
                                target_modules=list(LORA_TARGETS)))
    parameters = [p for p in unet.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError(f"The U-Net has no attention layers named {LORA_TARGETS} to adapt; use full fine-tuning.")
    return parameters


def save_lora(unet, output) -> Path:
    """Write the adapter of ``unet`` to ``output/lora/pytorch_lora_weights.safetensors``."""
    folder = Path(output) / LORA_FOLDER
    with atomic_folder(folder) as staged:
        LatentAudioPipelineBase.save_lora_weights(
            staged,
            unet_lora_layers=convert_state_dict_to_diffusers(get_peft_model_state_dict(unet)),
            unet_lora_adapter_metadata=unet.peft_config["default"].to_dict(),
        )
    return folder


def fuse_lora(unet) -> None:
    """Fold the adapter into the U-Net's weights and drop the adapter layers."""
    unet.fuse_lora()
    unet.unload_lora()
