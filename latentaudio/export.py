"""``latentaudio export``: a pipeline folder's U-Net and VAE decoder written as ONNX graphs beside their weights.

See :mod:`latentaudio.runtime` for how ``from_pretrained`` runs them (and why it is faster on the CPU).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

import torch
from torch import nn

from .atomic import atomic_file, atomic_folder
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
    from .conditioning import guidance_embedding, unet_input

    frames = latent_frames or pipe.clip_frames
    prompts = ["a soft piano note, C4", "a snare drum hit", "a low cello note", "a bright bell"][:batch_size]
    conditions = pipe.encode_prompt(prompts + [""] * (batch_size - len(prompts)), None, 1, False) or {}
    latents = torch.randn(pipe.codec.latent_shape(batch_size, frames), generator=torch.Generator().manual_seed(0))
    inputs = {  # the sample as the pipeline gives it: with beat-phase channels where the U-Net takes them
        "sample": unet_input(pipe.unet, latents, conditions.get("class_labels"), pipe.latent_frame_in_s, spectrogram=pipe.spectrogram),
        "timestep": torch.full((batch_size,), 500.0),
        **{name: value for name, value in conditions.items() if value is not None},
    }
    if pipe.embeds_guidance:
        inputs["timestep_cond"] = guidance_embedding(3.0, batch_size, pipe.unet.config.time_cond_proj_dim)
    return inputs


def _export(module: nn.Module, inputs: dict[str, torch.Tensor], dynamic: dict[str, dict[int, str]], path: Path,
            digest: Optional[str]) -> None:
    """Trace ``module`` with ``inputs`` (positional, in order; ``dynamic`` their named dynamic axes, the
    output's under ``"output"``) to ``path`` with ``digest`` in its metadata (none when ``None``), atomically.

    This uses PyTorch's TorchScript-based exporter, whose named dynamic axes cover diffusers' U-Net;
    ``torch.export`` (``dynamo=True``) fails to prove its skip connections' lengths equal once the
    latent length is symbolic. The tracer's warnings are about branches on sizes that do not change
    the graph (``contiguous`` for large batches, interpolation above 2**31 elements)."""
    import warnings

    import onnx

    with atomic_file(path) as temp, warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        # Indexing by the sampler's (non-negative) timesteps; the exported graph is checked against PyTorch anyway.
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        torch.onnx.export(module, tuple(inputs.values()), str(temp), dynamo=False, opset_version=OPSET,
                          input_names=list(inputs), output_names=["output"], dynamic_axes=dynamic)
        if digest is not None:
            model = onnx.load(str(temp))
            model.metadata_props.add(key=SOURCE_KEY, value=digest)
            onnx.save(model, str(temp))


def decoder_input(vae, scaled_latents: torch.Tensor) -> torch.Tensor:
    """What ``vae.decoder`` receives for ``scaled_latents`` (``vae.decode`` applies ``post_quant_conv`` first)."""
    latents = scaled_latents / vae.config.scaling_factor
    return latents if vae.post_quant_conv is None else vae.post_quant_conv(latents)


def example_decoder_input(pipe, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """What ``pipe.vae.decoder`` receives for the latent of :func:`example_unet_inputs` (its sample without beat channels)."""
    return decoder_input(pipe.vae, inputs["sample"][:, : pipe.vae.config.latent_channels])


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
        latents = example_decoder_input(pipe, inputs)
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
        latents = example_decoder_input(pipe, inputs)
        expected = pipe.vae.decoder(latents)
        got = OnnxGraph(Path(folder) / "vae" / ONNX_FILES["vae"])(latents=latents)
        differences["vae"] = float((got - expected).abs().max() / expected.abs().max())
    for name, difference in differences.items():
        if not difference <= tolerance:
            raise ValueError(f"The exported {name} differs from PyTorch by {difference:.2e} of its peak (more than {tolerance:g}).")
    return differences


# ------------------------------------------------------------------ standalone
class _GenerationGraph(nn.Module):
    """The pipeline's text-to-audio call for one prompt at its default sampling, as a module of tensors.

    ``forward`` runs the pipeline's own steps: the text conditioner from tokens
    (:meth:`TextConditioner.encode_tokens`), :meth:`prepare_latents`, :meth:`denoise` over the
    scheduler's timesteps and the codec's decoder and vocoder (each take within full scale). The sampler's noise draws
    (``randn_tensor`` in the scheduler's module) take the rows of ``noise`` after the first, in
    order, so the graph holds no random operation; :attr:`draws` counts the draws one call makes.
    """

    def __init__(self, pipe, steps: int, guidance_scale: float):
        super().__init__()
        self.pipe, self.steps, self.guidance_scale = pipe, steps, guidance_scale
        # Registered, so their weights are the graph's (shared) initializers rather than constants per use.
        self.modules_of_pipe = nn.ModuleDict({name: module for name, module in pipe.components.items() if isinstance(module, nn.Module)})
        self.negative_prompt = pipe.guides_in_pairs(guidance_scale)
        self.pitch = bool(pipe.config.get("pitch_conditioning"))
        self.pitch_width = pipe.unet.config.projection_class_embeddings_input_dim if self.pitch else None
        self.draws = None  # the starting latent and the sampler's draws: counted by every call

    def forward(self, input_ids, attention_mask, noise, *optional):
        """``optional``: the empty negative prompt's ids and mask when the model guides with an unconditional
        pass (:attr:`negative_prompt`), then the prompt's structured features (1, the U-Net's
        ``projection_class_embeddings_input_dim``) when it is pitch-conditioned (:attr:`pitch`), in that order, as the export names its inputs."""
        import importlib
        from unittest import mock

        optional = list(optional)
        negative_input_ids, negative_attention_mask = (optional.pop(0), optional.pop(0)) if self.negative_prompt else (None, None)
        pitch = optional.pop(0) if self.pitch else None

        pipe = self.pipe
        text = _text_conditioner(pipe)
        dtype = pipe.unet.dtype
        cond = text.encode_tokens(input_ids, attention_mask, dtype)
        uncond = text.encode_tokens(negative_input_ids, negative_attention_mask, dtype) if self.negative_prompt else None
        conditions = text.unet_kwargs(
            [None], None, 1, self.negative_prompt, prompt_embeds=cond.states, prompt_attention_mask=cond.mask,
            negative_prompt_embeds=None if uncond is None else uncond.states,
            negative_prompt_attention_mask=None if uncond is None else uncond.mask, device=noise.device, dtype=dtype)
        if self.pitch:  # the prompt's features; the unconditional rows (first) state nothing, as PitchConditioner's
            rows = [torch.zeros_like(pitch)] if self.negative_prompt else []
            conditions["class_labels"] = torch.cat([*rows, pitch]).to(dtype)
        pipe.scheduler.set_timesteps(self.steps, device=noise.device)
        latents = pipe.prepare_latents(1, noise.shape[3], None, latents=noise[0])
        given, shapes = list(noise[1:]), []

        def next_draw(shape, *args, **kwargs):  # diffusers' randn_tensor, for the sampler's draws
            shapes.append(tuple(shape))
            return given[len(shapes) - 1] if len(shapes) <= len(given) else torch.zeros(shape)  # zeros: only counting

        scheduler_module = importlib.import_module(type(pipe.scheduler).__module__)
        with mock.patch.object(scheduler_module, "randn_tensor", next_draw, create=True):
            latents = pipe.denoise(latents, pipe.scheduler.timesteps, conditions, self.guidance_scale)
        self.draws = 1 + len(shapes)
        return pipe.codec.vocode(pipe.codec.decode(latents), within_full_scale=True)  # as the pipeline's output


def standalone_tokenizer(pipe):
    """The pipeline's tokenizer as a ``tokenizers.Tokenizer`` that pads and truncates one prompt as the
    pipeline's text conditioner does (:meth:`TextConditioner.encode`)."""
    import copy

    from transformers.convert_slow_tokenizer import convert_slow_tokenizer

    conditioner = _text_conditioner(pipe)
    tokenizer = pipe.tokenizer
    backend = copy.deepcopy(tokenizer.backend_tokenizer) if getattr(tokenizer, "is_fast", False) else convert_slow_tokenizer(tokenizer)
    backend.enable_truncation(conditioner.max_length)
    if conditioner.pads_to_longest():  # one prompt: no padding at all
        backend.no_padding()
    else:
        backend.enable_padding(pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token, length=conditioner.max_length)
    return backend


def _standalone_sources(pipe, folder: Path) -> dict[str, str]:
    """Every weight file the standalone graph holds, and the pipeline's config (its prompt template and
    pitch conditioning are part of what the graph does) → its SHA-256 (paths relative to ``folder`` where inside it)."""
    from .conditioning.registry import text_encoder_folder
    from .standalone import file_digest

    files = [file for name in ("text_encoder", "text_projection", "unet", "vae", "vocoder", "spectrogram")
             for file in sorted((folder / name).glob("*.safetensors"))]
    files += [file for file in [folder / "model_index.json"] if file.is_file()]
    package = pipe.config.get("text_encoder_package")
    if package is not None:
        files += sorted(text_encoder_folder(package).glob("*.safetensors"))
    return {str(file.relative_to(folder)) if file.is_relative_to(folder) else str(file): file_digest(file) for file in files}


def _text_conditioner(pipe):
    """The pipeline's text conditioner: its conditioner, or the one a template or pitch conditioner wraps
    (``None`` for any other). The standalone runner rewrites the prompt and reads its features itself."""
    from .conditioning.pitch import PitchConditioner
    from .conditioning.template import TemplateConditioner
    from .conditioning.text import TextConditioner

    conditioner = pipe.conditioner()
    while type(conditioner) in (TemplateConditioner, PitchConditioner):
        conditioner = conditioner.inner
    return conditioner if type(conditioner) is TextConditioner and conditioner.encodes_prompts else None


def check_standalone_supported(pipe) -> None:
    """Raise ``ValueError`` unless ``pipe`` is what a standalone graph can hold: a text-conditioned
    pipeline (a transformers text encoder, with or without the stated note; no CLAP conditioning) with a
    neural vocoder."""
    from vocoder import HifiGanGenerator, VocosGenerator

    if _text_conditioner(pipe) is None:
        raise ValueError(f"A standalone graph holds text conditioning by a transformers encoder; this pipeline's "
                         f"conditioning is {type(pipe.conditioner()).__name__}. The per-component export (without --standalone) works for it.")
    if not isinstance(pipe.vocoder, (HifiGanGenerator, VocosGenerator)):
        raise ValueError(f"A standalone graph holds a HiFi-GAN or Vocos vocoder, not {type(pipe.vocoder).__name__}.")


def export_standalone(model: PathLike, log=None, tolerance: float = 1e-3) -> Path:
    """Write ``model``'s standalone export (see :mod:`latentaudio.standalone`) into ``MODEL/standalone/``,
    or for an embedded model (a folder or its name, "default") into the user's cache
    (:func:`latentaudio.standalone.export_folder`).

    The graph is traced at the U-Net's clip and takes any length up to what the U-Net denoises in
    one pass; it is optimised by ONNX Runtime once here. The folder replaces any earlier export whole
    (:func:`~latentaudio.atomic.atomic_folder`); then :func:`check_standalone` compares
    :class:`~latentaudio.standalone.StandaloneGenerator` with the PyTorch pipeline at the same seeds
    (two lengths, two takes) and removes an export that differs.

    Returns:
        `Path`: The folder written.

    Raises:
        ModelFolderError: ``model`` does not load.
        ValueError: The pipeline is not one a standalone graph holds (:func:`check_standalone_supported`), the
            folder is not writable, or the generator's audio differs from the pipeline's by more than
            ``tolerance`` of its peak.
    """
    import json

    import onnxruntime

    from .loading import load_pipeline
    from .model_folder import PipelineFolder, model_location
    from .note_features import prompt_features
    from .standalone import CONFIG_FILE, FORMAT, GRAPH_FILE, TOKENIZER_FILE, export_folder

    log = log or (lambda message: None)
    folder = PipelineFolder.read(model_location(model)).path
    pipe = load_pipeline(folder, runtime="torch")
    pipe.set_progress_bar_config(disable=True)
    check_standalone_supported(pipe)
    target = export_folder(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(target.parent, os.W_OK):
        raise ValueError(f"{target.parent} is not writable; `latentaudio convert {folder} OUT` makes a copy to export into.")
    steps, guidance_scale = pipe.sampling_settings(None, None)
    graph = _GenerationGraph(pipe, steps, guidance_scale).eval()
    tokenizer = standalone_tokenizer(pipe)
    conditioner = _text_conditioner(pipe)
    for text in ("a soft piano note, C4", "", "A LOUD Snare — drum hit, 808!"):  # the tokens the pipeline gives
        if tokenizer.encode(text).ids != conditioner.tokenize([text]).input_ids[0].tolist():
            raise ValueError(f"The tokenizers file gives other tokens than the pipeline's tokenizer for {text!r}.")

    def inputs(text: str, draws: int) -> dict[str, torch.Tensor]:
        tokens = {}
        for prefix, prompt in (("", text), ("negative_", "")):
            encoding = tokenizer.encode(prompt)
            tokens[f"{prefix}input_ids"] = torch.tensor([encoding.ids])
            tokens[f"{prefix}attention_mask"] = torch.tensor([encoding.attention_mask])
        noise = torch.randn(draws, *pipe.codec.latent_shape(1, pipe.clip_frames), generator=torch.Generator().manual_seed(0))
        named = {"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"], "noise": noise}
        if graph.negative_prompt:
            named.update(negative_input_ids=tokens["negative_input_ids"], negative_attention_mask=tokens["negative_attention_mask"])
        if graph.pitch:
            named.update(pitch=torch.from_numpy(prompt_features([text], graph.pitch_width)))
        return named  # in the order of the graph's inputs

    with torch.no_grad():
        graph(*inputs("a soft piano note, C4", 1).values())  # counts the sampler's draws
        example = inputs("a soft piano note, C4", graph.draws)
        dynamic = {name: {1: "negative_tokens" if name.startswith("negative_") else "tokens"}  # two lengths
                   for name in example if name.endswith(("input_ids", "attention_mask"))}
        dynamic.update(noise={3: "frames"}, output={1: "samples"})
        # Replaced whole (config.json, which makes it usable, among the rest) or not at all.
        with atomic_folder(target, keep=lambda name: False) as staged:
            log(f"tracing the pipeline's text-to-audio call ({steps} steps, guidance {guidance_scale:g}, "
                f"{graph.draws} noise draws)")
            traced = staged / "traced.onnx"
            _export(graph, example, dynamic, traced, None)  # config.json holds the digests of its sources
            log("optimising the graph with ONNX Runtime")
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            options.optimized_model_filepath = str(staged / GRAPH_FILE)
            onnxruntime.InferenceSession(str(traced), options, providers=["CPUExecutionProvider"])
            traced.unlink()
            tokenizer.save(str(staged / TOKENIZER_FILE))
            (staged / CONFIG_FILE).write_text(json.dumps({
                "format": FORMAT,
                "num_inference_steps": steps,
                "guidance_scale": guidance_scale,
                "negative_prompt": graph.negative_prompt,
                "pitch_conditioning": graph.pitch,
                "pitch_features": graph.pitch_width,
                "prompt_template": pipe.config.get("prompt_template"),
                "noise_draws": graph.draws,
                "sample_rate": pipe.sample_rate,
                "samples_per_latent_frame": pipe.samples_per_latent_frame,
                "frame_multiple": pipe.codec.frame_multiple,
                "latent_channels": pipe.vae.config.latent_channels,
                "latent_bins": pipe.codec.latent_bins,
                "max_frames": pipe.window_frames,
                "shortest_pass_frames": pipe.shortest_pass_frames,
                "default_audio_length_in_s": pipe.default_audio_length_in_s,
                "sources": _standalone_sources(pipe, folder),
            }, indent=2) + "\n")
        check_standalone(pipe, folder, tolerance)
    return target


def check_standalone(pipe, folder: PathLike, tolerance: float = 1e-3) -> float:
    """Largest difference between the standalone generator of ``folder`` and ``pipe`` (same prompt, same
    seeds; two takes at the U-Net's clip, one at 0.4 of it and one at the longest one-pass length when
    the U-Net trained beyond its clip), relative to the pipeline's peak.

    Raises:
        ValueError: A difference above ``tolerance`` (the export is removed).
    """
    import shutil

    from .standalone import StandaloneGenerator, export_folder

    generator = StandaloneGenerator.from_pretrained(folder)
    worst = 0.0
    calls = [(pipe.default_audio_length_in_s, 2, 1), (0.4 * pipe.default_audio_length_in_s, 1, 7)]
    if pipe.window_frames > pipe.clip_frames:
        calls.append((pipe.one_pass_length_in_s, 1, 3))
    for seconds, takes, seed in calls:
        expected = pipe("a bright bell", audio_length_in_s=seconds, num_waveforms_per_prompt=takes,
                        generator=torch.Generator().manual_seed(seed)).audios
        got = generator("a bright bell", audio_length_in_s=seconds, num_waveforms_per_prompt=takes, seed=seed)
        if got.shape != expected.shape:
            worst = float("inf")
            break
        worst = max(worst, float(abs(got - expected).max() / max(abs(expected).max(), 1e-6)))
    if not worst <= tolerance:
        shutil.rmtree(export_folder(folder), ignore_errors=True)
        raise ValueError(f"The standalone graph's audio differs from the pipeline's by {worst:.2e} of its peak "
                         f"(more than {tolerance:g}); the export was removed.")
    return worst
