"""Inpainting: the reconstruction kept outside the range, new material inside, no step at the joins, bad ranges."""

import re

import numpy as np
import pytest
import torch

from latentaudio import LatentAudioInpaintPipeline, LatentAudioPipeline

from .conftest import click_track, edit, frame_jumps, mel_distance, reading_tempo

START, END = 0.2, 0.35  # seconds, inside a 0.5 s clip


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_outside_the_range_is_the_reconstruction(tiny_pipe):
    pipe = edit(LatentAudioInpaintPipeline, tiny_pipe)
    clip = 0.3 * torch.randn(8000, generator=seeded(1))
    mel = pipe(clip, START, END, "a snare", num_inference_steps=3, generator=seeded(), output_type="mel").audios[0]
    audio = pipe(clip, START, END, "a snare", num_inference_steps=3, generator=seeded()).audios[0]
    reconstruction_mel = pipe.reconstruct(clip, output_type="mel")[0]
    reconstruction = pipe.reconstruct(clip)[0]
    _, first, last = pipe.mel_range(START, END, mel.shape[-1] // 2)
    # The mel: exactly the reconstruction's outside the mel frames touching the range.
    assert torch.equal(mel[:, :first], reconstruction_mel[:, :first])
    assert torch.equal(mel[:, last:], reconstruction_mel[:, last:])
    assert not torch.allclose(mel[:, first:last], reconstruction_mel[:, first:last])
    # The waveform: the reconstruction's beyond the vocoder's reach (tolerance: float rounding).
    reach = 600  # samples: the tiny HiFi-GAN's receptive field is well under this
    before, after = round(START * 16000) - 160 - reach, round(END * 16000) + 160 + reach
    assert audio.shape == (8000,)
    assert np.allclose(audio[:before], reconstruction[:before], atol=1e-6)
    assert np.allclose(audio[after:], reconstruction[after:], atol=1e-6)


def test_inside_is_new_and_the_joins_have_no_step(trained_pipe, clips):
    pipe = edit(LatentAudioInpaintPipeline, trained_pipe)
    organ = clips["organ"][:8000]
    reconstruction = pipe.reconstruct(organ, output_type="mel")[0]
    takes = [pipe(organ, START, END, num_inference_steps=10, generator=seeded(s), output_type="mel").audios[0] for s in (0, 1)]
    _, first, last = pipe.mel_range(START, END, reconstruction.shape[-1] // 2)
    out = takes[0]

    # Outside: the reconstruction, to the bit.
    assert torch.equal(out[:, :first], reconstruction[:, :first]) and torch.equal(out[:, last:], reconstruction[:, last:])
    # Inside: new material (log-mel units: 0.3 is about 2.6 dB), different for another seed. Two seeds of the
    # Gaussian model of ten notes lie closer to each other (0.30 here) than to the clip (0.44), and how close
    # moves in the third decimal with the threads that fitted the model, so that bound is 0.2 (1.7 dB).
    assert mel_distance(out[:, first:last], reconstruction[:, first:last]) > 0.3
    assert mel_distance(out[:, first:last], takes[1][:, first:last]) > 0.2

    # Joins: the frame-to-frame change at either end of the range is within what the held note does
    # elsewhere (leaving out its attack, the first 60 ms, and the silent padding after the clip).
    jumps = frame_jumps(out)  # jumps[k]: frame k to k + 1
    joins = [first - 1, first, last - 2, last - 1]
    elsewhere = [k for k in range(6, 8000 // 160 - 1) if not (first - 3 <= k <= first + 2 or last - 4 <= k <= last + 1)]
    assert jumps[joins].max() <= jumps[elsewhere].max(), (jumps[joins], jumps[elsewhere].max())
    # The statistic sees a seam when there is one: a fresh sample pasted in without context.
    fresh = edit(LatentAudioPipeline, trained_pipe)(audio_length_in_s=0.5, num_inference_steps=10, generator=seeded(),
                                                      output_type="mel").audios[0]
    pasted = reconstruction.clone()
    pasted[:, first:last] = fresh[:, first:last]
    assert frame_jumps(pasted)[joins].max() > 3 * jumps[elsewhere].max(), (frame_jumps(pasted)[joins], jumps[elsewhere].max())


@pytest.mark.parametrize(
    "start, end, message",
    [
        (0.3, 0.2, r"The time range 0.3-0.2 s is empty or outside the clip"),
        (0.2, 0.2, r"The time range 0.2-0.2 s is empty"),
        (-0.1, 0.2, r"outside the clip: expected 0 <= start < end <= 0.5 s"),
        (0.4, 0.6, r"The time range 0.4-0.6 s is empty or outside the clip"),
        (None, 0.2, "The start of the time range must be a number of seconds, got None"),
    ],
)
def test_bad_time_ranges(tiny_pipe, start, end, message):
    with pytest.raises(ValueError, match=message):
        edit(LatentAudioInpaintPipeline, tiny_pipe)(torch.zeros(8000), start, end, num_inference_steps=1)


def test_the_new_part_is_given_the_clips_tempo_where_the_prompt_states_none(tiny_pipe, tmp_path, capsys):
    from latentaudio.cli import main
    from latentaudio.conditioning.beat import TEMPO_COLUMN

    inpaint = LatentAudioInpaintPipeline.from_pipe(tiny_pipe)
    labels = reading_tempo(inpaint)
    clip = click_track(120, 3.0)
    for prompt, match_tempo, stated in (("", True, 1.0), ("", False, 0.0), ("a drum fill", True, 1.0)):
        inpaint(clip, 1.0, 1.5, prompt=prompt, match_tempo=match_tempo, num_inference_steps=1, output_type="latent",
                generator=torch.Generator().manual_seed(0))
        assert labels[-1][:, TEMPO_COLUMN].tolist() == [0.0, stated]  # the unconditional row, then the prompt's
    inpaint.save_pretrained(tmp_path / "model")
    import soundfile as sf

    sf.write(tmp_path / "clicks.wav", clip.numpy(), 16000)
    capsys.readouterr()
    assert main(["inpaint", str(tmp_path / "clicks.wav"), "--start", "1", "--end", "1.5", "--model", str(tmp_path / "model"),
                 "--steps", "1", "-o", str(tmp_path / "out.wav")]) == 0
    assert re.search(r"'' is read as '1(19|20|21) bpm': the clip's tempo", capsys.readouterr().err)
