"""Varied training captions: deterministic, readable back by parse_prompt, and never a paraphrase of the test set."""

import pytest

from latentaudio.data import captions, gm, vocabulary
from latentaudio.evaluation.generalisation import PARAPHRASES_PATH, load_paraphrases
from latentaudio.prompts import parse_prompt


def test_captions_are_deterministic_distinct_and_start_with_the_template():
    first = captions.program_captions(40, 67, 112, 8, seed=3)
    assert first == captions.program_captions(40, 67, 112, 8, seed=3) != captions.program_captions(40, 67, 112, 8, seed=4)
    assert first[0] == gm.program_caption(40, 67, 112) and len(set(first)) == 8
    assert captions.drum_captions(38, 40, "TR-808", 5)[0] == gm.drum_caption(38, 40, "TR-808")
    with pytest.raises(ValueError):
        captions.program_captions(0, 60, 80, 0)


def test_note_spellings_cover_the_notations():
    spellings = captions.note_spellings(61)
    assert {"C#4", "Db4", "C♯4", "D♭4", "c#4", "MIDI 61", "C sharp 4", "D-flat 4", "277 Hz"} <= set(spellings)
    assert "middle C" in captions.note_spellings(60)


@pytest.mark.parametrize("program", range(0, 128, 3))
def test_parse_prompt_reads_every_caption_back(program):
    spec, family = gm.PROGRAMS[program], gm.family_of(program)
    for pitch in range(spec.low, spec.high + 1, 4):
        for caption in captions.program_captions(program, pitch, 80, 10, seed=program):
            parsed = parse_prompt(caption)
            assert parsed.program == program or (parsed.program is None and parsed.family == family.name), caption
            if family.noun:
                assert parsed.note == pitch, caption


def test_parse_prompt_reads_every_drum_caption_back():
    for key in gm.DRUM_KEYS:
        for kit in ("standard", "TR-808", "brush"):
            for caption in captions.drum_captions(key, 112, kit, 8):
                parsed = parse_prompt(caption)
                assert vocabulary.DRUM_TYPES[parsed.drum_key] == vocabulary.DRUM_TYPES[key], caption


def test_no_caption_repeats_a_word_back_to_back():
    import re

    repeated = re.compile(r"\b(\w+) \1\b", re.I)
    made = [c for program in range(128) for pitch in (40, 60, 72) for velocity in (40, 112)
            for c in captions.program_captions(program, pitch, velocity, 8)]
    made += [c for key in gm.DRUM_KEYS for kit in ("standard", "electronic", "TR-808", "brush")
             for velocity in (40, 80, 112) for c in captions.drum_captions(key, velocity, kit, 8)]
    assert len(made) > 6000 and not [c for c in made if repeated.search(c)]


def test_paraphrases_are_labelled_consistently_and_never_a_training_caption():
    import json

    rows = [json.loads(line) for line in PARAPHRASES_PATH.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200 and len({row["text"] for row in rows}) == len(rows)
    assert {row["family"] for row in rows} == {family.name for family in gm.FAMILIES} | {gm.DRUMS_FAMILY}
    assert len(load_paraphrases()) == len(rows)
    for row in rows:
        parsed = parse_prompt(row["text"])
        assert parsed.family == row["family"], row
        if row["note"] is not None:
            assert parsed.note == row["note"], row
        if row["program"] is not None:
            assert parsed.program == row["program"] and gm.family_of(row["program"]).name == row["family"], row
        if row["drum_type"] is not None:
            assert vocabulary.DRUM_TYPES[row["drum_key"]] == row["drum_type"] == vocabulary.DRUM_TYPES[parsed.drum_key], row
        # no paraphrase is a caption the generator writes for that clip, at any velocity
        if row["program"] is not None and row["note"] is not None:
            written = {c for v in (20, 40, 80, 112) for c in captions.program_captions(row["program"], row["note"], v, 30)}
        elif row["drum_key"] is not None:
            written = {c for v in (20, 40, 80, 112) for kit in gm.DRUM_KITS.values()
                       for c in captions.drum_captions(row["drum_key"], v, kit, 30)}
        else:
            continue
        assert row["text"].lower() not in {c.lower() for c in written}, row
