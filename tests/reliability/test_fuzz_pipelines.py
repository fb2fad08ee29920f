"""Fuzzing the pipelines' arguments: types, NaN/inf, sizes, lengths, dtypes, devices.

Each example takes the text-to-audio call that works (one step, 0.16 s) and replaces one or two
of its arguments with drawn values. An oracle (:func:`why_bad`) says from the documented
contract whether the drawn values are valid; :func:`~.conftest.answer` then requires a named
``ValueError``/``TypeError`` for invalid ones and finite audio of the right shape for valid ones.
The editing pipelines share the same checks (``check_inputs``, ``prompt_batch``); one test drives
their own arguments.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from latentaudio.pipelines.base import MAX_BATCH_ROWS, OUTPUT_TYPES

from .conftest import answer

AREA = "pipelines"
SECONDS = 0.16
VALID = dict(prompt="a kick", num_inference_steps=1, guidance_scale=3.0, audio_length_in_s=SECONDS)


def numbers():
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False), st.integers(-10, 10**6), st.booleans(), st.none(),
        st.text(max_size=3), st.just([1.0]), st.just(np.float32(2.0)),
    )


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def tensors(shape_choices, cross_width=None):
    """A tensor (or not) for latents / prompt_embeds: right or wrong shape, NaN, meta, numpy, ints."""
    shape = st.sampled_from(shape_choices)
    return st.one_of(
        shape.map(lambda s: torch.randn(s)),
        shape.map(lambda s: torch.full(s, math.nan)),
        shape.map(lambda s: torch.full(s, math.inf)),
        shape.map(lambda s: torch.empty(s, device="meta")),
        shape.map(lambda s: np.zeros(s, dtype=np.float32)),
        st.just("latents"), st.just([[0.0]]),
    )


def generators():
    return st.one_of(
        st.none(), st.integers(0, 5).map(lambda seed: torch.Generator().manual_seed(seed)),
        st.integers(0, 3).map(lambda n: [torch.Generator().manual_seed(i) for i in range(n)]),
        st.just("seed"), st.integers(), st.just([0, 1]),
    )


def prompts():
    return st.one_of(
        st.text(max_size=20), st.none(), st.binary(max_size=8), st.lists(st.text(max_size=8), max_size=3),
        st.integers(), st.just("\udcff\udcfe a prompt from undecodable bytes"), st.just(["a", 3]),
    )


def callbacks():
    return st.sampled_from(["none", "returns dict", "returns None", "returns nan latents", "not callable"])


CALLBACKS = {
    "none": None,
    "returns dict": lambda pipe, step, t, tensors: {},
    "returns None": lambda pipe, step, t, tensors: None,
    "returns nan latents": lambda pipe, step, t, tensors: {"latents": tensors["latents"] * math.nan},
    "not callable": "print",
}


def why_bad(pipe, kwargs: dict, callback: str):
    """Why the call's arguments break the documented contract, or ``None`` when they are valid."""
    rows = None
    prompt, embeds = kwargs.get("prompt"), kwargs.get("prompt_embeds")
    width = pipe.unet.config.cross_attention_dim
    if embeds is not None:
        if prompt is not None:
            return "prompt and prompt_embeds"
        if not isinstance(embeds, torch.Tensor) or embeds.is_meta or embeds.ndim != 3 or embeds.shape[0] == 0:
            return "embeds not a (B, L, D) tensor"
        if not torch.isfinite(embeds).all() or embeds.shape[-1] != width:
            return "embeds not finite or of the wrong width"
        rows = embeds.shape[0]
    elif prompt is None or isinstance(prompt, str):
        rows = 1
    elif isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        rows = len(prompt)
    else:
        return f"prompt {prompt!r}"
    for text in [prompt] if isinstance(prompt, str) else prompt if isinstance(prompt, list) else []:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "prompt not UTF-8"
    steps = kwargs["num_inference_steps"]  # None: the model's saved default
    if steps is not None and not (isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= 1000):
        return f"steps {steps!r}"
    guidance = kwargs["guidance_scale"]
    if guidance is not None and not (is_number(guidance) and math.isfinite(guidance)):
        return f"guidance {guidance!r}"
    length = kwargs["audio_length_in_s"]
    if length is not None and not (is_number(length) and 0.02 <= length <= pipe.config.max_audio_length_in_s):
        return f"length {length!r}"
    takes = kwargs.get("num_waveforms_per_prompt", 1)
    if not (isinstance(takes, int) and not isinstance(takes, bool) and takes >= 1):
        return f"takes {takes!r}"
    rows *= takes
    if rows > MAX_BATCH_ROWS:
        return f"{rows} rows"
    generator = kwargs.get("generator")
    if generator is not None and not isinstance(generator, torch.Generator):
        if not (isinstance(generator, list) and all(isinstance(g, torch.Generator) for g in generator)
                and len(generator) == rows):
            return f"generator {generator!r}"
    latents = kwargs.get("latents")
    if latents is not None:
        frames = pipe.latent_frames_for(round((length or pipe.default_audio_length_in_s) * pipe.sample_rate))
        shape = pipe.codec.latent_shape(rows, frames)
        if not isinstance(latents, torch.Tensor) or latents.is_meta or tuple(latents.shape) != shape:
            return "latents not a tensor of the right shape"
        if not torch.isfinite(latents).all():
            return "latents not finite"
    if kwargs.get("output_type", "np") not in OUTPUT_TYPES:
        return f"output_type {kwargs['output_type']!r}"
    if callback in ("returns None", "returns nan latents", "not callable"):
        return f"callback {callback}"
    return None


def check_audio(pipe, kwargs):
    def check(output):
        audio = output.audios
        if not np.isfinite(np.asarray(audio if isinstance(audio, np.ndarray) else audio.float().cpu())).all():
            return "the output holds NaN or inf"
        if kwargs.get("output_type", "np") == "np":
            length = kwargs["audio_length_in_s"] or pipe.default_audio_length_in_s
            if audio.shape[-1] != round(length * pipe.sample_rate):
                return f"audio has {audio.shape[-1]} samples for {length} s"
        return None

    return check


FUZZED = {
    "guidance_scale": numbers(),
    "num_inference_steps": st.one_of(numbers(), st.integers(999, 1002)),
    "audio_length_in_s": st.one_of(numbers(), st.floats(0.0, 0.4, allow_subnormal=False)),
    "num_waveforms_per_prompt": st.one_of(st.integers(-2, 3), st.integers(60, 70), st.floats(0, 3, allow_subnormal=False), st.none()),
    "generator": generators(),
    "prompt": prompts(),
    "latents": tensors([(1, 4, 8, 32), (1, 4, 16, 32), (2, 4, 8, 32), (1, 4, 8, 31)]),
    "prompt_embeds": tensors([(1, 7, 32), (2, 7, 32), (1, 7, 16), (1, 32), (0, 7, 32)]),
    "output_type": st.sampled_from([*OUTPUT_TYPES, "wav", "", None]),
}


@given(data=st.data(), names=st.sets(st.sampled_from(sorted(FUZZED)), min_size=1, max_size=2), callback=callbacks())
def test_text_to_audio_answers_every_argument(fuzz_pipe, data, names, callback):
    kwargs = dict(VALID)
    for name in sorted(names):
        kwargs[name] = data.draw(FUZZED[name], label=name)
    if "prompt_embeds" in names:
        kwargs.pop("prompt", None) if "prompt" not in names else None
    call_kwargs = dict(kwargs, callback_on_step_end=CALLBACKS[callback])
    bad = why_bad(fuzz_pipe, kwargs, callback)
    answer(AREA, lambda: fuzz_pipe(**call_kwargs), bad, check_audio(fuzz_pipe, kwargs))


@given(
    name=st.sampled_from(["AudioToAudio", "Inpaint", "Continuation", "SuperResolution", "StereoWidening", "Interpolation"]),
    value=st.one_of(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False), st.integers(-3, 10**6), st.text(max_size=3), st.none()),
)
def test_editing_pipelines_answer_their_own_arguments(fuzz_pipe, name, value):
    """Each editing pipeline's own number (strength, time range, extension, cutoff, width, path length)."""
    import latentaudio

    pipe = getattr(latentaudio, f"LatentAudio{name}Pipeline").from_pipe(fuzz_pipe)
    pipe.set_progress_bar_config(disable=True)
    clip = 0.3 * torch.randn(2560, generator=torch.Generator().manual_seed(0))
    finite = is_number(value) and math.isfinite(value)
    own = {
        "AudioToAudio": ("strength", finite and 0 <= value <= 1),
        "Inpaint": ("end_in_s", finite and 0.05 < value <= 0.16),
        "Continuation": ("extend_in_s", value is None or finite and 0 < value and 0.16 + value <= 10.24),  # None: the clip's length
        "SuperResolution": ("cutoff_hz", None),  # valid range depends on the mel bins: checked by error or success
        "StereoWidening": ("width", finite and 0 <= value <= 1),
        "Interpolation": ("num_interpolation_steps", isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= MAX_BATCH_ROWS),
    }[name]
    argument, valid = own
    kwargs = {"num_inference_steps": 1, argument: value}
    if name == "Interpolation":
        kwargs.update(prompt="a kick", prompt_b="a snare", audio_length_in_s=SECONDS)
    else:
        kwargs.update(audio=clip, prompt="a kick")
    if name == "Inpaint":
        kwargs["start_in_s"] = 0.05
    if name == "SuperResolution":
        # Inside (0, Nyquist] a cutoff may still keep no latent bin or leave nothing to regenerate
        # (a named error whose bounds depend on the model): either answer is right there.
        bad = ... if finite and 0 < value <= 8000 else f"cutoff {value!r}"
    else:
        bad = None if valid else f"{argument}={value!r}"

    def check(output):
        return None if np.isfinite(output.audios).all() else "the output holds NaN or inf"

    answer(AREA, lambda: pipe(**kwargs), bad, check)


WIDTH = 16  # the tiny U-Net's cross_attention_dim
# The survey's bad pipeline inputs, each replayed: (the call's changes, words the error must hold).
SURVEY = {
    "guidance inf": (dict(guidance_scale=math.inf), "guidance_scale=inf"),
    "guidance nan": (dict(guidance_scale=math.nan), "guidance_scale=nan"),
    "guidance '3'": (dict(guidance_scale="3"), "guidance_scale must be a number"),
    "nan latents": (dict(latents=torch.full((1, 4, 8, 32), math.nan)), "latents holds NaN"),
    "nan prompt_embeds": (dict(prompt=None, prompt_embeds=torch.full((1, 7, WIDTH), math.nan)), "prompt_embeds holds NaN"),
    "numpy prompt_embeds": (dict(prompt=None, prompt_embeds=np.zeros((1, 7, WIDTH), np.float32)), "torch.Tensor"),
    "meta prompt_embeds": (dict(prompt=None, prompt_embeds=torch.empty(1, 7, WIDTH, device="meta")), "meta device"),
    "wrong-width prompt_embeds": (dict(prompt=None, prompt_embeds=torch.zeros(1, 7, WIDTH + 1)), "cross_attention_dim"),
    "generator list too long": (dict(generator=[torch.Generator(), torch.Generator()]), "one per row"),
    "generator 'seed'": (dict(generator="seed"), "torch.Generator"),
    "callback returning None": (dict(callback_on_step_end=lambda pipe, i, t, tensors: None), "must return a dict"),
    "non-UTF-8 prompt": (dict(prompt=b"\xff\xfe".decode("utf-8", "surrogateescape")), "not valid UTF-8"),
    "steps 10000": (dict(num_inference_steps=10000), "num_train_timesteps"),
    "100 takes": (dict(num_waveforms_per_prompt=100), "MAX_BATCH_ROWS"),
    "length nan": (dict(audio_length_in_s=math.nan), "audio_length_in_s=nan"),
}


def test_survey_cases(fuzz_pipe):
    assert fuzz_pipe.unet.config.cross_attention_dim == WIDTH
    for name, (changes, words) in SURVEY.items():
        answer(AREA, lambda: fuzz_pipe(**{**VALID, **changes}), name, names=words)
