"""GriffinLimVocoder: exact length, torchaudio's filterbank, a faithful inversion, save/load."""

import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402
import torchaudio  # noqa: E402

from vocoder import GriffinLimVocoder  # noqa: E402

SAMPLE_RATE, N_FFT, HOP, MELS, LOG_FLOOR = 16000, 1024, 160, 64, 1e-5
NORM_MEAN, NORM_STD = -5.0, 4.0  # non-trivial normalisation, so undoing it is tested too


def vocoder(**overrides) -> GriffinLimVocoder:
    settings = dict(sampling_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, num_mels=MELS, f_max=8000.0,
                    log_floor=LOG_FLOOR, norm_mean=NORM_MEAN, norm_std=NORM_STD)
    return GriffinLimVocoder(**{**settings, **overrides})


def reference_mel(mel_scale: str = "slaney") -> torchaudio.transforms.MelSpectrogram:
    """The transform latentaudio's spectrogram uses, with the same settings as :func:`vocoder`."""
    return torchaudio.transforms.MelSpectrogram(
        SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=MELS, f_max=8000.0, power=1.0,
        norm="slaney" if mel_scale == "slaney" else None, mel_scale=mel_scale,
    )


def log_mel(audio: torch.Tensor) -> torch.Tensor:
    """(…, L) audio to natural-log mel (…, MELS, L // HOP + 1)."""
    return reference_mel()(audio).clamp(min=LOG_FLOOR).log()


def harmonic_tone(seconds: float = 0.5) -> torch.Tensor:
    """(L,) a decaying 7-partial tone at 220 Hz over a faint noise floor, like a plucked note."""
    t = torch.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    partials = sum(torch.sin(2 * math.pi * 220 * k * t) / k for k in range(1, 8))
    return 0.3 * partials * torch.exp(-3 * t) + 3e-3 * torch.randn_like(t)


@pytest.mark.parametrize("frames", [1, 10, 33])
def test_output_is_exactly_frames_times_hop(frames):
    torch.manual_seed(0)
    model = vocoder(n_iter=2)
    assert model.hop_length == HOP
    assert model(torch.randn(2, MELS, frames)).shape == (2, frames * HOP)
    assert model(torch.randn(MELS, frames)).shape == (frames * HOP,)


@pytest.mark.parametrize("mel_scale", ["slaney", "htk"])
def test_filterbank_is_torchaudio_melspectrograms(mel_scale):
    model = vocoder(mel_scale=mel_scale)
    torch.testing.assert_close(model.filterbank, reference_mel(mel_scale).mel_scale.fb, atol=0, rtol=0)


def test_inverting_a_mel_reproduces_it():
    torch.manual_seed(0)
    audio = harmonic_tone()
    target = log_mel(audio)  # (MELS, T)
    waveform = vocoder()((target - NORM_MEAN) / NORM_STD)
    assert waveform.abs().max() <= 1.0
    error = (log_mel(waveform)[:, : target.shape[-1]] - target).abs().mean()
    # Noise of the same loudness, and silence, are far off: the threshold says something.
    noise = torch.randn_like(audio) * audio.pow(2).mean().sqrt()
    assert (log_mel(noise) - target).abs().mean() > 2.0
    assert (log_mel(torch.zeros_like(audio)) - target).abs().mean() > 2.0
    assert error < 0.35, f"log-mel L1 {error:.3f} after inversion"


def test_nnls_refinement_beats_the_clipped_pseudo_inverse():
    torch.manual_seed(0)
    mel_power = reference_mel()(harmonic_tone())  # (MELS, T)
    errors = []
    for steps in (0, 50):
        linear = vocoder(nnls_iter=steps).mel_to_linear(mel_power)
        assert linear.min() >= 0
        rebuilt = (reference_mel().mel_scale.fb.T @ linear).clamp(min=LOG_FLOOR).log()
        errors.append((rebuilt - mel_power.clamp(min=LOG_FLOOR).log()).abs().mean())
    assert errors[1] < 0.5 * errors[0], errors


def test_wrong_number_of_mel_bins_is_named():
    with pytest.raises(ValueError, match=f"num_mels={MELS}"):
        vocoder()(torch.randn(1, MELS + 1, 4))


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = vocoder(n_iter=4, mel_scale="htk")
    assert not list(model.parameters())
    mel = torch.randn(2, MELS, 8)
    model.save_pretrained(tmp_path)
    loaded = GriffinLimVocoder.from_pretrained(tmp_path)
    assert (loaded.config.sampling_rate, loaded.config.num_mels, loaded.hop_length) == (SAMPLE_RATE, MELS, HOP)
    assert loaded.config.mel_scale == "htk" and loaded.config.norm_std == NORM_STD
    torch.testing.assert_close(loaded.filterbank, model.filterbank, atol=0, rtol=0)
    assert torch.equal(loaded(mel), model(mel))
