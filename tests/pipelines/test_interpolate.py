"""Interpolation: the ends are the plain generations of A and B, the path moves steadily from one to the other."""

import pytest
import torch

from latentaudio import LatentAudioInterpolationPipeline
from latentaudio.pipelines.interpolate import slerp

from .conftest import edit

FAST = dict(num_inference_steps=4, audio_length_in_s=0.32, output_type="latent")


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    "b",
    [dict(prompt_b="a soft piano note"), dict(seed_b=1), dict(prompt_b="a loud snare drum hit", seed_b=1)],
    ids=["prompts", "seeds", "both"],
)
def test_ends_are_the_plain_generations_and_the_middle_lies_between(tiny_pipe, b):
    """Measured on the sampler's latents: the random decoder and vocoder would blur any difference."""
    pipe = edit(LatentAudioInterpolationPipeline, tiny_pipe)
    generator_b = seeded(b["seed_b"]) if "seed_b" in b else None
    path = pipe("a kick drum hit", b.get("prompt_b"), num_interpolation_steps=5, generator=seeded(0),
                generator_b=generator_b, **FAST).audios
    end_a = tiny_pipe("a kick drum hit", generator=seeded(0), **FAST).audios[0]
    end_b = tiny_pipe(b.get("prompt_b", "a kick drum hit"), generator=seeded(b.get("seed_b", 0)), **FAST).audios[0]
    scale = end_a.abs().max()
    assert path.shape[0] == 5
    assert (path[0] - end_a).abs().max() < 1e-5 * scale and (path[-1] - end_b).abs().max() < 1e-5 * scale
    to_a = [(p - end_a).norm().item() for p in path]
    to_b = [(p - end_b).norm().item() for p in path]
    assert all(x < y for x, y in zip(to_a, to_a[1:])) and all(x > y for x, y in zip(to_b, to_b[1:]))
    span = (end_a - end_b).norm().item()
    assert to_a[2] < span and to_b[2] < span  # the middle is nearer each end than the ends are to each other


def test_without_a_length_the_path_is_as_long_as_the_longer_prompt_asks(tiny_pipe):
    pipe = edit(LatentAudioInterpolationPipeline, tiny_pipe)
    settings = dict(num_interpolation_steps=2, num_inference_steps=1, generator=seeded(0))
    assert pipe("rain, 0.5 s", "a kick drum hit", **settings).audios.shape == (2, 8000)
    assert pipe("rain, 0.25 s", "wind, 0.5 s", **settings).audios.shape == (2, 8000)
    default = round(tiny_pipe.default_audio_length_in_s * tiny_pipe.sample_rate)
    assert pipe("a kick drum hit", "a snare drum hit", **settings).audios.shape == (2, default)  # neither asks: the clip


def test_slerp_keeps_the_norm_of_orthogonal_noise():
    a, b = torch.randn(20000, generator=seeded(0)), torch.randn(20000, generator=seeded(1))
    middle = slerp(a, b, 0.5)
    assert middle.norm().item() == pytest.approx(a.norm().item(), rel=0.02)  # linear blending would shrink it by ~30 %
    assert torch.equal(slerp(a, b, 0.0), a) and torch.equal(slerp(a, b, 1.0), b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(prompt_b=None), "Nothing to interpolate: give prompt_b, or a second seed"),
        (dict(num_interpolation_steps=1), "num_interpolation_steps=1 must be at least 2"),
        (dict(prompt_b=["a", "b"]), r"prompt_b must be one string, got \['a', 'b'\]"),
    ],
)
def test_bad_input(tiny_pipe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        edit(LatentAudioInterpolationPipeline, tiny_pipe)("a kick", **{"prompt_b": "a snare", **kwargs, **FAST})
