"""Loading a pipeline folder with errors that say which component is wrong, and converting one to a latentaudio folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .model_folder import ModelFolderError, PipelineFolder
from .pipelines import LatentAudioPipeline
from .pipelines.families import find_family_folder

__all__ = ["ModelFolderError", "convert_pipeline", "load_pipeline"]


def load_pipeline(path, pipeline_class=LatentAudioPipeline, **kwargs):
    """``pipeline_class.from_pretrained(path)``, offline, after checking the folder's shape.

    ``path`` is a latentaudio folder, or a folder (or a hub id already in the local cache, or
    fetchable where ``HF_HUB_OFFLINE`` is unset) written by diffusers' ``AudioLDMPipeline``,
    ``MusicLDMPipeline`` or ``AudioLDM2Pipeline``.

    Raises:
        ModelFolderError: The folder or ``model_index.json`` is missing, a component's subfolder is
            missing, or a component fails to load (corrupt weights, mismatched settings).
    """
    if not Path(path).exists():
        family_folder = find_family_folder(path, {"local_files_only": os.environ.get("HF_HUB_OFFLINE") == "1"})
        if family_folder is not None:
            path = family_folder.path
    folder = PipelineFolder.read(path)
    missing = folder.missing(given=kwargs)
    if missing:
        name, class_name = next(iter(missing.items()))
        raise ModelFolderError(f"{folder.path} lacks the folder of its component {name!r} ({class_name}).")
    kwargs.setdefault("local_files_only", True)
    try:
        return pipeline_class.from_pretrained(folder.path, **kwargs)
    except ModelFolderError:
        raise
    except Exception as error:  # diffusers/transformers/safetensors raise many types
        detail = " ".join(str(error).split())
        raise ModelFolderError(f"Cannot load the pipeline in {folder.path}: {type(error).__name__}: {detail}") from error


def convert_pipeline(source, output) -> LatentAudioPipeline:
    """Load ``source`` (any folder :func:`load_pipeline` takes) and write it to ``output`` as a latentaudio
    folder (safetensors only), atomically: it is written beside ``output`` and renamed into place, so
    ``output`` is either absent or complete.

    Raises:
        ModelFolderError: ``source`` does not load.
        ValueError: ``output`` exists already.
    """
    output = Path(output)
    if output.exists():
        raise ValueError(f"The output folder {output} exists already; give a new path.")
    pipe = load_pipeline(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{output.name}.partial-", dir=output.parent))
    try:
        pipe.save_pretrained(partial)
        os.replace(partial, output)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return pipe
