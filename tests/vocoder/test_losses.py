"""Vocoder losses: each is zero exactly when it should be, positive otherwise, and ordered by error."""

import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402
import torchaudio  # noqa: E402

from vocoder import (  # noqa: E402
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    mel_l1_loss,
    multi_resolution_stft_distance,
)


def tone(num_samples: int = 8000, sample_rate: int = 16000) -> torch.Tensor:
    """(1, num_samples) decaying three-partial tone."""
    t = torch.arange(num_samples) / sample_rate
    return (sum(torch.sin(2 * math.pi * 440 * k * t) / k for k in (1, 2, 3)) * torch.exp(-3 * t) * 0.3)[None]


def test_lsgan_losses_vanish_only_at_their_targets():
    ones, zeros = [torch.ones(2, 5), torch.ones(2, 3)], [torch.zeros(2, 5), torch.zeros(2, 3)]
    assert discriminator_loss(ones, zeros) == 0  # real judged 1, generated 0: perfect discriminator
    assert discriminator_loss(zeros, ones).item() == pytest.approx(4.0)  # 2 per sub-discriminator
    assert generator_adversarial_loss(ones) == 0  # generated judged real
    assert generator_adversarial_loss(zeros).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="2 real logits but 1"):
        discriminator_loss(ones, zeros[:1])


def test_feature_matching_is_zero_for_identical_maps_and_trains_the_generator_only():
    torch.manual_seed(0)
    real = [[torch.randn(2, 4, 10, requires_grad=True), torch.randn(2, 1, 5)] for _ in range(2)]
    fake = [[m.detach().clone().requires_grad_() for m in maps] for maps in real]
    assert feature_matching_loss(real, fake) == 0
    fake[1][0] = fake[1][0] + 0.5
    loss = feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(0.5)
    loss.backward()
    assert real[0][0].grad is None and fake[0][0].grad is not None


def test_mel_l1_is_zero_for_identical_audio_and_positive_otherwise():
    torch.manual_seed(0)
    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=256, hop_length=64, n_mels=16, power=1.0)
    mel_fn = lambda audio: mel(audio).clamp(min=1e-5).log()  # noqa: E731
    audio = tone(4000)
    assert mel_l1_loss(mel_fn, audio, audio.clone()) == 0
    generated = (audio + 0.05 * torch.randn_like(audio)).requires_grad_()
    loss = mel_l1_loss(mel_fn, generated, audio)
    assert loss > 0.1
    loss.backward()
    assert generated.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r"\(1, 3999\).*\(1, 4000\)"):
        mel_l1_loss(mel_fn, audio[:, :-1], audio)


def test_multi_resolution_stft_distance_grows_with_noise():
    torch.manual_seed(0)
    clean = tone(8000).repeat(2, 1)
    assert multi_resolution_stft_distance(clean, clean.clone()) == 0
    noise = torch.randn_like(clean)
    distances = [multi_resolution_stft_distance(clean + level * noise, clean).item() for level in (1e-3, 1e-2, 0.1, 1.0)]
    assert all(a < b for a, b in zip(distances, distances[1:])), distances
    assert distances[0] > 0
    single = multi_resolution_stft_distance(clean[0], clean[0] + 0.1 * noise[0], resolutions=((256, 64, 256),))
    assert single.dim() == 0 and single > 0
    with pytest.raises(ValueError, match="must match"):
        multi_resolution_stft_distance(clean, clean[:, :-1])


def test_multi_resolution_stft_distance_adds_convergence_and_log_magnitude():
    torch.manual_seed(0)
    reference = torch.randn(2, 4000)
    # Half the amplitude: spectral convergence ||B - A|| / ||B|| = 0.5, and |log A - log B| = log 2.
    distance = multi_resolution_stft_distance(0.5 * reference, reference)
    assert distance.item() == pytest.approx(0.5 + math.log(2), rel=1e-4)
