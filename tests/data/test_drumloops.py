"""Drum loops rendered from FluidR3_GM: exact lengths, the stated tempo in the audio and in the captions."""

import dataclasses
import json
import random

import librosa
import numpy as np
import pytest
import soundfile as sf

from latentaudio.data.drum_patterns import CRASH, STYLES, TOMS, drum_pattern
from latentaudio.data.drumloops import plan_drum_loops, render_drum_loop, render_drum_loop_dataset
from latentaudio.data.output import assign_splits
from latentaudio.data.synth import FluidSynthRenderer
from latentaudio.prompts import parse_prompt

RATE = 16000


@pytest.fixture(scope="module")
def loops(tmp_path_factory, soundfont):
    """One loop of every style (13), at most 5 s each."""
    return render_drum_loop_dataset(tmp_path_factory.mktemp("loops"), clips=13, soundfont=soundfont, seed=2,
                                    max_seconds=5.0, captions_per_clip=6)


def test_every_style_renders_a_loud_loop_of_exactly_its_bars(loops):
    assert {row["style"] for row in loops.rows} == set(STYLES) and len(STYLES) >= 12 and not loops.skipped
    for row in loops.rows:
        audio, rate = sf.read(loops.out_dir / row["file_name"], dtype="float32")
        seconds = row["repeats"] * row["bars"] * row["beats_per_bar"] * 60 / row["tempo"]
        assert rate == RATE and len(audio) == round(seconds * RATE) and abs(row["seconds"] - seconds) < 1e-5
        assert 60 <= row["tempo"] <= 180 and 1 <= row["bars"] <= 4 and seconds <= 5.0
        assert 0.85 < np.abs(audio).max() <= 0.91, row["file_name"]
        assert np.sqrt(np.mean(audio[: RATE // 2] ** 2)) > 0.01  # no silent start: the pre-roll's decay is there
    assert [json.loads(line) for line in open(loops.out_dir / "metadata.jsonl")] == loops.rows


def test_captions_state_the_tempo_length_and_kit_and_parse_back(loops):
    for row in loops.rows:
        assert row["text"] == row["captions"][0] == (
            f"{'an' if str(row['tempo']).startswith('8') else 'a'} {row['tempo']} bpm {row['style']} drum loop, "
            f"{row['kit']} kit, {row['seconds']:.2f} s")
        assert len(set(row["captions"])) == 6
        for caption in row["captions"]:
            parsed = parse_prompt(caption)
            assert parsed.tempo_bpm == row["tempo"], caption
            assert abs(parsed.seconds - row["seconds"]) < 0.006, caption
            assert parsed.family == "Drums" and parsed.key is None and parsed.note is None, caption


def test_splits_hold_out_whole_tempos_and_the_card_names_source_and_licence(loops):
    splits_of = assign_splits(range(60, 181), 2)  # every bpm of 60-180, with the builder's seed
    assert all(row["split"] == splits_of[row["tempo"]] for row in loops.rows)
    assert sorted(set(splits_of.values())) == ["test", "train", "validation"]
    card = (loops.out_dir / "dataset_card.md").read_text()
    assert "FluidR3_GM" in card and "MIT" in card and "**Clips:** 13" in card and "render_drum_loop_dataset(" in card


def spectral_flux(audio, hop):
    """Onset strength: the summed rise of the log-magnitude spectrum, one value per hop."""
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(audio, (512, 512)), 1024)[::hop] * np.hanning(1024)
    log_magnitude = np.log1p(100 * np.abs(np.fft.rfft(frames, axis=1)))
    return np.maximum(np.diff(log_magnitude, axis=0), 0).sum(axis=1)


def test_the_onset_envelope_repeats_every_bar_of_the_stated_tempo(soundfont):
    """Autocorrelation of the onset strength peaks at one bar of the bpm, not at a bar 5 % longer or shorter."""
    with FluidSynthRenderer(soundfont, RATE) as synth:
        for loop in plan_drum_loops(clips=13, seed=0, max_seconds=8):
            loop = dataclasses.replace(loop, humanise_ms=0.0, repeats=3, bars=1, fill=False)
            envelope = spectral_flux(render_drum_loop(synth, loop), hop=80)
            correlation = np.correlate(envelope - envelope.mean(), envelope - envelope.mean(), "full")[len(envelope) - 1 :]
            bar = 60 / loop.bpm * STYLES[loop.style].beats_per_bar * RATE / 80
            at = {f: correlation[round(bar * f)] / correlation[0] for f in (0.95, 1.0, 1.05)}
            assert at[1.0] > 0.4 and at[1.0] > 3 * max(at[0.95], at[1.05], 0.05), (loop.style, at)


def test_beat_tracking_follows_the_bpm_of_straight_styles(soundfont):
    with FluidSynthRenderer(soundfont, RATE) as synth:
        for style in ("house", "rock"):
            loop = next(loop for loop in plan_drum_loops(clips=13, seed=0) if loop.style == style)
            for bpm in (90, 135):
                audio = render_drum_loop(synth, dataclasses.replace(loop, bpm=bpm, repeats=2, bars=2, fill=False))
                tempo = librosa.feature.tempo(y=audio, sr=RATE, start_bpm=110)[0]
                assert abs(tempo / bpm - 1) < 0.04, (style, bpm, tempo)


def test_same_seed_same_dataset_and_shards_make_up_the_whole(tmp_path, soundfont):
    def build(name, seed=0, shard="0/1"):
        result = render_drum_loop_dataset(tmp_path / name, clips=4, soundfont=soundfont, seed=seed, max_seconds=4.5, shard=shard)
        return {row["file_name"]: (row, sf.read(result.out_dir / row["file_name"], dtype="float32")[0]) for row in result.rows}

    first, again, other = build("a"), build("b"), build("c", seed=1)
    assert all(again[name][0] == row and np.array_equal(again[name][1], audio) for name, (row, audio) in first.items())
    assert other.keys() != first.keys()
    shards = {**build("s0", shard="0/2"), **build("s1", shard="1/2")}
    assert shards.keys() == first.keys()
    for name, (row, audio) in first.items():
        # FluidSynth's dither and voice state depend on what it rendered before: at most a few ms differ, barely
        assert shards[name][0] == row and np.mean(np.abs(shards[name][1] - audio) > 1e-3) < 0.005


def test_patterns_fill_ghost_notes_and_bad_arguments(tmp_path):
    style = STYLES["rock"]
    plain = drum_pattern(style, 2, random.Random(0), fill=False, ghost_notes=False)
    filled = drum_pattern(style, 2, random.Random(0), fill=True, ghost_notes=True)
    last_beat = [hit for hit in filled if hit.step >= 2 * style.steps_per_bar - style.steps_per_beat]
    assert any(hit.key in TOMS for hit in last_beat) and not any(hit.key in TOMS for hit in plain)
    assert (0, CRASH) in {(hit.step, hit.key) for hit in filled}
    assert any(hit.velocity < 40 for hit in filled) and not any(hit.velocity < 40 for hit in plain)
    with pytest.raises(ValueError, match="1-4 bars"):
        drum_pattern(style, 5, random.Random(0), False, False)
    with pytest.raises(ValueError, match="Unknown drum style 'polka'"):
        plan_drum_loops(clips=1, styles=["polka"])
    with pytest.raises(ValueError, match="clips or as hours"):
        plan_drum_loops(clips=1, hours=1.0)
    with pytest.raises(ValueError, match="held out for evaluation"):
        render_drum_loop_dataset(tmp_path, clips=1, soundfont="/usr/share/hydrogen/data/drumkits/GMRockKit/kit.sf2")
    hours = plan_drum_loops(hours=0.05)
    assert sum(loop.seconds for loop in hours) >= 180 > sum(loop.seconds for loop in hours[:-1])


def test_each_kit_of_the_font_sounds_different(soundfont):
    loop = dataclasses.replace(plan_drum_loops(clips=1)[0], repeats=1)
    with FluidSynthRenderer(soundfont, RATE) as synth:
        renders = {kit: render_drum_loop(synth, dataclasses.replace(loop, kit=kit)) for kit in (0, 24, 25, 40)}
    for kit in (24, 25, 40):
        assert np.abs(renders[kit] - renders[0]).mean() > 0.01, kit
