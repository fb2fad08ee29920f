"""`latentaudio pack`: a sample pack from a drum style, every loop and phrase whole bars at one tempo and key."""

import shlex

import numpy as np
import pytest
import soundfile as sf
from latentaudio.cli import main
from latentaudio.data.drum_patterns import STYLES
from latentaudio.data.gm import DRUM_KEYS
from latentaudio.pack import pack_key, pack_style, plan_pack
from latentaudio.prompts import drum_style, parse_prompt, take_length_in_s, take_tempo_bpm

from .helpers import SF_LOOP_FORWARD, SF_LOOP_NONE, libsndfile_reads


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_plans_its_own_drums_and_loops_and_phrases_of_whole_bars_in_the_key(style):
    bpm, key, bars = 97, "F# dorian", 2
    sounds = plan_pack(style, bpm, key, bars)
    drums = [sound for sound in sounds if sound.folder == "drums"]
    assert [parse_prompt(sound.prompt).drum_key for sound in drums] == list(STYLES[style].voices)  # as prompts read them
    for sound in sounds:
        if sound.loop:  # a drum loop of the style, or a phrase in the key, whole bars at the tempo, played in a loop
            assert take_tempo_bpm(sound.prompt) == bpm
            assert take_length_in_s(sound.prompt, 10.24) == pytest.approx(bars * STYLES[style].beats_per_bar * 60 / bpm)
            assert (drum_style(sound.prompt) == style) if sound.folder == "loops" else parse_prompt(sound.prompt).key == key
    assert {sound.folder for sound in sounds} == {"drums", "loops", "bass", "chords", "melody", "fx"}
    assert len({(sound.folder, sound.stem) for sound in sounds}) == len(sounds)  # no two sounds share files


def test_an_electronic_style_plays_its_phrases_on_synths_and_any_instrument_can_be_named():
    prompts = {sound.folder: sound.prompt for sound in plan_pack("house", 124, "A minor")}
    assert parse_prompt(prompts["bass"]).instrument == "synth bass"
    assert parse_prompt(prompts["melody"]).family == "Synth Lead"
    prompts = {sound.folder: sound.prompt for sound in plan_pack("rock", 124, "A minor")}
    assert parse_prompt(prompts["bass"]).instrument == "acoustic bass"
    named = {sound.folder: sound.prompt for sound in plan_pack("rock", 124, "A minor", instruments={"melody": "flute"})}
    assert parse_prompt(named["melody"]).instrument == "flute" and named["bass"] == prompts["bass"]


@pytest.mark.parametrize("text, style", [("house", "house"), ("dnb", "drum and bass"), ("boom bap", "hip hop"),
                                         ("heavy metal", "rock"), ("Jazz", "jazz swing")])
def test_a_style_is_read_by_its_name_or_nickname(text, style):
    assert pack_style(text) == style


@pytest.mark.parametrize("text, key", [("Am", "A minor"), ("a minor", "A minor"), ("f# dorian", "F# dorian"),
                                       ("Bb major", "Bb major")])
def test_a_key_is_read_as_prompts_read_it(text, key):
    assert pack_key(text) == key


@pytest.mark.parametrize("extra, message", [(["polka"], "No drum style in 'polka'"),
                                            (["house", "--key", "H minor"], "--key 'H minor': expected a key"),
                                            (["house", "--bpm", "0"], "--bpm")])
def test_bad_pack_input_is_one_clear_line(tmp_path, capsys, extra, message):
    try:
        code = main(["pack", *extra, "-o", str(tmp_path)])
    except SystemExit as usage:  # a usage error: argparse's exit, through the same one-line message
        code = usage.code
    assert code == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_pack_writes_every_sound_whole_bars_tagged_for_a_daw_and_remade_by_its_command(tiny_pipe_dir, tmp_path, capsys):
    command = ["pack", "house", "--bpm", "240", "--bars", "1", "-n", "2", "--model", str(tiny_pipe_dir), "--steps", "1",
               "-o", str(tmp_path)]
    assert main(command) == 0
    pack = tmp_path / "house_240bpm_A_minor"
    wavs = sorted(path.relative_to(pack).as_posix() for path in pack.rglob("*.wav"))
    voices = [DRUM_KEYS[key].replace(" ", "_").replace("-", "") for key in STYLES["house"].voices]
    assert wavs == sorted([f"drums/{voice}_{i:02d}.wav" for voice in voices for i in (1, 2)]
                          + [f"{part}_{i:02d}.wav" for part in ("loops/house_drum_loop_240bpm", "bass/bass_A_minor_240bpm",
                                                                "chords/chords_A_minor_240bpm",
                                                                "melody/melody_A_minor_240bpm", "fx/whoosh", "fx/hit")
                             for i in (1, 2)])
    for part in ("loops/house_drum_loop_240bpm", "bass/bass_A_minor_240bpm"):
        stated = libsndfile_reads(pack / f"{part}_01.wav")  # one bar at 240 bpm: 1 s, 4 beats, played in a loop
        assert sf.info(str(pack / f"{part}_01.wav")).frames == 16000
        assert (stated["bpm"], stated["beats"], stated["loops"]) == (240.0, 4, [(SF_LOOP_FORWARD, 0, 16000)])
    assert libsndfile_reads(pack / "bass/bass_A_minor_240bpm_01.wav")["root"] == 0x30 + 9  # A
    assert libsndfile_reads(pack / "drums/kick_drum_01.wav")["loop_mode"] == SF_LOOP_NONE  # a one-shot
    text = (pack / "pack.txt").read_text()
    assert "made by: latentaudio pack house --bpm 240 --key 'A minor' --bars 1 -n 2 --seed 0 --model" in text
    # the command beside a sound makes its takes again
    line = next(line for line in text.splitlines() if line.startswith("bass/"))
    remake = shlex.split(line.split(": ", 1)[1])[1:]
    assert main([*remake, "-o", str(tmp_path / "again" / "bass.wav")]) == 0
    for index in (0, 1):
        assert np.array_equal(sf.read(tmp_path / "again" / f"bass_{index}.wav")[0],
                              sf.read(pack / f"bass/bass_A_minor_240bpm_{index + 1:02d}.wav")[0])
    # made again: a second pack beside the first, never over it
    first = {path: path.read_bytes() for path in pack.rglob("*") if path.is_file()}
    assert main(command) == 0
    assert (tmp_path / "house_240bpm_A_minor-2" / "pack.txt").is_file()
    assert {path: path.read_bytes() for path in pack.rglob("*") if path.is_file()} == first
    assert "Wrote " in capsys.readouterr().out


def test_a_dry_run_says_how_each_sound_is_read_and_writes_nothing(tmp_path, capsys):
    assert main(["pack", "trap", "--key", "Cm", "--dry-run", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "loops/trap_drum_loop_145bpm: 'a 2-bar 145 bpm trap drum loop, TR-808 kit': the music model" in out
    assert "drums/kick_drum: 'kick drum, TR-808 kit': the default model" in out
    assert list(tmp_path.iterdir()) == []
