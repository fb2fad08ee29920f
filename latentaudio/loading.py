"""Loading a pipeline folder with errors that say which component is wrong."""

from __future__ import annotations

from .model_folder import ModelFolderError, PipelineFolder
from .pipelines import LatentAudioPipeline

__all__ = ["ModelFolderError", "load_pipeline", "place_pipeline"]


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
        pipe = pipe.to(torch_device=device, torch_dtype=dtypes[dtype])
    if kind == "cpu":
        pipe.unet.to(memory_format=torch.channels_last)
    return pipe
