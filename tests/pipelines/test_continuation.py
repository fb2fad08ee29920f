"""Continuation: exact total length, the clip kept, a loop whose end leads into its start, bad input."""

import numpy as np
import pytest
import torch

from latentaudio import LatentAudioContinuationPipeline
from latentaudio.pipelines.continuation import LOOP_FADE_FRAMES
from latentaudio.pipelines.loops import close_loop
from latentaudio.prompts import parse_prompt

from .conftest import click_track, edit, reading_tempo


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("clip_samples, seconds, loop", [(8000, 0.3, False), (7777, 0.123, False), (7777, 0.5, True)])
def test_exact_length_and_the_clip_kept(tiny_pipe, clip_samples, seconds, loop):
    pipe = edit(LatentAudioContinuationPipeline, tiny_pipe)
    clip = 0.3 * torch.randn(clip_samples, generator=seeded(1))
    audio = pipe(clip, seconds, "a snare", loop=loop, num_inference_steps=2, generator=seeded()).audios[0]
    mel = pipe(clip, seconds, "a snare", loop=loop, num_inference_steps=2, generator=seeded(), output_type="mel").audios[0]
    assert audio.shape == (clip_samples + round(seconds * 16000),)
    assert mel.shape[-1] == -(-audio.shape[-1] // 160)  # the frames covering the output
    # Kept: the clip's reconstruction, up to its last whole latent frame (320 samples here).
    kept = clip_samples // 320 * 2
    opening = LOOP_FADE_FRAMES * 320 if loop else 0  # a loop opens with the start as rendered after its end
    after = opening // 160  # the same in mel frames
    assert torch.equal(mel[:, after:kept], pipe.reconstruct(clip, output_type="mel")[0, :, after:kept])
    reach = 600  # samples: beyond the tiny HiFi-GAN's receptive field from the first new frame
    assert np.allclose(audio[opening : kept * 160 - reach], pipe.reconstruct(clip)[0, opening : kept * 160 - reach], atol=1e-6)


@pytest.mark.parametrize("loop", [False, True])
def test_without_a_length_the_clip_is_extended_by_its_own(tiny_pipe, loop):
    """``extend_in_s=None`` adds as many seconds as the clip lasts, so a loop of whole bars plays twice."""
    pipe = edit(LatentAudioContinuationPipeline, tiny_pipe)
    clip = 0.3 * torch.randn(7777, generator=seeded(1))
    audio = pipe(clip, None, "a snare", loop=loop, num_inference_steps=2, generator=seeded()).audios[0]
    assert audio.shape == (2 * 7777,)
    given = pipe(clip, 7777 / 16000, "a snare", loop=loop, num_inference_steps=2, generator=seeded()).audios[0]
    assert np.array_equal(audio, given)


def test_a_quiet_clip_is_extended_at_the_level_the_model_learnt_and_returned_at_its_own(tiny_pipe):
    pipe = edit(LatentAudioContinuationPipeline, tiny_pipe)
    clip = torch.randn(8000, generator=seeded(1))
    clip = 0.5 * clip / clip.abs().max()  # a peak of 0.5: brought up to 0.9 (a gain of 1.8)

    def extend(audio, **kwargs):
        return pipe(audio, 0.3, "a snare", num_inference_steps=2, generator=seeded(), **kwargs).audios[0]

    take = extend(clip)
    np.testing.assert_allclose(extend(0.1 * clip), 0.1 * take, rtol=0, atol=1e-5 * np.abs(take).max())  # any level: the same take
    assert not np.allclose(extend(0.1 * clip, match_level=False), 0.1 * take, atol=1e-2 * np.abs(take).max())
    assert np.array_equal(extend(1.8 * clip), extend(1.8 * clip, match_level=False))  # at the learnt level: as it is
    np.testing.assert_allclose(1.8 * take, extend(1.8 * clip), rtol=0, atol=1e-5 * np.abs(take).max())


def test_loop_makes_the_end_lead_into_the_start(trained_pipe, clips):
    pipe = edit(LatentAudioContinuationPipeline, trained_pipe)
    held = clips["organ"][4000:9600]  # 0.35 s from inside a held organ note: no onset at its start
    wraps, typical = [], []
    for loop in (False, True):
        mel = pipe(held, 0.3, loop=loop, num_inference_steps=10, generator=seeded(), output_type="mel").audios[0]
        # The loop plays the last frame, then the first: that change against the frame-to-frame changes inside
        wraps.append((mel[:, 0] - mel[:, -1]).abs().mean().item())
        typical.append((mel[:, 1:] - mel[:, :-1]).abs().mean(0).median().item())
    assert wraps[1] < wraps[0] / 3, wraps  # without the loop option the end goes its own way
    # The loop's first frame is the start as rendered after its end: the wrap is about twice a change inside
    # (17 times before the "mel" output was closed as the waveform is), where the plain continuation jumps 40 times.
    assert wraps[1] < 3 * typical[1] and wraps[0] > 15 * typical[0], (wraps, typical)


def test_a_loop_plays_on_through_its_wrap(trained_pipe, clips):
    """The waveform, played in a loop, neither steps nor dips where its last sample is followed by its first: the
    level of the 5 ms on each side of the wrap is that of the 40 ms around it (on average over four takes, whose
    own levels wander), and the sample step there no larger than those inside."""
    pipe = edit(LatentAudioContinuationPipeline, trained_pipe)
    held = clips["organ"][4000:9600]  # a held organ note
    window = 80  # 5 ms

    def levels(x):
        return np.sqrt((x[: len(x) // window * window].reshape(-1, window) ** 2).mean(1))

    ratios = []
    for seed in range(4):
        audio = pipe(held, 0.3, loop=True, num_inference_steps=10, generator=seeded(seed)).audios[0]
        level = levels(np.concatenate([audio[-800:], audio[:800]]))  # 50 ms each side: the wrap after window 9
        ratios.append(level[9:11].min() / np.median(np.concatenate([level[:8], level[12:]])))
        assert abs(audio[-1] - audio[0]) <= np.abs(np.diff(audio)).max(), seed  # no click: a step like those inside
    # A faded end, or a start rendered from silence, falls to a fifth of it (0.11-0.23 here); the wrap of a closed
    # loop keeps 0.5-1.1 of it, as the levels of this model's takes wander from one 5 ms to the next
    assert np.mean(ratios) > 0.4, ratios


def test_close_loop_opens_with_what_follows_the_end_and_keeps_the_rest():
    # One sequence rendered 300 samples past a loop of 1000 that repeats every 100 samples; rendered from
    # silence, its start rises over 200 samples (the decoder's and the vocoder's edge).
    rendered = torch.cos(torch.arange(1300.0) * 2 * torch.pi / 100)[None]
    edged = rendered.clone()
    edged[:, :200] *= torch.linspace(0, 1, 200)
    looped = close_loop(edged, 1000, 200)
    assert looped.shape == (1, 1000)
    assert torch.equal(looped[:, 200:], rendered[:, 200:1000])  # the rest as it was
    assert looped[0, 0] == rendered[0, 1000]  # the first sample continues the last
    own_step = rendered.diff().abs().max()
    assert torch.cat([looped, looped], dim=-1).diff().abs().max() <= own_step + 1e-6  # no step anywhere, the wrap included
    assert torch.cat([edged[:, :1000], edged[:, :1000]], dim=-1).diff().abs().max() > 5 * own_step  # as rendered: a step
    with pytest.raises(ValueError, match="needs at least 1200 rendered samples"):
        close_loop(rendered[:, :1100], 1000, 200)


@pytest.mark.parametrize(
    "seconds, message",
    [
        (0.0, "extend_in_s=0.0 must be a positive number of seconds"),
        (-1, "extend_in_s=-1 must be a positive number of seconds"),
        (10.0, r"The extended audio is 10.5 s long; this pipeline takes 0.02 s \(one latent frame\) to 10.24 s"),
    ],
)
def test_bad_lengths(tiny_pipe, seconds, message):
    with pytest.raises(ValueError, match=message):
        edit(LatentAudioContinuationPipeline, tiny_pipe)(torch.zeros(8000), seconds, num_inference_steps=1)


def test_too_short_to_loop(tiny_pipe):
    with pytest.raises(ValueError, match="too short to loop"):
        edit(LatentAudioContinuationPipeline, tiny_pipe)(torch.zeros(400), 0.2, loop=True, num_inference_steps=1)


def test_a_prompt_that_states_no_tempo_continues_at_the_clips_own(tiny_pipe, tmp_path, capsys):
    from latentaudio.conditioning import FEATURE_WIDTHS
    from latentaudio.conditioning.beat import TEMPO_COLUMN

    extend = LatentAudioContinuationPipeline.from_pipe(tiny_pipe)
    clips = torch.stack([click_track(120, 3.0), click_track(90, 3.0)])
    prompts = ["", "a funky groove"]
    assert extend.prompts_at_clip_tempo(clips, prompts) == prompts  # a U-Net that reads no tempo: as they are
    labels = reading_tempo(extend)
    first, second = extend.prompts_at_clip_tempo(clips, prompts)  # the beat tracker's tempo, within 4 %
    assert first.endswith(" bpm") and abs(parse_prompt(first).tempo_bpm / 120 - 1) <= 0.04
    assert second.startswith("a funky groove, ") and abs(parse_prompt(second).tempo_bpm / 90 - 1) <= 0.04
    assert extend.prompts_at_clip_tempo(clips, ["house at 128 bpm", "x"]) == ["house at 128 bpm", second.replace("a funky groove", "x")]
    assert extend.prompts_at_clip_tempo(torch.zeros(1, 16000), [""]) == [""]  # silence: no tempo heard
    for match_tempo in (True, False):
        extend(clips[:1], 0.5, match_tempo=match_tempo, num_inference_steps=1, generator=seeded(), output_type="latent")
        stated = labels[-1][:, TEMPO_COLUMN]  # unconditional row first, then the prompt's
        assert labels[-1].shape[-1] == FEATURE_WIDTHS[2] and stated.tolist() == [0.0, 1.0 if match_tempo else 0.0]
    with pytest.raises(ValueError, match="match_tempo='yes' must be True or False"):
        extend(clips[:1], 0.5, match_tempo="yes", num_inference_steps=1)
    held = 0.3 * torch.sin(2 * torch.pi * 220 * torch.arange(3 * 16000) / 16000)  # no beat to follow: as it is
    assert extend.prompts_at_clip_tempo(held[None].expand(2, -1), ["", "an organ"]) == ["", "an organ"]
    # the shell says what the continuation reads
    import soundfile as sf

    from latentaudio.cli import main

    extend.save_pretrained(tmp_path / "model")
    sf.write(tmp_path / "clicks.wav", clips[0].numpy(), 16000)
    capsys.readouterr()
    assert main(["extend", str(tmp_path / "clicks.wav"), "--seconds", "0.5", "--model", str(tmp_path / "model"),
                 "--steps", "1", "-o", str(tmp_path / "out.wav")]) == 0
    assert f"'' is read as {first!r}: the clip's tempo" in capsys.readouterr().err
