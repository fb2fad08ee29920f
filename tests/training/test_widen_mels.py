"""configs/music_model/widen_mels.py: the music model on a finer mel, each component started from its weights."""

import subprocess
import sys

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.model_folder import model_location

from ..conftest import REPO

SCRIPT = [sys.executable, str(REPO / "configs" / "music_model" / "widen_mels.py")]


@pytest.fixture(scope="module")
def widened(tmp_path_factory):
    out = tmp_path_factory.mktemp("widened") / "music128"
    result = subprocess.run(SCRIPT + [str(out), "--model", "music", "--n-mels", "128"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_the_widened_pipeline_loads_on_the_finer_mel_and_makes_takes(widened):
    music, wide = LatentAudioPipeline.from_pretrained(model_location("music")), LatentAudioPipeline.from_pretrained(widened)
    assert (wide.spectrogram.n_mels, wide.codec.latent_bins, wide.vocoder.config.num_mels) == (128, 32, 128)
    assert wide.config.trained_mel["n_mels"] == 128 and wide.unet.config.sample_size == [64, 32]
    for name in ("unet", "vae", "text_projection"):  # as they were
        for key, value in getattr(music, name).state_dict().items():
            assert torch.equal(getattr(wide, name).state_dict()[key], value), (name, key)
    audio = wide("a sad piano melody in A minor, 90 bpm", audio_length_in_s=1.0, num_inference_steps=2,
                 generator=torch.manual_seed(0)).audios[0]
    assert audio.shape == (16000,) and 0 < abs(audio).max() <= 1.0


def test_the_vocoders_input_takes_the_old_weights_bin_by_bin(widened):
    music, wide = LatentAudioPipeline.from_pretrained(model_location("music")), LatentAudioPipeline.from_pretrained(widened)
    mel = torch.randn(1, 64, 20, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # each old bin split in two: the widened input sees the old embedding
        torch.testing.assert_close(wide.vocoder.embed(mel.repeat_interleave(2, dim=1)), music.vocoder.embed(mel))
        assert not torch.allclose(wide.vocoder.embed(mel.repeat(1, 2, 1)), music.vocoder.embed(mel), atol=1e-3)
    for key, value in music.vocoder.state_dict().items():
        if not key.startswith("prior.") and key != "embed.weight":
            assert torch.equal(wide.vocoder.state_dict()[key], value), key
    assert wide.vocoder.prior.filterbank.shape[-1] == 128  # the magnitude prior inverts the new mel


@pytest.mark.parametrize("bins, message", [(120, "must be a multiple of 16: the VAE's compression factor 4 times the U-Net's downsampling factor 4"),
                                           (64, "must be more than the model's 64 bins")])
def test_bad_bin_counts(tmp_path, bins, message):
    result = subprocess.run(SCRIPT + [str(tmp_path / "out"), "--n-mels", str(bins)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
