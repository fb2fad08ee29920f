"""Fuzzing the prompt reader: any text is read without an exception, and what it fills in for a loop, a phrase or an
effect that states no tempo or length is what the words the model then reads state. Prompts are drawn from the
reader's own vocabulary (styles, kinds of phrase, tempo words, effects, instruments, notes, keys, lengths), mixed with
arbitrary text."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from latentaudio.data import vocabulary
from latentaudio.data.drum_patterns import STYLES
from latentaudio.data.melodic_material import KINDS, PACES
from latentaudio.prompts import (asks_for_material, drum_style, effect_class, melodic_kind, pace, parse_prompt,
                                 take_length_in_s, take_tempo_bpm, template_caption)

from .conftest import examples

WORDS = sorted({
    *STYLES, *(n for names in vocabulary.STYLE_NICKNAMES.values() for n in names),
    *KINDS, *(n for names in vocabulary.KIND_NICKNAMES.values() for n in names),
    *PACES, *(n for names in vocabulary.PACE_NICKNAMES.values() for n in names),
    *(n for names in vocabulary.EFFECT_NAMES.values() for n in names),
    "piano", "cello", "rhodes", "808", "kick", "snare", "hi-hat", "drums", "drum", "beat", "loop", "groove", "pattern",
    "C4", "F#3", "Bb2", "middle C", "440 Hz", "low E", "in A minor", "C major", "F#m", "120 bpm", "tempo 70", "0 bpm",
    "3 s", "0.5 sec", "2-bar", "four bars", "3/4", "soft", "loud", "note", "hit", "sad", "bright", "a", "the", "with",
})
PROMPTS = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), min_size=1, max_size=6).flatmap(
    lambda words: st.sampled_from([" ".join(words), ", ".join(words), "".join(words)]))
LONGEST = 10.24


@settings(max_examples=examples(200))
@given(PROMPTS)
def test_any_prompt_is_read_and_what_is_filled_in_is_what_the_model_reads(text):
    stated = parse_prompt(text)
    material = asks_for_material(text)
    for reader in (drum_style, melodic_kind, effect_class, pace):
        reader(text)
    tempo, seconds = take_tempo_bpm(text), take_length_in_s(text, LONGEST)
    if tempo is not None:
        assert material and math.isfinite(tempo) and tempo >= 0, (text, tempo)
    if stated.tempo_bpm is None and tempo is not None:  # filled in: a builder's tempo, whole bars within the clip
        assert 60 <= tempo <= 180, (text, tempo)
        if stated.seconds is None and stated.bars is None:
            assert 0 < seconds <= LONGEST, (text, seconds)
    if not material:
        assert seconds == stated.seconds and tempo is None, (text, seconds, tempo)
        return
    read = parse_prompt(template_caption(text, "gm_music", seconds))
    if stated.tempo_bpm is None and tempo is not None:
        assert read.tempo_bpm == round(tempo), (text, read)
    if stated.seconds is None and seconds is not None:
        assert read.seconds == round(seconds, 2), (text, read)
