"""A request shorter than the model's shortest pass is generated as the start of a take that long and cut,
faded out: the U-Net's calls are counted, and the cut take is compared with the whole one sample by sample."""

import pytest
import torch
from diffusers import DPMSolverMultistepScheduler

from latentaudio import LatentAudioInterpolationPipeline, LatentAudioPipeline
from latentaudio.evaluation.evaluate import random_unet_pipeline
from latentaudio.lengths import CUT_FADE_S, cut_fade

from .conftest import unet_calls

STEPS = 3


def unet_frames(pipe, **kwargs) -> list[tuple[int, int]]:
    """(batch, latent frames) of every U-Net call one generation of ``kwargs`` makes."""
    return unet_calls(pipe, lambda p: p("a trumpet note", num_inference_steps=STEPS, generator=torch.manual_seed(0), **kwargs))


@pytest.fixture
def passes_whole(tiny_pipe_dir):
    # the tiny U-Net's clip: 0.32 s, 16 latent frames
    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir, shortest_pass_length_in_s=0.32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_a_short_request_is_denoised_at_the_shortest_pass_and_a_long_one_at_its_own_length(passes_whole, tiny_pipe):
    assert unet_frames(passes_whole, audio_length_in_s=0.1) == [(2, 16)] * STEPS
    assert unet_frames(passes_whole, audio_length_in_s=0.32) == [(2, 16)] * STEPS
    assert unet_frames(passes_whole, audio_length_in_s=0.5) == [(2, 16)] * (3 * STEPS)  # windows beyond the clip, as before
    assert unet_frames(tiny_pipe, audio_length_in_s=0.1) == [(2, 6)] * STEPS  # no shortest pass: its own frames
    assert passes_whole.pass_frames_for(1600) == 16 and tiny_pipe.pass_frames_for(1600) == 6


def test_the_cut_take_is_the_start_of_the_whole_take_faded_out_over_ten_ms(passes_whole):
    def take(seconds, **kwargs):
        return passes_whole("a soft organ note, C3", audio_length_in_s=seconds, num_inference_steps=STEPS,
                            generator=torch.manual_seed(3), output_type="pt", **kwargs).audios[0]

    whole, cut = take(0.32), take(0.1)
    n, fade = round(0.1 * passes_whole.sample_rate), round(CUT_FADE_S * passes_whole.sample_rate)
    assert cut.shape == (n,) and fade == 160
    torch.testing.assert_close(cut[: n - fade], whole[: n - fade], rtol=0, atol=1e-6)
    torch.testing.assert_close(cut[n - fade :], whole[n - fade : n] * torch.tensor(cut_fade(passes_whole.sample_rate, n)), rtol=0, atol=1e-6)
    assert cut[-1] == 0 and whole[n - 1] != 0  # the cut ends in silence where the whole take sounds
    # a request of the whole pass is not faded
    torch.testing.assert_close(take(0.32), whole, rtol=0, atol=0)
    # the mel of a cut take is the whole pass's; the pipeline's vocode step cuts and fades it as the call does
    mel = passes_whole("a soft organ note, C3", audio_length_in_s=0.1, num_inference_steps=STEPS,
                       generator=torch.manual_seed(3), output_type="mel").audios
    assert mel.shape[-1] == passes_whole.codec.mel_frames_for(round(0.32 * passes_whole.sample_rate))
    with torch.no_grad():
        torch.testing.assert_close(passes_whole.vocode(mel, n, "pt")[0], cut, rtol=0, atol=1e-6)


def test_given_latents_are_those_of_the_whole_pass(passes_whole):
    shape = passes_whole.codec.latent_shape(1, 16)
    latents = torch.randn(shape, generator=torch.manual_seed(0))
    audio = passes_whole("a bell", audio_length_in_s=0.1, num_inference_steps=STEPS, latents=latents).audios
    assert audio.shape == (1, 1600)
    with pytest.raises(ValueError, match=r"latents .*\(1, 4, 16, 32\)"):
        passes_whole("a bell", audio_length_in_s=0.1, num_inference_steps=STEPS, latents=latents[:, :, :8])


def test_interpolation_takes_the_shortest_pass_too(passes_whole):
    pipe = LatentAudioInterpolationPipeline.from_pipe(passes_whole)
    assert pipe.config.shortest_pass_length_in_s == 0.32
    calls = unet_calls(pipe, lambda p: p("a bell", prompt_b="a gong", audio_length_in_s=0.1, num_interpolation_steps=2,
                                          num_inference_steps=STEPS, generator=torch.manual_seed(0)))
    assert calls == [(4, 16)] * STEPS  # both points' halves in one batch, the whole pass long


def test_the_setting_survives_save_load_scheduler_swaps_and_the_evaluation_baseline(passes_whole, tmp_path):
    passes_whole.save_pretrained(tmp_path)
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    assert loaded.config.shortest_pass_length_in_s == 0.32
    loaded.scheduler = DPMSolverMultistepScheduler.from_config(loaded.scheduler.config)
    assert loaded.pass_frames_for(800) == 16
    assert random_unet_pipeline(passes_whole).config.shortest_pass_length_in_s == 0.32


@pytest.mark.parametrize("value", [0, -1.0, 11.0, True, "2.56"])
def test_a_shortest_pass_out_of_range_is_refused_in_one_line(tiny_pipe_dir, value):
    with pytest.raises(ValueError, match=rf"shortest_pass_length_in_s={value!r} is out of range: expected seconds in \(0, 10.24\]"):
        LatentAudioPipeline.from_pretrained(tiny_pipe_dir, shortest_pass_length_in_s=value)


def test_an_evaluation_makes_lengths_of_one_pass_from_one_take(passes_whole):
    from latentaudio.evaluation.evaluate import generate_at_lengths, generate_clips

    texts = ["a soft organ note, C3", "a loud snare drum hit", "a trumpet note"]
    calls = []
    passes_whole.unet.register_forward_hook(lambda module, inputs, output: calls.append(tuple(inputs[0].shape)))
    lengths = [0.1, 0.32, 0.2, 0.315, 0.5]  # 0.315 s ends inside the pass's last mel frame: cut, not faded
    takes = generate_at_lengths(passes_whole, texts, STEPS, lengths, 3.0, seed=4, batch_size=2)
    shared = len(calls)
    assert list(takes) == lengths
    for length, audio in takes.items():  # each what a request of that length gets alone, sample for sample
        torch.testing.assert_close(audio, generate_clips(passes_whole, texts, STEPS, length, 3.0, seed=4, batch_size=2),
                                   rtol=0, atol=0)
        assert audio.shape == (3, round(length * passes_whole.sample_rate))
    alone = len(calls) - shared
    assert shared == alone - 3 * 2 * STEPS  # 0.1, 0.2 and 0.315 s came from the 0.32 s take: two batches each saved
