"""``latentaudio export``: a pipeline folder's U-Net and VAE decoder written as ONNX graphs beside their weights.

See :mod:`latentaudio.runtime` for how ``from_pretrained`` runs them (and why it is faster on the CPU).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

import torch
from torch import nn

from .atomic import atomic_file
from .runtime import ONNX_FILES, OPSET, SOURCE_KEY, UNET_INPUTS, OnnxGraph, OnnxUNet, weights_digest

PathLike = Union[str, os.PathLike]


class _UNetGraph(nn.Module):
    """The U-Net with positional inputs in a fixed order, as the exporter wants them."""

    def __init__(self, unet, conditions: list[str]):
        super().__init__()
        self.unet, self.conditions = unet, conditions

    def forward(self, sample, timestep, *conditions):
        return self.unet(sample, timestep, **dict(zip(self.conditions, conditions)), return_dict=False)[0]


def example_unet_inputs(pipe, batch_size: int = 2, latent_frames: Optional[int] = None) -> dict[str, torch.Tensor]:
    """Inputs the pipeline gives its U-Net for ``batch_size`` prompts (a guided pair by default): the
    latent of ``latent_frames`` (the U-Net's clip by default), a timestep per row, and the conditioning
    keyword arguments of :meth:`encode_prompt` (plus the guidance embedding, where the U-Net has one)."""
    from .conditioning.guidance import guidance_embedding

    frames = latent_frames or pipe.clip_frames
    prompts = ["a soft piano note, C4", "a snare drum hit", "a low cello note", "a bright bell"][:batch_size]
    conditions = pipe.encode_prompt(prompts + [""] * (batch_size - len(prompts)), None, 1, False) or {}
    inputs = {
        "sample": torch.randn(pipe.codec.latent_shape(batch_size, frames), generator=torch.Generator().manual_seed(0)),
        "timestep": torch.full((batch_size,), 500.0),
        **{name: value for name, value in conditions.items() if value is not None},
    }
    if pipe.embeds_guidance:
        inputs["timestep_cond"] = guidance_embedding(3.0, batch_size, pipe.unet.config.time_cond_proj_dim)
    return inputs


def _export(module: nn.Module, inputs: dict[str, torch.Tensor], dynamic: dict[str, dict[int, str]], path: Path,
            digest: str) -> None:
    """Trace ``module`` with ``inputs`` (positional, in order; ``dynamic`` their named dynamic axes, the
    output's under ``"output"``) to ``path`` with ``digest`` in its metadata, atomically.

    This uses PyTorch's TorchScript-based exporter, whose named dynamic axes cover diffusers' U-Net;
    ``torch.export`` (``dynamo=True``) fails to prove its skip connections' lengths equal once the
    latent length is symbolic. The tracer's warnings are about branches on sizes that do not change
    the graph (``contiguous`` for large batches, interpolation above 2**31 elements)."""
    import warnings

    import onnx

    with atomic_file(path) as temp, warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, tuple(inputs.values()), str(temp), dynamo=False, opset_version=OPSET,
                          input_names=list(inputs), output_names=["output"], dynamic_axes=dynamic)
        model = onnx.load(str(temp))
        model.metadata_props.add(key=SOURCE_KEY, value=digest)
        onnx.save(model, str(temp))


def decoder_input(vae, scaled_latents: torch.Tensor) -> torch.Tensor:
    """What ``vae.decoder`` receives for ``scaled_latents`` (``vae.decode`` applies ``post_quant_conv`` first)."""
    latents = scaled_latents / vae.config.scaling_factor
    return latents if vae.post_quant_conv is None else vae.post_quant_conv(latents)


def export_onnx(model: PathLike, log=None) -> dict[str, Path]:
    """Export the U-Net and VAE decoder of the pipeline folder ``model`` into it (see the module docstring).

    The graphs take any batch and any latent length that the U-Net's downsampling divides; each is
    checked against PyTorch on an input of another shape than it was traced with before it is kept.

    Returns:
        `dict[str, Path]`: component name → the file written.

    Raises:
        ModelFolderError: ``model`` does not load.
        ValueError: The folder is not a latentaudio folder one can write into, or an exported graph's
            output differs from PyTorch's by more than 1e-3 of its peak.
    """
    from .loading import load_pipeline
    from .model_folder import PipelineFolder

    log = log or (lambda message: None)
    folder = PipelineFolder.read(model).path
    pipe = load_pipeline(folder, runtime="torch")
    if not os.access(folder / "unet", os.W_OK):
        raise ValueError(f"{folder / 'unet'} is not writable; `latentaudio convert {folder} OUT` makes a copy to export into.")
    written = {}
    with torch.no_grad():
        # 1. the U-Net: batch and latent frames (a multiple of its downsampling) dynamic
        unet = pipe.unet.eval()
        inputs = example_unet_inputs(pipe)
        conditions = [name for name in inputs if name not in UNET_INPUTS]
        dynamic = {"sample": {0: "batch", 2: "frames"}, "timestep": {0: "batch"}, **{name: {0: "batch"} for name in conditions},
                   "output": {0: "batch", 2: "frames"}}
        log(f"exporting the U-Net ({sum(p.numel() for p in unet.parameters()) / 1e6:.1f} M parameters, inputs {list(inputs)})")
        path = folder / "unet" / ONNX_FILES["unet"]
        _export(_UNetGraph(unet, conditions), inputs, dynamic, path, weights_digest(folder / "unet"))
        written["unet"] = path
        # 2. the VAE decoder: batch and frames dynamic
        latents = decoder_input(pipe.vae, inputs["sample"])
        log("exporting the VAE decoder")
        path = folder / "vae" / ONNX_FILES["vae"]
        _export(pipe.vae.decoder.eval(), {"latents": latents}, {"latents": {0: "batch", 2: "frames"}, "output": {0: "batch", 2: "mel_frames"}},
                path, weights_digest(folder / "vae"))
        written["vae"] = path
        # 3. check both against PyTorch on a shape they were not traced with
        check_export(pipe, folder)
    return written


def check_export(pipe, folder: PathLike, tolerance: float = 1e-3) -> dict[str, float]:
    """Largest difference between ``pipe``'s PyTorch U-Net and VAE decoder and the graphs in ``folder``, relative
    to the output's peak, on a batch of 1 and a latent twice the U-Net's clip (shapes the export was not traced with).

    Raises:
        ValueError: A difference above ``tolerance``.
    """
    differences = {}
    with torch.no_grad():
        inputs = example_unet_inputs(pipe, batch_size=1, latent_frames=2 * pipe.clip_frames)
        expected = pipe.unet(inputs["sample"], inputs["timestep"], **{k: v for k, v in inputs.items() if k not in UNET_INPUTS}).sample
        got = OnnxUNet.from_folder(Path(folder) / "unet")(**inputs).sample
        differences["unet"] = float((got - expected).abs().max() / expected.abs().max())
        latents = decoder_input(pipe.vae, inputs["sample"])
        expected = pipe.vae.decoder(latents)
        got = OnnxGraph(Path(folder) / "vae" / ONNX_FILES["vae"])(latents=latents)
        differences["vae"] = float((got - expected).abs().max() / expected.abs().max())
    for name, difference in differences.items():
        if not difference <= tolerance:
            raise ValueError(f"The exported {name} differs from PyTorch by {difference:.2e} of its peak (more than {tolerance:g}).")
    return differences
