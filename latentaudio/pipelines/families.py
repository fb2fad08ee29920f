"""diffusers' AudioLDM, MusicLDM and AudioLDM2 folders, loaded as latentaudio pipelines with the same weights.

These models share latentaudio's mel (16 kHz, n_fft 1024, hop 160, 64 Slaney mels to 8 kHz, natural log
clamped at 1e-5, no normalisation): their VAE, U-Net and scheduler load as they are. What differs is
held in components, so every pipeline runs them unchanged:

- the vocoder, transformers' ``SpeechT5HifiGan``, loads as :class:`vocoder.SpeechT5HifiGanVocoder`;
- the spectrogram is latentaudio's default, checked against the vocoder and the VAE;
- the text encoders (and AudioLDM2's projection model and GPT-2) form their own conditioner
  (:func:`latentaudio.conditioning.conditioner_for`).

The family comes from ``model_index.json``'s ``_class_name`` (:data:`FAMILIES`). A MusicLDM or AudioLDM2 folder's
``feature_extractor`` (CLAP's audio features) loads too when the folder has one: with it the pipeline ranks several
takes of a prompt by CLAP score, as diffusers' pipelines do (:func:`latentaudio.ranking.clap_take_scores`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from vocoder import SpeechT5HifiGanVocoder

from ..model_folder import INDEX_FILE, ModelFolderError, PipelineFolder
from ..spectrogram import MelSpectrogram

SHARED = ("vae", "unet", "scheduler", "vocoder", "text_encoder", "tokenizer")


@dataclass(frozen=True)
class Family:
    """A family of diffusers pipelines whose weights latentaudio runs.

    Args:
        name: What the README calls it.
        components: The folder's components a latentaudio pipeline takes, under the same names.
        optional: Components taken when the folder has them.
        longest_trained_length_in_s: The clip the weights were trained on: longer audio is windowed.
        hub_ids: Published weights in this format (documentation only; nothing here downloads them).
    """

    name: str
    components: tuple[str, ...]
    longest_trained_length_in_s: float
    hub_ids: tuple[str, ...]
    optional: tuple[str, ...] = ()


FAMILIES = {
    "AudioLDMPipeline": Family("AudioLDM", SHARED, 10.24,
                               ("cvssp/audioldm-s-full-v2", "cvssp/audioldm-m-full", "cvssp/audioldm-l-full")),
    "MusicLDMPipeline": Family("MusicLDM", SHARED, 10.24, ("ucsd-reach/musicldm",), ("feature_extractor",)),
    "AudioLDM2Pipeline": Family(
        "AudioLDM2", SHARED + ("text_encoder_2", "tokenizer_2", "projection_model", "language_model"), 10.24,
        ("cvssp/audioldm2", "cvssp/audioldm2-large", "cvssp/audioldm2-music"), ("feature_extractor",),
    ),
}
# Classes these folders name, loaded as the latentaudio class that takes their weights unchanged.
LOADED_AS = {"SpeechT5HifiGan": SpeechT5HifiGanVocoder}
HUB_OPTIONS = ("cache_dir", "revision", "token", "local_files_only")


def family_of(folder: PipelineFolder) -> Optional[Family]:
    """The family of a folder written by one of diffusers' AudioLDM-family pipelines, else ``None``."""
    return FAMILIES.get(folder.class_name)


def check_pipeline_class(folder: PipelineFolder, latentaudio_classes) -> None:
    """Raise ``ModelFolderError`` naming the class unless ``folder`` was written by one of
    ``latentaudio_classes`` (names) or by a pipeline of :data:`FAMILIES`."""
    if folder.class_name is not None and folder.class_name not in FAMILIES and folder.class_name not in latentaudio_classes:
        raise ModelFolderError(
            f"{folder.path} holds a {folder.class_name}, which latentaudio does not run; expected a latentaudio "
            f"pipeline or one of {', '.join(FAMILIES)}."
        )


def find_family_folder(name_or_path: Union[str, os.PathLike], options: dict) -> Optional[PipelineFolder]:
    """The AudioLDM-family folder at ``name_or_path`` (a local folder or a hub id, fetched the diffusers
    way with the hub ``options`` of ``from_pretrained``), or ``None`` for any other model."""
    folder = PipelineFolder.find(name_or_path)
    if folder is None and not Path(name_or_path).exists():
        folder = _hub_folder(str(name_or_path), {key: options[key] for key in HUB_OPTIONS if key in options})
    return folder if folder is not None and family_of(folder) is not None else None


def _hub_folder(name: str, options: dict) -> Optional[PipelineFolder]:
    from diffusers import DiffusionPipeline

    try:
        index = DiffusionPipeline.load_config(name, **options)
    except Exception:  # not a hub pipeline (or offline): diffusers' own loading reports it
        return None
    if index.get("_class_name") not in FAMILIES:
        return None
    return PipelineFolder.read(DiffusionPipeline.download(name, use_safetensors=True, **options))


def load_family_components(folder: PipelineFolder, dtype=None, use_safetensors: bool = True, torch_dtype=None,
                           **kwargs) -> dict:
    """Keyword arguments of a latentaudio pipeline holding the weights of an AudioLDM-family folder.

    Components given in ``kwargs`` (by name) are used instead of the folder's; the others load in ``dtype``
    (``torch_dtype``, its older name, as well); other ``from_pretrained`` options are ignored.

    Raises:
        ModelFolderError: A component the family needs is missing or does not load; the message names it.
    """
    family = family_of(folder)
    names = family.components + tuple(name for name in family.optional if name in kwargs or name in folder.components)
    components = {name: kwargs[name] for name in names if name in kwargs}
    for name in names:
        if name not in components:
            components[name] = load_component(folder, name, dtype if dtype is not None else torch_dtype, use_safetensors)
    spectrogram = kwargs.get("spectrogram") or MelSpectrogram()
    return {**components, "spectrogram": spectrogram, "longest_trained_length_in_s": family.longest_trained_length_in_s}


def load_component(folder: PipelineFolder, name: str, torch_dtype=None, use_safetensors: bool = True):
    """Component ``name`` of ``folder``, as the class its index names (or the one in :data:`LOADED_AS`)."""
    if name not in folder.components:
        raise ModelFolderError(f"{folder.path / INDEX_FILE} names no {name!r}, which a {folder.class_name} needs.")
    library, class_name = folder.components[name]
    if not (folder.path / name).is_dir():
        raise ModelFolderError(f"{folder.path} lacks the folder of its component {name!r} ({class_name}).")
    try:
        component_class = LOADED_AS.get(class_name) or folder.component_class(name)
        if library == "diffusers" and class_name.endswith("Scheduler"):
            return component_class.from_pretrained(folder.path / name)
        if "Tokenizer" in class_name or "FeatureExtractor" in class_name:
            return component_class.from_pretrained(folder.path / name, local_files_only=True)
        options = {"use_safetensors": use_safetensors} if use_safetensors is not None else {}
        if torch_dtype is not None:
            options["torch_dtype"] = torch_dtype
        model = component_class.from_pretrained(folder.path / name, local_files_only=True, **options)
    except Exception as error:  # torch, safetensors, transformers and diffusers raise many types
        detail = " ".join(str(error).split())
        raise ModelFolderError(
            f"Cannot load component {name!r} ({library}.{class_name}) of {folder.path}: {type(error).__name__}: {detail}"
        ) from error
    return model.eval().requires_grad_(False)
