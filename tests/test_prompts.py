"""parse_prompt: notes in every notation, words that are not notes, instruments, drums and the rest."""

import re
from typing import Optional

import numpy as np
import pytest

from latentaudio.data import gm
from latentaudio.evaluation.generalisation import BLIND_PARAPHRASES_PATH, PARAPHRASES_PATH, load_paraphrases
from latentaudio.note_features import FEATURE_WIDTHS, prompt_features
from latentaudio.prompts import (asks_for_material, midi_from_hz, midi_from_name, parse_prompt, take_length_in_s, template_caption,
                                 without_instrument, without_length, without_note)


@pytest.mark.parametrize("text, note", [
    ("C4", 60), ("c#3", 49), ("F♯3", 54), ("Bb2", 46), ("B♭2", 46), ("bb2", 46), ("E#4", 65), ("Cb4", 59),
    ("F sharp 3", 54), ("B-flat 2", 46), ("A flat 3", 56), ("C-1", 0), ("G9", 127),
    ("middle C", 60), ("middle C#", 61), ("A440", 69), ("440 Hz", 69), ("261.6 hz", 60), ("1.76 kHz", 93),
    ("midi 60", 60), ("MIDI note 61", 61), ("midi note number 62", 62), ("note 64", 64), ("note #67", 67),
    ("airy flute G5", 79), ("around F4", 65), ("an E note", 64), ("a G note on harp", 67),
    ("trumpet at A440", 69), ("viola note at 220 Hz", 57),
])
def test_notes_in_any_notation(text, note):
    assert parse_prompt(text).note == note


@pytest.mark.parametrize("text", [
    "a", "a piano", "bass", "drum and bass pad", "drum n bass", "e-piano", "808", "a flat pad", "a 4 second pad",
    "A mellow piano", "mp3 of a piano", "C-major chord", "Am pad", "key of D", "synth brass, 80s", "hammond b3",
    "tr-808 kick", "note 200", "the bass is E", "dx7 electric piano",
])
def test_words_that_are_not_notes(text):
    assert parse_prompt(text).note is None


@pytest.mark.parametrize("text, note", [
    ("fingered electric bass, low E", 28), ("guitar, low E", 40), ("acoustic guitar, low E", 40),
    ("bass, low E", 28), ("classical guitar, high E", 76), ("low C on the cello", 36), ("high C", 84),
    ("low E", 40), ("an F# on marimba", 66), ("F#", 66),
])
def test_octaves_of_low_and_high_follow_the_instrument(text, note):
    assert parse_prompt(text).note == note


def test_keys_are_not_notes():
    for text, key in [("C-major chord", "C major"), ("Am pad", "A minor"), ("F#m", "F# minor"), ("key of D", "D major"),
                      ("in the key of Eb", "Eb major"), ("C chord on organ", "C major"), ("D dorian", "D dorian")]:
        parsed = parse_prompt(text)
        assert parsed.key == key and parsed.note is None, text


@pytest.mark.parametrize("text, program, family", [
    ("grand piano", 0, "Piano"), ("rhodes", 4, "Piano"), ("e-piano", 4, "Piano"), ("sax", 65, "Reed"),
    ("strat", 27, "Guitar"), ("fiddle", 110, "Ethnic"), ("a loud violin note, G5, strings", 40, "Strings"),
    ("bass and lead synth lead", 87, "Synth Lead"), ("analog bass and lead synth lead", 87, "Synth Lead"),
    ("thumb piano", 108, "Ethnic"), ("guitar fret noise", 120, "Sound Effects"),
    ("fingered electric bass", 33, "Bass"), ("french horn", 60, "Brass"), ("english horn", 69, "Reed"),
])
def test_instruments_by_name_and_nickname(text, program, family):
    parsed = parse_prompt(text)
    assert (parsed.program, parsed.family, parsed.drum_key) == (program, family, None)


def test_family_words_name_a_family_only():
    parsed = parse_prompt("some brass instrument, warm")
    assert parsed.family == "Brass" and parsed.program is None
    assert parse_prompt("drum and bass pad").family == "Synth Pad"
    assert (parse_prompt("808 bass").family, parse_prompt("808 bass").drum_key) == ("Bass", None)


@pytest.mark.parametrize("text, key, kit", [
    ("kick", 36, None), ("tight snare hit", 38, None), ("hat", 42, None), ("hi-hat", 42, None), ("open hat", 46, None),
    ("808", 36, "TR-808"), ("808 snare", 38, "TR-808"), ("bass drum", 36, None), ("snares", 38, None),
    ("a loud snare drum hit, TR-808 kit", 38, "TR-808"), ("rimshot", 37, None), ("floor tom", 41, None),
])
def test_drums(text, key, kit):
    parsed = parse_prompt(text)
    assert (parsed.drum_key, parsed.kit, parsed.family, parsed.is_drum) == (key, kit, "Drums", True)


def test_dynamics_tempo_length_and_approximation():
    parsed = parse_prompt("soft grand piano around F4 at 90 bpm, 1.5 s")
    assert (parsed.velocity, parsed.dynamics, parsed.tempo_bpm, parsed.seconds) == (40, "soft", 90.0, 1.5)
    assert parsed.note == 65 and parsed.note_approximate and parsed.note_text == "F4"
    assert parse_prompt("very soft flute").velocity == 24 and parse_prompt("ff trumpet").velocity == 127
    assert parse_prompt("velocity 100 piano").velocity == 100 and parse_prompt("500ms hat").seconds == 0.5
    assert parse_prompt("half a second clap").seconds == 0.5 and parse_prompt("synth brass, 80s").seconds is None
    assert parse_prompt("440 Hz sine").frequency_hz == 440.0 and not parse_prompt("C4").note_approximate


def test_nothing_stated_leaves_every_field_empty():
    parsed = parse_prompt("something nice")
    assert parsed == type(parsed)()
    with pytest.raises(TypeError):
        parse_prompt(60)


def test_helpers():
    assert midi_from_hz(440) == 69 and midi_from_hz(261.63) == 60 and midi_from_name("F", "#", 3) == 54
    with pytest.raises(ValueError):
        midi_from_hz(0)
    with pytest.raises(ValueError):
        midi_from_name("H")


def test_exported_from_the_package():
    import latentaudio

    assert latentaudio.parse_prompt is parse_prompt


@pytest.mark.parametrize("text, bpm", [
    ("a 124 bpm house drum loop, electronic kit", 124.0), ("funk groove at 96 beats per minute", 96.0),
    ("jazz drum beat, 150 beats a minute", 150.0), ("piano melody, tempo: 72", 72.0), ("♩ = 88 cello line", 88.0),
    ("q=140 techno beat", 140.0), ("a 92-bpm hip hop beat", 92.0), ("disco drums, tempo 118.5", 118.5),
])
def test_tempo_notations_and_a_drum_beat_in_the_same_words(text, bpm):
    parsed = parse_prompt(text)
    assert parsed.tempo_bpm == bpm and parsed.note is None, text



@pytest.mark.parametrize("text, bars, beats", [
    ("a 2-bar 120 bpm funk loop", 2, None), ("four bars of 90 bpm hip hop drums", 4, None), ("1 bar house loop", 1, None),
    ("two-bar trap beat, 140bpm", 2, None), ("a 140 bpm waltz drum loop", None, 3), ("jazz loop in 3/4, 8 bars", 8, 3),
    ("C4 piano, 3/4 bar", None, 3), ("a 124 bpm house drum loop", None, None), ("crowbar hit", None, None),
])
def test_bars_and_metre(text, bars, beats):
    parsed = parse_prompt(text)
    assert (parsed.bars, parsed.beats_per_bar) == (bars, beats), text
    assert parsed.note in (None, 60) and parsed.tempo_bpm in (None, 90.0, 120.0, 124.0, 140.0), text


def test_a_loop_without_a_length_is_the_most_whole_bars_of_its_tempo_the_model_learnt():
    for bpm in range(60, 181):
        for style, beats in (("house", 4), ("waltz", 3)):
            seconds = take_length_in_s(f"a {bpm} bpm {style} drum loop", 10.24)
            bars = seconds * bpm / 60 / beats
            assert bars == pytest.approx(round(bars), abs=1e-4) and seconds <= 10.24 < seconds + beats * 60 / bpm, (bpm, style)
    assert take_length_in_s("a 2-bar 120 bpm funk loop", 10.24) == 4.0  # the bars it states
    assert take_length_in_s("a cello melody in D minor, 6 bars, 90 bpm", 10.24) == 16.0  # even past the longest clip
    assert take_length_in_s("a 45 bpm ambient loop", 5.12) == 5.12  # one bar (5.33 s) would not fit: the longest clip
    assert take_length_in_s("a cello melody in D minor", 10.24) == round(4 * 4 * 60 / 105, 6)  # a melody's 105 bpm
    assert take_length_in_s("an ambient loop", 10.24) == 10.0  # a loop of nothing the builders name: 5 bars of 120 bpm
    assert take_length_in_s("a jazz loop", None) is None
    assert take_length_in_s("a looped ambient texture", 10.24) == 10.24  # material of no tempo: the longest clip
    assert take_length_in_s("light rain, 3 s", 10.24) == take_length_in_s("piano C4, 3 s", None) == 3.0  # a stated length
    assert take_length_in_s("a tight snare hit", 10.24) is None and take_length_in_s("a 2-bar snare hit", 10.24) is None


def assert_whole_bars_stated(prompt: str, bpm: float, beats_per_bar: int = 4, bars: Optional[int] = None,
                             read_as: Optional[str] = None) -> None:
    """A take of ``prompt`` (which states no tempo or length) is whole bars of ``bpm``, ``bars`` of them or as many as
    fit in 10.24 s, and the music template reads it as ``read_as`` (default the prompt itself) stating that tempo and
    length, which read back."""
    bar = beats_per_bar * 60 / bpm
    seconds = take_length_in_s(prompt, 10.24)
    if bars is not None:
        assert seconds == pytest.approx(bars * bar, abs=1e-5), prompt
    else:
        assert seconds / bar == pytest.approx(round(seconds / bar), abs=1e-4) and 10.24 - bar < seconds <= 10.24, prompt
    assert template_caption(prompt, "gm_music", seconds) == f"{read_as or prompt}, {bpm} bpm, {seconds:.2f} s"
    read = parse_prompt(template_caption(prompt, "gm_music", seconds))
    assert (read.tempo_bpm, read.seconds) == (bpm, round(seconds, 2)), prompt


def test_a_drum_loop_without_a_tempo_is_played_at_its_styles_and_whole_bars_of_it():
    from latentaudio.data.drum_patterns import STYLES
    from latentaudio.data.vocabulary import STYLE_NICKNAMES
    from latentaudio.prompts import drum_style, style_tempo_bpm, take_tempo_bpm

    for style, groove in STYLES.items():
        low, high = groove.tempo
        bpm = style_tempo_bpm(style)
        assert low <= bpm <= high, style
        for name in (style, *STYLE_NICKNAMES.get(style, ())):
            for wording in ("a {} drum loop", "{} beat", "{} drums, dusty", "a {} groove"):
                prompt = wording.format(name)
                assert drum_style(prompt) == style and asks_for_material(prompt), prompt
                # a nickname is read as the captions name the style ("heavy metal drums" as "rock drums")
                read_as = re.sub(r"^an? (?=[aeiou])", "an ", re.sub(r"^an? ", "a ", wording.format(style)))
                assert_whole_bars_stated(prompt, bpm, groove.beats_per_bar, read_as=read_as)
            shouted = f"{name.upper()} BEAT"  # any case
            assert drum_style(shouted) == style and take_tempo_bpm(shouted) == bpm, shouted
    assert template_caption("a house drum loop", "gm_music", 9.677419) == "a house drum loop, 124 bpm, 9.68 s"
    assert drum_style("a lofi beat") == drum_style("boom-bap drums") == "hip hop" and drum_style("jungle breakbeat loop") == "drum and bass"
    assert take_length_in_s("a 2-bar funk loop", 10.24) == round(2 * 4 * 60 / 102, 6)  # the bars it states, at funk's 102
    assert take_length_in_s("a 90 bpm house loop", 10.24) == 8.0  # a stated tempo is kept
    assert template_caption("a 90 bpm house loop", "gm_music", 8.0) == "a 90 bpm house loop, 8.00 s"
    assert template_caption("a house drum loop", "gm_one_shot") == "a house drum loop"  # only the music template states it
    for not_a_drum_loop in ("a house piano loop", "a rock organ note", "a rock drum hit", "a trap door creak",
                            "a reggae groove in A minor", "a jazz kit snare"):
        assert drum_style(not_a_drum_loop) is None, not_a_drum_loop
    assert asks_for_material("hip hop beat with a piano") and not asks_for_material("a beat-up piano")
    with pytest.raises(ValueError, match="No drum style 'polka'; expected one of rock, funk"):
        style_tempo_bpm("polka")


def test_a_phrase_without_a_tempo_is_played_at_its_kinds_and_whole_bars_of_it():
    from latentaudio.data.melodic_material import KINDS
    from latentaudio.data.vocabulary import KIND_NICKNAMES
    from latentaudio.prompts import melodic_kind, melodic_tempo_bpm, take_tempo_bpm

    for kind, spec in KINDS.items():
        bpm = melodic_tempo_bpm(kind)
        assert spec.tempo[0] <= bpm <= spec.tempo[1], kind
        for name in (kind, *KIND_NICKNAMES[kind]):
            for prompt in (f"a cello {name} loop", f"soft piano {name.upper()} in D minor", f"{name} on a harp, warm"):
                if prompt.endswith("warm") and name in ("pad", "pads"):
                    assert not asks_for_material(prompt), prompt  # "pad" names a GM program as often as a phrase
                    continue
                assert melodic_kind(prompt) == kind and take_tempo_bpm(prompt) == bpm, prompt
                assert_whole_bars_stated(prompt, bpm)
    assert template_caption("a sad piano melody", "gm_music", 9.142857) == "a sad piano melody, 105 bpm, 9.14 s"
    # a phrase that names no kind but an instrument or a key is a melody; a style it names sets its tempo
    assert melodic_kind("a cello in D minor") == melodic_kind("a piano loop") == melodic_kind("a sad violin solo") == "melody"
    assert take_tempo_bpm("a house piano loop") == 124 and melodic_kind("a house piano loop") == "melody"
    assert take_tempo_bpm("a rock organ melody") == take_tempo_bpm("a jazz guitar riff") == 105  # GM programs, no styles
    # words that name no phrase: a one-shot, a drum loop, an effect, a note stated beside a kind word
    for text in ("a tight snare hit", "a house drum loop", "a laser zap", "303 bass line note, G2", "warm synth pad",
                 "an ambient loop", "a solo kick", "solo piano, C4"):
        assert melodic_kind(text) is None, text
    assert asks_for_material("a funky bassline") and asks_for_material("soft piano chords") and asks_for_material("ambient drone")
    assert take_tempo_bpm("a 93 bpm cello melody") == 93 and take_tempo_bpm("a tight snare hit") is None
    with pytest.raises(ValueError, match="No kind of material 'jingle'; expected one of scale, arpeggio"):
        melodic_tempo_bpm("jingle")


def test_a_tempo_word_sets_the_part_of_the_range_it_names():
    from latentaudio.data import melodic
    from latentaudio.data.melodic_material import PACES, pace_word
    from latentaudio.data.vocabulary import PACE_NICKNAMES
    from latentaudio.prompts import pace, paced_tempo_bpm, style_tempo_bpm, take_tempo_bpm

    for word in PACES:
        for name in (word, *PACE_NICKNAMES[word]):
            prompt = f"a {name} piano melody"
            assert pace(prompt) == word and pace_word(take_tempo_bpm(prompt)) == word, prompt
    # the builder's captions lead with the word of their clip's tempo, and it reads back
    for clip in melodic.plan_melodic(clips=60, music21_share=0):
        row = melodic._row(clip, clip.tonic, clip.mode, "train", "FluidR3_GM", 2, 0)
        assert pace(row["text"]) == pace_word(row["tempo"]), row["text"]
    assert [paced_tempo_bpm((60, 150), word) for word in PACES] == [68, 88, 112, 138, 150]
    assert paced_tempo_bpm((60, 100), "fast") == 100 and paced_tempo_bpm((118, 130), "slow") == 118  # the nearest end
    assert paced_tempo_bpm((60, 100)) == 80 and style_tempo_bpm("rock", "fast") == 150
    assert take_tempo_bpm("a slow hip hop beat") == style_tempo_bpm("hip hop", "slow") < style_tempo_bpm("hip hop")
    assert pace("a soft piano note") is None and pace("a laid-back organ groove") is None  # a mood word, not a tempo's
    with pytest.raises(ValueError, match="No tempo word 'brisk'; expected one of slow, relaxed"):
        paced_tempo_bpm((60, 100), "brisk")


def test_a_drum_loop_of_no_style_is_played_at_the_middle_of_every_loops_tempo():
    from latentaudio.data.drum_patterns import TEMPO_RANGE
    from latentaudio.prompts import take_tempo_bpm

    for prompt in ("a drum loop", "a beat", "percussion groove", "breakbeat loop, dusty", "some drums, looped",
                   "a hi-hat loop", "kick loop"):
        assert take_tempo_bpm(prompt) == sum(TEMPO_RANGE) / 2 == 120, prompt
        assert take_length_in_s(prompt, 10.24) == 10.0 and template_caption(prompt, "gm_music", 10.0) == f"{prompt}, 120 bpm, 10.00 s"
    assert take_tempo_bpm("a slow drum loop") == 68 and take_tempo_bpm("a fast drum loop") == 165
    for text in ("acoustic drums, looped", "an acoustic drum kit groove"):  # drums, not the "acoustic" guitar
        assert (parse_prompt(text).family, parse_prompt(text).program, take_tempo_bpm(text)) == ("Drums", None, 120), text
    # a drum hit is a one-shot, not the "hit" sound effect
    from latentaudio.prompts import effect_class

    for text in ("a drum hit", "a rock drum hit", "punchy drum hit, 1 s"):
        assert effect_class(text) is None and not asks_for_material(text), text
    assert effect_class("a hip hop groove") is None and take_tempo_bpm("a hip hop groove") == 90  # no jump ("hop")


@pytest.mark.parametrize("text, bpm, expected", [
    ("a house drum loop, 3 s", 124, "a house drum loop, 124 bpm, 3 s"),  # before a length that ends it
    ("uplifting accordion chords (E maj, 7.74 s)", 100, "uplifting accordion chords (E maj, 100 bpm, 7.74 s)"),
    ("7.36 sec trap drum groove", 145, "7.36 sec trap drum groove, 145 bpm"),  # after the rest
    ("a funky groove,", 90.2, "a funky groove, 90 bpm"), ("a 128 bpm house loop, 3 s", 64, "a 128 bpm house loop, 3 s"),
])
def test_with_tempo_states_the_tempo_before_a_length_that_ends_the_prompt(text, bpm, expected):
    from latentaudio.prompts import with_tempo

    assert with_tempo(text, bpm) == expected
    assert parse_prompt(expected).seconds == parse_prompt(text).seconds


def test_every_request_in_users_words_is_read_as_the_loop_phrase_or_effect_it_names():
    """The request set: what the pipeline fills in for a loop, a phrase or an effect that states no tempo, key or
    length, row by row (the prompts ``style_tempo.py``, ``phrase_tempo.py`` and ``effect_lengths.py`` measure)."""
    from latentaudio.cli.generate import model_for
    from latentaudio.data.drum_patterns import TEMPO_RANGE
    from latentaudio.data.vocabulary import EFFECT_NAMES
    from latentaudio.evaluation.music import load_requests
    from latentaudio.prompts import (drum_style, effect_class, effect_length_in_s, melodic_kind, melodic_tempo_bpm,
                                     names_known_material, pace, paced_tempo_bpm, style_tempo_bpm, take_tempo_bpm)

    rows = load_requests()
    assert [len(load_requests(c, nicknames=False)) for c in ("drum loop", "melodic", "sound effect")] == [56, 30, 56]
    assert [len(load_requests(c, nicknames=True)) for c in ("drum loop", "melodic", "sound effect")] == [16, 0, 28]
    assert len(rows) == 186
    for row in rows:
        text, category = row["text"], row["category"]
        stated = parse_prompt(text)
        assert (stated.tempo_bpm, stated.key, stated.seconds) == (None, None, None), text  # states none of them
        assert asks_for_material(text) and model_for(text, None) == "music", text
        assert names_known_material(text) == (not row.get("unknown_style")), text  # "a dembow loop" names none
        assert (drum_style(text), melodic_kind(text), effect_class(text)) == (
            row.get("style"), row.get("kind"), row.get("sfx_class")), text
        if category == "sound effect":
            seconds = effect_length_in_s(row["sfx_class"])
            assert take_tempo_bpm(text) is None and take_length_in_s(text, 10.24) == seconds, text
            read = template_caption(text, "gm_music", seconds)
            assert effect_class(read) == row["sfx_class"] and parse_prompt(read).seconds == seconds, text  # reads back
            assert read == f"{row.get('read_as', text)}, {seconds:.2f} s"
            if row.get("named_by") == "nickname":  # named by a nickname: read as the captions name its class
                assert f"{EFFECT_NAMES[row['sfx_class']][0]} sound effect" in read, read
            continue
        if category == "drum loop":
            bpm = style_tempo_bpm(row["style"], pace(text)) if row["style"] else paced_tempo_bpm(TEMPO_RANGE, pace(text))
        else:
            bpm = melodic_tempo_bpm(row["kind"], pace(text))
        assert take_tempo_bpm(text) == bpm, text
        assert_whole_bars_stated(text, bpm, stated.beats_per_bar or 4, row.get("bars"), row.get("read_as"))


def test_an_effect_or_a_style_named_by_a_nickname_is_read_as_the_captions_name_it():
    from latentaudio.data.vocabulary import EFFECT_NAMES, EFFECT_NICKNAMES
    from latentaudio.prompts import effect_class, effect_length_in_s

    captioned = {name.lower() for names in EFFECT_NAMES.values() for name in names}
    for effect, nicknames in EFFECT_NICKNAMES.items():
        assert not captioned & set(nicknames), effect  # the captions of a seed never change
        for nick in nicknames:
            prompt = f"{nick}, please"
            seconds = take_length_in_s(prompt, 10.24)
            assert effect_class(prompt) == effect and seconds == effect_length_in_s(effect), prompt
            read = template_caption(prompt, "gm_music", seconds)
            assert read == f"{EFFECT_NAMES[effect][0]} sound effect, please, {seconds:.2f} s", prompt
            assert effect_class(read) == effect  # and the words read name the same class
    # the article agrees with the name put in; what follows the nickname ("sound", "sfx") is not said twice
    assert template_caption("a bomb going off", "gm_music", 2.0) == "an explosion sound effect going off, 2.00 s"
    assert template_caption("An edm drum loop", "gm_music", 9.677419) == "A house drum loop, 124 bpm, 9.68 s"
    assert template_caption("a level up sfx", "gm_music", 1.0) == "a power-up sound effect, 1.00 s"
    # a prompt that also names its class or style as the captions do is read as it is
    assert template_caption("pew pew laser shot", "gm_music", 0.38) == "pew pew laser shot, 0.38 s"
    assert template_caption("a blues shuffle", "gm_music", 8.347826) == "a blues shuffle, 115 bpm, 8.35 s"
    # a phrase keeps its words: "lofi" is hip hop's tempo, not a drum word for the text encoder
    assert template_caption("a lofi piano loop", "gm_music", 8.0) == "a lofi piano loop, 90 bpm, 8.00 s"
    # a one-shot is not an effect because of a nickname ("knock" beside a drum, a GM program beside "storm")
    assert effect_class("a tight snare knock") is None and effect_class("storm piano, C4") is None


def test_a_fill_or_a_roll_is_one_bar_and_a_loop_of_nothing_named_is_whole_bars_of_120_bpm():
    from latentaudio.prompts import drum_style, take_tempo_bpm

    for prompt, seconds in (("a drum fill", 2.0), ("a snare fill", 2.0), ("a 2-bar drum fill", 4.0), ("a rock fill", 2.0),
                            ("a slow drum fill", 60 * 4 / 68), ("a dembow loop", 10.0), ("an afrobeat groove", 10.0),
                            ("a snare roll", 2.0), ("a trap hi-hat roll", 60 * 4 / 145), ("a rock and roll drum loop", 10.0)):
        assert asks_for_material(prompt) and take_length_in_s(prompt, 10.24) == pytest.approx(seconds, abs=1e-5), prompt
    assert take_tempo_bpm("a rock fill") == 120 and take_tempo_bpm("a slow drum fill") == 68
    for one_shot in ("high tom fill hit", "a single snare fill note", "a timpani roll"):  # one sound: a one-shot
        assert not asks_for_material(one_shot), one_shot
    assert drum_style("a jungle break") == "drum and bass" and asks_for_material("a drum break")
    assert not asks_for_material("a glass break")  # a break of no drums is no loop


def test_a_sound_effect_without_a_length_is_as_long_as_its_class_was_trained():
    from latentaudio.data.sfx import plan_sound_effects
    from latentaudio.data.vocabulary import EFFECT_NAMES, EFFECT_SECONDS
    from latentaudio.prompts import effect_class, effect_length_in_s

    assert set(EFFECT_SECONDS) == set(EFFECT_NAMES)
    for effect, names in EFFECT_NAMES.items():
        low, high = EFFECT_SECONDS[effect]
        assert low < effect_length_in_s(effect) < high, effect
        for name in names:  # every name of the class, as a user might write it
            for prompt in (f"a {name}", f"{name.upper()}, loud", f"the {name} from an old game"):
                assert effect_class(prompt) == effect, prompt
                assert take_length_in_s(prompt, 10.24) == effect_length_in_s(effect), prompt
    # the builder renders every class inside its range: the lengths the prompt's take is chosen from are the data's
    for planned in plan_sound_effects(clips=700, seed=3):
        low, high = EFFECT_SECONDS[planned.name]
        assert low <= planned.seconds <= high, (planned.name, planned.seconds)
    assert take_length_in_s("a laser zap", 10.24) == 0.38 and take_length_in_s("police siren", 10.24) == 4.0
    assert take_length_in_s("heavy rain", 5.12) == 5.12  # at most the longest clip the model learnt
    assert take_length_in_s("light rain, 3 s", 10.24) == 3.0 and take_length_in_s("a 120 bpm alarm", 10.24) == 10.0
    assert take_length_in_s("a laser zap", None) is None  # a model without a longest clip: its own clip
    for not_an_effect in ("a tight snare hit", "sci-fi synth fx, C4", "click organ", "a 124 bpm house drum loop"):
        assert effect_class(not_an_effect) is None, not_an_effect
    with pytest.raises(ValueError, match="No sound-effect class 'thunder'; expected one of laser, coin"):
        effect_length_in_s("thunder")


def test_the_drum_loop_captions_bars_and_metre_read_back():
    from latentaudio.data import drumloops
    from latentaudio.data.drum_patterns import STYLES

    read = 0
    for loop in drumloops.plan_drum_loops(clips=120):
        for caption in drumloops._row(loop, "train", "FluidR3_GM", 8, 0)["captions"]:
            parsed = parse_prompt(caption)
            assert parsed.beats_per_bar == (None if STYLES[loop.style].beats_per_bar == 4 else 3), caption
            if "bar" in caption:
                assert parsed.bars == loop.bars, caption
                read += 1
    assert read > 100

def test_music_captions_state_tempo_key_and_length_precisely():
    from latentaudio.data.captions import duration_spellings, key_spellings, tempo_spellings

    for tonic in range(12):
        for mode in ("major", "minor", "dorian", "mixolydian", "lydian", "phrygian"):
            for key in key_spellings(tonic, mode):
                parsed = parse_prompt(f"a slow cello melody in {key}, 70 bpm")
                name, read_mode = parsed.key.split()
                assert (midi_from_name(name[0], name[1:], -1) % 12, read_mode) == (tonic, mode), key
                assert parsed.note is None and parsed.tempo_bpm == 70.0, key
    for bpm in (60, 88, 124, 180):
        for spelling in tempo_spellings(bpm):
            assert parse_prompt(f"a drum loop, {spelling}, 4.00 s").tempo_bpm == bpm, spelling
    for seconds in (0.05, 1.5, 7.74, 10.24):
        for spelling in duration_spellings(seconds):
            assert parse_prompt(f"rain, {spelling}").seconds == round(seconds, 2), spelling


@pytest.mark.parametrize("text, expected", [
    ("a soft acoustic grand piano note, A0", "a soft acoustic grand piano note"),
    ("piano one-shot, 28 Hz, crisp", "piano one-shot, crisp"),
    ("acoustic piano sample: 28 Hz, soft, one-shot", "acoustic piano sample: soft, one-shot"),
    ("quiet grand playing MIDI 21", "quiet grand playing"),
    ("F sharp 3 cello", "cello"),
    ("C4, piano", "piano"),
    ("piano C4, soft", "piano, soft"),
    ("sax, jazzy, middle C", "sax, jazzy"),
    ("a loud snare drum hit", "a loud snare drum hit"),  # no note: as it is
    ("a C major piano chord", "a C major piano chord"),  # a key is not a note
])
def test_without_note_takes_out_the_words_of_the_note_and_their_separator(text, expected):
    assert without_note(text) == expected
    assert parse_prompt(without_note(text)).note is None


def test_the_note_span_is_where_the_note_stands():
    text = "bright piano, F sharp 3, soft"
    start, end = parse_prompt(text).note_span
    assert text[start:end] == "F sharp 3" == parse_prompt(text).note_text


@pytest.mark.parametrize("text, expected", [
    ("a soft acoustic grand piano note, A0", "a soft note, A0"),
    ("a loud acoustic kick drum hit, TR-808 kit", "a loud hit, TR-808 kit"),  # the kit stays
    ("tight 808 snare", "tight 808"),
    ("fiddle, G4, bright", "G4, bright"),
    ("a brass note", "a note"),  # a family word alone is the name it reads
    ("a violin note, strings", "a note, strings"),  # only the name it chose
    ("a soft note, C4", "a soft note, C4"),  # no instrument: as it is
])
def test_without_instrument_takes_out_the_name_it_reads(text, expected):
    assert without_instrument(text) == expected
    found = parse_prompt(text)
    assert text[slice(*found.instrument_span)] if found.family else found.instrument_span is None
    assert parse_prompt(without_instrument(text)).note == found.note


@pytest.mark.parametrize("text, expected", [
    ("kick, deep and boomy", "a moderately loud kick drum hit"),
    ("rhodes key, Eb3, mellow", "a moderately loud electric piano note, D#3"),
    ("airy flute G5, soft", "a soft flute note, G5, pipe"),
    ("808 snare, velocity 120", "a loud snare drum hit, TR-808 kit"),
    ("crowd clapping", "a moderately loud applause sound effect"),
    ("a soft violin", "a soft violin note, strings"),  # no note stated: the template without its note
    ("a dark evolving texture", "a dark evolving texture"),  # no program or drum: as written
    ("", ""),
])
def test_template_caption_writes_what_a_prompt_asks_for_as_the_training_captions(text, expected):
    assert template_caption(text) == expected


def test_every_training_caption_is_its_own_template_caption():
    for program, spec in enumerate(gm.PROGRAMS):
        for pitch in (spec.low, (spec.low + spec.high) // 2, spec.high):
            for velocity in (24, 40, 80, 112):
                caption = gm.program_caption(program, pitch, velocity)
                assert template_caption(caption) == caption
                noteless = gm.program_caption(program, None, velocity)
                assert noteless == without_note(caption) and template_caption(noteless) == noteless
    for key in gm.DRUM_KEYS:
        for kit in gm.DRUM_KITS.values():
            caption = gm.drum_caption(key, 112, kit)
            assert template_caption(caption) == caption


@pytest.mark.parametrize("path", [PARAPHRASES_PATH, BLIND_PARAPHRASES_PATH])
def test_the_rewrite_keeps_the_note_and_instrument_the_structured_features_read(path):
    """...but for a prompt that names only a family, which is read as the family's likely program and gains it."""
    from latentaudio.prompts import family_program

    texts = load_paraphrases(path).texts
    rewritten = [template_caption(text) for text in texts]
    assert sum(new != old for new, old in zip(rewritten, texts)) > 0.8 * len(texts)
    found = [parse_prompt(text) for text in texts]
    family_only = [i for i, f in enumerate(found) if f.program is None and f.drum_key is None and f.family is not None]
    assert family_only and all(family_program(found[i].family) is not None for i in family_only)
    others = [i for i in range(len(texts)) if i not in family_only]
    before, after = prompt_features(texts, FEATURE_WIDTHS[1]), prompt_features(rewritten, FEATURE_WIDTHS[1])
    assert np.array_equal(before[others], after[others])
    for i in family_only:
        read = parse_prompt(rewritten[i])
        assert (read.family, read.program, read.note) == (found[i].family, family_program(found[i].family), found[i].note)


@pytest.mark.parametrize("text", [
    "a 124 bpm house drum loop, electronic kit",  # a tempo
    "a slow melancholic cello melody in D minor",  # a key
    "hip hop beats, 808 kit",
    "a funky slap bass riff",
    "an acoustic guitar arpeggio",
    "a sci-fi laser sound effect, 0.4 s",
    "descending sci-fi laser sfx",
])
def test_a_prompt_for_a_loop_a_phrase_or_an_effect_is_read_as_written(text):
    found = parse_prompt(text)
    assert found.program is not None or found.drum_key is not None  # a one-shot caption would have a name for it
    assert template_caption(text) == text


@pytest.mark.parametrize("path", [PARAPHRASES_PATH, BLIND_PARAPHRASES_PATH])
def test_no_one_shot_paraphrase_asks_for_a_loop_a_phrase_or_an_effect(path):
    """`latentaudio generate` gives prompts that ask for material to the music model: a one-shot in users'
    wording stays with the one-shot model."""
    from latentaudio.prompts import names_known_material

    texts = load_paraphrases(path).texts
    assert not any(asks_for_material(text) or names_known_material(text) for text in texts)


def test_asks_for_material_is_true_exactly_where_the_template_leaves_a_named_sound_as_written():
    for text in ("a 124 bpm house drum loop, electronic kit", "a slow melancholic cello melody in D minor",
                 "descending sci-fi laser sfx", "light rain, 6.6 s", "an acoustic guitar arpeggio",
                 "a two-note 8-bit coin, 0.66 sec"):
        assert asks_for_material(text) and template_caption(text) == text
    assert parse_prompt("a two-note 8-bit coin").note is None and parse_prompt("piano note 60").note == 60
    for text in ("a tight snare hit", "grand piano, middle C", "sci-fi synth fx, C4", "soft fender rhodes chord tone, middle C",
                 "a dark evolving texture"):
        assert not asks_for_material(text)


def test_the_music_builders_captions_are_read_as_written_and_the_one_shot_words_they_share_are_not():
    from latentaudio.data import drumloops, melodic, sfx
    from latentaudio.data.captions import sfx_captions
    from latentaudio.data.sfx_synth import SFX_CLASSES

    loops = drumloops.plan_drum_loops(clips=120)
    phrases = melodic.plan_melodic(clips=120, music21_share=0)
    captions = [c for loop in loops for c in drumloops._row(loop, "train", "FluidR3_GM", 8, 0)["captions"]]
    captions += [c for clip in phrases for c in melodic._row(clip, clip.tonic, clip.mode, "train", "FluidR3_GM", 8, 0)["captions"]]
    effects = sfx.plan_sound_effects(clips=140)
    captions += [c for e in effects for c in sfx_captions(e.caption, SFX_CLASSES[e.name].names, e.words, e.seconds, 8, ("sfx", 0, e.index))]
    assert len(captions) == 8 * 380 and all(template_caption(c) == c for c in captions)
    assert all(asks_for_material(c) for c in captions)
    assert template_caption("light rain, 6.6 s") == "light rain, 6.6 s"  # an effect, not the GM "rain" synth effect
    assert template_caption("sci-fi synth fx, C4") == "a moderately loud sci-fi synth effect note, C4"  # that one, at a note
    assert template_caption("a tight snare hit") == "a moderately loud snare drum hit"  # a drum, not the "hit" effect
    assert template_caption("click organ, C4").endswith("percussive organ note, C4")
    # "chord", "bass line" and "melodic" also name one-shots: those are still rewritten
    assert template_caption("soft fender rhodes chord tone, middle C") == "a soft electric piano note, C4"
    assert template_caption("303 bass line note, G2").endswith("note, G2")
    assert template_caption("melodic toms, retro") != "melodic toms, retro"


def test_an_unknown_prompt_template_is_refused_by_name():
    with pytest.raises(ValueError, match=r"prompt_template='gm' is not a known template; expected one of \['gm_one_shot', 'gm_music'\]"):
        template_caption("kick", "gm")


def test_the_music_template_states_the_takes_length_for_material_that_states_none():
    assert template_caption("a 124 bpm house drum loop", "gm_music", 9.677419) == "a 124 bpm house drum loop, 9.68 s"
    assert template_caption("a cello melody in D minor,", "gm_music", 10.24) == "a cello melody in D minor, 105 bpm, 10.24 s"
    assert parse_prompt(template_caption("a sci-fi laser zap", "gm_music", 0.5)).seconds == 0.5  # the columns read it too
    # a stated length stays the prompt's; without a take length nothing is added; one-shots are rewritten as gm_one_shot
    assert template_caption("light rain, 3 s", "gm_music", 9.68) == "light rain, 3 s"
    assert template_caption("a 124 bpm house drum loop", "gm_music") == "a 124 bpm house drum loop"
    for text in ("kick, deep and boomy", "airy flute G5, soft, 1.5 s", "a dark evolving texture"):
        assert template_caption(text, "gm_music", 2.56) == template_caption(text, "gm_one_shot", 2.56) == template_caption(text), text
    # what the music builders write is read as written: each states its length already
    from latentaudio.data import drumloops

    for loop in drumloops.plan_drum_loops(clips=24):
        for caption in drumloops._row(loop, "train", "FluidR3_GM", 4, 0)["captions"]:
            assert template_caption(caption, "gm_music", 3.0) == caption


@pytest.mark.parametrize("text, expected", [
    ("light rain, 6.60 s", "light rain"), ("a coin sfx, bright, 0.30 s long", "a coin sfx, bright"),
    ("uplifting accordion chords (E maj, 93 bpm, 7.74 s)", "uplifting accordion chords (E maj, 93 bpm)"),
    ("7.36 sec trap drum groove, 163 BPM", "trap drum groove, 163 BPM"), ("half a second clap, tight", "clap, tight"),
    ("synth brass, 80s", "synth brass, 80s"),  # a decade, not a length
])
def test_without_length_takes_out_the_words_of_the_length_and_their_separator(text, expected):
    assert without_length(text) == expected and parse_prompt(expected).seconds is None


def test_every_music_caption_without_its_length_states_none_and_keeps_the_rest():
    from latentaudio.data import drumloops, melodic

    rows = [drumloops._row(loop, "train", "FluidR3_GM", 8, 0) for loop in drumloops.plan_drum_loops(clips=60)]
    rows += [melodic._row(clip, clip.tonic, clip.mode, "train", "FluidR3_GM", 8, 0) for clip in melodic.plan_melodic(clips=60, music21_share=0)]
    for row in rows:
        for caption in row["captions"]:
            bare, parsed = without_length(caption), parse_prompt(caption)
            assert parsed.seconds == round(row["seconds"], 2) and parse_prompt(bare).seconds is None, caption
            assert (parse_prompt(bare).tempo_bpm, parse_prompt(bare).key) == (parsed.tempo_bpm, parsed.key), caption
            assert "  " not in bare and not bare.endswith((",", " ")) and ", )" not in bare, caption


def test_with_tempo_states_a_tempo_where_the_prompt_states_none():
    from latentaudio.prompts import with_tempo

    assert with_tempo(None, 123.6) == with_tempo("", 123.6) == with_tempo("  ", 123.6) == "124 bpm"
    assert with_tempo("a funky groove", 90.2) == with_tempo("a funky groove, ", 90.2) == "a funky groove, 90 bpm"
    assert with_tempo("a house loop at 128 bpm", 64.0) == "a house loop at 128 bpm"
    assert parse_prompt(with_tempo("dusty hip hop drums", 87.4)).tempo_bpm == 87


def test_the_module_examples_run_as_written():
    import doctest

    import latentaudio.prompts

    results = doctest.testmod(latentaudio.prompts)
    assert results.attempted >= 3 and results.failed == 0


@pytest.mark.parametrize("text, expected", [
    ("guitar, soft, E3", "a soft steel-string acoustic guitar note, E3"),
    ("bass, low E", "a moderately loud fingered electric bass note, E1"),  # the program's range places the octave
    ("a synth, C4", "a moderately loud sawtooth synth lead note, C4"),
    ("keys, middle C", "a moderately loud acoustic grand piano note, C4"),
    ("foley", "foley"), ("drums", "drums"),  # no program is what these family words mean
    # instruments General MIDI lacks: the program nearest them
    ("a ukulele, C5", "a moderately loud nylon-string acoustic guitar note, C5"),
    ("a wurli, E3", "a moderately loud electric piano note, E3"),
    ("vocal chop, A3", "a moderately loud voice oohs note, A3, ensemble"),
    ("a cymbal", "a moderately loud crash cymbal hit"),
    ("vocal lead", "a moderately loud voice synth lead note"),  # a GM nickname wins over a nearest program
])
def test_a_family_alone_or_an_instrument_gm_lacks_is_read_as_the_program_it_most_likely_means(text, expected):
    from latentaudio.prompts import family_program

    assert template_caption(text) == expected
    found, read = parse_prompt(text), parse_prompt(expected)
    if expected != text:
        program = found.program if found.program is not None else family_program(found.family)
        assert (read.family, read.program, read.drum_key, read.note) == (found.family, program, found.drum_key, found.note)


def test_the_nearest_programs_are_read_by_the_prompt_reader_only():
    """Captions of the builders never call a program by an instrument it is not; GM names and nicknames win."""
    from latentaudio.data.vocabulary import NEAREST_PROGRAMS, PROGRAM_NICKNAMES

    nicknames = {name for names in PROGRAM_NICKNAMES.values() for name in names}
    for program, names in NEAREST_PROGRAMS.items():
        assert not nicknames & set(names)
        for name in names:
            assert parse_prompt(f"a {name}, C4").program == program, name
