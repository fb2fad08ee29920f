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
        culprit = failing_component(folder, given=kwargs)
        where = "" if culprit is None else f" (its component {culprit!r}, in {folder.path / culprit})"
        # diffusers appends advice about ignore_mismatched_sizes that does not apply here.
        message = str(error).split(" If you want to instead overwrite")[0]
        raise ModelFolderError(f"Cannot load the pipeline in {folder.path}{where}: {type(error).__name__}: {message}") from error


def failing_component(folder: PipelineFolder, given=()) -> str | None:
    """The first component of ``folder`` that does not load on its own (its weights against its config), or ``None``."""
    for name in folder.components:
        if name in folder.packaged or name in given or not (folder.path / name).is_dir():
            continue
        try:
            component_class = folder.component_class(name)
            component_class.from_pretrained(folder.path / name, local_files_only=True)
        except Exception:  # whatever the library raises, this component is the one that fails
            return name
    return None
