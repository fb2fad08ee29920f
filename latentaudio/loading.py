"""Loading a pipeline folder with errors that say which component is wrong."""

from __future__ import annotations

from .model_folder import ModelFolderError, PipelineFolder
from .pipelines import LatentAudioPipeline

__all__ = ["ModelFolderError", "load_pipeline"]


def load_pipeline(path, pipeline_class=LatentAudioPipeline, **kwargs):
    """``pipeline_class.from_pretrained(path)``, offline, after checking the folder's shape.

    Raises:
        ModelFolderError: The folder or ``model_index.json`` is missing, a component's subfolder is
            missing, or a component fails to load (corrupt weights, mismatched settings).
    """
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
        raise ModelFolderError(f"Cannot load the pipeline in {folder.path}: {type(error).__name__}: {error}") from error
