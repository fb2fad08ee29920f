"""VocosGenerator: exact lengths, the synthesis STFT's alignment with the analysis, config and
input checks, save/load, and a generator that learns one clip from its mel."""

import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

from vocoder import VocosGenerator, mel_l1_loss, multi_resolution_stft_distance  # noqa: E402

TINY = dict(num_mels=8, hop_length=40, n_fft=160, dim=16, intermediate_dim=32, num_layers=2)


@pytest.mark.parametrize("frames", [1, 7, 50])
def test_output_is_exactly_frames_times_hop(frames):
    torch.manual_seed(0)
    generator = VocosGenerator(**TINY)
    assert generator.hop_length == 40
    assert generator(torch.randn(3, 8, frames)).shape == (3, frames * 40)
    assert generator(torch.randn(8, frames)).shape == (frames * 40,)


def test_synthesis_inverts_the_centred_analysis_stft():
    """Frame t must describe the audio around sample t * hop, as MelSpectrogram's centred STFT does:
    given a clip's own STFT frames, the generator's inverse STFT returns the clip."""
    generator = VocosGenerator(**TINY)
    n_fft, hop, frames = 160, 40, 30
    t = torch.arange(frames * hop) / 16000
    clip = (torch.sin(2 * math.pi * 440 * t) * torch.exp(-3 * t))[None]  # (1, 1200)
    stft = torch.stft(clip, n_fft, hop, n_fft, torch.hann_window(n_fft), center=True, return_complex=True)
    frames_given = stft[..., :frames]  # the analysis has frames + 1 frames
    generator.polar_spectrum = lambda mel: (frames_given.abs(), frames_given.angle())
    audio = generator(torch.zeros(1, 8, frames))
    assert audio.shape == clip.shape
    torch.testing.assert_close(audio, clip, atol=1e-5, rtol=0)


def test_every_parameter_shapes_the_output():
    torch.manual_seed(0)
    generator = VocosGenerator(**TINY)
    generator(torch.randn(2, 8, 12)).pow(2).mean().backward()
    for name, parameter in generator.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_an_untrained_head_cannot_overflow():
    generator = VocosGenerator(**TINY)
    with torch.no_grad():
        generator.head.bias.fill_(1e3)  # log magnitudes far beyond any real spectrum
    audio = generator(torch.randn(1, 8, 10))
    assert torch.isfinite(audio).all()


def test_wrong_number_of_mel_bins_is_named():
    generator = VocosGenerator(**TINY)
    with pytest.raises(ValueError, match=r"num_mels=8 bins.*\(2, 9, 5\)|\(2, 9, 5\).*num_mels=8"):
        generator(torch.randn(2, 9, 5))


@pytest.mark.parametrize("override, message", [
    ({"n_fft": 60}, r"n_fft=60 must be at least 2 \* hop_length=80"),
    ({"kernel_size": 4}, r"kernel_size=4 must be odd"),
    ({"num_layers": 0}, r"num_layers=0 must be a positive integer"),
])
def test_bad_config_is_named(override, message):
    with pytest.raises(ValueError, match=message):
        VocosGenerator(**{**TINY, **override})


def test_save_and_load_give_the_same_audio(tmp_path):
    torch.manual_seed(0)
    generator = VocosGenerator(**TINY).eval()
    mel = torch.randn(2, 8, 20)
    generator.save_pretrained(tmp_path)
    assert (tmp_path / "diffusion_pytorch_model.safetensors").is_file()
    loaded = VocosGenerator.from_pretrained(tmp_path).eval()
    assert loaded.config.n_fft == 160 and loaded.hop_length == 40
    with torch.no_grad():
        torch.testing.assert_close(loaded(mel), generator(mel), atol=0, rtol=0)


def test_tiny_generator_learns_one_clip():
    """Both spectral losses fall by more than a third within 200 steps on one harmonic note (the mean of the last
    20 steps against the first: single steps of a 3e-3 Adam run move by a few percent)."""
    import torchaudio

    torch.manual_seed(0)
    sample_rate, hop, frames = 16000, 64, 62
    t = torch.arange(frames * hop) / sample_rate
    clip = (0.4 * sum(torch.sin(2 * math.pi * 330 * k * t) / k for k in range(1, 6)) * torch.exp(-4 * t))[None]
    transform = torchaudio.transforms.MelSpectrogram(
        sample_rate, n_fft=256, hop_length=hop, n_mels=32, power=1.0, norm="slaney", mel_scale="slaney"
    )
    mel_fn = lambda audio: transform(audio).clamp(min=1e-5).log()  # noqa: E731
    mel = mel_fn(clip)[..., :frames]
    generator = VocosGenerator(num_mels=32, hop_length=hop, n_fft=256, dim=32, intermediate_dim=64, num_layers=2)
    optimizer = torch.optim.Adam(generator.parameters(), lr=3e-3)
    history = []
    for _ in range(200):
        audio = generator(mel)
        mel_l1, mrstft = mel_l1_loss(mel_fn, audio, clip), multi_resolution_stft_distance(audio, clip)
        optimizer.zero_grad()
        (mel_l1 + mrstft).backward()
        optimizer.step()
        history.append((mel_l1.item(), mrstft.item()))
    first, last = history[0], torch.tensor(history[-20:]).mean(dim=0).tolist()
    assert last[0] < 0.65 * first[0] and last[1] < 0.65 * first[1], f"{first} -> {last}"


def test_load_vocoder_reads_the_class_from_the_folder(tmp_path):
    from vocoder import GriffinLimVocoder, load_vocoder

    torch.manual_seed(0)
    VocosGenerator(**TINY).save_pretrained(tmp_path / "vocos")
    GriffinLimVocoder(num_mels=8, n_fft=64, win_length=64, hop_length=16).save_pretrained(tmp_path / "pipe" / "vocoder")
    (tmp_path / "pipe" / "model_index.json").write_text("{}")
    assert isinstance(load_vocoder(tmp_path / "vocos"), VocosGenerator)
    assert isinstance(load_vocoder(tmp_path / "pipe"), GriffinLimVocoder)  # a pipeline folder: its vocoder/
    config = tmp_path / "vocos" / "config.json"
    config.write_text(config.read_text().replace('"VocosGenerator"', '"WaveNet"'))
    with pytest.raises(ValueError, match="names the class 'WaveNet'; expected one of HifiGanGenerator"):
        load_vocoder(tmp_path / "vocos")
    with pytest.raises(FileNotFoundError, match="No vocoder config.json"):
        load_vocoder(tmp_path / "missing")


PRIOR = dict(num_mels=16, hop_length=64, n_fft=256, dim=16, intermediate_dim=32, num_layers=2, magnitude_prior=True,
             f_max=8000.0, norm_mean=-4.0, norm_std=4.0)


def test_magnitude_prior_starts_at_the_mel_inverse():
    """With the prior, an untrained generator's magnitudes are the mel's least-squares inverse,
    so a mel's silent bins come out silent; without it they are the network's guess."""
    import torchaudio

    from vocoder.vocos import PRIOR_FLOOR

    torch.manual_seed(0)
    t = torch.arange(64 * 40) / 16000
    clip = 0.5 * torch.sin(2 * math.pi * 440 * t) * (t < 0.08)  # a tone, then silence
    transform = torchaudio.transforms.MelSpectrogram(16000, n_fft=256, hop_length=64, n_mels=16, f_max=8000.0,
                                                     power=1.0, norm="slaney", mel_scale="slaney")
    mel = ((transform(clip[None]).clamp(min=1e-5).log() + 4.0) / 4.0)[..., :40]
    generator = VocosGenerator(**PRIOR)
    expected = generator.prior.linear_spectrogram(mel).clamp(min=PRIOR_FLOOR)
    torch.testing.assert_close(generator.spectrum(mel).abs(), expected, rtol=1e-4, atol=1e-9)
    silent_tail = generator(mel)[0, -640:]
    assert silent_tail.abs().max() < 1e-5
    plain = VocosGenerator(**{**PRIOR, "magnitude_prior": False})
    assert plain(mel)[0, -640:].abs().max() > 1e-3  # the check above is not met trivially


def test_magnitude_prior_is_checked_against_the_spectrogram():
    from latentaudio.spectrogram import MelSpectrogram, check_compatible

    generator = VocosGenerator(**PRIOR)
    assert generator.spectrogram_settings["norm_mean"] == -4.0
    matching = dict(sample_rate=16000, n_fft=256, hop_length=64, n_mels=16, f_max=8000.0, norm_mean=-4.0, norm_std=4.0)
    check_compatible(MelSpectrogram(**matching), vocoder=generator)
    with pytest.raises(ValueError, match=r"The vocoder has norm_mean=-4.0, but the spectrogram has 0.0"):
        check_compatible(MelSpectrogram(**{**matching, "norm_mean": 0.0}), vocoder=generator)
    assert VocosGenerator(**{**PRIOR, "magnitude_prior": False}).spectrogram_settings == {}
    check_compatible(MelSpectrogram(**{**matching, "norm_mean": 0.0}), vocoder=VocosGenerator(**{**PRIOR, "magnitude_prior": False}))


@pytest.mark.parametrize("n_fft,hop_length,frames", [(1024, 160, 40), (64, 16, 7), (640, 160, 1)])
def test_the_real_valued_inverse_stft_is_torchs(n_fft, hop_length, frames):
    from vocoder.vocos import istft_by_convolution

    generator = torch.Generator().manual_seed(n_fft)
    magnitude = torch.rand(2, n_fft // 2 + 1, frames, generator=generator)
    phase = (torch.rand(2, n_fft // 2 + 1, frames, generator=generator) - 0.5) * 2 * math.pi
    window = torch.hann_window(n_fft)
    expected = torch.istft(torch.polar(magnitude, phase), n_fft, hop_length, n_fft, window, center=True, length=frames * hop_length)
    got = istft_by_convolution(magnitude, phase, window, hop_length)
    assert got.shape == expected.shape == (2, frames * hop_length)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6 * expected.abs().max().item())
