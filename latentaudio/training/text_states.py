"""Caption states computed once, saved, and read back instead of running the text encoder.

Diffusion training keeps the text encoder frozen, so each caption's encoder states never change.
``latentaudio data embed-captions`` writes them to one safetensors file; a diffusion run with
``text_states_file`` set reads that file and never loads the encoder (useful on a machine
without the encoder's weights or package, or to skip the encoder's cost).

The file holds ``states`` (N, L, H) float32 (or float16, read as float32) and ``mask`` (N, L) with one row per caption, in
the order of the JSON list in its ``captions`` metadata. When the pipeline's text projection
mean-pools, the states are stored pooled (L = 1): pooling is parameter-free and pooling a pooled
state changes nothing, so the trained projection sees exactly what the encoder would give it.
The empty caption (classifier-free guidance's unconditional prompt) is always included. For a run
with ``caption_note_dropout`` or ``caption_instrument_dropout``, which train on captions with their
note or instrument taken out, the file must also hold those wordings (``embed-captions --untold``,
:func:`untold_wordings`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Optional

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ..conditioning import TextConditioner, mean_pooled
from ..prompts import without_instrument, without_note


def encoder_states(pipe, captions: list[str], device, batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """States (N, L, H) and masks (N, L) of ``captions`` as the pipeline's frozen encoder gives them,
    pooled when its text projection pools."""
    encoder = pipe.text_encoder
    if encoder is None:
        raise ValueError("The pipeline has no text encoder, so it has no caption states to compute.")
    conditioner = TextConditioner.unprojected(pipe.tokenizer, encoder)
    states, masks = [], []
    for start in range(0, len(captions), batch_size):
        embeddings = conditioner.encode(captions[start : start + batch_size], device, torch.float32,
                                        longest=mean_pooled(pipe.text_projection))
        state, mask = embeddings.states, embeddings.mask
        if pipe.text_projection is not None:
            state, mask = pipe.text_projection.pool(state, mask)
        states.append(state.cpu())
        masks.append(torch.ones(state.shape[:2], dtype=torch.long) if mask is None else mask.long().cpu())
    return torch.cat(states), torch.cat(masks)


def untold_wordings(captions: Iterable[str], note: bool = True, instrument: bool = False) -> list[str]:
    """The distinct wordings that ``captions`` become with their note (:func:`~latentaudio.prompts.without_note`),
    their instrument (:func:`~latentaudio.prompts.without_instrument`) or both taken out, the note first as
    diffusion training takes them: what ``caption_note_dropout`` and ``caption_instrument_dropout`` train on
    besides the captions themselves."""
    wordings = set()
    for caption in set(captions):
        untold = without_note(caption) if note else caption
        wordings.update((untold, without_instrument(untold), without_instrument(caption)) if instrument else (untold,))
    return sorted(wordings - set(captions))


def save_caption_states(pipe, captions: Iterable[str], path, device="cpu") -> Path:
    """Encode every distinct caption (plus ``""``) with the pipeline's encoder and save them to ``path``."""
    unique = sorted(set(captions) | {""})
    states, mask = encoder_states(pipe.to(device), unique, device)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "captions": json.dumps(unique),
        "text_encoder": type(pipe.text_encoder).__name__,
        "text_encoder_package": str(pipe.config.text_encoder_package),
        "hidden_size": str(pipe.text_encoder.config.hidden_size),
    }
    partial = path.with_name(path.name + ".partial")
    save_file({"states": states.contiguous(), "mask": mask.contiguous()}, str(partial), metadata=metadata)
    partial.replace(path)
    return path


def subset_caption_states(source, captions: Iterable[str], path, dtype: torch.dtype = torch.float16,
                          also: Iterable[str] = ()) -> Path:
    """Write the rows of the states file ``source`` for ``captions`` (and ``""``) to ``path`` as ``dtype``, with those
    of ``also`` that ``source`` holds (e.g. a recipe's validation prompts, which ``data embed-captions`` adds).

    A smaller file for a run on part of the data, e.g. one sent to another machine in a small transfer:
    float16 halves it, and :class:`CaptionStateTable` reads it back as float32 (each state rounded by at
    most 2^-11 of its size).

    Raises:
        KeyError: A caption is not in ``source``.
    """
    table = CaptionStateTable(source)
    wanted = set(captions) | {""}
    missing = [caption for caption in sorted(wanted) if caption not in table]
    if missing:
        raise KeyError(f"{len(missing)} caption(s) are not in {table.path}, e.g. {missing[0]!r}; embed the data again.")
    wanted = sorted(wanted | {caption for caption in also if caption in table})
    rows = torch.tensor([table.index[caption] for caption in wanted])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    save_file({"states": table.states[rows].to(dtype).contiguous(), "mask": table.mask[rows].contiguous()},
              str(partial), metadata={**table.metadata, "captions": json.dumps(wanted)})
    partial.replace(path)
    return path


class CaptionStateTable:
    """The states of a file written by :func:`save_caption_states`, looked up by caption.

    Args:
        path: The safetensors file.
        hidden_size (`int`, *optional*): The width the text projection expects; checked when given.
    """

    def __init__(self, path, hidden_size: Optional[int] = None):
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Caption states file not found: {path} (write it with `latentaudio data embed-captions`).")
        try:
            with safe_open(str(path), framework="pt") as f:
                metadata = f.metadata() or {}
                if "captions" not in metadata:
                    raise ValueError(f"{path} is not a caption states file: it has no 'captions' metadata.")
                # float16 files (made to travel small) are read back as the float32 the projection takes
                self.states, self.mask = f.get_tensor("states").float(), f.get_tensor("mask")
            captions = json.loads(metadata["captions"])
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} has unreadable 'captions' metadata ({error}); write it again.") from error
        except ValueError:
            raise
        except Exception as error:  # safetensors raises its own SafetensorError for a file it cannot parse
            raise ValueError(
                f"{path} is not a safetensors caption states file ({type(error).__name__}: {error}); "
                "write it with `latentaudio data embed-captions`."
            ) from error
        self.path, self.metadata = path, metadata
        self.index = {caption: i for i, caption in enumerate(captions)}
        if hidden_size is not None and self.states.shape[-1] != hidden_size:
            raise ValueError(
                f"{path} holds states of width {self.states.shape[-1]}, but the text projection expects "
                f"in_features={hidden_size}: it was written for another text encoder."
            )

    def __contains__(self, caption: str) -> bool:
        return caption in self.index

    def __call__(self, captions: list[str], device) -> tuple[torch.Tensor, torch.Tensor]:
        missing = [c for c in captions if c not in self.index]
        if missing:
            raise KeyError(
                f"{len(missing)} caption(s) are not in {self.path}, e.g. {missing[0]!r}; "
                "write the file again with `latentaudio data embed-captions` on this dataset."
            )
        rows = torch.tensor([self.index[c] for c in captions])
        return self.states[rows].to(device), self.mask[rows].to(device)
