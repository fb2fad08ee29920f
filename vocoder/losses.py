"""Vocoder losses: least-squares GAN, feature matching, mel L1, and a multi-resolution STFT distance.

The adversarial losses follow LSGAN (Mao et al. 2017) as used by HiFi-GAN (Kong et al. 2020,
Eq. 1-2): real logits are pushed to 1 and generated ones to 0. Every loss returns an
unweighted scalar; the trainer owns the weights (HiFi-GAN uses 2 for feature matching and
45 for mel L1).
"""

from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import torch


def discriminator_loss(real_logits: List[torch.Tensor], fake_logits: List[torch.Tensor]) -> torch.Tensor:
    """LSGAN discriminator loss, summed over sub-discriminators: E[(1 - D(x))^2] + E[D(G(s))^2].

    Args:
        real_logits (`List[torch.Tensor]`): One (B, N_i) tensor per sub-discriminator, on real audio.
        fake_logits (`List[torch.Tensor]`): The same on generated audio (detached from the generator).

    Returns:
        `torch.Tensor`: Scalar loss; 0 for a perfect discriminator.
    """
    _check_same_length(real_logits, fake_logits, "logits")
    return sum(((1 - real) ** 2).mean() + (fake**2).mean() for real, fake in zip(real_logits, fake_logits))


def generator_adversarial_loss(fake_logits: List[torch.Tensor]) -> torch.Tensor:
    """LSGAN generator loss, summed over sub-discriminators: E[(1 - D(G(s)))^2].

    Args:
        fake_logits (`List[torch.Tensor]`): One (B, N_i) tensor per sub-discriminator, on generated audio.

    Returns:
        `torch.Tensor`: Scalar loss; 0 when every generated logit is 1 (judged real).
    """
    return sum(((1 - fake) ** 2).mean() for fake in fake_logits)


def feature_matching_loss(
    real_features: List[List[torch.Tensor]], fake_features: List[List[torch.Tensor]]
) -> torch.Tensor:
    """L1 distance between discriminator activations on real and generated audio (Kong et al., Eq. 3).

    Args:
        real_features (`List[List[torch.Tensor]]`): Per sub-discriminator, its feature maps on real audio.
        fake_features (`List[List[torch.Tensor]]`): The same on generated audio, in the same order.

    Returns:
        `torch.Tensor`: Scalar, the sum over every map of its mean absolute difference; real maps
        are detached so only the generator receives gradients.
    """
    _check_same_length(real_features, fake_features, "feature map lists")
    return sum(
        (real.detach() - fake).abs().mean()
        for real_maps, fake_maps in zip(real_features, fake_features)
        for real, fake in zip(real_maps, fake_maps)
    )


def mel_l1_loss(
    mel_fn: Callable[[torch.Tensor], torch.Tensor], generated: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """Mean absolute difference of the (log-)mel spectrograms of two waveforms (Kong et al., Eq. 4).

    Args:
        mel_fn (`Callable`): Waveform (B, L) to mel (B, n_mels, T), e.g. latentaudio's ``MelSpectrogram``.
        generated (`torch.Tensor`): Generated audio of shape (B, L); gradients flow through it.
        target (`torch.Tensor`): Reference audio of the same shape.

    Returns:
        `torch.Tensor`: Scalar loss.
    """
    if generated.shape != target.shape:
        raise ValueError(
            f"generated audio has shape {tuple(generated.shape)} but target has {tuple(target.shape)}; "
            "crop both to the same length (a vocoder returns T * hop_length samples for T frames)."
        )
    with torch.no_grad():
        target_mel = mel_fn(target)
    return (mel_fn(generated) - target_mel).abs().mean()


def multi_resolution_stft_distance(
    a: torch.Tensor,
    b: torch.Tensor,
    resolutions: Sequence[Tuple[int, int, int]] = ((512, 128, 512), (1024, 256, 1024), (2048, 512, 2048)),
    eps: float = 1e-7,
) -> torch.Tensor:
    """Spectral convergence plus log-magnitude L1, averaged over STFT resolutions.

    Yamamoto et al., "Parallel WaveGAN", ICASSP 2020, Eq. 4-6: for magnitudes ``A`` and ``B``,
    ``||B - A||_F / ||B||_F + mean|log A - log B|``. ``b`` is the reference. Both terms are
    computed per clip, then averaged over the batch and the resolutions.

    Args:
        a (`torch.Tensor`): Estimated audio of shape (B, L) or (L,).
        b (`torch.Tensor`): Reference audio of the same shape; L must exceed n_fft / 2 at each
            resolution (reflect padding).
        resolutions (`Sequence[Tuple[int, int, int]]`): ``(n_fft, hop_length, win_length)`` triples.
        eps (`float`, defaults to 1e-7): Magnitude floor before the log and under the division.

    Returns:
        `torch.Tensor`: Scalar distance; 0 for identical inputs.
    """
    if a.shape != b.shape:
        raise ValueError(f"a has shape {tuple(a.shape)} but b has {tuple(b.shape)}; they must match.")
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])  # (B, L)
    total = 0.0
    for n_fft, hop_length, win_length in resolutions:
        window = torch.hann_window(win_length, device=a.device, dtype=a.dtype)
        mag_a, mag_b = (
            torch.stft(x, n_fft, hop_length, win_length, window, return_complex=True).abs().clamp(min=eps)
            for x in (a, b)
        )  # (B, n_fft / 2 + 1, frames)
        convergence = (mag_b - mag_a).norm(dim=(1, 2)) / mag_b.norm(dim=(1, 2)).clamp(min=eps)
        log_l1 = (mag_a.log() - mag_b.log()).abs().mean(dim=(1, 2))
        total = total + (convergence + log_l1).mean()
    return total / len(resolutions)


def _check_same_length(real: list, fake: list, what: str) -> None:
    if len(real) != len(fake):
        raise ValueError(f"Got {len(real)} real {what} but {len(fake)} generated ones; they must pair up.")
