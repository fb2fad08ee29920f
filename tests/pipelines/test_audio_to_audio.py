"""Audio-to-audio (transform, variations): exact reconstruction at strength 0, distance growing with strength,
takes that differ yet stay near their source, input conversion, bad input."""

import numpy as np
import pytest
import soundfile as sf
import torch

from latentaudio import LatentAudioAudioToAudioPipeline, LatentAudioPipeline
from latentaudio.audio_io import resample

from .conftest import click_track, edit, mel_distance, reading_tempo

STEPS = 8


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def clip():
    """0.4 s of a bright random-phase test signal at 16 kHz (the tiny pipeline's input)."""
    t = torch.arange(6400) / 16000
    return 0.5 * torch.sin(2 * torch.pi * 440 * t) * torch.exp(-3 * t) + 0.05 * torch.randn(6400, generator=seeded(1))


def test_from_pipe_shares_components(tiny_pipe):
    pipe = LatentAudioAudioToAudioPipeline.from_pipe(tiny_pipe)
    assert pipe.unet is tiny_pipe.unet and pipe.vae is tiny_pipe.vae and pipe.vocoder is tiny_pipe.vocoder
    assert pipe.spectrogram is tiny_pipe.spectrogram and isinstance(LatentAudioPipeline.from_pipe(pipe), LatentAudioPipeline)


def test_strength_zero_is_exactly_the_reconstruction(tiny_pipe, clip):
    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    out = pipe(clip, "a snare drum hit", strength=0.0, num_inference_steps=STEPS, generator=seeded()).audios
    assert out.shape == (1, 6400)
    assert np.array_equal(out, pipe.reconstruct(clip))  # VAE (posterior mode) then vocoder, bit for bit


def test_mel_distance_to_the_input_rises_with_strength(trained_pipe, clips):
    pipe = edit(LatentAudioAudioToAudioPipeline, trained_pipe)
    organ = clips["organ"][:8000]
    source = pipe.audio_mel(organ[None], 8000)
    distances = [
        mel_distance(pipe(organ, strength=s, num_inference_steps=10, generator=seeded(), output_type="mel").audios, source)
        for s in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    ]
    assert all(a < b for a, b in zip(distances, distances[1:])), distances
    assert distances[-1] > 2 * distances[0]  # strength 1 forgets the input; strength 0 only has the VAE's error


def test_every_strength_is_its_own_at_few_steps(trained_pipe, clips):
    """At 4 steps a rounded share of the schedule would make 0.55 and 0.6 the same edit as 0.5; the edit starts at
    exactly its strength instead, so the distance to the input keeps rising as the knob turns, at the same work."""
    pipe = edit(LatentAudioAudioToAudioPipeline, trained_pipe)
    organ = clips["organ"][:8000]
    source = pipe.audio_mel(organ[None], 8000)
    strengths = (0.3, 0.5, 0.55, 0.6, 0.65, 0.7)
    distances = [
        mel_distance(pipe(organ, strength=s, num_inference_steps=4, generator=seeded(), output_type="mel").audios, source)
        for s in strengths
    ]
    assert all(a < b for a, b in zip(distances, distances[1:])), distances
    assert [len(pipe.strength_timesteps(4, s)) for s in (0.05, *strengths)] == [1, 1, 2, 2, 2, 3, 3]  # round(4 s), one at least
    # Where 4 s is whole, the sampler's own last timesteps and noise levels: the edit is the one it always was.
    pipe.scheduler.set_timesteps(4)
    full, sigmas = pipe.scheduler.timesteps.tolist(), pipe.scheduler.sigmas.tolist()
    for kept in (1, 2, 3, 4):
        assert pipe.strength_timesteps(4, kept / 4).tolist() == full[4 - kept :]
        assert pipe.scheduler.sigmas.tolist() == sigmas[4 - kept :]


def test_a_sampler_without_custom_timesteps_takes_the_last_of_its_own(trained_pipe, clips):
    """DDIM takes no list of timesteps: a rounded share of its schedule, as diffusers' image-to-image pipelines take."""
    from latentaudio.schedulers import scheduler_from_name

    pipe = edit(LatentAudioAudioToAudioPipeline, trained_pipe)
    pipe.scheduler = scheduler_from_name("ddim", pipe.scheduler.config)
    pipe.scheduler.set_timesteps(4)
    full = pipe.scheduler.timesteps.tolist()
    assert pipe.strength_timesteps(4, 0.6).tolist() == pipe.strength_timesteps(4, 0.5).tolist() == full[2:]
    organ = clips["organ"][:8000]
    takes = [pipe(organ, strength=s, num_inference_steps=4, generator=seeded(), output_type="mel").audios for s in (0.5, 0.6)]
    torch.testing.assert_close(takes[0], takes[1])


def test_variations_differ_from_each_other_but_stay_near_their_source(trained_pipe, clips):
    pipe = edit(LatentAudioAudioToAudioPipeline, trained_pipe)
    organ, piano = clips["organ"][:8000], clips["piano"][:8000]
    takes = pipe(organ, strength=0.3, num_waveforms_per_prompt=4, num_inference_steps=10, generator=seeded(),
                 output_type="mel").audios
    source, unrelated = pipe.audio_mel(organ[None], 8000), pipe.audio_mel(piano[None], 8000)
    between = [mel_distance(takes[i], takes[j]) for i in range(4) for j in range(i + 1, 4)]
    to_source = [mel_distance(take, source) for take in takes]
    to_unrelated = [mel_distance(take, unrelated) for take in takes]
    assert min(between) > 0.1  # natural-log units: every pair of takes differs audibly (> 0.9 dB on average)
    assert max(to_source) < 0.7 * min(to_unrelated), (to_source, to_unrelated)


def test_a_prompt_steers_the_result(tiny_pipe, clip):
    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    kick, snare = (pipe(clip, prompt, strength=0.6, num_inference_steps=STEPS, generator=seeded(), output_type="latent").audios
                   for prompt in ("a kick", "a snare"))
    assert not torch.allclose(kick, snare)


def test_other_rates_and_channel_counts_are_converted(tiny_pipe, clip, tmp_path):
    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    at_44k = resample(clip, 16000, 44100)
    path = tmp_path / "stereo_44k.wav"
    sf.write(path, torch.stack([at_44k, at_44k]).T.numpy(), 44100, subtype="FLOAT")
    from_file = pipe(str(path), strength=0.0).audios
    from_samples = pipe(at_44k, strength=0.0, sample_rate=44100).audios
    assert from_file.shape == (1, 6400) and np.allclose(from_file, from_samples, atol=1e-6)


def test_the_shortest_clips_work(tiny_pipe):
    """One latent frame (320 samples here) is shorter than the STFT's reflect padding (512 samples)."""
    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    assert pipe(torch.randn(320, generator=seeded()), strength=0.5, num_inference_steps=2).audios.shape == (1, 320)


def test_one_clip_many_prompts_and_takes(tiny_pipe, clip):
    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    out = pipe(clip, ["a kick", "a snare"], strength=0.5, num_waveforms_per_prompt=2, num_inference_steps=2).audios
    assert out.shape == (4, 6400)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(strength=1.5), r"strength=1.5 is out of range: expected a number from 0"),
        (dict(strength=-0.1), r"strength=-0.1 is out of range"),
        (dict(audio=torch.zeros(2, 3, 100)), r"audio must have shape \(L,\) or \(B, L\)"),
        (dict(audio=torch.full((800,), float("nan"))), "NaN or infinite"),
        (dict(audio=torch.zeros(10)), r"The input audio is 0.000625 s long; this pipeline takes 0.02 s \(one latent frame\)"),
        (dict(audio=torch.zeros(200_000)), r"The input audio is 12.5 s long; .* to 10.24 s \(max_audio_length_in_s\)"),
        (dict(audio="/no/such/file.wav"), "Audio file not found: /no/such/file.wav"),
        (dict(prompt=["a", "b"], audio=torch.zeros(3, 800)), "Got 3 audio clips and 2 prompts"),
    ],
)
def test_bad_input_is_a_clear_value_error(tiny_pipe, clip, kwargs, message):
    pipe = edit(LatentAudioAudioToAudioPipeline, tiny_pipe)
    with pytest.raises(ValueError, match=message):
        pipe(**{"audio": clip, "num_inference_steps": 1, **kwargs})


def test_unreadable_file_is_a_clear_value_error(tiny_pipe, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF but not really a wave file")
    with pytest.raises(ValueError, match="Cannot read audio file"):
        edit(LatentAudioAudioToAudioPipeline, tiny_pipe)(str(bad))


def test_a_prompt_that_states_no_tempo_turns_a_loop_at_its_own_and_a_variation_is_left_alone(tiny_pipe):
    from latentaudio.conditioning.beat import TEMPO_COLUMN

    transform = LatentAudioAudioToAudioPipeline.from_pipe(tiny_pipe)
    labels = reading_tempo(transform)
    clip = click_track(120, 3.0)
    for prompt, match_tempo, stated in (("a jazz drum loop", True, 1.0), ("a jazz drum loop", False, 0.0), (None, True, 0.0)):
        transform(clip, prompt, strength=0.5, match_tempo=match_tempo, num_inference_steps=2, output_type="latent",
                  generator=torch.Generator().manual_seed(0))
        assert labels[-1][:, TEMPO_COLUMN].tolist() == [0.0, stated], prompt  # the unconditional row, then the prompt's
