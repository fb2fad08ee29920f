"""Stereo widening: correlation between the channels falls as the width rises, the mid is the input, bad widths."""

import numpy as np
import pytest
import torch

from latentaudio import LatentAudioStereoWideningPipeline

from .conftest import edit


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", ["organ", "piano"])
def test_correlation_falls_as_width_rises_and_the_mid_is_the_input(trained_pipe, clips, name):
    pipe = edit(LatentAudioStereoWideningPipeline, trained_pipe)
    mono = clips[name][:8000]
    correlations = []
    for width in (0.0, 0.25, 0.5, 0.75, 1.0):
        left, right = pipe(mono, width=width, num_inference_steps=10, generator=seeded(), output_type="pt").audios[0]
        # The mid is the input itself, unless a channel passed full scale: then the take is turned down as a whole.
        peak = max(left.abs().max(), right.abs().max())
        gain = 1.0 if peak < 1.0 else float(((left + right) / 2) @ mono / (mono @ mono))
        assert peak <= 1.0 + 1e-6 and 0.5 < gain <= 1.0
        assert torch.allclose((left + right) / 2, gain * mono, atol=1e-6)
        correlations.append(np.corrcoef(left.numpy(), right.numpy())[0, 1])
    assert correlations[0] == pytest.approx(1.0)  # width 0: dual mono
    assert all(a > b for a, b in zip(correlations, correlations[1:])), correlations
    # The side is orthogonal to the mid at SIDE_LEVEL of its RMS: correlation (1 - (w r)^2) / (1 + (w r)^2),
    # 0.6 at width 1 (the default model gave 0.98-0.999 before; benchmarks/stereo_width.py).
    assert correlations[-1] <= 0.7
    assert correlations[2] == pytest.approx((1 - 0.25**2) / (1 + 0.25**2), abs=0.02)


def test_a_narrow_width_is_stereo_at_four_steps(trained_pipe, clips):
    """Width 0.25 is strength 0.1: at 4 steps a rounded share of the schedule took no step, and the take was dual mono."""
    pipe = edit(LatentAudioStereoWideningPipeline, trained_pipe)
    left, right = pipe(clips["organ"][:8000], width=0.25, num_inference_steps=4, generator=seeded(), output_type="pt").audios[0]
    assert np.corrcoef(left.numpy(), right.numpy())[0, 1] == pytest.approx((1 - 0.125**2) / (1 + 0.125**2), abs=0.01)


def test_a_take_past_full_scale_is_turned_down_with_its_image_kept(trained_pipe, clips):
    pipe = edit(LatentAudioStereoWideningPipeline, trained_pipe)
    mono = clips["organ"][:8000] / clips["organ"][:8000].abs().max()  # at full scale: any side pushes a channel past it
    left, right = pipe(mono, width=1.0, num_inference_steps=10, generator=seeded(), output_type="pt").audios[0]
    assert max(left.abs().max(), right.abs().max()) == pytest.approx(1.0)
    gain = float(((left + right) / 2) @ mono / (mono @ mono))
    assert gain < 0.99 and torch.allclose((left + right) / 2, gain * mono, atol=1e-6)  # one gain for both channels
    assert np.corrcoef(left.numpy(), right.numpy())[0, 1] == pytest.approx(0.6, abs=0.02)  # the width's image


def test_stereo_output_of_any_input(tiny_pipe, tmp_path):
    import soundfile as sf

    path = tmp_path / "stereo_22k.wav"
    sf.write(path, 0.3 * np.random.default_rng(0).standard_normal((5512, 2)), 22050)
    out = edit(LatentAudioStereoWideningPipeline, tiny_pipe)(str(path), width=0.7, num_inference_steps=2).audios
    assert out.shape == (1, 2, 4000) and np.isfinite(out).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(width=1.5), r"width=1.5 is out of range: expected a number from 0"),
        (dict(width=-0.2), r"width=-0.2 is out of range"),
        (dict(max_strength=2.0), r"max_strength=2.0 is out of range"),
        (dict(output_type="mel"), r"output_type='mel' is not one of \('np', 'pt'\)"),
    ],
)
def test_bad_input(tiny_pipe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        edit(LatentAudioStereoWideningPipeline, tiny_pipe)(torch.zeros(8000), num_inference_steps=1, **kwargs)
