"""Multi-period and multi-scale discriminators: output structure and gradient flow."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

from vocoder import MultiPeriodDiscriminator, MultiScaleDiscriminator  # noqa: E402


def tiny_discriminators():
    return [
        (MultiPeriodDiscriminator(periods=(2, 3, 5), channels=2, max_channels=8), 3, 6),
        (MultiScaleDiscriminator(num_scales=2, channels=4, max_channels=8, groups=2), 2, 8),
    ]


@pytest.mark.parametrize("index", [0, 1], ids=["multi_period", "multi_scale"])
@pytest.mark.parametrize("shape", [(2, 1001), (2, 1, 1001)])
def test_one_logit_and_feature_list_per_subdiscriminator(index, shape):
    torch.manual_seed(0)
    discriminator, count, layers = tiny_discriminators()[index]
    logits, features = discriminator(torch.randn(shape))
    assert len(logits) == len(features) == count
    assert all(logit.dim() == 2 and logit.shape[0] == 2 for logit in logits)
    assert all(len(maps) == layers for maps in features)
    assert all(maps[-1].flatten(1).shape == logit.shape for maps, logit in zip(features, logits))


@pytest.mark.parametrize("index", [0, 1], ids=["multi_period", "multi_scale"])
def test_gradients_reach_the_audio_and_every_parameter(index):
    torch.manual_seed(0)
    discriminator, _, _ = tiny_discriminators()[index]
    audio = torch.randn(2, 800, requires_grad=True)
    logits, _ = discriminator(audio)
    sum((logit - 1).pow(2).mean() for logit in logits).backward()  # a generator-style LSGAN loss
    assert audio.grad is not None and audio.grad.abs().sum() > 0
    for name, parameter in discriminator.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_invalid_settings_are_named():
    with pytest.raises(ValueError, match="groups=3"):
        MultiScaleDiscriminator(channels=4, max_channels=8, groups=3)
    with pytest.raises(ValueError, match=r"periods=\[\]"):
        MultiPeriodDiscriminator(periods=())
    with pytest.raises(ValueError, match=r"\(2, 2, 100\)"):
        MultiPeriodDiscriminator(channels=2, max_channels=4)(torch.randn(2, 2, 100))
