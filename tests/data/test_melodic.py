"""Melodic material from FluidR3_GM: whole bars at the stated tempo, notes of the stated key, captions that read back."""

import json

import numpy as np
import pytest
import soundfile as sf

from latentaudio.data.melodic import MODES, plan_melodic, render_melodic_dataset
from latentaudio.data.melodic_material import KINDS, degree_pitch, generate
from latentaudio.prompts import midi_from_name, parse_prompt

RATE = 16000


@pytest.fixture(scope="module")
def generated(tmp_path_factory, soundfont):
    """Two clips of every kind of generated material (12), at most 6 s each."""
    return render_melodic_dataset(tmp_path_factory.mktemp("melodic"), clips=2 * len(KINDS), soundfont=soundfont, seed=4,
                                  max_seconds=6.0, music21_share=0.0, captions_per_clip=6)


def pitch_class_energy(audio):
    """Energy per pitch class (C = 0) of the spectrum between 50 Hz and 5 kHz."""
    power = np.abs(np.fft.rfft(audio)) ** 2
    frequencies = np.fft.rfftfreq(len(audio), 1 / RATE)
    keep = (frequencies > 50) & (frequencies < 5000)
    classes = np.round(69 + 12 * np.log2(frequencies[keep] / 440)).astype(int) % 12
    return np.bincount(classes, weights=power[keep], minlength=12)


def test_every_kind_renders_whole_bars_at_its_tempo(generated):
    assert {row["kind"] for row in generated.rows} == set(KINDS) and not generated.skipped
    for row in generated.rows:
        audio, rate = sf.read(generated.out_dir / row["file_name"], dtype="float32")
        bars_seconds = row["bars"] * 4 * 60 / row["tempo"]
        assert rate == RATE and len(audio) == round(bars_seconds * RATE) and abs(row["seconds"] - bars_seconds) < 1e-5
        assert 0.85 < np.abs(audio).max() <= 0.91 and row["seconds"] <= 6.0, row["file_name"]
    assert [json.loads(line) for line in open(generated.out_dir / "metadata.jsonl")] == generated.rows


def test_the_audio_is_in_the_stated_key(generated):
    """Most of the spectrum's energy lies on the seven pitch classes of the stated key and mode."""
    for row in generated.rows:
        audio, _ = sf.read(generated.out_dir / row["file_name"], dtype="float32")
        energy = pitch_class_energy(audio)
        scale = {(row["tonic"] + step) % 12 for step in MODES[row["mode"]]}
        share = energy[sorted(scale)].sum() / energy.sum()
        assert share > 0.75, (row["text"], share)


def test_captions_state_instrument_key_tempo_and_length_and_parse_back(generated):
    for row in generated.rows:
        assert row["text"].endswith(f" in {row['key']}, {row['tempo']} bpm, {row['seconds']:.2f} s")
        assert row["instrument"].split()[-1] in row["text"] and row["mood"] in row["text"]
        for caption in row["captions"]:
            parsed = parse_prompt(caption)
            tonic_name, mode = parsed.key.split()
            assert midi_from_name(tonic_name[0], tonic_name[1:], -1) % 12 == row["tonic"] and mode == row["mode"], caption
            assert parsed.tempo_bpm == row["tempo"] and abs(parsed.seconds - row["seconds"]) < 0.006, caption
            assert parsed.note is None and (parsed.program == row["program"] or parsed.family == row["family"]), caption


def test_splits_hold_out_whole_keys_and_the_card_names_the_licence(generated):
    split_of = {}
    for row in generated.rows:
        assert split_of.setdefault((row["tonic"], row["mode"]), row["split"]) == row["split"]
    card = (generated.out_dir / "dataset_card.md").read_text()
    assert "FluidR3_GM" in card and "MIT" in card and "Clips per kind" in card


def test_same_seed_same_clips(tmp_path, soundfont):
    def build(name, seed=0):
        result = render_melodic_dataset(tmp_path / name, clips=3, soundfont=soundfont, seed=seed, max_seconds=4.5,
                                        music21_share=0.0)
        return [(row, (tmp_path / name / row["file_name"]).read_bytes()) for row in result.rows]

    assert build("a") == build("b") != build("c", seed=1)


def test_a_music21_excerpt_keeps_its_transposed_key(tmp_path, soundfont):
    result = render_melodic_dataset(tmp_path, clips=1, soundfont=soundfont, seed=1, music21_share=1.0)
    (row,) = result.rows
    assert row["source"] == "music21" and row["corpus_path"] and row["kind"] in ("chorale", "folk melody")
    audio, _ = sf.read(tmp_path / row["file_name"], dtype="float32")
    assert len(audio) == round(row["seconds"] * RATE) and row["seconds"] <= 10.24
    energy = pitch_class_energy(audio)
    scale = {(row["tonic"] + step) % 12 for step in MODES[row["mode"]]}
    assert energy[sorted(scale)].sum() / energy.sum() > 0.6
    assert "music21 corpus" in (tmp_path / "dataset_card.md").read_text()


def test_generators_stay_in_key_and_bad_arguments_name_the_choices():
    import random

    for kind in KINDS:
        for mode in MODES:
            notes = generate(kind, 62, mode, (0, 3, 4, 0), 2, random.Random(0))
            scale = {degree_pitch(62, mode, degree) % 12 for degree in range(7)}
            assert notes and {note.pitch % 12 for note in notes} <= scale | ({(p - 1) % 12 for p in scale} if kind == "bass line" else set())
            assert max(note.start + note.length for note in notes) <= 8 + 1e-9
    with pytest.raises(ValueError, match="Unknown mode 'locrian'"):
        generate("scale", 60, "locrian", (0,), 1, random.Random(0))
    with pytest.raises(ValueError, match="Unknown kind of material 'riff'"):
        plan_melodic(clips=1, kinds=["riff"], music21_share=0)
