"""Loading a pipeline folder with errors that say which component is wrong."""

from __future__ import annotations

import json
from pathlib import Path

from .pipelines import LatentAudioPipeline


class ModelFolderError(ValueError):
    """A pipeline folder is missing, incomplete, corrupt or inconsistent."""


def load_pipeline(path, pipeline_class=LatentAudioPipeline, **kwargs):
    """``pipeline_class.from_pretrained(path)``, offline, after checking the folder's shape.

    Raises:
        ModelFolderError: The folder or ``model_index.json`` is missing, a component's subfolder is
            missing, or a component fails to load (corrupt weights, mismatched settings).
    """
    folder = Path(path)
    index_file = folder / "model_index.json"
    if not folder.is_dir():
        raise ModelFolderError(f"Model folder not found: {folder}")
    if not index_file.is_file():
        raise ModelFolderError(f"{folder} is not a pipeline folder: it has no model_index.json.")
    try:
        index = json.loads(index_file.read_text())
    except json.JSONDecodeError as error:
        raise ModelFolderError(f"{index_file} is not valid JSON: {error}") from error
    packaged = {"text_encoder", "tokenizer"} if index.get("text_encoder_package") else set()
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or spec[0] is None or name in kwargs or name in packaged:
            continue
        if not (folder / name).is_dir():
            raise ModelFolderError(f"{folder} lacks the folder of its component {name!r} ({spec[1]}).")
    kwargs.setdefault("local_files_only", True)
    try:
        return pipeline_class.from_pretrained(folder, **kwargs)
    except ModelFolderError:
        raise
    except Exception as error:  # diffusers/transformers/safetensors raise many types
        raise ModelFolderError(f"Cannot load the pipeline in {folder}: {type(error).__name__}: {error}") from error
