"""MelSpectrogramConfig: resolved defaults, validation, one filterbank and window, and the vocoders that hold it."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import json  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from vocoder import GriffinLimVocoder, HifiGanGenerator, MelSpectrogramConfig, VocosGenerator  # noqa: E402

SMALL = MelSpectrogramConfig(n_fft=256, hop_length=64, n_mels=16, norm_mean=-4.0, norm_std=4.0)


def test_defaults_are_resolved_so_equal_spectrograms_compare_equal():
    assert MelSpectrogramConfig(win_length=None, f_max=None) == MelSpectrogramConfig(win_length=1024, f_max=8000.0)
    assert MelSpectrogramConfig().win_length == 1024 and MelSpectrogramConfig(f_max=None).f_max == 8000.0
    assert MelSpectrogramConfig() != MelSpectrogramConfig(window="hamming")


@pytest.mark.parametrize("bad, message", [
    (dict(n_mels=0), "n_mels=0"),
    (dict(hop_length=2048), r"hop_length/win_length=\(2048, 1024\)"),
    (dict(window="kaiser"), "window='kaiser': expected one of"),
    (dict(f_max=9000.0), r"f_min/f_max=\(0.0, 9000.0\)"),
])
def test_bad_settings_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        MelSpectrogramConfig(**bad)


def test_transform_filterbank_and_window_come_from_one_definition():
    transform = SMALL.transform()
    torch.testing.assert_close(transform.mel_scale.fb, SMALL.filterbank(), atol=0, rtol=0)
    torch.testing.assert_close(transform.spectrogram.window, SMALL.window_tensor(), atol=0, rtol=0)
    hamming = MelSpectrogramConfig(window="hamming", win_length=800)
    assert torch.equal(hamming.window_tensor(), torch.hamming_window(800))
    assert torch.equal(GriffinLimVocoder.from_mel_config(hamming, n_iter=1).window_tensor, torch.hamming_window(800))


def test_vocoder_names_round_trip():
    kwargs = SMALL.vocoder_kwargs()
    assert kwargs["sampling_rate"] == 16000 and kwargs["num_mels"] == 16 and "sample_rate" not in kwargs
    assert MelSpectrogramConfig.from_vocoder_config({**kwargs, "n_iter": 8}) == SMALL


def test_mismatches_name_theirs_and_ours():
    assert SMALL.mismatches({"n_mels": 16, "hop_length": 64}) == []
    assert SMALL.mismatches({"n_mels": 32, "hop_length": 64}) == [("n_mels", 32, 16)]


def test_vocoders_hold_the_config_they_are_built_from():
    assert GriffinLimVocoder.from_mel_config(SMALL, n_iter=2).mel_config == SMALL
    prior = VocosGenerator.from_mel_config(SMALL, magnitude_prior=True, dim=8, intermediate_dim=16, num_layers=1)
    assert prior.mel_config == SMALL and prior.config.n_fft == 256
    plain = VocosGenerator.from_mel_config(SMALL, dim=8, intermediate_dim=16, num_layers=1)
    assert plain.mel_config is None and plain.config.n_fft == 640  # its own synthesis STFT
    assert (plain.config.num_mels, plain.hop_length) == (16, 64)
    hifigan = HifiGanGenerator.from_mel_config(SMALL, upsample_rates=(4, 4, 4), upsample_kernel_sizes=(8, 8, 8),
                                               upsample_initial_channel=16, resblock_kernel_sizes=(3,),
                                               resblock_dilation_sizes=((1,),))
    assert (hifigan.config.num_mels, hifigan.config.sampling_rate, hifigan.hop_length) == (16, 16000, 64)


def test_vocos_prior_refuses_a_window_it_cannot_synthesise():
    with pytest.raises(ValueError, match="Hann window of n_fft=256 samples; the spectrogram has window='hamming'"):
        VocosGenerator.from_mel_config(MelSpectrogramConfig(n_fft=256, hop_length=64, n_mels=16, window="hamming"),
                                       magnitude_prior=True)


def test_a_saved_griffin_lim_config_without_newer_keys_loads_with_their_defaults(tmp_path):
    GriffinLimVocoder.from_mel_config(SMALL, n_iter=2).save_pretrained(tmp_path)
    config_file = tmp_path / "config.json"
    config = json.loads(config_file.read_text())
    for key in ("window", "win_length", "momentum"):
        del config[key]
    config_file.write_text(json.dumps(config))
    assert GriffinLimVocoder.from_pretrained(tmp_path).mel_config == SMALL
