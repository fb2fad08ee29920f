"""Structured pitch conditioning: the note a prompt states, beside the text, as the U-Net's ``class_labels``.

A sentence encoder barely separates "F#3" from "G3", and it has never been taught that "middle C",
"C4" and "261.6 Hz" are one note. So the note :func:`latentaudio.prompts.parse_prompt` reads from a
prompt (any common notation) enters the U-Net a second way, as continuous features
(:func:`latentaudio.note_features.note_features`: the pitch class and the place on the keyboard,
all zeros when no note is stated), much as Stable Audio conditions on timing beside its text
(Evans et al. 2024, Sec. 3.2).

The U-Net takes them through diffusers' projection class embedding
(``UNet2DConditionModel(class_embed_type="projection", projection_class_embeddings_input_dim=16)``):
an MLP whose output is added to the timestep embedding of every block. :func:`with_pitch_embedding`
adds that MLP to a trained U-Net with a zero last layer, so the upgraded model starts out exactly as
it was; the diffusion trainer drops the note with probability ``pitch_dropout`` so that prompts
without a note keep working.

The same embedding can also take the instrument the prompt names (``with_pitch_embedding(unet,
instruments=True)``, 208 input features instead of 16: the note's, then one-hot blocks of the GM family,
program and drum key, :mod:`latentaudio.note_features`). A sentence encoder places "rhodes" and
"electric piano", or "kick" and "bass drum", only roughly together, while the prompt reader resolves them to
one General MIDI program or drum key; that answer then reaches every block of the U-Net as it does
for the note. Widening an embedding that takes the note alone keeps its weights and adds zero
columns, so again the model starts out as it was. ``with_pitch_embedding(unet, music=True)``
widens it once more (253 features) for the tempo, key and length a prompt states
(:data:`~latentaudio.note_features.MUSIC_FEATURES`), again with zero columns. The width of the U-Net's
``projection_class_embeddings_input_dim`` says which features a pipeline computes.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch

from ..note_features import (FEATURE_WIDTHS, INSTRUMENT_FEATURES, MUSIC_FEATURES, PERIODS, PITCH_FEATURES, Instrument, Music,
                             check_feature_width, features, prompt_features, prompt_instruments, prompt_music, prompt_notes)
from .guidance import extend_unet
from .interface import Conditioner, UNetKwargs

__all__ = ["FEATURE_WIDTHS", "INSTRUMENT_FEATURES", "MUSIC_FEATURES", "PERIODS", "PITCH_FEATURES", "Music", "PitchConditioner",
           "check_pitch_conditioning", "check_pitch_embedding", "embedding_width", "feature_width", "has_instrument_embedding", "has_music_embedding",
           "has_pitch_embedding", "pitch_features", "prompt_instruments", "prompt_music", "prompt_notes",
           "structured_features", "with_pitch_embedding"]


def pitch_features(notes: Sequence[Optional[float]], instruments: Optional[Sequence[Optional[Instrument]]] = None,
                   music: Optional[Sequence[Optional[Music]]] = None) -> torch.Tensor:
    """Features (B, PITCH_FEATURES) of MIDI pitches as a tensor (:func:`~latentaudio.note_features.features`);
    with the instruments' columns when ``instruments`` is given, and the tempo's, key's and length's when
    ``music`` is."""
    return torch.from_numpy(features(notes, instruments, music))


def structured_features(prompts: Sequence[Optional[str]], width: int) -> torch.Tensor:
    """Features (B, ``width``) of what each prompt states, as a tensor (:func:`~latentaudio.note_features.prompt_features`)."""
    return torch.from_numpy(prompt_features(prompts, width))


def check_pitch_conditioning(unet, reads_prompts: bool) -> None:
    """Raise ``ValueError`` unless a pipeline can condition on the stated note: it reads prompts
    (has a text encoder, or names a packaged one) and its U-Net has the pitch embedding."""
    if not reads_prompts:
        raise ValueError("pitch_conditioning reads the note from the prompt; this pipeline has no text encoder.")
    check_pitch_embedding(unet)


class PitchConditioner(Conditioner):
    """Another conditioner's keyword arguments plus ``class_labels``: the features of each prompt's note
    (and instrument, for a U-Net whose embedding reads them).

    Precomputed ``prompt_embeds`` carry no text to read a note from, so they get the "nothing stated" row.

    Args:
        inner (`Conditioner`): What conditions on the rest of the prompt (text states).
        width (`int`, defaults to `PITCH_FEATURES`): The U-Net's ``projection_class_embeddings_input_dim``
            (one of ``FEATURE_WIDTHS``).
    """

    def __init__(self, inner: Conditioner, width: int = PITCH_FEATURES):
        check_feature_width(width)
        self.inner, self.width = inner, width

    @property
    def encodes_prompts(self) -> bool:
        return self.inner.encodes_prompts

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        labels = structured_features(prompts, self.width).to(device, dtype)
        return {**self.inner.prompt_kwargs(prompts, device, dtype), "class_labels": labels}

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        labels = torch.zeros(embeds.shape[0], self.width, device=device, dtype=dtype)
        return {**self.inner.given_kwargs(embeds, mask, device, dtype), "class_labels": labels}


def has_pitch_embedding(unet) -> bool:
    """Whether ``unet`` takes pitch features (alone, or with the instrument's) as its ``class_labels``."""
    return (unet.config.class_embed_type == "projection"
            and unet.config.projection_class_embeddings_input_dim in FEATURE_WIDTHS)


def embedding_width(unet) -> int:
    """How many structured features ``unet``'s pitch embedding reads (one of ``FEATURE_WIDTHS``); 0 without one."""
    return unet.config.projection_class_embeddings_input_dim if has_pitch_embedding(unet) else 0


def feature_width(instruments: bool = False, music: bool = False) -> int:
    """The embedding width that reads the note; with ``instruments`` the instrument's features too; with
    ``music`` those and the tempo, key and length."""
    return FEATURE_WIDTHS[2] if music else FEATURE_WIDTHS[1] if instruments else FEATURE_WIDTHS[0]


def has_instrument_embedding(unet) -> bool:
    """Whether ``unet``'s pitch embedding also takes the instrument's features."""
    return embedding_width(unet) >= feature_width(instruments=True)


def has_music_embedding(unet) -> bool:
    """Whether ``unet``'s pitch embedding also takes the tempo, key and length a prompt states."""
    return embedding_width(unet) >= feature_width(music=True)


def check_pitch_embedding(unet) -> None:
    if not has_pitch_embedding(unet):
        raise ValueError(
            f"pitch_conditioning needs a U-Net with class_embed_type='projection' and "
            f"projection_class_embeddings_input_dim in {FEATURE_WIDTHS}, but it has class_embed_type="
            f"{unet.config.class_embed_type!r} and projection_class_embeddings_input_dim="
            f"{unet.config.projection_class_embeddings_input_dim!r}; add one with with_pitch_embedding(unet)."
        )


def with_pitch_embedding(unet, instruments: bool = False, music: bool = False):
    """``unet`` with a pitch embedding added (zero-initialised output: the same predictions until trained).

    With ``instruments``, the embedding also reads the instrument's features; with ``music``, the
    instrument's and the tempo's, key's and length's. A U-Net whose embedding is narrower gets the new
    columns added at zero, keeping every trained weight. Returns ``unet`` itself when it already has
    what is asked for (an embedding is never narrowed).
    """
    width = feature_width(instruments, music)
    if has_pitch_embedding(unet):
        if embedding_width(unet) >= width:
            return unet
        # the trained embedding, widened by zero columns for the features it does not read yet
        first = unet.class_embedding.linear_1.weight.detach()
        weights = {**unet.state_dict(), "class_embedding.linear_1.weight": torch.cat(
            [first, first.new_zeros(first.shape[0], width - first.shape[1])], dim=1)}
        return extend_unet(unet, "class_embedding.", weights=weights, projection_class_embeddings_input_dim=width)
    if unet.config.class_embed_type is not None or unet.config.num_class_embeds is not None:
        raise ValueError(f"The U-Net already has a class embedding ({unet.config.class_embed_type!r}); "
                         "it cannot also take pitch features.")
    upgraded = extend_unet(unet, "class_embedding.", class_embed_type="projection", projection_class_embeddings_input_dim=width)
    torch.nn.init.zeros_(upgraded.class_embedding.linear_2.weight)
    torch.nn.init.zeros_(upgraded.class_embedding.linear_2.bias)
    return upgraded

