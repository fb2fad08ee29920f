"""Key channels: where the stated key's notes fall in the mel bins, the zero-start upgrade, the pipeline and saving."""

import numpy as np
import pytest
import torch

import latentaudio
from latentaudio import LatentAudioPipeline
from latentaudio.conditioning import (
    BEAT_CHANNELS,
    FEATURE_WIDTHS,
    KEY_CHANNELS,
    has_beat_channels,
    has_key_channels,
    key_channels,
    pitch_class_spectra,
    structured_features,
    unet_input,
    with_beat_channels,
    with_input_channels,
    with_key_channels,
    with_pitch_embedding,
)
from latentaudio.conditioning.key import KEY_SUBBINS, key_spectra
from latentaudio.spectrogram import MelSpectrogram


@pytest.fixture(scope="module")
def spectrogram():
    """The music model's mel front end (64 slaney bins to 8 kHz at 16 kHz)."""
    return MelSpectrogram.from_pretrained(latentaudio.MUSIC_MODEL, subfolder="spectrogram")


def mel_bin(spectrogram, hz: float) -> int:
    """The mel bin whose filter answers a sinusoid at ``hz`` most."""
    fb = spectrogram.transform.mel_scale.fb.numpy()
    return int(np.argmax(fb[round(hz / (spectrogram.sample_rate / 2) * (fb.shape[0] - 1))]))


def test_the_scale_spectrum_is_high_on_the_keys_notes_and_low_between_them(spectrogram):
    spectra = pitch_class_spectra(spectrogram)
    assert spectra.shape == (12, 64) and (spectra >= 0).all()
    labels = structured_features(["a calm piano melody in C major, 90 bpm", "a calm piano melody in C# major, 90 bpm"],
                                 FEATURE_WIDTHS[2])
    c_major, c_sharp_major = key_spectra(labels, spectra)[:, 0]  # the scales' spectra
    assert torch.allclose(c_major.pow(2).mean(), torch.tensor(1.0), atol=1e-5)  # unit RMS
    # above 1 kHz a mel bin is about a semitone wide: G6 (in C major) against G#6 (out of it, in C# major)
    g6, g_sharp6 = mel_bin(spectrogram, 1567.98), mel_bin(spectrogram, 1661.22)
    assert g6 != g_sharp6
    assert c_major[g6] > 0 > c_major[g_sharp6]
    assert c_sharp_major[g_sharp6] > 0 > c_sharp_major[g6]


def test_relative_keys_share_the_scale_but_not_the_tonic_triad_and_no_key_gives_zeros(spectrogram):
    spectra = pitch_class_spectra(spectrogram)
    labels = structured_features(["a sad cello melody in A minor", "a bright ukulele melody in C major",
                                  "a 120 bpm house drum loop", ""], FEATURE_WIDTHS[2])
    both = key_spectra(labels, spectra)
    torch.testing.assert_close(both[0, 0], both[1, 0])  # one scale
    assert not torch.allclose(both[0, 1], both[1, 1], atol=0.1)  # A-C-E against C-E-G
    a4, c5 = mel_bin(spectrogram, 440.0 * 4), mel_bin(spectrogram, 523.25 * 4)  # their fourth harmonics, bins apart
    assert both[0, 1, a4] > both[1, 1, a4]  # A sounds in the A minor triad, not in C major's
    assert not both[2:].any()  # no key stated, or the unconditional prompt
    channels = key_channels(labels, 4, frames=5, bins=16, spectra=spectra)
    assert channels.shape == (4, KEY_CHANNELS, 5, 16)
    assert torch.equal(channels[:, :, 0], channels[:, :, 4])  # the same at every frame
    # channel k of latent bin j is mel bin KEY_SUBBINS * j + k of the scale spectrum, then of the triad's
    torch.testing.assert_close(channels[0, 1, 0, 3], both[0, 0, KEY_SUBBINS * 3 + 1])
    torch.testing.assert_close(channels[0, KEY_SUBBINS + 2, 0, 7], both[0, 1, KEY_SUBBINS * 7 + 2])
    assert not key_channels(None, 2, 3, 16, spectra).any()
    assert key_channels(labels, 4, 5, bins=8, spectra=spectra).shape == (4, KEY_CHANNELS, 5, 8)  # other codecs: resampled


@pytest.fixture
def beat_unet(tiny_pipe):
    return with_beat_channels(with_pitch_embedding(tiny_pipe.unet, music=True))


def test_the_upgrade_follows_the_beat_channels_and_starts_with_no_effect(tiny_pipe, beat_unet):
    with pytest.raises(ValueError, match="add the beat-phase channels first"):
        with_key_channels(with_pitch_embedding(tiny_pipe.unet, music=True))
    upgraded = with_key_channels(beat_unet)
    assert has_key_channels(upgraded) and has_beat_channels(upgraded) and not has_key_channels(beat_unet)
    assert with_key_channels(upgraded) is upgraded
    # weights of a run that added both load into its config's U-Net widened the same way (snapshot.py apply)
    music = with_pitch_embedding(tiny_pipe.unet, music=True)
    assert with_input_channels(music, upgraded.config.in_channels).config.in_channels == upgraded.config.in_channels
    assert has_key_channels(with_input_channels(music, upgraded.config.in_channels))
    with pytest.raises(ValueError, match=r"in_channels=7: .* widens to 6 \(beat-phase channels\) or 14"):
        with_input_channels(music, 7)
    assert upgraded.config.in_channels == beat_unet.config.out_channels + BEAT_CHANNELS + KEY_CHANNELS
    assert torch.equal(upgraded.conv_in.weight[:, : beat_unet.config.in_channels], beat_unet.conv_in.weight)
    assert not upgraded.conv_in.weight[:, beat_unet.config.in_channels :].any()
    latents, t = torch.randn(2, 4, 16, 32, generator=torch.Generator().manual_seed(0)), torch.tensor([10, 500])
    states = torch.randn(2, 3, beat_unet.config.cross_attention_dim)
    labels = structured_features(["a piano melody in D minor, 96 bpm", "a 95 bpm drum loop"], FEATURE_WIDTHS[2])
    with torch.no_grad():
        before = beat_unet(unet_input(beat_unet, latents, labels, 0.02), t, encoder_hidden_states=states, class_labels=labels).sample
        sample = unet_input(upgraded, latents, labels, 0.02, spectrogram=tiny_pipe.spectrogram)
        after = upgraded(sample, t, encoder_hidden_states=states, class_labels=labels).sample
    assert sample.shape[1] == 4 + BEAT_CHANNELS + KEY_CHANNELS and sample[0, -KEY_CHANNELS:].any() and not sample[1, -KEY_CHANNELS:].any()
    assert torch.equal(before, after)
    with pytest.raises(ValueError, match="needs the pipeline's spectrogram"):
        unet_input(upgraded, latents, labels, 0.02)


def test_the_pipeline_gives_the_key_to_the_conditional_half_and_saves_the_channels(tiny_pipe, beat_unet, tmp_path):
    tiny_pipe.unet = with_key_channels(beat_unet)
    tiny_pipe.register_to_config(pitch_conditioning=True)
    torch.nn.init.normal_(tiny_pipe.unet.conv_in.weight, std=0.1)  # as if trained: the channels now matter
    seen = []
    tiny_pipe.unet.register_forward_pre_hook(lambda module, args: seen.append(args[0][:, -KEY_CHANNELS:].clone()))
    prompt = "a slow sad piano melody in E minor"
    take = lambda pipe, text: pipe(text, num_inference_steps=2, audio_length_in_s=0.5, guidance_scale=3.0,
                                   generator=torch.Generator().manual_seed(0), output_type="latent").audios
    in_e_minor = take(tiny_pipe, prompt)
    uncond, cond = seen[0].chunk(2)
    assert not uncond.any()  # guidance's unconditional half states no key
    labels = structured_features([prompt], FEATURE_WIDTHS[2])  # the tiny pipeline reads prompts as written
    spectra = pitch_class_spectra(tiny_pipe.spectrogram)
    torch.testing.assert_close(cond, key_channels(labels, 1, cond.shape[2], cond.shape[3], spectra))
    assert not torch.allclose(take(tiny_pipe, "a slow sad piano melody in F minor"), in_e_minor)  # the key moves the take
    tiny_pipe.save_pretrained(tmp_path)
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    loaded.set_progress_bar_config(disable=True)
    assert has_key_channels(loaded.unet)
    torch.testing.assert_close(take(loaded, prompt), in_e_minor)
