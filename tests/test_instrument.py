"""`latentaudio instrument`: a multisampled SFZ instrument from a prompt, its regions tuned by the pitch heard."""

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from latentaudio.audio_io import write_audio
from latentaudio.cli import main
from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer
from latentaudio.instrument import (Sample, bake_loop, drum_prompt, key_ranges, layer_prompt, make_samples, note_plan,
                                    parse_notes, pick_takes, played_at, region_pitch, sample_info, sfz_text, sustain_loop,
                                    velocity_ranges)
from latentaudio.metrics import estimate_pitch

from .conftest import load_benchmark
from .helpers import SF_LOOP_NONE, libsndfile_reads

RATE = 16000
loop_steps = load_benchmark("instrument_tuning").loop_steps  # the benchmark's measure of a loop's wrap and release


@pytest.mark.parametrize("notes, every", [((36, 84), 3), ((60, 61), 4), ((21, 108), 5), ((40, 40), 2), ((0, 127), 7)])
def test_every_key_of_the_range_is_played_by_exactly_one_sample_its_nearest(notes, every):
    plan = note_plan(*notes, every)
    assert plan[0] == notes[0] and plan[-1] == notes[1] and plan == sorted(set(plan))
    reach = 2
    ranges = key_ranges(plan, reach)
    assert ranges[0][0] == max(0, notes[0] - reach) and ranges[-1][1] == min(127, notes[1] + reach)
    for (low, high), (next_low, _) in zip(ranges, ranges[1:]):
        assert next_low == high + 1  # no key twice, none left out
    for note, (low, high) in zip(plan, ranges):
        assert low <= note <= high
        for key in range(low, high + 1):  # each key is played by the sample nearest to it
            assert abs(key - note) == min(abs(key - other) for other in plan)


def test_velocity_layers_split_every_velocity_once():
    assert velocity_ranges(1) == [(1, 127)]
    for layers in (2, 3, 4):
        ranges = velocity_ranges(layers)
        assert ranges[0][0] == 1 and ranges[-1][1] == 127
        assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))


def test_a_region_plays_every_key_at_its_own_pitch_whatever_its_take_was_off_by():
    """A real flute note made 30 cents sharp, and one an octave and 40 cents low (``played_at`` a key between, tuned):
    played as their regions say, every key sounds at its own pitch."""
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, RATE) as synth:
        synth.select(0, 0, 73)  # flute
        flute = synth.one_shot(0, 72, 100, RATE, RATE)
    assert abs(estimate_pitch(flute, RATE) - 72) < 0.05
    for asked, off in ((72, 0.3), (84, -12.4)):
        take = played_at(flute, asked, 72, round(off * 100))
        heard = estimate_pitch(take, RATE)
        center, tune = region_pitch(heard, asked)
        assert abs(center - round(asked + off)) == 0 and abs(tune) <= 50
        for key in (asked - 1, asked, asked + 2):
            sounding = estimate_pitch(played_at(take, key, center, tune), RATE)
            assert abs(sounding - key) < 0.08, (asked, off, key, sounding)
    assert region_pitch(None, 60) == (60, 0)


def test_a_held_note_loops_with_no_step_at_the_wrap_and_a_dying_one_does_not_loop():
    """Real FluidR3_GM notes held 1.28 s: strings, flute, organ and a pad get a sustain loop inside the held part whose
    baked wrap leads back to its start with no more of a step than the loop has anywhere (unbaked, each wrap steps more);
    a piano, a marimba and a vibraphone, which die away, get none."""
    held = int(1.28 * RATE)
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, RATE) as synth:
        def note(program: int, pitch: int) -> np.ndarray:
            synth.select(0, 0, program)
            return synth.one_shot(0, pitch, 100, int(2.56 * RATE), held)

        for program, pitch in ((48, 55), (73, 79), (19, 60), (89, 60)):
            audio = note(program, pitch)
            start, end = sustain_loop(audio, RATE, estimate_pitch(audio, RATE))
            assert 0.15 * RATE <= end - start and end <= held + 800 and start >= 0.05 * RATE
            baked = bake_loop(audio, start, end, sample_rate=RATE)
            assert np.array_equal(baked[: end - 800], audio[: end - 800]) and np.array_equal(baked[end + 800 :], audio[end + 800 :])
            wrap, release, inside = loop_steps(baked, (start, end - 1))
            assert wrap <= inside < loop_steps(audio, (start, end - 1))[0], program  # unbaked, the wrap steps more
            assert release <= inside, program  # and played on past the loop, into the release, no more either
        for program, pitch in ((0, 60), (12, 60), (11, 72)):
            audio = note(program, pitch)
            assert sustain_loop(audio, RATE, estimate_pitch(audio, RATE)) is None, program
    assert sustain_loop(np.ones(RATE, np.float32), RATE, None) is None  # no pitch heard, no loop


def test_a_looped_sample_repeats_while_its_key_is_held():
    looped = Sample(60, 60.0, (59, 61), (1, 127), "a.wav", 0, loop=(4000, 9999))
    plain = Sample(62, 62.0, (62, 63), (1, 127), "b.wav", 0)
    found = regions(sfz_text([looped, plain], "x"))
    assert (found[0]["loop_mode"], found[0]["loop_start"], found[0]["loop_end"]) == ("loop_sustain", "4000", "9999")
    assert "loop_mode" not in found[1]


def sfizz(sfz: Path):
    """The sfizz engine (pysfizz) with ``sfz`` loaded, at the samples' rate."""
    import pysfizz

    synth = pysfizz.Synth(sample_rate=RATE, block_size=256)
    assert synth.load_sfz_file(sfz, quiet=False), sfz
    synth.sfz = Path(sfz)
    return synth


def play(synth, notes: list[tuple[float, int]], seconds: float, held: float = 0.05) -> np.ndarray:
    """Mono output of ``synth`` over ``seconds``: each ``(time, key)`` of ``notes`` struck at full velocity and released
    ``held`` seconds later."""
    events = sorted([(round(t * RATE), True, key) for t, key in notes] + [(round((t + held) * RATE), False, key)
                                                                          for t, key in notes])
    out, block, position = [], synth.get_block_size(), 0
    while position < seconds * RATE:
        for at, on, key in [e for e in events if position <= e[0] < position + block]:
            (synth._synth.note_on if on else synth._synth.note_off)(at - position, key, 127 if on else 0)
        left, right = synth._synth.render_block()
        out.append((np.asarray(left) + np.asarray(right)) / 2)
        position += block
    return np.concatenate(out)[: round(seconds * RATE)]


def rms(audio: np.ndarray, start: float, stop: float) -> float:
    return float(np.sqrt(np.mean(np.square(audio[round(start * RATE) : round(stop * RATE)]))))


def test_sfizz_plays_every_key_at_its_own_pitch_and_holds_a_looped_note_while_its_key_is_held(tmp_path):
    """The real sfizz engine on an instrument of real flute notes made off-pitch on purpose (30 cents sharp, 40 flat,
    an octave and 20 cents high): every key sounds at its own pitch; a key held 4 s sounds to the end with the sustain
    loops and stops after the 2.56 s sample without them."""
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, RATE) as synth:
        synth.select(0, 0, 73)
        flute = synth.one_shot(0, 72, 100, int(2.56 * RATE), int(1.28 * RATE))
    off = {60: 30, 66: -40, 72: 1220}  # cents

    def draw(prompt: str) -> list:
        note = {"C4": 60, "F#4": 66, "C5": 72}[prompt.rsplit(", ", 1)[1]]
        return [played_at(flute, note, 72, off[note])]  # the flute at the note, off by its cents

    for loops in (True, False):
        folder = tmp_path / str(loops)
        samples = make_samples(draw, RATE, "flute", [60, 66, 72], stem="flute", loops=loops,
                               on_sample=lambda sample, audio: write_audio(folder / "flute" / sample.file_name, audio, RATE,
                                                                           info=sample_info(sample)))
        (folder / "flute.sfz").write_text(sfz_text(samples, "flute"))
        # the samples alone, as a sampler imports WAVs: each at the root its file states, looped as its file says
        (folder / "alone.sfz").write_text("".join(
            f"<region> sample=flute/{s.file_name} lokey={s.keys[0]} hikey={s.keys[1]} pitch_keycenter=sample\n"
            for s in samples))
        for player in (sfizz(folder / "flute.sfz"), sfizz(folder / "alone.sfz")):
            if loops:
                assert all(sample.loop is not None for sample in samples)
                for key in (57, 60, 62, 64, 66, 69, 70, 72, 75):  # every region, at and away from its note
                    sounding = estimate_pitch(play(player, [(0, key)], 1.2, held=1.0), RATE)
                    sample = next(s for s in samples if s.keys[0] <= key <= s.keys[1])
                    # the .sfz tunes out the cents; the file's unity note is the semitone at or below the pitch heard
                    offset = 0 if player.sfz.name == "flute.sfz" else sample.heard - sample_info(sample).root_key
                    assert abs(sounding - key - offset) < 0.1, (key, sounding)
            held = play(player, [(0, 66)], 4.0, held=4.0)
            assert (rms(held, 3.0, 3.9) > 0.5 * rms(held, 0.5, 1.0)) == loops


def test_sfizz_takes_round_robins_in_turn_and_a_closed_hi_hat_cuts_the_open_one(tmp_path):
    """A kit of real FluidR3_GM drums: the snare's two round robins alternate, and a closed hi-hat 0.2 s after an open
    one silences it, where the open hi-hat alone rings on."""
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, RATE) as synth:
        synth.select(9, 128, 0)
        hits = {key: [synth.one_shot(9, key, velocity, RATE, RATE // 10) for velocity in (127, 70)] for key in (38, 42, 46)}

    def draw(prompt: str) -> list:
        return hits[{"snare drum": 38, "closed hi-hat": 42, "open hi-hat": 46}[prompt.split(", ")[0]]]

    for robins in (2, 1):  # the snare's round robins; the hi-hats, one take each
        samples = make_samples(draw, RATE, "kit", [38, 42, 46], stem="kit", drums=True, round_robins=robins,
                               on_sample=lambda sample, audio: write_audio(tmp_path / str(robins) / "kit" / sample.file_name,
                                                                           audio, RATE))
        (tmp_path / str(robins) / "kit.sfz").write_text(sfz_text(samples, "kit"))
    player = sfizz(tmp_path / "2" / "kit.sfz")
    strikes = [play(player, [(0, 38)], 0.5) for _ in range(3)]
    assert rms(strikes[0], 0, 0.2) > 1.3 * rms(strikes[1], 0, 0.2)  # the loud take, then the soft one, then the loud
    assert np.allclose(strikes[0], strikes[2], atol=1e-4)
    player = sfizz(tmp_path / "1" / "kit.sfz")
    alone, choked, closed = (play(player, notes, 1.0) for notes in ([(0, 46)], [(0, 46), (0.2, 42)], [(0.2, 42)]))
    ringing = rms(alone, 0.3, 0.6)
    assert ringing > 3 * rms(closed, 0.3, 0.6) and rms(choked, 0.3, 0.6) < 0.1 * ringing + rms(closed, 0.3, 0.6)


def test_the_first_take_within_a_semitone_is_kept_else_the_nearest():
    assert pick_takes([66.0, 60.9, 60.0], 60) == [1]  # the ranked order wins among takes on the note
    assert pick_takes([66.0, 60.9, 60.0], 60, 3) == [1, 2, 0]  # round robins: on the note first, in order
    assert pick_takes([None, 48.1, 55.2], 60) == [2]
    assert pick_takes([None, 48.1, 55.2], 60, 3) == [2, 1, 0]
    assert pick_takes([None, None], 60, 2) == [0, 1]  # drums: in the order given


def test_notes_read_in_names_or_numbers_and_refuse_anything_else():
    assert parse_notes("C2-C6") == (36, 84) and parse_notes("F#3-A5") == (54, 81) and parse_notes("36-84") == (36, 84)
    assert parse_notes("Bb2 - 60") == (46, 60)
    for bad in ("C6-C2", "C4", "C4-X9", "0-128", "C2-C6-C7"):
        with pytest.raises(ValueError, match="expected a range LOW-HIGH"):
            parse_notes(bad)
    assert layer_prompt("airy flute", 61, "soft") == "airy flute, soft, C#4" and layer_prompt("flute", 60) == "flute, C4"
    assert drum_prompt("an 808 kit", 42, "soft") == "closed hi-hat, an 808 kit, soft"


def regions(sfz: str) -> list[dict]:
    """The opcodes of each <region> of an SFZ file, with the velocities of the <group> it is in."""
    found, group = [], {}
    for line in sfz.splitlines():
        if line.startswith("//"):
            continue
        opcodes = dict(re.findall(r"(\w+)=(\S+)", line))
        if line.startswith("<group>"):
            group = opcodes
        elif line.startswith("<region>"):
            found.append({**group, **opcodes})
    return found


def test_instrument_writes_an_sfz_whose_regions_are_its_samples_tuned_as_heard(tiny_pipe_dir, tmp_path, capsys):
    command = ["instrument", "a flute", "--notes", "C4-E4", "--every", "2", "--dynamics", "loud,soft", "--tries", "2",
               "--no-sustain-loops", "--model", str(tiny_pipe_dir), "--steps", "1", "--seconds", "0.3", "-o", str(tmp_path)]
    assert main(command) == 0
    sfz = (tmp_path / "a_flute.sfz").read_text()
    assert ("made by: latentaudio instrument 'a flute' --notes C4-E4 --every 2 --tries 2 --seed 0 --no-sustain-loops "
            "--dynamics soft,loud") in sfz
    assert "loop_mode" not in sfz
    found = regions(sfz)
    assert [(r["lovel"], r["hivel"], r["lokey"], r["hikey"]) for r in found] == [
        ("1", "64", "59", "61"), ("1", "64", "62", "63"), ("1", "64", "64", "65"),  # soft first: C4, D4, E4
        ("65", "127", "59", "61"), ("65", "127", "62", "63"), ("65", "127", "64", "65")]
    for region, note in zip(found, [60, 62, 64] * 2):
        audio, rate = sf.read(tmp_path / region["sample"])
        assert rate == RATE and audio.shape == (round(0.3 * RATE),)
        center, tune = region_pitch(estimate_pitch(audio, rate), note)  # heard again, from the file written
        assert int(region["pitch_keycenter"]) == center and abs(int(region["tune"]) - tune) <= 1
        stated = libsndfile_reads(tmp_path / region["sample"])  # the file states the pitch its region tunes it from
        assert stated["basenote"] + stated["detune"] / 100 == pytest.approx(center - int(region["tune"]) / 100)
        assert stated["loops"] == [] and stated["loop_mode"] == SF_LOOP_NONE
    assert found[0]["sample"] == "a_flute/a_flute_soft_060_C4.wav"
    # a sample is the take `generate` writes of its prompt (one of its --tries takes, drawn the same way)
    assert main(["generate", "a flute, soft, C4", "-n", "2", "--model", str(tiny_pipe_dir), "--steps", "1",
                 "--seconds", "0.3", "-o", str(tmp_path / "takes" / "t.wav")]) == 0
    kept = sf.read(tmp_path / found[0]["sample"])[0]
    assert any(np.array_equal(kept, sf.read(tmp_path / "takes" / f"t_{i}.wav")[0]) for i in range(2))
    assert "Wrote " in capsys.readouterr().out
    # made again: a new instrument beside the first, never over it
    assert main(command) == 0
    assert (tmp_path / "a_flute-2.sfz").is_file() and (tmp_path / "a_flute-2" / "a_flute-2_soft_060_C4.wav").is_file()
    assert (tmp_path / "a_flute.sfz").read_text() == sfz


def test_a_drum_kit_puts_each_drum_on_its_key_whole_and_chokes_the_open_hi_hat(tiny_pipe_dir, tmp_path, capsys):
    assert main(["instrument", "an 808 kit", "--drums", "--notes", "41-46", "--tries", "2", "--model", str(tiny_pipe_dir),
                 "--steps", "1", "--seconds", "0.3", "-o", str(tmp_path)]) == 0
    sfz = (tmp_path / "an_808_kit.sfz").read_text()
    assert "\nloop_mode=one_shot\n" in sfz and "made by: latentaudio instrument 'an 808 kit' --drums --notes 'F2-A#2'" in sfz
    found = regions(sfz)
    assert [(int(r["lokey"]), int(r["hikey"]), int(r["pitch_keycenter"]), int(r["tune"])) for r in found] == [
        (key, key, key, 0) for key in range(41, 47)]
    assert [(r.get("group"), r.get("off_by")) for r in found] == [
        (None, None), ("2", None), (None, None), ("2", None), (None, None), ("1", "2")]  # 42, 44 cut 46
    assert found[1]["sample"] == "an_808_kit/an_808_kit_042_closed_hi-hat.wav"
    assert main(["generate", "closed hi-hat, an 808 kit", "-n", "2", "--model", str(tiny_pipe_dir), "--steps", "1",
                 "--seconds", "0.3", "-o", str(tmp_path / "takes" / "hat.wav")]) == 0
    assert np.array_equal(sf.read(tmp_path / found[1]["sample"])[0], sf.read(tmp_path / "takes" / "hat_0.wav")[0])
    assert "F#2: closed hi-hat, take 1" in capsys.readouterr().err


def test_round_robins_keep_several_takes_of_a_note_which_a_sampler_plays_in_turn(tiny_pipe_dir, tmp_path):
    assert main(["instrument", "TR-808 kit", "--drums", "--notes", "38-39", "--tries", "3", "--round-robins", "3",
                 "--model", str(tiny_pipe_dir), "--steps", "1", "--seconds", "0.3", "-o", str(tmp_path)]) == 0
    sfz = (tmp_path / "tr_808_kit.sfz").read_text()
    assert "--round-robins 3" in sfz
    found = regions(sfz)
    assert [(r["lokey"], r["seq_length"], r["seq_position"]) for r in found] == [
        ("38", "3", "1"), ("38", "3", "2"), ("38", "3", "3"), ("39", "3", "1"), ("39", "3", "2"), ("39", "3", "3")]
    assert [r["sample"] for r in found[:3]] == [f"tr_808_kit/tr_808_kit_038_snare_drum_rr{i}.wav" for i in (1, 2, 3)]
    assert main(["generate", "snare drum, TR-808 kit", "-n", "3", "--model", str(tiny_pipe_dir), "--steps", "1",
                 "--seconds", "0.3", "-o", str(tmp_path / "takes" / "snare.wav")]) == 0
    for i, region in enumerate(found[:3]):  # a drum's round robins are its takes in the order generate writes them
        assert np.array_equal(sf.read(tmp_path / region["sample"])[0], sf.read(tmp_path / "takes" / f"snare_{i}.wav")[0])


@pytest.mark.parametrize(
    "extra, message",
    [
        (["a flute, C4"], "states a note (C4); an instrument plays every note of --notes"),
        (["a snare drum"], "names a drum (snare drum)"),
        (["a soft flute", "--dynamics", "soft,loud"], "states its dynamics ('soft') and --dynamics gives soft, loud"),
        (["a flute", "--dynamics", "soft,whisper"], "--dynamics 'soft,whisper': expected dynamics words"),
        (["a flute", "--dynamics", "soft,quiet"], "two of its words are as loud as each other"),
        (["a flute", "--notes", "C6-C2"], "Notes 'C6-C2': expected a range LOW-HIGH"),
        (["a snare drum", "--drums"], "names a drum (snare drum); a kit has every drum: describe the kit"),
        (["airy flute", "--drums"], "names an instrument (flute); a kit's samples are its drums"),
        (["TR-808 kit", "--drums", "--every", "2"], "--every spaces the notes of a pitched instrument"),
        (["TR-808 kit", "--drums", "--notes", "30-40"], "Drum keys [30, 31, 32, 33, 34] are not General MIDI percussion"),
        (["a flute", "--round-robins", "3", "--tries", "2"], "--round-robins 3 keeps 3 takes of each note: give --tries 3"),
    ],
)
def test_bad_instrument_input_is_one_clear_line(tiny_pipe_dir, tmp_path, capsys, extra, message):
    assert main(["instrument", *extra, "--model", str(tiny_pipe_dir), "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and list(tmp_path.iterdir()) == []
