"""Loading a pipeline folder with errors that say which component is wrong, and converting one to a latentaudio folder."""

from __future__ import annotations

import os
from pathlib import Path

from .model_folder import ModelFolderError, PipelineFolder
from .pipelines import LatentAudioPipeline
from .pipelines.families import find_family_folder

__all__ = ["ModelFolderError", "convert_pipeline", "load_pipeline", "place_pipeline"]


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
        culprit = failing_component(folder, given=kwargs)
        where = "" if culprit is None else f" (its component {culprit!r}, in {folder.path / culprit})"
        # diffusers appends advice about ignore_mismatched_sizes that does not apply here.
        message = " ".join(str(error).split(" If you want to instead overwrite")[0].split())  # one line
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


def place_pipeline(pipe, device: str = "cpu", dtype: str = "float32"):
    """``pipe`` moved to ``device`` ("cpu", "cuda", "cuda:N", "mps") in ``dtype`` ("float32",
    "float16", "bfloat16"); audio always comes back as float32.

    On the CPU the U-Net's weights take the channels-last layout, in which oneDNN's convolutions ran
    1.07x (idle) to 1.6x (loaded machine) faster (``benchmarks/bench_fast.py``); its predictions are
    the same to float rounding.

    Raises:
        ValueError: An unknown dtype or device, or a device this machine does not have.
    """
    import torch

    dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in dtypes:
        raise ValueError(f"Unknown dtype {dtype!r}; choose one of {sorted(dtypes)}.")
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        kind = None
    if kind not in ("cpu", "cuda", "mps"):
        raise ValueError(f"Unknown device {device!r}; choose cpu, cuda, cuda:N or mps.")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}[kind]
    if not available:
        raise ValueError(f"Device {device!r} is not available on this machine; use --device cpu.")
    if not (device == "cpu" and dtype == "float32"):
        pipe = pipe.to(device, dtypes[dtype])  # positional: DiffusionPipeline.to ignores torch_device/torch_dtype keywords
    if kind == "cpu":
        pipe.unet.to(memory_format=torch.channels_last)
    return pipe


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
    pipe = load_pipeline(source, runtime="torch")
    pipe.save_pretrained(output)  # written beside output and swapped in (latentaudio.atomic)
    return pipe
