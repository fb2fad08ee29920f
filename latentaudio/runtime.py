"""ONNX Runtime in place of a pipeline's U-Net and VAE decoder, when its folder holds their exported graphs.

The graphs come from :mod:`latentaudio.export` (``latentaudio export``); this module only runs them,
so the pipelines can import it without importing the exporter and the loader above them.

On the 2-core CPU the U-Net is nearly all of a generation's time, and ONNX Runtime runs the exported
graph several times faster than eager PyTorch (``benchmarks/bench_fast.py``): its graph optimiser
fuses GroupNorm, attention and the convolutions' activations, where eager mode runs them one kernel
at a time. ``latentaudio export MODEL`` (:func:`latentaudio.export.export_onnx`) writes

- ``unet/model.onnx``: the U-Net, taking exactly the keyword arguments the pipeline's conditioner gives
  it (``encoder_hidden_states``, ``class_labels`` for pitch or CLAP conditioning, ``timestep_cond``
  for an embedded guidance scale, attention masks), with the batch and the latent length dynamic, so
  every clip length, window and guidance mode runs the same graph;
- ``vae/decoder.onnx``: the VAE's decoder (latents after ``post_quant_conv`` to mel), so decoding
  runs there too; the encoder, used by the editing modes, stays in PyTorch.

Each file records the SHA-256 of the safetensors weights it was exported from. ``from_pretrained``
(``runtime="auto"``, the default) runs a component in ONNX Runtime when its file is present, matches
the weights beside it and ``onnxruntime`` is installed; the U-Net's PyTorch weights are then not
loaded at all. ``runtime="torch"`` ignores the files (training, fine-tuning and saving need PyTorch
modules; the trainers load that way), and ``runtime="onnx"`` requires them. Re-saving a pipeline
replaces its component folders, so an export never outlives the weights it came from.

ONNX Runtime runs on the CPU in float32 here; ``--device`` other than ``cpu`` or a ``--dtype`` other
than ``float32`` load the PyTorch modules instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Optional, Union

import torch
from diffusers import ModelMixin
from torch import nn

from .model_folder import ONNX_FILES, exported_components, hash_file

PathLike = Union[str, os.PathLike]
RUNTIMES = ("auto", "torch", "onnx")
SOURCE_KEY = "latentaudio_weights_sha256"  # ONNX metadata: digest of the weights a graph was exported from
UNET_INPUTS = ("sample", "timestep")  # then the conditioning keyword arguments, in the order the pipeline names them
OPSET = 18


def weights_digest(folder: PathLike) -> str:
    """SHA-256 over a component folder's safetensors files (sorted by name)."""
    digest = hashlib.sha256()
    for file in sorted(Path(folder).glob("*.safetensors")):
        hash_file(digest, file)
    return digest.hexdigest()


def onnxruntime_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


# ------------------------------------------------------------------ runtime
ONNX_TYPES = {"tensor(float)": torch.float32, "tensor(int64)": torch.int64, "tensor(int32)": torch.int32, "tensor(bool)": torch.bool}


class OnnxGraph:
    """An ONNX Runtime session on the CPU, called with torch tensors by input name (each cast to the graph's type)."""

    def __init__(self, path: PathLike, threads: Optional[int] = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning, which would take the cores from the PyTorch
        # stages (sampler arithmetic, vocoder) that run between graph calls.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = Path(path)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_types = {node.name: ONNX_TYPES[node.type] for node in self.session.get_inputs()}
        self.input_names = list(self.input_types)
        self.metadata = self.session.get_modelmeta().custom_metadata_map

    def __call__(self, **inputs: torch.Tensor) -> torch.Tensor:
        feeds = {name: tensor.detach().to("cpu", self.input_types[name]).contiguous().numpy() for name, tensor in inputs.items()}
        return torch.from_numpy(self.session.run(None, feeds)[0])


def _check_cpu_float32(name: str, device=None, dtype=None) -> None:
    if (device is not None and torch.device(device).type != "cpu") or (dtype is not None and dtype != torch.float32):
        raise ValueError(f"The {name} runs in ONNX Runtime on the CPU in float32, not on {device or 'cpu'} in {dtype or torch.float32}; "
                         "load the pipeline with runtime='torch' for other devices and dtypes.")


def _device_and_dtype(args, kwargs):
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, torch.dtype):
            dtype = arg
        elif isinstance(arg, (str, torch.device)):
            device = arg
    return device, dtype


class OnnxUNet(ModelMixin):
    """A ``UNet2DConditionModel``'s exported graph, called as the model is: same config, same keyword
    arguments, same ``.sample`` output. It holds no parameters (offload hooks leave it alone) and runs
    on the CPU in float32 only. A ``ModelMixin``, so diffusers' loader takes it for the ``unet``
    component; it cannot be saved (the pipeline says so).

    Args:
        config: The U-Net's config (``UNet2DConditionModel.load_config``), for the pipeline's questions
            (clip length, guidance and pitch embeddings).
        graph (`OnnxGraph`): The session of ``unet/model.onnx``.
    """

    runtime = "onnx"

    def __init__(self, config, graph: OnnxGraph):
        from diffusers.configuration_utils import FrozenDict

        super().__init__()
        self.config = FrozenDict(config)
        self.graph = graph
        self.conditions = [name for name in graph.input_names if name not in UNET_INPUTS]

    @classmethod
    def from_folder(cls, folder: PathLike, threads: Optional[int] = None, graph: Optional[OnnxGraph] = None) -> "OnnxUNet":
        """The U-Net of ``folder`` (a pipeline's ``unet/``), with ``graph`` if its session is open already."""
        from diffusers import UNet2DConditionModel

        return cls(UNet2DConditionModel.load_config(folder), graph or OnnxGraph(Path(folder) / ONNX_FILES["unet"], threads))

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def to(self, *args, **kwargs):
        _check_cpu_float32("U-Net", *_device_and_dtype(args, kwargs))
        return self

    def forward(self, sample: torch.Tensor, timestep, encoder_hidden_states: Optional[torch.Tensor] = None,
                return_dict: bool = True, **kwargs):
        from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

        given = {"encoder_hidden_states": encoder_hidden_states, **kwargs}
        unknown = sorted(name for name, value in given.items() if value is not None and name not in self.conditions)
        missing = [name for name in self.conditions if given.get(name) is None]
        if unknown or missing:
            problems = ([f"got {unknown} it does not take"] if unknown else []) + ([f"lacks {missing}"] if missing else [])
            raise ValueError(f"The exported U-Net ({self.graph.path}) takes {self.conditions}; {' and '.join(problems)}")
        timestep = torch.as_tensor(timestep, dtype=torch.float32).reshape(-1).expand(sample.shape[0])
        output = self.graph(sample=sample, timestep=timestep, **{name: given[name] for name in self.conditions})
        output = output.to(sample.dtype)
        return UNet2DConditionOutput(sample=output) if return_dict else (output,)


class OnnxDecoder(nn.Module):
    """Stands in for ``AutoencoderKL.decoder`` (latents after ``post_quant_conv`` → mel), so that
    ``vae.decode`` runs the exported graph and everything else about the VAE stays as it was."""

    def __init__(self, graph: OnnxGraph):
        super().__init__()
        self.graph = graph

    def forward(self, z: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return self.graph(latents=z).to(z.dtype)

    def _apply(self, fn, recurse=True):  # .to(): the graph stays where it runs, and says so if asked to move
        probe = fn(torch.zeros(()))
        _check_cpu_float32("VAE decoder", probe.device, probe.dtype)
        return self


def uses_onnx(pipe) -> bool:
    """Whether any of ``pipe``'s components runs in ONNX Runtime."""
    return isinstance(pipe.unet, OnnxUNet) or isinstance(getattr(getattr(pipe, "vae", None), "decoder", None), OnnxDecoder)


def stale_export(graph: OnnxGraph) -> Optional[str]:
    """``None`` if ``graph`` was exported from the weights beside its file, else why not."""
    if graph.metadata.get(SOURCE_KEY) != weights_digest(graph.path.parent):
        return f"{graph.path} was exported from other weights than {graph.path.parent}'s safetensors"
    return None


def onnx_components(folder: PathLike, runtime: str = "auto", threads: Optional[int] = None) -> dict:
    """What :meth:`LatentAudioPipeline.from_pretrained` runs in ONNX Runtime for ``folder``:
    ``{"unet": OnnxUNet}`` to pass to diffusers' loader, and ``"vae_decoder": OnnxGraph`` to put in the
    VAE after loading. Empty under ``runtime="torch"``, or under ``"auto"`` when the folder has no
    export, an export is stale or ``onnxruntime`` is missing (with a warning for the last two).

    Raises:
        ValueError: ``runtime`` is not one of :data:`RUNTIMES`, or is ``"onnx"`` and a graph is
            missing, stale, or ``onnxruntime`` is not installed.
    """
    import warnings

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime={runtime!r} is not one of {list(RUNTIMES)}.")
    if runtime == "torch":
        return {}
    found = exported_components(folder)
    if runtime == "onnx" and set(found) != set(ONNX_FILES):
        raise ValueError(f"runtime='onnx' needs {sorted(set(ONNX_FILES) - set(found))} exported in {folder}; "
                         f"run `latentaudio export {folder}`.")
    if not found:
        return {}
    graphs = {name: OnnxGraph(path, threads) for name, path in found.items()} if onnxruntime_available() else {}
    problem = None if graphs else "onnxruntime is not installed (pip install onnxruntime)"
    problem = problem or next(filter(None, map(stale_export, graphs.values())), None)
    if problem:
        if runtime == "onnx":
            raise ValueError(f"runtime='onnx': {problem}.")
        warnings.warn(f"{problem}; running PyTorch instead (`latentaudio export {folder}` renews the export).", stacklevel=3)
        return {}
    components = {}
    if "unet" in graphs:
        components["unet"] = OnnxUNet.from_folder(Path(folder) / "unet", graph=graphs["unet"])
    if "vae" in graphs:
        components["vae_decoder"] = graphs["vae"]
    return components


def attach_onnx(pipe, components: dict):
    """Put the ONNX VAE decoder of :func:`onnx_components` into ``pipe.vae`` (the U-Net was passed to the loader)."""
    if "vae_decoder" in components:
        pipe.vae.decoder = OnnxDecoder(components["vae_decoder"])
    return pipe
