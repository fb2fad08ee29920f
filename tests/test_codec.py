"""MelCodec: exact frame and sample counts, silence padding, round trips, the vocoder's cast and crop,
the spectrogram compared with a vocoder as one config, and the pipeline calling the codec."""

import math

import pytest
import torch

from latentaudio.codec import MelCodec, limit_peaks
from latentaudio.spectrogram import MelSpectrogram, check_compatible
from latentaudio.vae import build_vae
from vocoder import GriffinLimVocoder, HifiGanGenerator

from .helpers import loud_vocos

HOP = 160


@pytest.fixture
def codec() -> MelCodec:
    """16 kHz, hop 160, 16 mels; a VAE compressing 4x (640 samples per latent frame); Griffin-Lim."""
    torch.manual_seed(0)
    spectrogram = MelSpectrogram(n_fft=512, hop_length=HOP, n_mels=16, norm_mean=-4.0, norm_std=4.0)
    vae = build_vae(block_out_channels=(4, 4, 8), latent_channels=2, layers_per_block=1, norm_num_groups=4,
                    mid_block_add_attention=False).eval()
    vocoder = GriffinLimVocoder.from_mel_config(spectrogram.mel_config, n_iter=2, nnls_iter=2)
    return MelCodec(spectrogram, vae, vocoder, frame_multiple=2)


def tone(num_samples: int) -> torch.Tensor:
    t = torch.arange(num_samples) / 16000
    return (0.3 * torch.sin(2 * math.pi * 440 * t))[None]  # (1, L)


@pytest.mark.parametrize("num_samples, latent_frames", [(1, 2), (640, 2), (1280, 2), (1281, 4), (3000, 6)])
def test_frames_for_a_length(codec, num_samples, latent_frames):
    assert codec.compression == 4 and codec.samples_per_latent_frame == 640
    assert codec.latent_frames_for(num_samples) == latent_frames
    assert codec.mel_frames_for(num_samples) == 4 * latent_frames


@pytest.mark.parametrize("audio_samples", [50, 700, 5000])
def test_audio_to_mel_has_exactly_the_frames_of_the_length(codec, audio_samples):
    audio = tone(audio_samples)
    mel = codec.audio_to_mel(audio, 3000)  # 6 latent frames, 24 mel frames
    assert mel.shape == (1, 16, 24)
    # Audio too short for the STFT is zero-padded to the shortest it takes (257 samples here).
    padded = torch.nn.functional.pad(audio, (0, max(257 - audio_samples, 0)))
    own = codec.spectrogram(padded)[..., :24]
    torch.testing.assert_close(mel[..., : own.shape[-1]], own, atol=0, rtol=0)  # cropped, not resampled
    assert own.shape[-1] == min(24, max(audio_samples, 257) // HOP + 1)
    assert torch.all(mel[..., own.shape[-1]:] == codec.spectrogram.silence_level)  # and padded with silence


def test_encode_audio_gives_the_latent_frames_of_the_length(codec):
    latents = codec.encode_audio(tone(2000), 2000)
    assert latents.shape == (1, 2, codec.latent_frames_for(2000), 4)


def test_latent_shape_is_what_encoding_gives(codec):
    audio = torch.randn(2, 4000)
    latents = codec.encode_audio(audio, 4000)
    assert tuple(latents.shape) == codec.latent_shape(2, codec.latent_frames_for(4000))
    assert codec.latent_bins == codec.spectrogram.n_mels // codec.compression == latents.shape[-1]


def test_posterior_and_encode_pad_a_ragged_mel_with_silence(codec):
    mel = codec.spectrogram(tone(1000))  # 7 frames: not a multiple of 4
    padded = torch.cat([mel, torch.full_like(mel[..., :1], codec.spectrogram.silence_level)], dim=-1)
    torch.testing.assert_close(codec.posterior(mel).mean, codec.posterior(padded).mean, atol=0, rtol=0)
    assert codec.encode(mel).shape == (1, 2, 2, 4)
    drawn = codec.encode(mel, torch.Generator().manual_seed(0), sample=True)
    assert not torch.equal(drawn, codec.encode(mel))  # a draw, not the mode


def test_reconstruct_keeps_the_shape_and_is_the_decoded_mode(codec):
    codec.vae.register_to_config(scaling_factor=0.5)  # the scale cancels on the way back
    mel = codec.spectrogram(tone(1000))  # (1, 16, 7)
    reconstruction = codec.reconstruct(mel)
    assert reconstruction.shape == mel.shape and reconstruction.dtype == torch.float32
    expected = codec.decode(codec.encode(mel))[..., :7]
    torch.testing.assert_close(reconstruction, expected)
    image = torch.cat([mel, torch.full_like(mel[..., :1], codec.spectrogram.silence_level)], -1).transpose(1, 2)[:, None]
    unscaled = codec.vae.decode(codec.vae.encode(image).latent_dist.mode()).sample[:, 0].transpose(1, 2)[..., :7]
    torch.testing.assert_close(reconstruction, unscaled, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("num_samples", [1, 1599, 1600, 2000])
def test_vocode_gives_exactly_the_samples_asked_for(codec, num_samples):
    mel = torch.full((2, 16, 10), codec.spectrogram.silence_level)  # 1600 samples from the vocoder
    audio = codec.vocode(mel, num_samples)
    assert audio.shape == (2, num_samples) and audio.dtype == torch.float32
    if num_samples > 1600:
        assert torch.all(audio[:, 1600:] == 0)  # a mel too short is completed with silence
    assert codec.vocode(mel).shape == (2, 1600)


def test_vocode_runs_the_vocoder_in_its_dtype(codec):
    torch.manual_seed(0)
    vocoder = HifiGanGenerator.from_mel_config(
        codec.spectrogram.mel_config, upsample_rates=(10, 4, 4), upsample_kernel_sizes=(20, 8, 8),
        upsample_initial_channel=8, resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1,),),
    ).double()
    mel = torch.randn(1, 16, 5)  # float32: the float64 vocoder would refuse it uncast
    audio = MelCodec(codec.spectrogram, codec.vae, vocoder).vocode(mel, 700)
    assert audio.dtype == torch.float32 and audio.shape == (1, 700)
    torch.testing.assert_close(audio, vocoder(mel.double())[..., :700].float())


def test_limit_peaks_turns_down_only_the_takes_past_full_scale():
    takes = torch.sin(torch.linspace(0, 20, 500))[None] * torch.tensor([[0.5], [1.0], [2.5]])  # peaks 0.5, 1, 2.5
    limited = limit_peaks(takes)
    assert torch.equal(limited[:2], takes[:2])  # at or below full scale: bit for bit
    assert limited[2].abs().max() == pytest.approx(1.0) and torch.allclose(limited[2], takes[2] / 2.5)
    stereo = torch.stack([1.6 * takes[1], 0.4 * takes[1]])[None]  # (1, 2, L): the left passes full scale
    left, right = limit_peaks(stereo)[0]
    assert left.abs().max() == pytest.approx(1.0) and torch.allclose(right, 0.25 * left)  # one gain: the image is kept


def test_vocode_within_full_scale_sets_the_gain_before_cropping(codec):
    """A Vocos vocoder (no tanh at its output) made e^6 times too loud; cropped before the loudest
    sample, the clip still has the whole clip's gain, so every length cut from a take has the same level."""
    loud = MelCodec(codec.spectrogram, codec.vae, loud_vocos(codec.spectrogram.mel_config, log_gain=6.0))
    mel = torch.randn(1, 16, 10)
    raw = loud.vocode(mel)[0]
    loudest = int(raw.abs().argmax())
    assert raw[loudest].abs() > 1.0 and loudest > 100
    limited = loud.vocode(mel, loudest, within_full_scale=True)
    assert limited.shape == (1, loudest)
    torch.testing.assert_close(limited[0], raw[:loudest] / raw[loudest].abs())
    assert limited.abs().max() < 1.0


def test_vocode_without_a_vocoder_says_so(codec):
    with pytest.raises(ValueError, match="no vocoder"):
        MelCodec(codec.spectrogram, codec.vae).vocode(torch.zeros(1, 16, 2))


def test_a_vocoder_is_checked_by_comparing_its_mel_config(codec):
    check_compatible(codec.spectrogram, vocoder=codec.vocoder)
    other = MelSpectrogram(n_fft=512, hop_length=HOP, n_mels=16, norm_mean=-4.0, norm_std=4.0, window="hamming")
    with pytest.raises(ValueError, match="The vocoder has window=hann, but the spectrogram has hamming"):
        check_compatible(other, vocoder=codec.vocoder)
    learned = HifiGanGenerator(num_mels=16, upsample_rates=(8, 4, 4), upsample_kernel_sizes=(16, 8, 8),
                               upsample_initial_channel=8, resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1,),))
    check_compatible(other, vocoder=GriffinLimVocoder.from_mel_config(other.mel_config))
    with pytest.raises(ValueError, match="The vocoder has hop_length=128, but the spectrogram has 160"):
        check_compatible(other, vocoder=learned)  # a learned vocoder: rate, bins and hop only


def test_the_default_models_vocoder_holds_its_spectrograms_config():
    from latentaudio import DEFAULT_MODEL
    from vocoder import VocosGenerator

    spectrogram = MelSpectrogram.from_pretrained(DEFAULT_MODEL, subfolder="spectrogram")
    vocoder = VocosGenerator.from_pretrained(DEFAULT_MODEL, subfolder="vocoder")
    assert vocoder.mel_config == spectrogram.mel_config


def test_the_pipeline_encodes_decodes_and_vocodes_through_its_codec(tiny_pipe):
    codec = tiny_pipe.codec
    assert codec.frame_multiple == 2 and tiny_pipe.samples_per_latent_frame == codec.samples_per_latent_frame
    audio = tone(1000)
    assert tiny_pipe.latent_frames_for(1000) == codec.latent_frames_for(1000)
    torch.testing.assert_close(tiny_pipe.encode_audio(audio, 1000), codec.encode_audio(audio, 1000), atol=0, rtol=0)
    latents = tiny_pipe.encode_audio(audio, 1000)
    waveform = tiny_pipe.decode(latents, 1000, "pt")
    assert waveform.shape == (1, 1000)
    torch.testing.assert_close(waveform, codec.vocode(codec.decode(latents), 1000), atol=0, rtol=0)
