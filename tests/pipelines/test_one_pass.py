"""One U-Net pass up to the longest trained length; windows only beyond it. The U-Net calls are counted."""

import pytest
import torch

from latentaudio import LatentAudioPipeline

from .conftest import unet_calls

STEPS = 3


def unet_batches(pipe, **call) -> list[tuple[int, int]]:
    """(batch, latent frames) of every U-Net call one generation makes."""
    out = []
    calls = unet_calls(pipe, lambda p: out.append(p("a trumpet note", num_inference_steps=STEPS, generator=torch.manual_seed(0), **call).audios))
    assert out[0].shape[-1] == round(call["audio_length_in_s"] * pipe.sample_rate)
    return calls


@pytest.fixture
def long_trained(tiny_pipe_dir):
    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir, longest_trained_length_in_s=0.64)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_one_call_per_step_up_to_the_trained_length(long_trained):
    # tiny U-Net: 0.32 s clips (16 latent frames); trained up to 0.64 s (32 frames)
    assert long_trained.window_frames == 32 and long_trained.clip_frames == 16
    assert long_trained.one_pass_length_in_s == pytest.approx(0.64) and long_trained.default_audio_length_in_s == pytest.approx(0.32)
    for seconds, frames in ((0.32, 16), (0.5, 26), (0.64, 32)):
        # classifier-free guidance: the conditional and unconditional halves in one batch of 2
        assert unet_batches(long_trained, audio_length_in_s=seconds) == [(2, frames)] * STEPS
        assert unet_batches(long_trained, audio_length_in_s=seconds, guidance_scale=1.0) == [(1, frames)] * STEPS


def test_windows_only_beyond_the_trained_length(long_trained, tiny_pipe):
    # 1.28 s = 64 frames in 32-frame windows half a window apart: 3 windows per step
    assert unet_batches(long_trained, audio_length_in_s=1.28) == [(2, 32)] * (3 * STEPS)
    # a U-Net trained on its clip alone windows from 0.32 s: 0.64 s = 3 windows of 16 frames per step
    assert tiny_pipe.window_frames == 16
    assert unet_batches(tiny_pipe, audio_length_in_s=0.64) == [(2, 16)] * (3 * STEPS)


def test_the_trained_length_survives_save_and_load(long_trained, tmp_path):
    long_trained.save_pretrained(tmp_path)
    assert LatentAudioPipeline.from_pretrained(tmp_path).config.longest_trained_length_in_s == 0.64


def test_a_trained_length_beyond_the_maximum_is_refused(tiny_pipe_dir):
    with pytest.raises(ValueError, match="longest_trained_length_in_s=20.0 is out of range"):
        LatentAudioPipeline.from_pretrained(tiny_pipe_dir, longest_trained_length_in_s=20.0)
