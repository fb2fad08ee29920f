"""The music evaluation: tempo and key estimates on real renders, the judges, the ceiling against noise, the CLI flag."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from latentaudio.cli import main
from latentaudio.data.drumloops import plan_drum_loops, render_drum_loop, render_drum_loop_dataset
from latentaudio.data.melodic import MelodicClip, render_generated, render_melodic_dataset
from latentaudio.data.sfx import render_sfx_dataset
from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer
from latentaudio.evaluation.music import (
    ONE_SHOT, estimate_key, estimate_tempo, format_music, key_matches, load_music_clips, load_music_judges,
    real_clips_section, score_music, tempo_matches, train_music_judges,
)

RATE = 16000
# Tiny judges: a few thousand parameters, a few dozen steps.
JUDGE_KWARGS = dict(seconds=2.0, max_steps=150, batch_size=16, block_out_channels=(8, 16), embedding_dim=16)


@pytest.fixture(scope="module")
def soundfont():
    if not Path(DEFAULT_SOUNDFONT).is_file():
        pytest.fail(f"{DEFAULT_SOUNDFONT} is not installed (Debian package fluid-soundfont-gm)")
    return Path(DEFAULT_SOUNDFONT)


@pytest.fixture(scope="module")
def music_data(tmp_path_factory, soundfont):
    """40 drum loops (4 test), 40 melodic clips and 40 sound effects, at most 4 s each (about 5 s to render)."""
    root = tmp_path_factory.mktemp("music")
    render_drum_loop_dataset(root / "loops", clips=40, soundfont=soundfont, seed=0, max_seconds=4.0, captions_per_clip=3)
    render_melodic_dataset(root / "melodic", clips=40, soundfont=soundfont, seed=2, max_seconds=4.0, music21_share=0.0,
                           captions_per_clip=3)
    render_sfx_dataset(root / "sfx", clips=40, seed=0, max_seconds=3.0, captions_per_clip=3)
    return [root / "loops", root / "melodic", root / "sfx"]


@pytest.fixture(scope="module")
def judges(music_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("judges")
    torch.manual_seed(0)
    judges, records = train_music_judges(music_data, folder, **JUDGE_KWARGS)
    return judges, records, folder


def test_tempo_of_rendered_drum_loops_is_within_4_percent(soundfont):
    with FluidSynthRenderer(soundfont, RATE) as synth:
        # (150 and 129 bpm fall between lag steps of librosa's default hop: read there as 75 and 85 bpm)
        for style, bpm in (("rock", 96), ("house", 124), ("funk", 104), ("techno", 150), ("house", 129)):
            loop = next(loop for loop in plan_drum_loops(clips=13, seed=0) if loop.style == style)
            audio = render_drum_loop(synth, dataclasses.replace(loop, bpm=bpm, repeats=2, bars=2, fill=False))
            tempo = estimate_tempo(audio, RATE)
            assert tempo_matches(tempo, bpm), (style, bpm, tempo)
    assert estimate_tempo(np.zeros(RATE * 2, np.float32), RATE) is None


def test_a_clip_has_a_tempo_to_follow_when_its_onsets_repeat(soundfont):
    from latentaudio.metrics import BEAT_MIN_CLARITY, clip_tempo, pulse_clarity

    with FluidSynthRenderer(soundfont, RATE) as synth:
        loop = next(loop for loop in plan_drum_loops(clips=13, seed=0) if loop.style == "rock")
        drums = render_drum_loop(synth, dataclasses.replace(loop, bpm=96, repeats=2, bars=2, fill=False))
        chords = {}
        for program in (16, 48, 89):  # drawbar organ, string ensemble, warm pad: C major held for 3 s
            synth.silence()
            synth.select(0, 0, program)
            for pitch in (60, 64, 67):
                synth.note_on(0, pitch, 100)
            chords[program] = synth.render(3 * RATE).astype(np.float32)
            for pitch in (60, 64, 67):
                synth.note_off(0, pitch)
            synth.render(RATE)  # the release rings out before the next chord
    assert pulse_clarity(drums, RATE) > BEAT_MIN_CLARITY and tempo_matches(clip_tempo(drums, RATE), 96)
    for program, chord in chords.items():  # the tracker still reads a tempo near its prior; clip_tempo gives none
        assert estimate_tempo(chord, RATE) is not None and pulse_clarity(chord, RATE) < BEAT_MIN_CLARITY, program
        assert clip_tempo(chord, RATE) is None
    assert clip_tempo(drums[: RATE], RATE) is None  # a second: shorter than a bar at 120 bpm
    assert pulse_clarity(np.zeros(RATE * 3, np.float32), RATE) == 0.0


def test_tempo_matches_is_strict_unless_octaves_are_allowed():
    assert tempo_matches(123.0, 120) and not tempo_matches(125.5, 120) and not tempo_matches(None, 120)
    assert not tempo_matches(240.0, 120) and tempo_matches(240.0, 120, octave=True) and tempo_matches(61.0, 120, octave=True)
    assert not tempo_matches(180.0, 120, octave=True)  # a triplet feel is not an octave


@pytest.mark.parametrize("kind, program, tonic, mode", [
    ("chord progression", 0, 4, "major"),  # E major on a piano
    ("scale", 73, 9, "minor"),  # A minor on a flute
    ("arpeggio", 24, 10, "major"),  # Bb major on a nylon guitar
])
def test_key_of_rendered_material_from_the_melodic_builder(soundfont, kind, program, tonic, mode):
    clip = MelodicClip(0, kind, program, bpm=100, seconds=4 * 4 * 60 / 100, mood_choice=0, tonic=tonic, mode=mode, bars=4,
                       progression=(0, 3, 4, 0))
    with FluidSynthRenderer(soundfont, RATE) as synth:
        audio = render_generated(synth, clip)
    assert estimate_key(audio, RATE) == (tonic, mode)
    assert estimate_key(np.zeros(RATE, np.float32), RATE) is None


def test_key_matches_accepts_the_relative_key_only_when_asked():
    assert key_matches((0, "major"), (0, "major")) and key_matches((9, "minor"), (0, "major"))
    assert not key_matches((9, "minor"), (0, "major"), relative=False)
    assert key_matches((3, "major"), (0, "minor")) and not key_matches((0, "minor"), (0, "major"))
    assert key_matches((2, "minor"), (2, "dorian")) and key_matches((5, "major"), (2, "dorian"))  # modes by their third
    assert key_matches((7, "major"), (7, "mixolydian")) and not key_matches(None, (0, "major"))


def test_judges_learn_from_the_train_split_only(judges):
    judges, records, folder = judges
    assert set(judges) == {"category", "style", "sfx_class"}
    assert judges["category"].labels == ["drum loop", "melodic", "sound effect"]
    assert records["category"]["label_column"] == "category" and records["category"]["train_clips"] < 120
    loaded, _ = load_music_judges(folder)
    assert set(loaded) == set(judges) and loaded["style"].labels == judges["style"].labels


def test_the_real_clips_ceiling_is_high_and_noise_scores_low(music_data, judges):
    judges, _, _ = judges
    real = real_clips_section(music_data, judges, RATE)
    assert set(real) == {"drum loop", "melodic", "sound effect"}
    scores = {category: entry["scores"] for category, entry in real.items()}
    ceiling = np.mean([s["category_accuracy"] for s in scores.values()])
    assert ceiling >= 0.7, scores
    assert scores["drum loop"]["tempo_accuracy_octave"] >= 0.75 and "style_accuracy" in scores["drum loop"]
    assert scores["melodic"]["key_or_relative"] >= 0.5 and scores["melodic"]["key_exact"] <= scores["melodic"]["key_or_relative"]
    assert "sfx_class_accuracy" in scores["sound effect"]

    test = load_music_clips(music_data, "test", RATE)
    assert all(text in row["captions"][1:] for text, row in zip(test.texts, test.rows))  # varied wording, not the template
    generator = torch.Generator().manual_seed(0)
    noise = [0.3 * torch.randn(clip.shape, generator=generator) for clip in test.audio]
    heard = {category: entry["scores"] for category, entry in score_music(judges, test, noise, RATE).items()}
    assert np.mean([s["category_accuracy"] for s in heard.values()]) <= ceiling - 0.3, heard
    assert heard["drum loop"]["tempo_accuracy"] < scores["drum loop"]["tempo_accuracy"] or scores["drum loop"]["tempo_accuracy"] == 0
    assert heard["melodic"]["key_or_relative"] < scores["melodic"]["key_or_relative"]


def test_the_validation_split_gives_the_prompts_and_the_test_split_the_floor(music_data, judges):
    judges, _, _ = judges
    validation = load_music_clips(music_data, "validation", RATE)
    test = load_music_clips(music_data, "test", RATE)
    assert {row["split"] for row in validation.rows} == {"validation"} and not set(validation.texts) & set(test.texts)
    real = real_clips_section(music_data, judges, RATE, split="validation")
    for category, entry in real.items():
        assert entry["scores"]["clips"] == validation.categories.count(category) == len(entry["embeddings"])
        # the test clips against the validation clips, where each side has the two a distance needs
        sizes = min(validation.categories.count(category), test.categories.count(category))
        assert (entry["scores"]["frechet_floor"] is not None) == (sizes >= 2), (category, sizes)
    assert any(entry["scores"]["frechet_floor"] is not None for entry in real.values())
    # A floor is the distance between the two held-out splits, whichever gives the prompts (equal sizes here).
    forward = real_clips_section(music_data, judges, RATE)
    equal = [c for c in real if validation.categories.count(c) == test.categories.count(c) >= 2]
    for category in equal:
        assert real[category]["scores"]["frechet_floor"] == pytest.approx(forward[category]["scores"]["frechet_floor"], rel=1e-4)
    with pytest.raises(ValueError, match="'train' is not a held-out split"):
        real_clips_section(music_data, judges, RATE, split="train")


def test_the_music_flag_end_to_end(tiny_pipe_dir, gm_eval_data, music_data, judges, tmp_path, capsys):
    _, _, folder = judges
    report_path = tmp_path / "report.json"
    folders = ",".join(str(path) for path in [*music_data, gm_eval_data])
    code = main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--steps", "1", "--limit", "2",
                 "--classifier-steps", "3", "--music", folders, "--music-judges", str(folder),
                 "--output", str(report_path)])
    assert code == 0
    music = json.loads(report_path.read_text())["music"]
    assert set(music["generated"]) == set(music["real"]) == {"drum loop", "melodic", "sound effect", ONE_SHOT}
    for category, scores in music["generated"].items():
        assert scores["clips"] <= 2 and 0 <= scores["category_accuracy"] <= 1, category
        assert scores["frechet_distance"] is None or scores["frechet_distance"] >= 0
    assert {"tempo_accuracy", "tempo_accuracy_octave", "key_or_relative", "mode_accuracy"} <= set(music["generated"]["melodic"])
    assert {"family_accuracy", "note_accuracy"} <= set(music["real"][ONE_SHOT])
    # the untrained U-Net on the same prompts, every category scored and placed against the same real clips
    assert set(music["baseline"]) == set(music["generated"])
    assert all(music["baseline"][c]["clips"] == music["generated"][c]["clips"] for c in music["generated"])
    assert any(music["baseline"][c]["frechet_distance"] != music["generated"][c]["frechet_distance"] for c in music["generated"])
    printed = capsys.readouterr().out
    assert "| drum loop | 2 | tempo within 4% ↑ |" in printed and "real clips | untrained U-Net |" in printed
    assert "--music" in json.loads(report_path.read_text())["setup"]["command"]

    code = main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--music", str(tmp_path / "nowhere"),
                 "--output", str(tmp_path / "bad.json")])
    assert code == 1 and "nowhere is not a folder" in capsys.readouterr().err


def test_format_music_names_every_score():
    scores = {"clips": 3, "category_accuracy": 1.0, "tempo_accuracy": 0.5, "frechet_distance": 2.0, "frechet_floor": 0.5}
    section = {"setup": {"steps": 2, "guidance_scale": 3.0, "tempo_tolerance": 0.04},
               "generated": {"drum loop": scores}, "real": {"drum loop": {**scores, "tempo_accuracy": 1.0}}}
    table = format_music(section)
    assert "| drum loop | 3 | tempo within 4% ↑ | 50% | 100% |" in table
    assert "| drum loop | 3 | Fréchet distance ↓ | 2.00 | 0.50 (floor) |" in table
    section["baseline"] = {"drum loop": {**scores, "tempo_accuracy": 0.0, "frechet_distance": 40.0}}
    table = format_music(section)
    assert "| drum loop | 3 | tempo within 4% ↑ | 50% | 100% | 0% |" in table
    assert "| drum loop | 3 | Fréchet distance ↓ | 2.00 | 0.50 (floor) | 40.00 |" in table
