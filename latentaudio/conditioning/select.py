"""Which :class:`~.interface.Conditioner` a set of components makes: the U-Net's inputs decide.

A pipeline hands over all its conditioning components and gets the one conditioner they form, so
no pipeline knows which family of weights it runs:

* a T5 encoder, projection model and GPT-2 beside CLAP: AudioLDM2's two cross-attention streams;
* a U-Net that takes a projected class embedding and a CLAP text encoder: AudioLDM's and MusicLDM's
  ``class_labels``;
* otherwise text states through cross-attention (:class:`~.text.TextConditioner`), with the
  stated note (and, when its U-Net's embedding reads them, the named instrument) beside them when the
  pipeline is pitch-conditioned.
"""

from __future__ import annotations

from typing import Optional

from .audioldm2 import AudioLDM2Conditioner
from .clap import ClapClassConditioner
from .interface import Conditioner
from .pitch import PitchConditioner
from .template import TemplateConditioner
from .text import TextConditioner


def conditioner_for(unet, tokenizer=None, text_encoder=None, text_projection=None, tokenizer_2=None,
                    text_encoder_2=None, projection_model=None, language_model=None,
                    pitch_conditioning: bool = False, prompt_template: Optional[str] = None,
                    seconds: Optional[float] = None) -> Conditioner:
    """The conditioner the given components form, rewriting prompts into ``prompt_template`` for takes ``seconds``
    long; raises ``ValueError`` naming a component that does not fit."""
    conditioner = _conditioner(unet, tokenizer, text_encoder, text_projection, tokenizer_2, text_encoder_2,
                               projection_model, language_model, pitch_conditioning)
    return conditioner if prompt_template is None else TemplateConditioner(conditioner, prompt_template, seconds)


def _conditioner(unet, tokenizer, text_encoder, text_projection, tokenizer_2, text_encoder_2, projection_model,
                 language_model, pitch_conditioning: bool) -> Conditioner:
    if any(component is not None for component in (tokenizer_2, text_encoder_2, projection_model, language_model)):
        return AudioLDM2Conditioner(tokenizer, text_encoder, tokenizer_2, text_encoder_2, projection_model, language_model)
    if unet.config.get("class_embed_type") == "simple_projection" and text_projection is None and (
        text_encoder is not None and text_encoder.config.model_type.startswith("clap")
    ):
        return ClapClassConditioner(tokenizer, text_encoder, unet.config.projection_class_embeddings_input_dim)
    text = TextConditioner(tokenizer, text_encoder, text_projection, unet.config.cross_attention_dim)
    return PitchConditioner(text, unet.config.projection_class_embeddings_input_dim) if pitch_conditioning else text
