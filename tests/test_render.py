"""`latentaudio render`: a MIDI file played on an instrument made from a prompt, as an SFZ sampler plays it."""

import numpy as np
import pytest
import soundfile as sf
from latentaudio.cli import main
from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer
from latentaudio.audio_io import write_audio
from latentaudio.instrument import RELEASE_S, make_samples, note_plan, played_at, read_sfz, region_pitch, sfz_text
from latentaudio.metrics import estimate_pitch
from latentaudio.prompts import parse_prompt
from latentaudio.render import MidiNote, read_midi, render

from .helpers import midi_file

RATE = 16000


def rms(audio: np.ndarray, start: float, stop: float) -> float:
    return float(np.sqrt(np.mean(np.square(audio[round(start * RATE) : round(stop * RATE)]))))


def test_a_midi_file_is_read_in_seconds_through_its_tempo_changes(tmp_path):
    path = midi_file(tmp_path / "song.mid", [(0, 1, 60, 100, 1), (1, 3, 64, 80, 1), (0, 0.25, 36, 110, 10)],
                     tempos=[(0, 120), (2, 60)])  # two beats at 120 bpm (1 s), then a beat a second
    assert read_midi(path) == [MidiNote(0.0, 0.125, 36, 110, 10), MidiNote(0.0, 0.5, 60, 100, 1),
                               MidiNote(0.5, 2.0, 64, 80, 1)]
    assert [note.drum for note in read_midi(path)] == [True, False, False]
    (tmp_path / "not.mid").write_bytes(b"RIFF....WAVE")
    for bad, message in ((tmp_path / "not.mid", "Cannot read the MIDI file"), (tmp_path / "missing.mid", "Cannot read")):
        with pytest.raises(ValueError, match=message):
            read_midi(bad)
    with pytest.raises(ValueError, match="plays no note"):
        read_midi(midi_file(tmp_path / "empty.mid", []))


def test_the_sustain_pedal_holds_notes_let_go_under_it_until_it_comes_up_or_they_are_struck_again(tmp_path):
    notes = [(0, 1, 60, 100, 1), (0.5, 1, 64, 100, 1), (2, 3, 67, 100, 1),  # under the pedal; after it
             (4, 4.5, 62, 100, 1), (5, 5.5, 62, 90, 1),  # let go under the pedal, then struck again
             (0, 0.5, 48, 100, 2)]  # another channel: its own pedal, up
    pedal = [(0.25, 64, 127, 1), (2, 64, 0, 1), (3.5, 64, 100, 1), (6, 64, 10, 1)]
    path = midi_file(tmp_path / "pedal.mid", notes, controls=pedal)
    assert read_midi(path) == [MidiNote(0.0, 0.25, 48, 100, 2), MidiNote(0.0, 1.0, 60, 100, 1),
                               MidiNote(0.25, 1.0, 64, 100, 1), MidiNote(1.0, 1.5, 67, 100, 1),
                               MidiNote(2.0, 2.5, 62, 100, 1), MidiNote(2.5, 3.0, 62, 90, 1)]
    # without the pedal the same notes end where their keys are let go
    assert [note.end for note in read_midi(midi_file(tmp_path / "dry.mid", notes))] == [0.25, 0.5, 0.5, 1.5, 2.25, 2.75]


@pytest.fixture(scope="module")
def flute():
    """A real FluidR3_GM flute, C5 held 1.28 s of a 2.56 s render, and its samples every 3 semitones from C4 to G4
    (C4, D#4, G4), each the flute resampled to its note 20 cents sharp (the instrument tunes that out)."""
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, RATE) as synth:
        synth.select(0, 0, 73)
        note = synth.one_shot(0, 72, 100, int(2.56 * RATE), int(1.28 * RATE))
    audios = {}

    def draw(prompt: str) -> list:
        return [played_at(note, parse_prompt(prompt).note, 72, 20)]

    samples = make_samples(draw, RATE, "flute", note_plan(60, 67, 3), stem="flute",
                           on_sample=lambda sample, audio: audios.__setitem__(sample.file_name, audio))
    return samples, audios


def test_each_note_sounds_at_its_pitch_while_held_then_fades(flute):
    samples, audios = flute
    notes = [MidiNote(0.0, 0.5, 60, 127, 1), MidiNote(0.6, 1.0, 64, 127, 1), MidiNote(1.2, 5.2, 67, 127, 1)]
    audio, missed = render([(notes, samples)], audios, RATE)
    assert missed == [] and len(audio) == round((5.2 + RELEASE_S) * RATE)  # the last note's release ends it
    for (start, stop), pitch in (((0.1, 0.45), 60), ((0.7, 0.95), 64), ((1.5, 2.5), 67)):  # 64 played from D#4's sample
        assert abs(estimate_pitch(audio[round(start * RATE) : round(stop * RATE)], RATE) - pitch) < 0.1, pitch
    assert rms(audio, 0.52, 0.55) > 0.2 * rms(audio, 0.2, 0.45)  # let go at 0.5 s: fading, not cut
    assert rms(audio, 4.6, 5.1) > 0.5 * rms(audio, 1.5, 2.0)  # held 4 s on a 2.56 s sample: its sustain loop repeats
    unlooped = [sample.__class__(**{**sample.__dict__, "loop": None}) for sample in samples]
    plain, _ = render([(notes, unlooped)], audios, RATE)
    assert rms(plain, 4.6, 5.1) < 0.05 * rms(plain, 1.5, 2.0)  # without it the note ends with its sample


def test_velocity_sets_the_gain_as_an_sfz_sampler_does_and_a_drum_plays_whole(flute):
    samples, audios = flute[0], dict(flute[1])
    loud, _ = render([([MidiNote(0.0, 1.0, 60, 127, 1)], samples)], audios, RATE)
    soft, _ = render([([MidiNote(0.0, 1.0, 60, 64, 1)], samples)], audios, RATE)
    assert rms(soft, 0.1, 0.9) / rms(loud, 0.1, 0.9) == pytest.approx((64 / 127) ** 2, rel=1e-3)
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, RATE) as synth:
        synth.select(9, 128, 0)
        kick = synth.one_shot(9, 36, 127, RATE, RATE // 10)
    kit = make_samples(lambda prompt: [kick], RATE, "kit", [36, 60], stem="kit", drums=True,
                       on_sample=lambda sample, audio: audios.__setitem__(sample.file_name, audio))
    drums = [MidiNote(0.5, 0.51, 36, 127, 10), MidiNote(0.5, 0.6, 99, 127, 10)]
    hit, missed = render([([], samples), (drums, kit)], audios, RATE)
    assert len(hit) == round(0.5 * RATE) + len(kick) and np.allclose(hit[round(0.5 * RATE) :], kick, atol=1e-6)
    assert missed == [MidiNote(0.5, 0.6, 99, 127, 10)]  # a key with no drum: not played, and said
    # a drum on a key the instrument also plays (60, a high bongo) is the kit's, not the flute's C4
    bongo, _ = render([([], samples), ([MidiNote(0.0, 0.01, 60, 127, 10)], kit)], audios, RATE)
    assert np.allclose(bongo, kick, atol=1e-6)


def test_render_writes_the_song_named_after_its_midi_file(tiny_pipe_dir, tmp_path, monkeypatch, capsys):
    song = midi_file(tmp_path / "song.mid", [(0, 1, 60, 100, 1), (1, 2, 65, 100, 1), (0, 0.5, 36, 110, 10),
                                             (1, 1.5, 20, 110, 10)],  # 20: no General MIDI drum
                     controls=[(0, 10, 32, 1)])  # the flute panned left: a stereo song
    fast = ["--model", str(tiny_pipe_dir), "--steps", "1", "--tries", "1", "--seconds", "0.5"]
    monkeypatch.chdir(tmp_path)
    assert main(["render", str(song), "a flute", "--drums", "TR-808 kit", *fast]) == 0
    audio, rate = sf.read(tmp_path / "song.wav")
    assert rate == RATE and audio.shape == (round((1.0 + RELEASE_S) * RATE), 2)  # two beats at 120 bpm, the release
    out = capsys.readouterr().out
    assert ("1.30 s, stereo: 2 notes on 'a flute' (3 samples), 1 drum hit on 'TR-808 kit' (1 sample); left out 1 note no "
            "sample plays") in out
    assert main(["render", str(song), "a flute", "--no-drums", *fast]) == 0  # beside the first, not over it
    assert (tmp_path / "song-2.wav").is_file() and "drum" not in capsys.readouterr().out.split("Wrote")[1]


def test_velocity_layers_give_each_note_the_take_of_its_loudness(tiny_pipe_dir, tmp_path, capsys):
    from latentaudio.instrument import Sample
    from latentaudio.render import round_robins_of

    layers = [Sample(60, 60.0, (0, 127), (1, 64), "soft.wav", 0), Sample(60, 60.0, (0, 127), (65, 127), "loud.wav", 0)]
    assert [[sample.file_name for sample in round_robins_of(layers, MidiNote(0, 1, 62, velocity, 1))]
            for velocity in (1, 64, 65, 127)] == [["soft.wav"], ["soft.wav"], ["loud.wav"], ["loud.wav"]]
    song = midi_file(tmp_path / "song.mid", [(0, 1, 60, 30, 1), (1, 2, 64, 120, 1)])
    assert main(["render", str(song), "a flute", "--dynamics", "loud,soft", "--model", str(tiny_pipe_dir), "--steps", "1",
                 "--tries", "1", "--seconds", "0.5", "-o", str(tmp_path / "song.wav")]) == 0
    assert "2 notes on 'a flute' (6 samples)" in capsys.readouterr().out  # three notes sampled, in two layers


def test_without_a_prompt_each_channel_plays_the_general_midi_instrument_or_kit_its_program_names(tiny_pipe_dir,
                                                                                                 tmp_path, capsys):
    from latentaudio.cli import build_parser
    from latentaudio.cli.render import plan_render

    song = midi_file(tmp_path / "band.mid", [(0, 1, 72, 100, 1), (1, 2, 76, 100, 1), (0, 2, 40, 100, 2),
                                             (0, 1, 60, 100, 3), (0, 1, 38, 100, 10)],
                     programs=[(0, 73, 1), (0, 33, 2), (0, 25, 10)])  # flute, fingered bass, TR-808 kit; channel 3
    # sets none: the grand piano
    assert [(note.pitch, note.program) for note in read_midi(song)] == [(38, 25), (40, 33), (60, None), (72, 73), (76, 73)]
    plan = plan_render(build_parser().parse_args(["render", str(song)]))
    assert [(part.given, [note.pitch for note in part.notes], part.drums) for part in plan.parts] == [
        ("acoustic grand piano", [60], False), ("fingered electric bass", [40], False), ("flute", [72, 76], False),
        ("TR-808 kit", [38], True)]
    assert main(["render", str(song), "--model", str(tiny_pipe_dir), "--steps", "1", "--tries", "1", "--seconds", "0.3",
                 "-o", str(tmp_path / "band.wav")]) == 0
    assert ("1 note on 'acoustic grand piano' (1 sample), 1 note on 'fingered electric bass' (1 sample), 2 notes on "
            "'flute' (3 samples), 1 drum hit on 'TR-808 kit' (1 sample)") in capsys.readouterr().out


def test_channel_volume_and_expression_set_the_gain_and_pan_places_a_channel_in_stereo(tmp_path):
    from latentaudio.instrument import Sample

    song = midi_file(tmp_path / "mix.mid", [(0, 1, 60, 127, 1), (0, 1, 60, 127, 2), (1, 2, 60, 127, 1)],
                     controls=[(0, 7, 50, 1), (0, 10, 0, 2), (0.5, 7, 100, 1), (0.75, 11, 64, 1)])
    notes = read_midi(song)  # channel 1 at half volume, then full with half expression; channel 2 hard left
    assert [(note.channel, note.volume, note.pan, note.expression) for note in notes] == [
        (1, 50, 64, 127), (2, 100, 0, 127), (1, 100, 64, 64)]
    tone = [Sample(60, 60.0, (0, 127), (1, 127), "tone.wav", 0)]
    audio, _ = render([(notes, tone)], {"tone.wav": np.full(RATE // 4, 0.2, np.float32)}, RATE)
    assert audio.shape[0] == 2  # a channel panned: stereo
    at = lambda seconds: audio[:, round(seconds * RATE)].round(4).tolist()  # noqa: E731
    # 0.1 s: channel 1 at (50 / 100)² in the centre, channel 2 hard left at √2; 0.6 s: channel 1 at (64 / 127)²
    assert at(0.1) == pytest.approx([0.2 * 0.25 + 0.2 * 2**0.5, 0.2 * 0.25], abs=1e-4)
    assert at(0.6) == pytest.approx([0.2 * (64 / 127) ** 2] * 2, abs=1e-4)
    centred, _ = render([([notes[0], notes[2]], tone)], {"tone.wav": np.full(RATE // 4, 0.2, np.float32)}, RATE)
    assert centred.ndim == 1  # nothing panned: mono


def test_a_held_note_follows_its_channels_swells_of_volume_and_expression_without_a_click(tmp_path):
    from latentaudio.instrument import Sample
    from latentaudio.render import LEVEL_RAMP_S

    swells = [(0.5 + i / 8, 11, 32 * i - 1, 1) for i in range(1, 5)]  # expression 31, 63, 95, 127 over beat 0.5-1
    song = midi_file(tmp_path / "swell.mid", [(0, 4, 60, 127, 1), (0, 4, 64, 127, 2)],
                     controls=[(0, 11, 0, 1), *swells, (3, 7, 50, 1), (3, 7, 50, 2)])
    swelled, steady = read_midi(song)  # 120 bpm: a beat is 0.5 s
    assert swelled.expression == 0 and [level[1:] for level in swelled.levels] == [
        (100, 31), (100, 63), (100, 95), (100, 127), (50, 127)]
    assert [level[0] for level in swelled.levels] == pytest.approx([0.3125, 0.375, 0.4375, 0.5, 1.5])
    assert steady.levels == ((1.5, 50, 127),)  # its channel's volume halved while it sounds
    tone = [Sample(60, 60.0, (0, 127), (1, 127), "tone.wav", 0, loop=(0, RATE - 1))]
    audio, _ = render([([swelled], tone)], {"tone.wav": np.full(RATE, 0.2, np.float32)}, RATE)
    assert rms(audio, 0.0, 0.3) == 0.0  # struck at expression 0: silent until the swell
    assert rms(audio, 0.32, 0.37) == pytest.approx(0.2 * (31 / 127) ** 2, rel=1e-3)
    assert rms(audio, 0.6, 1.4) == pytest.approx(0.2, rel=1e-3)  # swelled to full
    assert rms(audio, 1.6, 1.9) == pytest.approx(0.2 * 0.25, rel=1e-3)  # volume 50: (50 / 100)²
    ramp = 0.2 * (1 - 0.25) / (LEVEL_RAMP_S * RATE)  # the largest change, to volume 50, is a ramp, not a step
    assert np.abs(np.diff(audio)).max() == pytest.approx(ramp, rel=1e-3)

def test_pitch_bends_move_the_notes_that_sound_by_the_range_the_file_registers(flute, tmp_path):
    song = midi_file(tmp_path / "bend.mid", [(0, 2, 60, 100, 1), (0, 1, 67, 100, 2)],
                     controls=[(0, 101, 0, 2), (0, 100, 0, 2), (0, 6, 12, 2)],  # channel 2 bends over 12 semitones
                     bends=[(1, 8192 + 4096, 1), (0, 16383, 2)])  # channel 1 up a semitone at 0.5 s; channel 2 all up
    bent, high = read_midi(song)
    assert bent.bends == ((0.5, 1.0),) and high.bends == ((0.0, pytest.approx(12 * 8191 / 8192)),)
    samples, audios = flute
    audio, _ = render([([MidiNote(0.0, 1.0, 60, 127, 1, bends=((0.5, 2.0),))], samples)], audios, RATE)
    for (start, stop), pitch in (((0.1, 0.45), 60), ((0.6, 0.95), 62)):  # C4, then bent up a whole tone
        assert abs(estimate_pitch(audio[round(start * RATE) : round(stop * RATE)], RATE) - pitch) < 0.1, pitch
    held, _ = render([([MidiNote(0.0, 4.0, 60, 127, 1, bends=((2.0, -1.0),))], samples)], audios, RATE)
    assert rms(held, 3.5, 3.9) > 0.5 * rms(held, 0.5, 1.0)  # bent, a long note still holds through its loop
    assert abs(estimate_pitch(held[round(2.5 * RATE) : round(3.5 * RATE)], RATE) - 59) < 0.1


def test_round_robins_take_turns_on_each_region_so_a_repeated_hit_differs():
    from latentaudio.instrument import Sample

    robins = [Sample(38, None, (38, 38), (1, 127), f"snare_rr{turn}.wav", turn - 1, drum="snare drum", robin=turn)
              for turn in (2, 1)]  # listed out of turn: seq_position orders them
    audios = {f"snare_rr{turn}.wav": np.full(800, 0.1 * turn, np.float32) for turn in (1, 2)}
    hits = [MidiNote(0.1 * i, 0.1 * i + 0.01, 38, 127, 10) for i in range(4)]
    audio, _ = render([(hits, robins)], audios, RATE)
    assert [round(float(audio[round(0.1 * i * RATE) + 10]), 3) for i in range(4)] == [0.1, 0.2, 0.1, 0.2]


def test_the_instruments_a_render_makes_are_kept_and_play_the_same_song_again_with_no_model(tiny_pipe_dir, tmp_path,
                                                                                           capsys):
    song = midi_file(tmp_path / "song.mid", [(0, 1, 60, 100, 1), (1, 4, 66, 80, 1), (0, 0.5, 36, 110, 10),
                                             (1, 1.5, 42, 90, 10)])
    assert main(["render", str(song), "a flute", "--drums", "TR-808 kit", "--keep-instruments", "--model",
                 str(tiny_pipe_dir), "--steps", "1", "--tries", "1", "--seconds", "0.5", "-o", str(tmp_path / "a.wav")]) == 0
    kept = tmp_path / "a_instruments"
    assert "the instruments made in" in capsys.readouterr().out
    assert sorted(path.name for path in kept.glob("*.sfz")) == ["a_flute.sfz", "tr_808_kit.sfz"]
    assert main(["render", str(song), str(kept / "a_flute.sfz"), "--drums", str(kept / "tr_808_kit.sfz"),
                 "--model", str(tmp_path / "none"), "-o", str(tmp_path / "b.wav")]) == 0  # no model: files alone
    first, again = sf.read(tmp_path / "a.wav")[0], sf.read(tmp_path / "b.wav")[0]
    assert first.shape == again.shape and np.allclose(first, again, atol=2e-3)  # the same song, as 16-bit samples


@pytest.mark.parametrize("prompt, message", [(["a flute, C4"], "states a note"),
                                             (["a flute", "--drums", "a flute"], "names an instrument"),
                                             (["missing.sfz"], "SFZ file not found: missing.sfz"),
                                             (["a flute", "--dynamics", "soft,quiet"], "--dynamics 'soft,quiet'"),
                                             (["a flute", "--round-robins", "5"], "--round-robins 5 keeps 5 takes"),
                                             (["bongos.mid"], "plays only drum keys General MIDI has no drum for"),
                                             (["bongos.mid", "--no-drums"], "--no-drums leaves them out")])
def test_bad_render_input_is_one_clear_line(tiny_pipe_dir, tmp_path, capsys, monkeypatch, prompt, message):
    monkeypatch.chdir(tmp_path)
    song = midi_file(tmp_path / "song.mid", [(0, 1, 60, 100, 1), (1, 2, 65, 100, 1), (0, 1, 36, 100, 10)])
    midi_file(tmp_path / "bongos.mid", [(0, 1, 20, 100, 10)])
    if prompt[:1] == ["bongos.mid"]:
        song, prompt = "bongos.mid", prompt[1:]
    assert main(["render", str(song), *prompt, "--model", str(tiny_pipe_dir), "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.wav").exists()


def test_an_sfz_file_is_read_back_as_written_and_plays_the_same_with_no_model(flute, tmp_path, capsys):
    samples, audios = flute
    for sample in samples:
        write_audio(tmp_path / "flute" / sample.file_name, audios[sample.file_name], RATE)
    (tmp_path / "flute.sfz").write_text(sfz_text(samples, "flute", header=["a flute"]))
    read, read_audios, rate = read_sfz(tmp_path / "flute.sfz")
    assert rate == RATE and len(read) == len(samples)
    for original, again in zip(samples, read):
        assert (again.keys, again.velocities, again.loop, again.drum) == (original.keys, original.velocities, original.loop, None)
        assert region_pitch(again.heard, again.note) == region_pitch(original.heard, original.note)
        assert np.allclose(read_audios[again.file_name], audios[original.file_name], atol=1e-4)  # as 16-bit WAV
    song = midi_file(tmp_path / "song.mid", [(0, 1, 60, 100, 1), (1, 9, 64, 90, 1)])  # 4 s held: the loop goes round
    expected, _ = render([(read_midi(song), samples)], audios, RATE)
    # from the shell: no model is loaded for an instrument read from a file (the model named does not exist)
    assert main(["render", str(song), str(tmp_path / "flute.sfz"), "--model", str(tmp_path / "none"),
                 "-o", str(tmp_path / "song.wav")]) == 0
    assert "2 notes on" in capsys.readouterr().out and np.allclose(sf.read(tmp_path / "song.wav")[0], expected, atol=2e-3)
    with pytest.raises(ValueError, match="Cannot read the SFZ file"):
        read_sfz(tmp_path / "song.mid")
    (tmp_path / "empty.sfz").write_text("// nothing\n<group> lovel=1\n")
    with pytest.raises(ValueError, match="holds no <region>"):
        read_sfz(tmp_path / "empty.sfz")
    (tmp_path / "lost.sfz").write_text("<region> sample=gone.wav lokey=60 hikey=60\n")
    with pytest.raises(ValueError, match="cannot read its sample gone.wav"):
        read_sfz(tmp_path / "lost.sfz")

