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
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch

from ..note_features import PERIODS, PITCH_FEATURES, note_features, prompt_notes
from .guidance import extend_unet
from .interface import Conditioner, UNetKwargs

__all__ = ["PERIODS", "PITCH_FEATURES", "PitchConditioner", "check_pitch_conditioning", "check_pitch_embedding",
           "has_pitch_embedding", "pitch_features", "prompt_notes", "with_pitch_embedding"]


def pitch_features(notes: Sequence[Optional[float]]) -> torch.Tensor:
    """Features (B, PITCH_FEATURES) of MIDI pitches as a tensor (:func:`~latentaudio.note_features.note_features`)."""
    return torch.from_numpy(note_features(notes))


def check_pitch_conditioning(unet, reads_prompts: bool) -> None:
    """Raise ``ValueError`` unless a pipeline can condition on the stated note: it reads prompts
    (has a text encoder, or names a packaged one) and its U-Net has the pitch embedding."""
    if not reads_prompts:
        raise ValueError("pitch_conditioning reads the note from the prompt; this pipeline has no text encoder.")
    check_pitch_embedding(unet)


class PitchConditioner(Conditioner):
    """Another conditioner's keyword arguments plus ``class_labels``: the pitch features of each prompt's note.

    Precomputed ``prompt_embeds`` carry no text to read a note from, so they get the "no note" row.

    Args:
        inner (`Conditioner`): What conditions on the rest of the prompt (text states).
    """

    def __init__(self, inner: Conditioner):
        self.inner = inner

    @property
    def encodes_prompts(self) -> bool:
        return self.inner.encodes_prompts

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        features = pitch_features(prompt_notes(prompts)).to(device, dtype)
        return {**self.inner.prompt_kwargs(prompts, device, dtype), "class_labels": features}

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        features = pitch_features([None] * embeds.shape[0]).to(device, dtype)
        return {**self.inner.given_kwargs(embeds, mask, device, dtype), "class_labels": features}


def has_pitch_embedding(unet) -> bool:
    """Whether ``unet`` takes pitch features as its ``class_labels``."""
    return (unet.config.class_embed_type == "projection"
            and unet.config.projection_class_embeddings_input_dim == PITCH_FEATURES)


def check_pitch_embedding(unet) -> None:
    if not has_pitch_embedding(unet):
        raise ValueError(
            f"pitch_conditioning needs a U-Net with class_embed_type='projection' and "
            f"projection_class_embeddings_input_dim={PITCH_FEATURES}, but it has class_embed_type="
            f"{unet.config.class_embed_type!r} and projection_class_embeddings_input_dim="
            f"{unet.config.projection_class_embeddings_input_dim!r}; add one with with_pitch_embedding(unet)."
        )


def with_pitch_embedding(unet):
    """``unet`` with a pitch embedding added (zero-initialised output: the same predictions until trained).

    Returns ``unet`` itself when it already has one.
    """
    if has_pitch_embedding(unet):
        return unet
    if unet.config.class_embed_type is not None or unet.config.num_class_embeds is not None:
        raise ValueError(f"The U-Net already has a class embedding ({unet.config.class_embed_type!r}); "
                         "it cannot also take pitch features.")
    upgraded = extend_unet(unet, "class_embedding.", class_embed_type="projection",
                           projection_class_embeddings_input_dim=PITCH_FEATURES)
    torch.nn.init.zeros_(upgraded.class_embedding.linear_2.weight)
    torch.nn.init.zeros_(upgraded.class_embedding.linear_2.bias)
    return upgraded
