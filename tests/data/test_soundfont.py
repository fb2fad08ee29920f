"""GM one-shots rendered from the real FluidR3_GM SoundFont: counts, captions, splits, levels."""

import json
from collections import defaultdict

import numpy as np
import pytest
import soundfile as sf

from latentaudio.data import assign_splits, render_soundfont_dataset
from latentaudio.data.soundfont import plan_one_shots

from .conftest import SMALL_PLAN


def read_rows(out_dir):
    with open(out_dir / "metadata.jsonl") as handle:
        return [json.loads(line) for line in handle]


def test_counts_and_silent_renders_skipped(gm_dataset):
    planned = 3 * 2 * 2 + 4 * 2
    silent = gm_dataset.skipped["silent render (below -60 dBFS)"]
    # The violin's top planned pitch lies outside FluidR3's violin samples.
    assert sorted(silent) == ["040-violin-p103-v040.wav", "040-violin-p103-v112.wav"]
    assert len(gm_dataset.rows) == planned - len(silent)
    assert read_rows(gm_dataset.out_dir) == gm_dataset.rows
    for row in gm_dataset.rows:
        assert (gm_dataset.out_dir / row["file_name"]).is_file()
    assert not (gm_dataset.out_dir / silent[0]).exists()


def test_captions_and_columns(gm_dataset):
    texts = {row["text"] for row in gm_dataset.rows}
    assert "a loud snare drum hit" in texts
    assert "a soft kick drum hit" in texts
    assert "a soft acoustic grand piano note, A0" in texts
    assert "a loud flute note, C4, pipe" in texts
    assert "a soft violin note, G3, strings" in texts
    snare = next(row for row in gm_dataset.rows if row["text"] == "a loud snare drum hit")
    assert snare["family"] == "Drums" and snare["bank"] == 128 and snare["pitch"] == 38
    assert snare["kit"] == "standard" and snare["velocity"] == 112 and snare["instrument"] == "snare drum"
    piano = next(row for row in gm_dataset.rows if row["program"] == 0)
    assert piano["family"] == "Piano" and piano["instrument"] == "acoustic grand piano" and piano["kit"] is None
    assert {row["family"] for row in gm_dataset.rows} == {"Piano", "Strings", "Pipe", "Drums"}


def test_no_pitch_velocity_combination_in_two_splits(gm_dataset):
    splits_of = defaultdict(set)
    for row in gm_dataset.rows:
        splits_of[(row["pitch"], row["velocity"])].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values())
    assert {row["split"] for row in gm_dataset.rows} == {"train", "validation", "test"}


def test_split_assignment_is_deterministic_and_proportioned():
    plan = plan_one_shots()  # the default full plan: 128 programs and 4 kits
    combinations = [(note.pitch, note.velocity) for note in plan]
    first, again, other = assign_splits(combinations, 0), assign_splits(combinations, 0), assign_splits(combinations, 1)
    assert first == again and first != other
    counts = {name: sum(split == name for split in first.values()) for name in ("train", "validation", "test")}
    assert counts["validation"] == counts["test"] == round(0.1 * len(first))
    assert assign_splits([(60, 1), (61, 1)], 0) == {(60, 1): "train", (61, 1): "train"}  # too few to hold out


def test_default_plan_covers_every_family_and_drums():
    plan = plan_one_shots()
    assert len({note.program for note in plan if note.kit is None}) == 128
    assert len({note.family for note in plan}) == 17
    assert {note.kit for note in plan if note.kit} == {"standard", "electronic", "TR-808", "brush"}


def test_audio_levels(gm_dataset):
    loudest = defaultdict(float)
    rms = {}
    for row in gm_dataset.rows:
        audio, rate = sf.read(gm_dataset.out_dir / row["file_name"], dtype="float32")
        assert rate == 16000 and audio.shape == (16000,)
        peak = float(np.abs(audio).max())
        assert 0.005 < peak <= 0.9 + 1e-3, row["file_name"]
        group = (row["program"], row["pitch"]) if row["kit"] else row["program"]
        loudest[group] = max(loudest[group], peak)
        rms[(row["program"], row["kit"], row["pitch"], row["velocity"])] = float(np.sqrt(np.mean(audio**2)))
        assert abs(audio[-1]) < 1e-3  # faded out, no click
    # Each instrument's loudest clip is normalised to 0.9; soft notes stay softer than loud ones.
    assert all(abs(peak - 0.9) < 2e-3 for peak in loudest.values())
    for (program, kit, pitch, velocity), value in rms.items():
        if velocity == 40 and (program, kit, pitch, 112) in rms:
            assert value < rms[(program, kit, pitch, 112)]


def test_same_arguments_give_identical_files(tmp_path, soundfont):
    tiny = dict(programs=[24], pitches_per_program=1, velocities=(90,), drums=False, seconds=0.25, soundfont=soundfont)
    first = render_soundfont_dataset(tmp_path / "a", **tiny)
    second = render_soundfont_dataset(tmp_path / "b", **tiny)
    assert first.rows == second.rows
    name = first.rows[0]["file_name"]
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_dataset_card(gm_dataset):
    card = (gm_dataset.out_dir / "dataset_card.md").read_text()
    assert "FluidR3_GM.sf2" in card and "MIT" in card
    assert f"**Clips:** {len(gm_dataset.rows)}" in card
    assert f"{len(gm_dataset.rows) * 1.0:.1f} s" in card
    assert "16000 Hz" in card
    assert "render_soundfont_dataset(" in card and f"seed={SMALL_PLAN['seed']}" in card
    assert "040-violin-p103-v040.wav" in card  # what was skipped is named


def test_a_fixed_hold_makes_a_longer_render_begin_as_the_shorter_one(tmp_path, soundfont):
    # An organ holds as long as its key: with the default hold (half the clip) the 1 s render is
    # released at 0.5 s and the 2 s one at 1 s; with --hold 0.5 both release at 0.5 s, and the longer
    # render is the shorter one followed by its decay.
    organ = dict(programs=[19], pitches_per_program=1, velocities=(100,), drums=False, soundfont=soundfont)
    short = render_soundfont_dataset(tmp_path / "short", seconds=1.0, **organ)
    render_soundfont_dataset(tmp_path / "held", seconds=2.0, **organ)
    render_soundfont_dataset(tmp_path / "fixed", seconds=2.0, hold_seconds=0.5, **organ)
    name = short.rows[0]["file_name"]
    a, b, c = (sf.read(tmp_path / folder / name)[0] for folder in ("short", "held", "fixed"))
    assert len(a) == 16000 and len(b) == len(c) == 32000
    body = slice(0, 16000 - 400)  # before the 1 s render's 20 ms fade-out
    assert np.abs(c[body] - a[body]).max() < 1e-3
    assert np.abs(b[body] - a[body]).max() > 0.05  # still held where the 1 s render decays
    rms = lambda x: float(np.sqrt(np.mean(x ** 2)))
    assert rms(c[24000:]) < 0.1 * rms(b[24000:])  # released early, the longer render falls silent
    assert "held for 0.50 s" in (tmp_path / "fixed" / "dataset_card.md").read_text()


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(programs=[128]), "program 128"),
        (dict(velocities=(0,)), "velocity 0"),
        (dict(kits=(99,)), "drum kit 99"),
        (dict(drum_keys=[20]), "percussion key 20"),
        (dict(seconds=0), "seconds"),
        (dict(seconds=1.0, hold_seconds=1.5), "hold_seconds=1.5 is out of range"),
        (dict(programs=[], drums=False), "Nothing to render"),
    ],
)
def test_bad_arguments(tmp_path, soundfont, bad, message):
    with pytest.raises(ValueError, match=message):
        render_soundfont_dataset(tmp_path, soundfont=soundfont, **bad)


def test_missing_soundfont(tmp_path):
    with pytest.raises(FileNotFoundError, match="fluid-soundfont-gm"):
        render_soundfont_dataset(tmp_path, soundfont=tmp_path / "none.sf2", programs=[0])
