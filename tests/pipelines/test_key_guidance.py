"""benchmarks/music_guidance.py --key-scales: the key a prompt states guided on its own, a third U-Net row per take."""

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.conditioning import with_beat_channels, with_key_channels, with_pitch_embedding
from latentaudio.conditioning.key import KEY_COLUMN
from latentaudio.note_features import KEY_FEATURES

from ..conftest import load_benchmark

PROMPT = "a slow sad piano melody in E minor"


@pytest.fixture
def fresh(tiny_pipe_dir):
    """A loader of the tiny pipeline with a U-Net that reads the key (embedding and channels), the channels made to
    matter (the same seeded weights at every load)."""
    def load():
        pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
        pipe.set_progress_bar_config(disable=True)
        pipe.unet = with_key_channels(with_beat_channels(with_pitch_embedding(pipe.unet, music=True)))
        pipe.register_to_config(pitch_conditioning=True)
        torch.nn.init.normal_(pipe.unet.conv_in.weight, std=0.1, generator=torch.Generator().manual_seed(0))
        return pipe
    return load


def guide_key(pipe, scale):
    return load_benchmark("music_guidance").guide_key(pipe, scale)


def seen_labels(pipe) -> list:
    """The ``class_labels`` of every U-Net call of ``pipe`` from now on."""
    calls = []
    pipe.unet.register_forward_pre_hook(lambda module, args, kwargs: calls.append(kwargs["class_labels"].clone()),
                                        with_kwargs=True)
    return calls


def take(pipe, prompt=PROMPT, guidance_scale=3.0, steps=1, **kwargs):
    # latents: the tiny pipeline's random vocoder makes nearly the same waveform of any mel
    return pipe(prompt, num_inference_steps=steps, audio_length_in_s=0.5, guidance_scale=guidance_scale,
                generator=torch.Generator().manual_seed(0), output_type="latent", **kwargs).audios


def test_key_guidance_adds_the_prompt_without_its_key_and_moves_the_take_linearly_in_its_scale(fresh):
    plain = take(fresh())
    torch.testing.assert_close(take(guide_key(fresh(), 3.0)), plain, rtol=1e-3, atol=1e-4 * float(plain.abs().max()))
    pipe = guide_key(fresh(), 6.0)
    calls = seen_labels(pipe)
    six = take(pipe)
    labels = calls[0]
    assert len(labels) == 3 and labels[1, KEY_COLUMN] == 1  # unconditional, the prompt, the prompt with its key hidden
    assert not labels[2, KEY_COLUMN : KEY_COLUMN + KEY_FEATURES].any() and torch.equal(labels[2, :KEY_COLUMN], labels[1, :KEY_COLUMN])
    # one sampler step is linear in the prediction: u + s (k - u) + s_key (c - k) moves the take by (s_key - s) (c - k)
    nine = take(guide_key(fresh(), 9.0))
    assert (six - plain).abs().max() > 1e-3 * plain.abs().max()
    torch.testing.assert_close(nine - plain, 2 * (six - plain), rtol=1e-3, atol=1e-4 * float(plain.abs().max()))
    # ... which is not guidance at 6 on the whole prompt, (6 - s) (c - u)
    assert (take(fresh(), guidance_scale=6.0) - six).abs().max() > 1e-2 * (six - plain).abs().max()


def test_prompts_without_a_key_unguided_calls_and_loops(fresh):
    pipe = guide_key(fresh(), 9.0)
    calls = seen_labels(pipe)
    drums = "a 95 bpm drum loop"
    assert torch.equal(take(pipe, drums, steps=2), take(fresh(), drums, steps=2))  # no key: plain guidance
    assert {len(labels) for labels in calls} == {2}
    calls.clear()
    take(pipe, guidance_scale=1.0)
    assert {len(labels) for labels in calls} == {1}
    calls.clear()  # a loop's windows take the third row too, and it moves the loop
    looped = take(pipe, steps=2, loop=True)
    assert {len(labels) for labels in calls} == {3} and not torch.allclose(looped, take(fresh(), steps=2, loop=True))


def test_a_model_that_reads_no_key_is_refused(tiny_pipe):
    with pytest.raises(ValueError, match="reads the key a prompt states"):
        guide_key(tiny_pipe, 6.0)
