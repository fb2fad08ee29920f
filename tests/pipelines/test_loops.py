"""Text to a seamless loop: exact lengths, a latent denoised as a circle, a wrap like any other moment of the take."""

import numpy as np
import pytest
import soundfile as sf
import torch

from latentaudio.cli import main
from latentaudio.pipelines.loops import circular_index, loop_context_frames, loop_period_frames, periodic_mel

from .conftest import edit, unet_calls


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_circular_index_reads_the_period_with_its_end_before_it_and_its_start_after_it():
    assert circular_index(5, 2, 3).tolist() == [3, 4, 0, 1, 2, 3, 4, 0, 1, 2]
    assert circular_index(5, 2, 3, shift=2).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert circular_index(2, 3, 3).tolist() == [1, 0, 1, 0, 1, 0, 1, 0]  # context longer than the period: around again
    assert loop_period_frames(61935, 640) == 97 and loop_period_frames(100, 640) == 1
    assert loop_context_frames(97) == 25 and loop_context_frames(3) == 2


def test_periodic_mel_repeats_a_period_of_the_loops_length_and_stretches_one_that_is_not():
    mel = torch.arange(8.0).repeat(3, 1)  # (n_mels, T): frame t holds t
    same = periodic_mel(mel, num_samples=8 * 160, hop_length=160, first=-3, last=11)
    assert torch.equal(same[0], torch.tensor([5.0, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2]))
    # A period of 8 frames heard as 10: frame k reads the period at 0.8 k, between its two nearest frames
    stretched = periodic_mel(mel, num_samples=10 * 160, hop_length=160, first=0, last=11)[0]
    assert torch.allclose(stretched[:9], torch.tensor([0, 0.8, 1.6, 2.4, 3.2, 4, 4.8, 5.6, 6.4]))
    assert torch.allclose(stretched[9:], torch.tensor([7 * 0.8 + 0 * 0.2, 0.0]))  # 7.2 wraps between frame 7 and 0


@pytest.mark.parametrize("seconds", [0.5, 0.4861, 1.2])
def test_a_loop_is_exactly_as_long_as_asked_and_its_latent_is_one_period(tiny_pipe, seconds):
    num_samples = round(seconds * 16000)
    kwargs = dict(audio_length_in_s=seconds, loop=True, num_inference_steps=2)
    audio = tiny_pipe("a snare", generator=seeded(), **kwargs).audios[0]
    mel = tiny_pipe("a snare", generator=seeded(), output_type="mel", **kwargs).audios[0]
    latent = tiny_pipe("a snare", generator=seeded(), output_type="latent", **kwargs).audios[0]
    assert audio.shape == (num_samples,) and np.isfinite(audio).all()
    assert mel.shape[-1] == -(-num_samples // 160)  # the frames covering the loop
    assert latent.shape[1] == round(num_samples / 320)  # one period: the nearest whole number of latent frames


def test_the_unet_sees_the_period_with_a_quarter_of_it_from_the_other_end_on_each_side(tiny_pipe):
    # 0.2 s is 10 latent frames: 3 on each side make 16, one pass of the tiny U-Net (its multiple is 2)
    calls = unet_calls(tiny_pipe, lambda pipe: pipe("a snare", audio_length_in_s=0.2, loop=True, num_inference_steps=3))
    assert calls == [(2, 16)] * 3  # the guided pair, every step
    plain = unet_calls(tiny_pipe, lambda pipe: pipe("a snare", audio_length_in_s=0.2, num_inference_steps=3))
    assert plain == [(2, 10)] * 3
    # 0.5 s (25 frames, 7 on each side, 40 in all) is longer than one pass: overlapping windows of 16, as any long take
    windows = unet_calls(tiny_pipe, lambda pipe: pipe("a snare", audio_length_in_s=0.5, loop=True, num_inference_steps=1))
    assert windows == [(2, 16)] * 4


def test_loop_must_be_a_bool(tiny_pipe):
    with pytest.raises(ValueError, match="loop='yes'"):
        tiny_pipe("a snare", loop="yes", num_inference_steps=2)


def seam(audio: np.ndarray, pipe) -> float:
    """The log-mel change across the wrap of ``audio`` played twice, over the median change inside it."""
    looped = torch.from_numpy(np.concatenate([audio, audio]))[None]
    mel = pipe.spectrogram(looped)[0].numpy()
    change = np.abs(np.diff(mel, axis=1)).mean(0)
    wrap = len(audio) // 160
    return change[wrap - 3 : wrap + 2].max() / np.median(change[4 : wrap - 4])


def test_a_loops_wrap_is_like_any_other_moment_of_the_take(trained_pipe):
    """The stand-in denoiser samples a held sound whose frames drift from one to the next: a plain take's end and
    start are two unrelated moments of it, a loop's end leads into its start."""
    seams = {}
    for loop in (False, True):
        takes = [trained_pipe(audio_length_in_s=0.8, loop=loop, num_inference_steps=10, generator=seeded(seed)).audios[0]
                 for seed in range(4)]
        seams[loop] = [seam(take, trained_pipe) for take in takes]
        if loop:
            for take in takes:  # no click: a step like those inside
                assert abs(take[-1] - take[0]) <= np.abs(np.diff(take)).max()
    assert np.mean(seams[True]) < 2.0 and np.mean(seams[False]) > 2 * np.mean(seams[True]), seams


def test_generate_loop_writes_the_loop_the_pipeline_makes(tiny_pipe, tiny_pipe_dir, tmp_path):
    out = tmp_path / "loop.wav"
    assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), "--steps", "2", "--seconds", "0.4861",
                 "--seed", "3", "--loop", "-o", str(out)]) == 0
    written, rate = sf.read(out, dtype="float32")
    expected = tiny_pipe("a snare", audio_length_in_s=0.4861, loop=True, num_inference_steps=2, generator=seeded(3)).audios[0]
    assert rate == 16000 and written.shape == (7778,)
    np.testing.assert_allclose(written, expected, atol=1e-4)  # 16-bit file


def test_a_loops_variations_keep_its_length_to_the_sample(tiny_pipe):
    from latentaudio import LatentAudioAudioToAudioPipeline

    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    clip = 0.3 * torch.randn(7777, generator=seeded(1))
    takes = pipe(clip, strength=0.4, loop=True, num_inference_steps=3, num_waveforms_per_prompt=2, generator=seeded()).audios
    latent = pipe(clip, strength=0.4, loop=True, num_inference_steps=3, output_type="latent", generator=seeded()).audios
    assert takes.shape == (2, 7777) and np.isfinite(takes).all()
    assert latent.shape[2] == round(7777 / 320)  # one period
    with pytest.raises(ValueError, match="loop=1"):
        pipe(clip, loop=1)


def test_variations_of_a_loop_loop_where_plain_variations_keep_its_seam(trained_pipe, clips):
    """A held organ note cut anywhere, varied as a loop: the wrap becomes like any other moment; varied plainly, the
    start and end are rendered from silence apart, and the cut stays."""
    from latentaudio import LatentAudioAudioToAudioPipeline

    pipe = edit(LatentAudioAudioToAudioPipeline, trained_pipe)
    held = clips["organ"][4000:9600]
    seams = {loop: [seam(pipe(held, strength=0.3, loop=loop, num_inference_steps=10, generator=seeded(k)).audios[0], pipe)
                    for k in range(3)] for loop in (False, True)}
    assert np.mean(seams[True]) < 2.0 and np.mean(seams[False]) > 2 * np.mean(seams[True]), seams


def test_a_widened_loops_side_loops_too(trained_pipe, clips):
    """The mid is the input itself; the side, the difference of two variations, steps at the wrap unless the
    variations are made as loops."""
    from latentaudio import LatentAudioStereoWideningPipeline

    pipe = edit(LatentAudioStereoWideningPipeline, trained_pipe)
    held = clips["organ"][4000:9600]
    seams = {}
    for loop in (False, True):
        takes = [pipe(held, width=1.0, loop=loop, num_inference_steps=10, generator=seeded(k)).audios[0] for k in range(3)]
        seams[loop] = [seam((take[0] - take[1]) / 2, pipe) for take in takes]
    assert np.mean(seams[True]) < 2.0 and np.mean(seams[False]) > 1.5 * np.mean(seams[True]), seams
