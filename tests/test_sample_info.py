"""What a WAV states to a sampler or a DAW (`latentaudio.sample_info`), read back by libsndfile, the reader behind
soundfile, Audacity and many DAWs' importers."""

import struct

import numpy as np
import pytest
import soundfile as sf
from latentaudio.audio_io import write_audio
from latentaudio.cli import main
from latentaudio.prompts import prompt_sample_info
from latentaudio.sample_info import SampleInfo, add_to_wav

from .helpers import SF_LOOP_FORWARD, SF_LOOP_NONE, libsndfile_reads

RATE = 16000
def test_libsndfile_reads_the_root_the_cents_the_loop_and_the_tempo_and_the_audio_is_unchanged(tmp_path):
    audio = np.sin(np.arange(RATE) * 0.05).astype(np.float32) * 0.5
    write_audio(tmp_path / "plain.wav", audio, RATE)
    info = SampleInfo(root_key=67, cents=30, loop=(100, 15099), tempo_bpm=124.0, beats=8, beats_per_bar=3, one_shot=False)
    path = write_audio(tmp_path / "tagged.wav", audio, RATE, info=info)
    assert libsndfile_reads(tmp_path / "plain.wav") == {}
    assert libsndfile_reads(path) == dict(basenote=67, detune=30, loops=[(SF_LOOP_FORWARD, 100, 15100)],  # end: exclusive
                                          metre=(3, 4), loop_mode=SF_LOOP_FORWARD, beats=8, bpm=124.0, root=0x30 + 7)
    assert np.array_equal(sf.read(path)[0], sf.read(tmp_path / "plain.wav")[0])
    assert struct.unpack("<I", path.read_bytes()[4:8])[0] == path.stat().st_size - 8  # the RIFF size covers the chunks
    # a one-shot without a pitch: no smpl chunk, and a DAW plays it as it is
    write_audio(path, audio, RATE, info=SampleInfo())
    assert libsndfile_reads(path) == dict(metre=(4, 4), loop_mode=SF_LOOP_NONE, beats=0, bpm=0.0, root=-1)
    # formats without a place for it are written without it
    flac = write_audio(tmp_path / "tagged.flac", audio, RATE, info=info)
    assert libsndfile_reads(flac) == {} and np.allclose(sf.read(flac)[0], audio, atol=1e-4)
    with pytest.raises(ValueError, match="not a RIFF WAV"):
        add_to_wav(flac, info, RATE)


@pytest.mark.parametrize("pitch, root, cents", [(60.3, 60, 30), (59.6, 59, 60), (72.0, 72, 0), (None, None, 0)])
def test_a_pitch_is_stated_as_the_semitone_below_it_and_the_cents_above(pitch, root, cents):
    info = SampleInfo.at_pitch(pitch)
    assert (info.root_key, info.cents) == (root, cents)


@pytest.mark.parametrize("prompt, seconds, loop, expected", [
    # a loop of whole bars: its tempo and beats, for a DAW to stretch it to the project's tempo
    ("a 2-bar 120 bpm funk drum loop", 4.0, False, dict(tempo_bpm=120.0, beats=8, one_shot=False, root_key=None)),
    ("a 140 bpm waltz", 9 * 60 / 140, False, dict(tempo_bpm=140.0, beats=9, beats_per_bar=3, one_shot=False)),
    # a phrase: the tempo it is given and the tonic of its key
    ("a sad piano melody in F# minor", 16 * 60 / 105, False, dict(tempo_bpm=105.0, beats=16, root_key=66)),
    # not whole beats at the tempo (another --seconds): no tempo a DAW would stretch it wrongly by
    ("a 2-bar 120 bpm funk drum loop", 3.7, False, dict(tempo_bpm=None, beats=None, one_shot=True)),
    # one-shots: the note stated, or nothing; a sound effect has no tempo
    ("airy flute G5", 2.56, False, dict(root_key=79, tempo_bpm=None, one_shot=True, loop=None)),
    ("a tight snare hit", 1.0, False, dict(root_key=None, tempo_bpm=None, one_shot=True)),
    ("a laser zap", 0.38, False, dict(root_key=None, tempo_bpm=None, one_shot=True)),
    # a seamless take: its whole length is the sustain loop
    ("a warm string pad in D minor, 2 bars at 80 bpm", 6.0, True, dict(root_key=62, tempo_bpm=80.0, beats=8,
                                                                        loop=(0, 95999), one_shot=False)),
])
def test_what_a_prompt_says_of_its_take_is_stated(prompt, seconds, loop, expected):
    info = prompt_sample_info(prompt, round(seconds * RATE), RATE, loop)
    assert {name: getattr(info, name) for name in expected} == expected


def test_a_take_of_no_prompt_states_nothing_unless_it_loops():
    assert prompt_sample_info(None, RATE, RATE) is None
    assert prompt_sample_info(None, RATE, RATE, loop=True) == SampleInfo(loop=(0, RATE - 1), one_shot=False)


def test_generate_states_the_note_of_a_one_shot_and_the_tempo_of_a_loop(tiny_pipe_dir, tmp_path):
    fast = ["--model", str(tiny_pipe_dir), "--steps", "1"]
    assert main(["generate", "airy flute G5", *fast, "--seconds", "0.5", "-o", str(tmp_path / "flute.wav")]) == 0
    assert libsndfile_reads(tmp_path / "flute.wav") == dict(basenote=79, detune=0, loops=[], metre=(4, 4),
                                                             loop_mode=SF_LOOP_NONE, beats=0, bpm=0.0, root=0x30 + 7)
    assert main(["generate", "a 1-bar 240 bpm funk drum loop", *fast, "-o", str(tmp_path / "loop.wav")]) == 0
    found = libsndfile_reads(tmp_path / "loop.wav")
    assert sf.info(str(tmp_path / "loop.wav")).frames == RATE and found["bpm"] == 240.0 and found["beats"] == 4
    assert found["loop_mode"] == SF_LOOP_FORWARD and "basenote" not in found
    assert main(["generate", "a 1-bar 240 bpm funk drum loop", *fast, "--loop", "-o", str(tmp_path / "seamless.wav")]) == 0
    assert libsndfile_reads(tmp_path / "seamless.wav")["loops"] == [(SF_LOOP_FORWARD, 0, RATE)]
