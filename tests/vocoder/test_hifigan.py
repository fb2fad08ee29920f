"""HifiGanGenerator: exact output length, range, input and config checks, weight norm, save/load."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from vocoder import HifiGanGenerator  # noqa: E402

# A baby generator (hop 16) and one whose kernel - rate differences are odd (hop 30), which
# needs output padding to keep the length exact.
TINY = dict(num_mels=8, upsample_rates=(4, 4), upsample_kernel_sizes=(8, 8), upsample_initial_channel=16,
            resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1, 3),))
ODD = dict(num_mels=8, upsample_rates=(5, 3, 2), upsample_kernel_sizes=(11, 4, 5), upsample_initial_channel=16,
           resblock_kernel_sizes=(3, 5), resblock_dilation_sizes=((1, 3), (1,)))


def is_weight_normed(model) -> bool:
    return any(parametrize.is_parametrized(m, "weight") for m in model.modules())


@pytest.mark.parametrize("config, hop", [(TINY, 16), (ODD, 30)])
@pytest.mark.parametrize("frames", [1, 7, 50])
def test_output_is_exactly_frames_times_hop(config, hop, frames):
    torch.manual_seed(0)
    generator = HifiGanGenerator(**config)
    assert generator.hop_length == hop
    assert generator(torch.randn(3, 8, frames)).shape == (3, frames * hop)
    assert generator(torch.randn(8, frames)).shape == (frames * hop,)


def test_default_hop_matches_the_spectrogram_default():
    assert HifiGanGenerator(upsample_initial_channel=16, resblock_kernel_sizes=(3,),
                            resblock_dilation_sizes=((1,),)).hop_length == 160


def test_output_stays_in_range_when_saturated():
    torch.manual_seed(0)
    generator = HifiGanGenerator(**TINY, weight_norm=False)
    with torch.no_grad():
        generator.conv_post.weight.mul_(1e4)  # drive the last layer far beyond [-1, 1]
    audio = generator(10 * torch.randn(2, 8, 20))
    assert audio.abs().max() <= 1.0
    assert audio.abs().max() > 0.99  # saturated, so the bound above is not met trivially


def test_every_parameter_shapes_the_output():
    torch.manual_seed(0)
    generator = HifiGanGenerator(**ODD)  # two residual blocks per bank: both must be used
    generator(torch.randn(2, 8, 5)).pow(2).mean().backward()
    for name, parameter in generator.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_wrong_number_of_mel_bins_is_named():
    torch.manual_seed(0)
    generator = HifiGanGenerator(**TINY)
    with pytest.raises(ValueError, match=r"got \(2, 9, 5\).*num_mels=8"):
        generator(torch.randn(2, 9, 5))
    with pytest.raises(ValueError, match="num_mels=8"):
        generator(torch.randn(8))


@pytest.mark.parametrize("override, message", [
    (dict(upsample_kernel_sizes=(8,)), "one kernel per upsample rate"),
    (dict(upsample_kernel_sizes=(8, 3)), "kernel size 3 must be >= its rate 4"),
    (dict(upsample_initial_channel=6), "upsample_initial_channel=6"),
    (dict(resblock_dilation_sizes=((1,), (1,))), "one tuple of dilations per kernel"),
    (dict(resblock_kernel_sizes=(4,)), r"resblock_kernel_sizes=\[4\] must all be odd"),
])
def test_invalid_config_is_named(override, message):
    with pytest.raises(ValueError, match=message):
        HifiGanGenerator(**{**TINY, **override})


def test_remove_weight_norm_keeps_the_output():
    torch.manual_seed(0)
    generator = HifiGanGenerator(**TINY).eval()
    mel = torch.randn(2, 8, 12)
    before = generator(mel)
    assert is_weight_normed(generator) and generator.config.weight_norm
    generator.remove_weight_norm()
    assert not is_weight_normed(generator) and not generator.config.weight_norm
    torch.testing.assert_close(generator(mel), before, atol=1e-5, rtol=0)


@pytest.mark.parametrize("fold_before_saving", [False, True])
def test_save_and_load_give_identical_output(tmp_path, fold_before_saving):
    torch.manual_seed(0)
    generator = HifiGanGenerator(**ODD).eval()
    mel = torch.randn(2, 8, 9)
    expected = generator(mel)
    if fold_before_saving:
        generator.remove_weight_norm()
    generator.save_pretrained(tmp_path)

    weights = load_file(tmp_path / "diffusion_pytorch_model.safetensors")
    assert not any("parametrizations" in key for key in weights), "saved weights must be plain"
    loaded = HifiGanGenerator.from_pretrained(tmp_path).eval()
    assert not is_weight_normed(loaded) and loaded.config.upsample_rates == [5, 3, 2]
    assert torch.equal(loaded(mel), expected)
    # Saving must not fold the generator being trained.
    assert is_weight_normed(generator) != fold_before_saving
    assert torch.equal(generator(mel), expected)


def test_apply_weight_norm_after_loading_keeps_the_output(tmp_path):
    torch.manual_seed(0)
    HifiGanGenerator(**TINY).save_pretrained(tmp_path)
    generator = HifiGanGenerator.from_pretrained(tmp_path).eval()
    mel = torch.randn(1, 8, 6)
    before = generator(mel)
    generator.apply_weight_norm()
    assert is_weight_normed(generator) and generator.config.weight_norm
    torch.testing.assert_close(generator(mel), before, atol=1e-5, rtol=0)
