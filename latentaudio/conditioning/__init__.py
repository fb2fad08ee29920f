"""Conditioning: prompts → the U-Net's keyword arguments (see :mod:`.interface`).

* :mod:`.interface`: the :class:`Conditioner` seam and the guidance batching of its keyword arguments;
* :mod:`.text`: text states through a transformers encoder and a :class:`TextProjection`;
* :mod:`.registry`: where text encoders come from and how wide they are;
* :mod:`.pitch`: the note a prompt states, as continuous features beside the text;
* :mod:`.guidance`: the guidance weight as an embedding, for guidance-distilled U-Nets.
"""

# Folders saved before this package existed name their text projection's library
# "latentaudio.conditioning"; diffusers finds its loading methods among that module's base classes.
from diffusers.models.modeling_utils import ModelMixin  # noqa: F401

from .guidance import (
    GUIDANCE_EMBEDDING_DIM,
    embeds_guidance,
    extend_unet,
    guidance_embedding,
    with_guidance_embedding,
)
from .interface import Conditioner, UNetKwargs, blend, cat_rows, repeat_rows
from .pitch import (
    PITCH_FEATURES,
    PitchConditioner,
    check_pitch_conditioning,
    check_pitch_embedding,
    has_pitch_embedding,
    pitch_features,
    prompt_notes,
    with_pitch_embedding,
)
from .registry import (
    PACKAGED_TEXT_ENCODERS,
    TEXT_ENCODER_FAMILIES,
    PackagedTextEncoder,
    fresh_text_encoder,
    load_local_text_encoder,
    minilm_path,
    packaged_text_width,
    text_encoder_folder,
    text_width,
)
from .text import MAX_TEXT_TOKENS, POOLING_MODES, TextConditioner, TextEmbeddings, TextProjection

__all__ = [
    "GUIDANCE_EMBEDDING_DIM",
    "MAX_TEXT_TOKENS",
    "PACKAGED_TEXT_ENCODERS",
    "PITCH_FEATURES",
    "POOLING_MODES",
    "TEXT_ENCODER_FAMILIES",
    "Conditioner",
    "PackagedTextEncoder",
    "PitchConditioner",
    "TextConditioner",
    "TextEmbeddings",
    "TextProjection",
    "UNetKwargs",
    "blend",
    "cat_rows",
    "check_pitch_conditioning",
    "check_pitch_embedding",
    "embeds_guidance",
    "extend_unet",
    "fresh_text_encoder",
    "guidance_embedding",
    "has_pitch_embedding",
    "load_local_text_encoder",
    "minilm_path",
    "packaged_text_width",
    "pitch_features",
    "prompt_notes",
    "repeat_rows",
    "text_encoder_folder",
    "text_width",
    "with_guidance_embedding",
    "with_pitch_embedding",
]
