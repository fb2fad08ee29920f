"""Super-resolution: the high bands of band-limited audio come back closer to the original; the cutoff
maps to mel and latent bins as documented; the known band is kept; bad cutoffs."""

import pytest
import soundfile as sf
import torch

from latentaudio import LatentAudioSuperResolutionPipeline
from latentaudio.audio_io import resample

from .conftest import edit, log_spectral_distance


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


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "The input is at 16000 Hz, so its missing band cannot be told from its sample rate; give the cutoff"),
        (dict(cutoff_hz=8000.0), "Nothing to regenerate: every mel bin lies below the cutoff 8000 Hz"),
        (dict(cutoff_hz=100.0), "The cutoff 100 Hz leaves no latent bin to condition on; it must be at least"),
        (dict(cutoff_hz=9000.0), r"cutoff_hz=9000.0 must be a frequency in \(0, 8000\] Hz"),
        (dict(cutoff_hz=-5), r"cutoff_hz=-5 must be a frequency"),
    ],
)
def test_bad_cutoffs(tiny_pipe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        edit(LatentAudioSuperResolutionPipeline, tiny_pipe)(torch.zeros(8000), num_inference_steps=1, **kwargs)
