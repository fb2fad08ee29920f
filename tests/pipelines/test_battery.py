"""The battery every pipeline runs: what a diffusers-style pipeline owes its users, checked on each class.

Each class is called the way :data:`CASES` says (its own inputs: a short clip, a time range, a
cutoff, ...) with the tiny seeded components, 2 sampler steps and seeded generators. The checks:
batched prompts equal the same prompts one by one; ``num_waveforms_per_prompt``; save → load
gives the same audio; ``from_pipe`` shares the components; model CPU offload (and sequential
offload, where accelerate can run it) gives the same audio, and frees its hooks after every
``output_type``; bfloat16 and float16 run and stay close; callbacks see and may change the
latents; every ``output_type``; ``return_dict=False``; the progress bar can be disabled; a swapped
attention processor gives the same audio.

The vocoder is not the tiny random HiFi-GAN: its output is its bias almost alone (two seeds
differ by 3e-7), so "the same audio" would hold whatever the pipeline did. It is Griffin-Lim
with no iterations, the zero-phase inverse STFT of the mel's magnitudes: every difference in the
mel reaches the waveform, through a smooth map that leaves float rounding as small as it was
(iterating instead magnifies it 100-fold: phase retrieval is chaotic). A batch of two and the
same prompts one by one then differ by about 4e-6 of the audio's mean magnitude, another seed by
far more (:func:`test_another_seed_gives_other_audio`). So "the same" is exact where the arithmetic is the same (save and load,
``from_pipe``, ``return_dict``) and within :data:`ROUNDING` of the magnitude elsewhere.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest
import torch
from diffusers.models.attention_processor import AttnProcessor

from latentaudio import (
    LatentAudioAudioToAudioPipeline,
    LatentAudioContinuationPipeline,
    LatentAudioInpaintPipeline,
    LatentAudioInterpolationPipeline,
    LatentAudioPipeline,
    LatentAudioStereoWideningPipeline,
    LatentAudioSuperResolutionPipeline,
)
from latentaudio.pipelines.base import OUTPUT_TYPES

STEPS = 2
SAMPLES = 2560  # 0.16 s at 16 kHz: half the tiny U-Net's clip
ROUNDING = 1e-4  # mean |difference| / mean |audio| that float rounding stays under (see the module docstring)
CLIP = 0.3 * torch.randn(SAMPLES, generator=torch.Generator().manual_seed(1))
PROMPTS = ["a kick drum hit", "a snare drum hit"]
# The device accelerate's offload hooks move each model to while it runs.
OFFLOAD_DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@dataclass(frozen=True)
class Case:
    """How to call one pipeline class in the battery."""

    pipeline_class: type
    inputs: dict  # the call's own arguments, besides prompt, generator and the common ones
    audio_shape: tuple  # shape of the "np" output for one prompt
    output_types: tuple = OUTPUT_TYPES
    takes: int = 1  # sampler rows one output needs (stereo: two variations), each drawing from its own generator
    prompt_lists: bool = True  # accepts a list of prompts (a batch)

    @property
    def id(self) -> str:
        return self.pipeline_class.__name__.removeprefix("LatentAudio").removesuffix("Pipeline") or "TextToAudio"

    def accepts(self, argument: str) -> bool:
        return argument in inspect.signature(self.pipeline_class.__call__).parameters


CASES = [
    Case(LatentAudioPipeline, {"audio_length_in_s": SAMPLES / 16000}, (1, SAMPLES)),
    Case(LatentAudioAudioToAudioPipeline, {"audio": CLIP, "strength": 1.0}, (1, SAMPLES)),
    Case(LatentAudioInpaintPipeline, {"audio": CLIP, "start_in_s": 0.05, "end_in_s": 0.1}, (1, SAMPLES)),
    Case(LatentAudioContinuationPipeline, {"audio": CLIP, "extend_in_s": 0.08}, (1, SAMPLES + 1280)),
    Case(LatentAudioSuperResolutionPipeline, {"audio": CLIP, "cutoff_hz": 4000.0}, (1, SAMPLES)),
    Case(LatentAudioStereoWideningPipeline, {"audio": CLIP, "width": 1.0, "max_strength": 1.0}, (1, 2, SAMPLES),
         output_types=("np", "pt"), takes=2),
    # No num_waveforms_per_prompt: its two seeds set the path's ends (see the class docstring).
    Case(LatentAudioInterpolationPipeline, {"prompt_b": PROMPTS[1], "num_interpolation_steps": 3,
                                            "audio_length_in_s": SAMPLES / 16000}, (3, SAMPLES), prompt_lists=False),
]


def seeded(*seeds: int):
    """One generator, or a list of them (one per waveform of a batch)."""
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    return generators[0] if len(generators) == 1 else generators


def run(pipe, case: Case, prompt=PROMPTS[0], generator=None, **kwargs):
    """Call ``pipe`` as ``case`` says; ``.audios`` of the result (or the tuple when return_dict=False)."""
    generator = seeded(*range(case.takes)) if generator is None else generator
    output = pipe(prompt=prompt, generator=generator, num_inference_steps=STEPS, **case.inputs, **kwargs)
    return output if kwargs.get("return_dict") is False else output.audios


def assert_same(actual, expected, exact: bool = False):
    """Equal to the bit when ``exact``, else equal up to float rounding (:data:`ROUNDING`)."""
    actual, expected = torch.as_tensor(actual).float(), torch.as_tensor(expected).float()
    assert actual.shape == expected.shape
    if exact:
        assert torch.equal(actual, expected), (actual - expected).abs().max().item()
    else:
        error = (actual - expected).abs().mean() / expected.abs().mean()
        assert error < ROUNDING, f"differs by {error.item():.2e} of the mean magnitude"


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def base(tiny_pipe_dir):
    """The tiny pipeline with a Griffin-Lim vocoder (see the module docstring), loaded once."""
    from latentaudio.builder import griffin_lim_for

    loaded = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    vocoder = griffin_lim_for(loaded.spectrogram, n_iter=0, nnls_iter=0)  # see the module docstring
    return LatentAudioPipeline.from_pipe(loaded, vocoder=vocoder)


@pytest.fixture(scope="module")
def saved(base, tmp_path_factory):
    """``base`` saved once: the offload and precision checks load their own copies from it."""
    folder = tmp_path_factory.mktemp("battery_pipe")
    base.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.id)
def case(request) -> Case:
    return request.param


@pytest.fixture(scope="module")
def pipe(case, base):
    """The case's pipeline over ``base``'s components, shared by the module's checks."""
    pipe = case.pipeline_class.from_pipe(base)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def reference(pipe, case):
    """The case's default call: prompt A, seeded generators, "np" output."""
    return run(pipe, case)


@pytest.fixture(scope="module")
def other_seed(pipe, case):
    """The default call with other seeds: how far the audio moves when it is not the same."""
    return run(pipe, case, generator=seeded(*range(7, 7 + case.takes)))


def load(case: Case, folder, **kwargs):
    pipe = case.pipeline_class.from_pretrained(folder, **kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe


# -------------------------------------------------------------------------------------- checks
def test_batched_prompts_equal_one_by_one(pipe, case):
    if not case.prompt_lists:
        pytest.skip(f"{case.pipeline_class.__name__} takes one prompt pair; its batch is the interpolation path")
    batch = run(pipe, case, PROMPTS, seeded(*range(len(PROMPTS) * case.takes)))
    assert batch.shape == (len(PROMPTS) * case.audio_shape[0], *case.audio_shape[1:])
    for i, prompt in enumerate(PROMPTS):
        alone = run(pipe, case, prompt, seeded(*range(i * case.takes, (i + 1) * case.takes)))
        assert_same(batch[i : i + 1], alone)
    assert not np.allclose(batch[0], batch[1], atol=1e-3), "two prompts and seeds gave the same audio"


def test_num_waveforms_per_prompt(pipe, case):
    if not case.accepts("num_waveforms_per_prompt"):
        pytest.skip(f"{case.pipeline_class.__name__} has no num_waveforms_per_prompt")
    takes = run(pipe, case, PROMPTS, seeded(*range(4 * case.takes)), num_waveforms_per_prompt=2)
    assert takes.shape == (4, *case.audio_shape[1:])
    # Prompt-major, each take drawing from its own generators: take 1 of prompt A, take 0 of prompt B.
    for i in (1, 2):
        alone = run(pipe, case, PROMPTS[i // 2], seeded(*range(i * case.takes, (i + 1) * case.takes)))
        assert_same(takes[i : i + 1], alone)
    assert not np.allclose(takes[0], takes[1], atol=1e-3), "two takes of one prompt are the same"


def test_save_and_load_give_the_same_audio(pipe, case, saved, reference):
    loaded = load(case, saved)
    assert type(loaded) is case.pipeline_class
    assert_same(run(loaded, case), reference, exact=True)


def test_from_pipe_shares_the_components(pipe, case, base, reference):
    assert pipe.components.keys() == base.components.keys()
    for name, component in base.components.items():
        assert pipe.components[name] is component, name
    round_trip = case.pipeline_class.from_pipe(LatentAudioPipeline.from_pipe(pipe))
    round_trip.set_progress_bar_config(disable=True)
    assert_same(run(round_trip, case), reference, exact=True)



def component_dtypes(pipe) -> dict:
    """Each component's parameters' and buffers' dtypes, by name."""
    return {(name, tensor_name): tensor.dtype
            for name, component in pipe.components.items() if isinstance(component, torch.nn.Module)
            for tensor_name, tensor in [*component.named_parameters(), *component.named_buffers()]}


def test_from_pipe_keeps_the_components_dtypes_unless_told(tiny_pipe_dir, diffusers_messages):
    """A pipeline loaded in bfloat16 stays bfloat16 under every pipeline made from it (diffusers' own from_pipe
    casts the shared components to float32 unless given a dtype), quietly; a dtype given is still applied."""
    loaded = LatentAudioPipeline.from_pretrained(tiny_pipe_dir, dtype=torch.bfloat16)
    before = component_dtypes(loaded)
    assert torch.bfloat16 in before.values() and torch.float32 in before.values()  # the spectrogram keeps float32
    diffusers_messages.clear()
    for case in CASES:
        pipe = case.pipeline_class.from_pipe(loaded)
        assert component_dtypes(pipe) == before, case.id
    assert component_dtypes(loaded) == before
    assert not [message for message in diffusers_messages if "float32" in message]
    cast = LatentAudioInpaintPipeline.from_pipe(loaded, dtype=torch.float32)
    assert cast.unet.dtype == loaded.unet.dtype == torch.float32

@pytest.fixture(scope="module")
def offloaded(case, saved):
    """The case's pipeline, loaded on its own, with model CPU offload onto ``OFFLOAD_DEVICE``.

    On a CPU-only machine the models "move" from the CPU to the CPU, but accelerate's hooks are
    installed, run around every forward and are reset by ``maybe_free_model_hooks`` all the same.
    """
    pipe = load(case, saved)
    pipe.enable_model_cpu_offload(device=OFFLOAD_DEVICE)
    assert len(pipe._all_hooks) > 0
    return pipe


def test_model_cpu_offload_gives_the_same_audio(offloaded, case, reference):
    assert_same(run(offloaded, case), reference)
    assert_same(run(offloaded, case), reference)  # the hooks were put back after the first call


def test_model_cpu_offload_frees_hooks_after_every_output_type(offloaded, case, monkeypatch):
    pipe = offloaded
    frees = []
    free = pipe.maybe_free_model_hooks
    monkeypatch.setattr(pipe, "maybe_free_model_hooks", lambda: frees.append(1) or free())
    for n, output_type in enumerate(case.output_types, start=1):
        hooks = list(pipe._all_hooks)
        run(pipe, case, output_type=output_type)
        assert len(frees) == n, f"output_type={output_type!r} returned without maybe_free_model_hooks()"
        assert all(new is not old for new, old in zip(pipe._all_hooks, hooks)), "the offload hooks were not reset"


def sequential_offload_unsupported() -> Optional[str]:
    """Why accelerate cannot run sequential offload onto ``OFFLOAD_DEVICE`` here, or ``None`` when it can.

    diffusers names the execution device with an index ("cpu:0"), and accelerate 1.x then fails to
    move a plain ``nn.Linear``'s weights back after its forward: the probe asks it exactly that.
    """
    from accelerate import cpu_offload

    layer = torch.nn.Linear(2, 2)
    cpu_offload(layer, torch.device(f"{torch.device(OFFLOAD_DEVICE).type}:0"))
    try:
        layer(torch.zeros(1, 2, device=OFFLOAD_DEVICE))
    except (TypeError, RuntimeError) as error:
        first_line = str(error).splitlines()[0]
        return f"accelerate cannot run sequential offload onto {OFFLOAD_DEVICE}:0 ({type(error).__name__}: {first_line})"
    return None


def test_sequential_cpu_offload_gives_the_same_audio(case, saved, reference):
    reason = sequential_offload_unsupported()
    if reason:
        pytest.skip(reason)
    pipe = load(case, saved)
    pipe.enable_sequential_cpu_offload(device=OFFLOAD_DEVICE)
    assert_same(run(pipe, case), reference)
    assert_same(run(pipe, case), reference)


def half_precision_unsupported(dtype: torch.dtype) -> Optional[str]:
    """Why this machine's CPU cannot run ``dtype`` convolutions, or ``None`` when it can."""
    try:
        torch.nn.functional.conv2d(torch.ones(1, 1, 3, 3, dtype=dtype), torch.ones(1, 1, 1, 1, dtype=dtype))
    except RuntimeError as error:
        return f"this CPU's PyTorch cannot convolve {dtype}: {error}"
    return None


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=str)
def test_half_precision_runs_and_stays_close(case, saved, reference, other_seed, dtype):
    reason = half_precision_unsupported(dtype)
    if reason:
        pytest.skip(reason)
    # Griffin-Lim has no weights to halve, and computes in float32 anyway; loaded in half precision,
    # its filterbank would be rounded and the inverse (not the pipeline) would be what is off.
    half_pipe = load(case, saved, torch_dtype={"default": dtype, "vocoder": torch.float32})
    assert half_pipe.unet.dtype == dtype and half_pipe.vae.dtype == dtype and half_pipe.text_encoder.dtype == dtype
    half = run(half_pipe, case, output_type="pt")
    assert half.dtype == torch.float32 and torch.isfinite(half).all()
    # Close: the error is a small part of how far another seed moves the audio.
    full = torch.from_numpy(reference)
    error, spread = (half - full).abs().mean(), (torch.from_numpy(other_seed) - full).abs().mean()
    assert error < 0.25 * spread, f"error {error.item():.3g}, another seed {spread.item():.3g}"


def sampled_latents(pipe, case: Case, **kwargs) -> torch.Tensor:
    """The sampler's result: the "latent" output, or for a class without one (stereo) what it decodes."""
    if "latent" in case.output_types:
        return run(pipe, case, output_type="latent", **kwargs)
    decoded = []
    decode = pipe.decode
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipe, "decode", lambda latents, *args, **kwargs: decoded.append(latents) or decode(latents, *args, **kwargs))
        run(pipe, case, output_type="pt", **kwargs)
    assert len(decoded) == 1, "the pipeline should decode its sampled latents once"
    return decoded[0]


def test_callbacks_see_and_change_the_latents(pipe, case, reference):
    seen = []

    def record(pipe, step, timestep, tensors):
        seen.append((step, tensors["latents"].clone(), tensors["noise_pred"].shape))
        return {}

    latents = sampled_latents(pipe, case, callback_on_step_end=record,
                              callback_on_step_end_tensor_inputs=("latents", "noise_pred"))
    assert [step for step, _, _ in seen] == list(range(STEPS))
    assert seen[-1][2] == latents.shape
    assert torch.equal(seen[-1][1], latents)  # the last step's latents are the result

    def silence(pipe, step, timestep, tensors):
        return {"latents": torch.zeros_like(tensors["latents"])} if step == STEPS - 1 else {}

    assert torch.equal(sampled_latents(pipe, case, callback_on_step_end=silence), torch.zeros_like(latents))
    silenced = run(pipe, case, callback_on_step_end=silence)
    assert not np.allclose(silenced, reference, atol=1e-3), "the audio ignored the callback's latents"


def test_unknown_callback_tensor_inputs_are_refused(pipe, case):
    with pytest.raises(ValueError, match=r"Unknown callback tensor inputs \['prompt_embeds'\]; choose from"):
        run(pipe, case, callback_on_step_end=lambda *args: {}, callback_on_step_end_tensor_inputs=("prompt_embeds",))


def test_another_seed_gives_other_audio(reference, other_seed):
    """What makes "the same audio" mean something: the seed reaches the waveform, far above rounding."""
    assert np.abs(other_seed - reference).mean() > 100 * ROUNDING * np.abs(reference).mean()


def test_every_output_type(pipe, case, reference):
    outputs = {output_type: run(pipe, case, output_type=output_type) for output_type in case.output_types[1:]}
    assert case.output_types[0] == "np" and reference.dtype == np.float32 and reference.shape == case.audio_shape
    assert isinstance(outputs["pt"], torch.Tensor)
    assert_same(outputs["pt"], reference, exact=True)
    batch = case.audio_shape[0]
    if "mel" in outputs:
        assert outputs["mel"].shape[:2] == (batch, pipe.spectrogram.n_mels)
    if "latent" in outputs:
        assert outputs["latent"].shape[:2] == (batch, pipe.vae.config.latent_channels)
    with pytest.raises(ValueError, match="output_type='wav'"):
        run(pipe, case, output_type="wav")


def test_return_dict_false_gives_a_tuple(pipe, case, reference):
    output = run(pipe, case, return_dict=False)
    assert isinstance(output, tuple) and len(output) == 1
    assert_same(output[0], reference, exact=True)


def test_progress_bar_can_be_disabled(pipe, case, capsys):
    pipe.set_progress_bar_config(disable=False)
    try:
        run(pipe, case)
        assert f"{STEPS}/{STEPS}" in capsys.readouterr().err
    finally:
        pipe.set_progress_bar_config(disable=True)
    run(pipe, case)
    assert capsys.readouterr().err == ""


def test_attention_processor_swap_gives_the_same_audio(pipe, case, reference):
    default = pipe.unet.attn_processors
    assert default, "the tiny U-Net should have attention layers"
    pipe.unet.set_attn_processor(AttnProcessor())
    try:
        assert_same(run(pipe, case), reference)
    finally:
        pipe.unet.set_attn_processor(dict(default))  # a copy: diffusers empties the dict it is given
    assert pipe.unet.attn_processors == default


@pytest.fixture(scope="module")
def guided(base):
    """``base`` with a guidance-scale embedding, as a guidance-distilled student has it (random, so the scale matters)."""
    from latentaudio.conditioning.guidance import with_guidance_embedding

    unet = with_guidance_embedding(base.unet)
    torch.nn.init.normal_(unet.time_embedding.cond_proj.weight, std=0.5, generator=torch.Generator().manual_seed(0))
    return LatentAudioPipeline.from_pipe(base, unet=unet)


def test_a_unet_that_embeds_guidance_runs_one_row_per_output_and_follows_the_scale(guided, case):
    """A guidance-distilled student guides in one U-Net row: no unconditional rows are built for it."""
    pipe = case.pipeline_class.from_pipe(guided)
    pipe.set_progress_bar_config(disable=True)
    rows = []
    hook = pipe.unet.register_forward_pre_hook(lambda module, args: rows.append(args[0].shape[0]))
    try:
        strong, weak = run(pipe, case, guidance_scale=3.0), run(pipe, case, guidance_scale=1.5)
    finally:
        hook.remove()
    outputs = case.audio_shape[0] * case.takes
    assert strong.shape == case.audio_shape and set(rows) == {outputs}  # never the doubled batch of a guided pair
    assert np.abs(strong - weak).mean() > 1e3 * ROUNDING * np.abs(strong).mean()
