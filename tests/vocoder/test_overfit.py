"""A tiny HifiGanGenerator learns one short clip from its mel: the mel L1 loss falls fast."""

import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import torchaudio  # noqa: E402

from vocoder import HifiGanGenerator, mel_l1_loss  # noqa: E402

SAMPLE_RATE, HOP, FRAMES = 16000, 64, 62  # 62 frames of hop 64: 0.25 s


def test_tiny_generator_overfits_one_clip():
    torch.manual_seed(0)
    t = torch.arange(FRAMES * HOP) / SAMPLE_RATE
    clip = (0.4 * sum(torch.sin(2 * math.pi * 330 * k * t) / k for k in range(1, 6)) * torch.exp(-4 * t))[None]
    transform = torchaudio.transforms.MelSpectrogram(
        SAMPLE_RATE, n_fft=256, hop_length=HOP, n_mels=32, power=1.0, norm="slaney", mel_scale="slaney"
    )
    mel_fn = lambda audio: transform(audio).clamp(min=1e-5).log()  # noqa: E731
    mel = mel_fn(clip)[..., :FRAMES]  # (1, 32, FRAMES); the centred STFT adds one frame
    generator = HifiGanGenerator(num_mels=32, upsample_rates=(4, 4, 4), upsample_kernel_sizes=(8, 8, 8),
                                 upsample_initial_channel=32, resblock_kernel_sizes=(3,),
                                 resblock_dilation_sizes=((1, 3),))
    optimizer = torch.optim.Adam(generator.parameters(), lr=3e-3, betas=(0.8, 0.99))
    losses = []
    for _ in range(50):
        loss = mel_l1_loss(mel_fn, generator(mel), clip)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert min(losses[-5:]) < 0.7 * losses[0], f"loss went from {losses[0]:.3f} to {losses[-5:]}"
