"""Super-resolution: the high bands of band-limited audio come back closer to the original; the cutoff
maps to mel and latent bins as documented; the known band is kept; a full-rate input's cutoff is read
from its spectrum; bad cutoffs."""

import pytest
import soundfile as sf
import torch

from latentaudio import LatentAudioSuperResolutionPipeline
from latentaudio.audio_io import resample
from latentaudio.metrics import log_spectral_distance

from .conftest import edit


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", ["piano", "trumpet"])
def test_log_spectral_distance_to_the_original_falls(trained_pipe, clips, tmp_path, name):
    """The clip stored at 6 kHz (nothing above 3 kHz) is restored to 16 kHz.

    Needs a VAE that reconstructs and a denoiser that knows how high bands go with low ones:
    ``trained_pipe`` (see conftest). The distance is measured on log-mels (64 bands to 8 kHz).
    """
    pipe = edit(LatentAudioSuperResolutionPipeline, trained_pipe)
    original = clips[name][:8000]
    path = tmp_path / f"{name}_6k.wav"
    sf.write(path, resample(original, 16000, 6000).numpy(), 6000, subtype="FLOAT")
    band_limited = pipe.audio_mel(pipe.prepare_audio(str(path)), 8000)[0]
    target = pipe.audio_mel(original[None], 8000)[0]

    restored = pipe(str(path), num_inference_steps=10, generator=seeded(), output_type="mel").audios[0]
    before, after = log_spectral_distance(band_limited, target), log_spectral_distance(restored, target)
    assert after < 0.75 * before, (before, after)  # piano: 23.4 dB -> 14.6 dB
    # Also through the vocoder: the waveform's own mel.
    audio = pipe(str(path), num_inference_steps=10, generator=seeded(), output_type="pt").audios
    assert log_spectral_distance(pipe.spectrogram(audio)[0], target) < 0.75 * before
    # The known band is the input's own mel.
    _, known_latent = pipe.known_bins(0.99 * 3000)
    assert torch.equal(restored[: known_latent * 2], band_limited[: known_latent * 2])


def test_the_cutoff_maps_to_mel_and_latent_bins(tiny_pipe):
    pipe = edit(LatentAudioSuperResolutionPipeline, tiny_pipe)
    low, high = pipe.filter_edges()
    known_mel, known_latent = pipe.known_bins(3000.0)
    assert high[known_mel - 1] <= 3000.0 < high[known_mel]  # the last bin wholly below, the first that is not
    assert known_latent == known_mel // 2 - 1  # the tiny VAE halves the bins; one latent bin of margin
    assert pipe.known_bins(float(high[40])) == (41, 19)


def test_cutoff_from_the_file_rate_and_regeneration_above_it(tiny_pipe, tmp_path):
    pipe = edit(LatentAudioSuperResolutionPipeline, tiny_pipe)
    path = tmp_path / "low.wav"
    sf.write(path, 0.3 * torch.randn(4000, generator=seeded(1)).numpy(), 8000)
    clean = pipe.encode_audio(pipe.prepare_audio(str(path)), 8000)
    latents = pipe(str(path), num_inference_steps=2, generator=seeded(), output_type="latent").audios
    _, known_latent = pipe.known_bins(0.99 * 4000)
    assert torch.equal(latents[..., :known_latent], clean[..., :known_latent])  # held fixed
    assert not torch.allclose(latents[..., known_latent:], clean[..., known_latent:])  # regenerated
    assert pipe(str(path), num_inference_steps=1).audios.shape == (1, 8000)


def low_passed(audio: torch.Tensor, cutoff_hz: float, rate: int = 16000) -> torch.Tensor:
    """``audio`` with every frequency above ``cutoff_hz`` removed (an ideal filter)."""
    spectrum = torch.fft.rfft(audio)
    spectrum[..., torch.fft.rfftfreq(audio.shape[-1], 1 / rate) > cutoff_hz] = 0
    return torch.fft.irfft(spectrum, n=audio.shape[-1])


def test_a_full_rate_input_gets_the_cutoff_its_spectrum_shows(tiny_pipe, clips):
    from latentaudio.pipelines.super_resolution import estimate_cutoff

    noise = torch.randn(1, 16000, generator=seeded(2))
    estimates = [estimate_cutoff(low_passed(noise, hz), 16000) for hz in (2000.0, 3000.0, 5000.0)]
    assert estimates == pytest.approx([2000.0, 3000.0, 5000.0], abs=40)  # the filter's edge, to within 3 FFT bins
    assert estimate_cutoff(noise, 16000) == 8000.0  # white noise: nothing missing
    # A real note (harmonics, not a flat spectrum): low-passing it brings the estimate down to the edge or
    # just below it, where its last harmonics under the edge end (2336 Hz for 2500 Hz).
    piano = clips["piano"][None]
    assert 2000.0 < estimate_cutoff(low_passed(piano, 2500.0), 16000) <= 2540.0 < estimate_cutoff(piano, 16000)
    # The pipeline without cutoff_hz holds the band below the estimate, where upsample once refused.
    pipe = edit(LatentAudioSuperResolutionPipeline, tiny_pipe)
    dull = low_passed(noise[0, :8000] * 0.3, 3000.0)
    clean = pipe.encode_audio(pipe.prepare_audio(dull), 8000)
    latents = pipe(dull, num_inference_steps=2, generator=seeded(), output_type="latent").audios
    _, known_latent = pipe.known_bins(estimate_cutoff(dull[None], 16000))
    assert known_latent == pipe.known_bins(3000.0)[1]
    assert torch.equal(latents[..., :known_latent], clean[..., :known_latent])
    assert not torch.allclose(latents[..., known_latent:], clean[..., known_latent:])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "The input is silent, so its missing band cannot be read from its spectrum; give the cutoff"),
        (dict(cutoff_hz=8000.0), "Nothing to regenerate: every mel bin lies below the cutoff 8000 Hz"),
        (dict(cutoff_hz=100.0), "The cutoff 100 Hz leaves no latent bin to condition on; it must be at least"),
        (dict(cutoff_hz=9000.0), r"cutoff_hz=9000.0 must be a frequency in \(0, 8000\] Hz"),
        (dict(cutoff_hz=-5), r"cutoff_hz=-5 must be a frequency"),
    ],
)
def test_bad_cutoffs(tiny_pipe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        edit(LatentAudioSuperResolutionPipeline, tiny_pipe)(torch.zeros(8000), num_inference_steps=1, **kwargs)
