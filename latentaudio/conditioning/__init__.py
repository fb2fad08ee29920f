"""Conditioning: prompts → the U-Net's keyword arguments (see :mod:`.interface`).

* :mod:`.interface`: the :class:`Conditioner` seam and the guidance batching of its keyword arguments;
* :mod:`.text`: text states through a transformers encoder and a :class:`TextProjection`;
* :mod:`.registry`: where text encoders come from and how wide they are;
* :mod:`.pitch`: the note a prompt states, as continuous features beside the text;
* :mod:`.beat`: the tempo a prompt states, as beat-phase channels beside the latent, and what the U-Net's input holds;
* :mod:`.key`: the key a prompt states, as key channels (the spectrum of its notes) beside the latent;
* :mod:`.template`: prompts rewritten into the captions a model was trained on (``prompt_template``);
* :mod:`.guidance`: the guidance weight as an embedding, for guidance-distilled U-Nets;
* :mod:`.clap`: AudioLDM's and MusicLDM's CLAP embedding as the U-Net's ``class_labels``;
* :mod:`.audioldm2`: AudioLDM2's CLAP + T5 + GPT-2 states for two cross-attention streams;
* :mod:`.select`: which conditioner a pipeline's components form.
"""

# Folders saved before this package existed name their text projection's library
# "latentaudio.conditioning"; diffusers finds its loading methods among that module's base classes.
from diffusers.models.modeling_utils import ModelMixin  # noqa: F401

from .audioldm2 import AudioLDM2Conditioner
from .beat import (
    BEAT_CHANNELS,
    beat_channels,
    check_unet_channels,
    has_beat_channels,
    has_key_channels,
    unet_input,
    with_beat_channels,
    with_input_channels,
    with_key_channels,
)
from .clap import ClapClassConditioner, clap_text_embedding
from .guidance import (
    GUIDANCE_EMBEDDING_DIM,
    embeds_guidance,
    extend_unet,
    guidance_embedding,
    with_guidance_embedding,
)
from .key import KEY_CHANNELS, key_channels, pitch_class_spectra
from .interface import Conditioner, UNetKwargs, blend, cat_rows, conditional_rows, pad_sequences, repeat_rows
from .pitch import (
    FEATURE_WIDTHS,
    INSTRUMENT_FEATURES,
    MUSIC_FEATURES,
    PITCH_FEATURES,
    Music,
    PitchConditioner,
    check_pitch_conditioning,
    check_pitch_embedding,
    embedding_width,
    feature_width,
    has_instrument_embedding,
    has_music_embedding,
    has_pitch_embedding,
    pitch_features,
    prompt_instruments,
    prompt_music,
    prompt_notes,
    structured_features,
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
from .select import conditioner_for
from .template import TemplateConditioner
from .text import MAX_TEXT_TOKENS, POOLING_MODES, TextConditioner, TextEmbeddings, TextProjection, mean_pooled

__all__ = [
    "BEAT_CHANNELS",
    "KEY_CHANNELS",
    "GUIDANCE_EMBEDDING_DIM",
    "MAX_TEXT_TOKENS",
    "PACKAGED_TEXT_ENCODERS",
    "FEATURE_WIDTHS",
    "INSTRUMENT_FEATURES",
    "MUSIC_FEATURES",
    "PITCH_FEATURES",
    "POOLING_MODES",
    "TEXT_ENCODER_FAMILIES",
    "AudioLDM2Conditioner",
    "ClapClassConditioner",
    "Music",
    "Conditioner",
    "PackagedTextEncoder",
    "PitchConditioner",
    "TemplateConditioner",
    "TextConditioner",
    "TextEmbeddings",
    "TextProjection",
    "UNetKwargs",
    "beat_channels",
    "key_channels",
    "pitch_class_spectra",
    "blend",
    "cat_rows",
    "conditional_rows",
    "check_pitch_conditioning",
    "check_unet_channels",
    "clap_text_embedding",
    "conditioner_for",
    "check_pitch_embedding",
    "embeds_guidance",
    "extend_unet",
    "fresh_text_encoder",
    "guidance_embedding",
    "embedding_width",
    "feature_width",
    "has_beat_channels",
    "has_key_channels",
    "has_instrument_embedding",
    "has_music_embedding",
    "has_pitch_embedding",
    "load_local_text_encoder",
    "minilm_path",
    "packaged_text_width",
    "pad_sequences",
    "pitch_features",
    "structured_features",
    "prompt_instruments",
    "prompt_music",
    "prompt_notes",
    "repeat_rows",
    "text_encoder_folder",
    "text_width",
    "unet_input",
    "with_beat_channels",
    "with_input_channels",
    "with_key_channels",
    "with_guidance_embedding",
    "with_pitch_embedding",
    "mean_pooled",
]
