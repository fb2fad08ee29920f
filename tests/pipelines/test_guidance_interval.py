"""benchmarks/guidance_interval.py: guidance on part of the sampler's steps, the rest on the conditional half alone."""

import pytest
import torch

from latentaudio import LatentAudioPipeline

from ..conftest import load_benchmark
from .conftest import unet_calls

STEPS = 4


def interval_script():
    return load_benchmark("guidance_interval")


def take(pipe, guidance_scale=3.0, output_type="pt", **kwargs):
    return pipe("a trumpet note, C4", num_inference_steps=STEPS, guidance_scale=guidance_scale, generator=torch.manual_seed(0),
                output_type=output_type, **kwargs).audios


@pytest.fixture
def fresh(tiny_pipe_dir):
    def load():
        pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
        pipe.set_progress_bar_config(disable=True)
        return pipe
    return load


def test_the_whole_interval_is_plain_guidance_and_an_empty_one_is_none(fresh):
    guide_within = interval_script().guide_within
    # latents: the tiny pipeline's random vocoder makes nearly the same waveform of any mel
    plain, latent = fresh(), {"output_type": "latent"}
    assert torch.equal(take(guide_within(fresh(), 0.0, 1.0), **latent), take(plain, **latent))
    unguided = take(plain, guidance_scale=1.0, **latent)
    # the conditional rows of a guided batch: their text states were padded beside the empty prompt's, so the
    # encoder's products may sum in another order than for the prompt alone
    torch.testing.assert_close(take(guide_within(fresh(), 0.0, 0.0), **latent), unguided, rtol=0, atol=1e-5)
    half, guided = take(guide_within(fresh(), 0.5, 1.0), **latent), take(plain, **latent)
    assert (half - unguided).abs().max() > 1e-3 and (half - guided).abs().max() > 1.0  # guided on its last steps only


def test_only_the_steps_inside_the_interval_run_the_guided_pair(fresh):
    guide_within = interval_script().guide_within
    rows = [batch for batch, _ in unet_calls(guide_within(fresh(), 0.5, 1.0), take)]
    assert rows == [1, 1, 2, 2]  # steps 0-1 conditional only, steps 2-3 guided
    rows = [batch for batch, _ in unet_calls(guide_within(fresh(), 0.0, 0.25), take)]
    assert rows == [2, 1, 1, 1]
    # a callback the caller gives still sees every step
    seen = []
    take(guide_within(fresh(), 0.5, 1.0), callback_on_step_end=lambda p, i, t, tensors: seen.append(i) or {})
    assert seen == list(range(STEPS))


def test_intervals_are_parsed_and_bad_ones_refused():
    parse = interval_script().parse_intervals
    assert parse("0:1,0.25:0.75") == [(0.0, 1.0), (0.25, 0.75)]
    for bad in ("0.5", "a:b", "0.8:0.2", "0:1.5"):
        with pytest.raises(SystemExit):
            parse(bad)


def test_the_teacher_with_its_pitch_labels_and_pooled_states_is_guided_on_the_interval_alone():
    """The embedded teacher's conditions hold a pitch row per prompt and no attention mask: both halve or pass."""
    import latentaudio

    guide_within = interval_script().guide_within
    teacher = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_TEACHER)
    teacher.set_progress_bar_config(disable=True)
    plain = take(teacher, audio_length_in_s=0.5)
    rows = [batch for batch, _ in unet_calls(guide_within(teacher, 0.5, 1.0), lambda p: take(p, audio_length_in_s=0.5))]
    assert rows == [1, 1, 2, 2]
    assert not torch.equal(take(teacher, audio_length_in_s=0.5), plain)
    with pytest.raises(ValueError, match="embeds its guidance"):
        guide_within(LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL), 0.5, 1.0)
