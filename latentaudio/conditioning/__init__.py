"""Conditioning: prompts → the U-Net's keyword arguments (see :mod:`.interface`).

* :mod:`.interface`: the :class:`Conditioner` seam and the guidance batching of its keyword arguments;
* :mod:`.text`: text states through a transformers encoder and a :class:`TextProjection`;
* :mod:`.registry`: where text encoders come from and how wide they are.
"""

# Folders saved before this package existed name their text projection's library
# "latentaudio.conditioning"; diffusers finds its loading methods among that module's base classes.
from diffusers.models.modeling_utils import ModelMixin  # noqa: F401

from .interface import Conditioner, UNetKwargs, blend, cat_rows, repeat_rows
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
    "MAX_TEXT_TOKENS",
    "PACKAGED_TEXT_ENCODERS",
    "POOLING_MODES",
    "TEXT_ENCODER_FAMILIES",
    "Conditioner",
    "PackagedTextEncoder",
    "TextConditioner",
    "TextEmbeddings",
    "TextProjection",
    "UNetKwargs",
    "blend",
    "cat_rows",
    "fresh_text_encoder",
    "load_local_text_encoder",
    "minilm_path",
    "packaged_text_width",
    "repeat_rows",
    "text_encoder_folder",
    "text_width",
]
