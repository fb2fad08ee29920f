"""Two short music21 corpus pieces rendered through FluidSynth into captioned clips."""

import json
from collections import defaultdict

import numpy as np
import pytest
import soundfile as sf

from latentaudio.data import render_music21_dataset
from latentaudio.data.music21_render import render_events, score_events
from latentaudio.data.synth import FluidSynthRenderer


@pytest.fixture(scope="module")
def chorales(tmp_path_factory, soundfont):
    return render_music21_dataset("bach", tmp_path_factory.mktemp("bach"), limit=2, seconds=2.0, soundfont=soundfont)


def test_two_pieces_become_captioned_clips(chorales):
    rows = chorales.rows
    assert len({row["corpus_path"] for row in rows}) == 2
    assert len(rows) >= 10  # a chorale lasts well over 20 s
    for row in rows:
        assert row["text"].startswith("a Bach chorale played on a church organ, ")
        assert row["text"] == f"a Bach chorale played on a church organ, {row['tempo']} bpm, {row['key']}"
        assert row["key"].endswith(("major", "minor")) and row["tempo"] > 0
        assert row["collection"] == "bach" and row["program"] == 19 and row["family"] == "Organ"
    assert [json.loads(line) for line in open(chorales.out_dir / "metadata.jsonl")] == rows


def test_clips_are_full_length_loud_enough_and_pieces_stay_in_one_split(chorales):
    splits_of = defaultdict(set)
    for row in chorales.rows:
        audio, rate = sf.read(chorales.out_dir / row["file_name"], dtype="float32")
        assert rate == 16000 and audio.shape == (32000,)
        assert 0.01 < np.abs(audio).max() <= 0.9 + 1e-3
        assert 20 * np.log10(np.sqrt(np.mean(audio**2))) >= -50
        splits_of[row["corpus_path"]].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values())


def test_card(chorales):
    card = (chorales.out_dir / "dataset_card.md").read_text()
    assert "music21 corpus" in card and "license.txt" in card and "MIT" in card
    assert f"**Clips:** {len(chorales.rows)}" in card and "16000 Hz" in card
    assert "render_music21_dataset(collection='bach'" in card


def test_events_and_render_of_a_tiny_score(soundfont):
    from music21 import note, stream

    part = stream.Part()
    part.append([note.Note("C4", quarterLength=1), note.Note("C4", quarterLength=1), note.Note("G4", quarterLength=2)])
    events = score_events(stream.Score([part]), seconds_per_quarter=0.5)
    assert [(e.seconds, e.is_on, e.pitch) for e in events] == [
        (0.0, True, 60), (0.5, False, 60), (0.5, True, 60), (1.0, False, 60), (1.0, True, 67), (2.0, False, 67)
    ]
    with FluidSynthRenderer(soundfont, 16000) as synth:
        audio = render_events(synth, events, program=0, tail_seconds=0.5)
    assert audio.shape == (40000,) and np.abs(audio[:16000]).max() > 0.01


def test_unknown_collection_lists_the_choices(tmp_path, soundfont):
    with pytest.raises(ValueError, match=r"Unknown music21 collection 'jazz'.*bach \(\d+\)"):
        render_music21_dataset("jazz", tmp_path, soundfont=soundfont)
