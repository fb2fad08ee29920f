"""Training captions in the many ways people ask for a sound, drawn deterministically per clip.

The original template ("a loud violin note, G5, strings", :func:`gm.program_caption`) teaches a
model one sentence shape. :func:`program_captions` and :func:`drum_captions` instead combine
many sentence shapes (:data:`PROGRAM_TEMPLATES`, :data:`DRUM_TEMPLATES`) with the names and
nicknames of :mod:`latentaudio.data.vocabulary`, dynamics synonyms, descriptive words and the
note in any of its spellings (:func:`note_spellings`: sharps or flats, ASCII or ♯/♭, "middle C",
a MIDI number, a frequency). The clip's own template caption is always the first caption, so
a dataset's ``text`` column keeps its meaning.

Every caption states what the clip is: its instrument (or a word for its family), its note for
pitched families, and its dynamics when it names them. ``latentaudio.prompts.parse_prompt`` reads
the note and instrument of every caption back (tests/data/test_captions.py).

Draws come from ``random.Random`` seeded with ``(seed, clip key)``, so a clip's captions depend
on nothing but the seed and the clip.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Optional, Sequence

from . import gm, vocabulary
from .vocabulary import NUMBER_WORDS

SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# Dynamics words by the builder's velocity buckets (gm.dynamics_word).
DYNAMICS_WORDS = {
    "very soft": ("very soft", "very quiet", "pianissimo", "pp", "barely audible"),
    "soft": ("soft", "quiet", "gentle", "soft", "delicate"),
    "moderately loud": ("moderately loud", "medium", "mf", "moderate", "mezzo-forte"),
    "loud": ("loud", "hard", "forte", "strong", "loud"),
}
# {a} article (may be empty), {dyn} dynamics, {name} instrument, {noun} note/hit, {note}, {adj} descriptive word.
PROGRAM_TEMPLATES = (
    "{a}{dyn} {name} {noun}, {note}",
    "{name}, {note}, {dyn}",
    "{adj} {name} {note}",
    "{note} on {a}{name}",
    "{dyn} {name} playing {note}",
    "{a}{adj} {dyn} {name} {noun} at {note}",
    "{name} one-shot, {note}, {adj}",
    "single {name} {noun} ({note})",
    "{dyn} {note} {name}",
    "{a}{name} sample: {note}, {dyn}, {adj}",
    "{adj} and {dyn} {name}, note {note}",
    "play {note} on {a}{name}",
    "{note}, {name}, {adj}",
)
UNPITCHED_TEMPLATES = (
    "{a}{dyn} {name} {noun}",
    "{name}, {dyn}",
    "{adj} {name}",
    "{a}{adj} {name} sound",
    "{name} sample, {adj}",
    "{dyn} {name}",
)
DRUM_TEMPLATES = (
    "{a}{dyn} {name} hit",
    "{adj} {name}",
    "{dyn} {name} one-shot",
    "{a}{adj} {name} hit, {dyn}",
    "{name} sample, {adj}",
    "{a}{name} from {a}{kit} kit",
    "{kit} {name}, {dyn}",
    "single {adj} {name}",
    "{name} ({kit} kit), {adj}",
)


def note_spellings(pitch: int) -> list[str]:
    """The ways a caption may write MIDI ``pitch``: C#4, Db4, C♯4, D♭4, c#4, C sharp 4, MIDI 61, 277 Hz, ..."""
    octave = pitch // 12 - 1
    sharp, flat = SHARP_NAMES[pitch % 12], FLAT_NAMES[pitch % 12]
    spellings = [f"{sharp}{octave}", f"{sharp.lower()}{octave}", f"MIDI {pitch}", f"MIDI note {pitch}",
                 f"{440 * 2 ** ((pitch - 69) / 12):.0f} Hz"]
    if sharp != flat:
        spellings += [f"{flat}{octave}", f"{sharp.replace('#', '♯')}{octave}", f"{flat.replace('b', '♭')}{octave}",
                      f"{sharp[0]} sharp {octave}", f"{flat[0]}-flat {octave}"]
    if pitch == 60:
        spellings += ["middle C", "middle C (C4)"]
    return spellings


def program_names(program: int) -> list[str]:
    """The GM name of ``program`` and its nicknames."""
    return [gm.PROGRAMS[program].name, *vocabulary.PROGRAM_NICKNAMES.get(program, ())]


def program_captions(program: int, pitch: int, velocity: int, count: int, seed: int = 0) -> list[str]:
    """``count`` distinct captions of one melodic note; the first is :func:`gm.program_caption`'s."""
    rng = _rng(seed, "program", program, pitch, velocity)
    family = gm.family_of(program)
    pitched = bool(family.noun)
    templates = PROGRAM_TEMPLATES if pitched else UNPITCHED_TEMPLATES
    names, notes = program_names(program), note_spellings(pitch)
    adjectives = vocabulary.DESCRIPTORS["*"] + vocabulary.DESCRIPTORS.get(family.name, ())
    noun = family.noun or "sound"

    def draw() -> str:
        return _fill(rng, rng.choice(templates), name=rng.choice(names), noun=noun, note=rng.choice(notes),
                     dyn=rng.choice(DYNAMICS_WORDS[gm.dynamics_word(velocity)]), adj=rng.choice(adjectives))

    return _distinct(gm.program_caption(program, pitch, velocity), draw, count)


def drum_captions(key: int, velocity: int, kit: str, count: int, seed: int = 0) -> list[str]:
    """``count`` distinct captions of one drum hit; the first is :func:`gm.drum_caption`'s."""
    rng = _rng(seed, "drum", key, velocity, kit)
    names = [gm.DRUM_KEYS[key], *vocabulary.DRUM_NICKNAMES.get(key, ())]
    kits = [kit, *vocabulary.KIT_NICKNAMES.get(kit, ())]
    adjectives = vocabulary.DESCRIPTORS["*"] + vocabulary.DESCRIPTORS[gm.DRUMS_FAMILY]

    def draw() -> str:
        template = rng.choice(DRUM_TEMPLATES if kit != "standard" else [t for t in DRUM_TEMPLATES if "{kit}" not in t])
        return _fill(rng, template, name=rng.choice(names), kit=rng.choice(kits),
                     dyn=rng.choice(DYNAMICS_WORDS[gm.dynamics_word(velocity)]), adj=rng.choice(adjectives))

    return _distinct(gm.drum_caption(key, velocity, kit), draw, count)


def _fill(rng: random.Random, template: str, **slots) -> str:
    """Fill ``template``; ``{a}`` becomes "a"/"an" (agreeing with the next word) or nothing."""
    text = template.format(a="\0" if rng.random() < 0.6 else "", **slots)
    while "\0" in text:
        before, after = text.split("\0", 1)
        text = before + ("an " if _AN.match(after) else "a ") + after
    text = " ".join(text.split()).replace(" ,", ",")
    return _REPEATED_WORD.sub(r"\1", text)  # "electronic kit kit", "a soft soft pad" (a nickname meets its slot)


_REPEATED_WORD = re.compile(r"\b(\w+)(?: \1\b)+", re.I)
_AN = re.compile(r"[aeiou]|8|1[18](?![\d.])", re.I)  # "an 80 bpm loop", "an oboe"


def with_article(text: str) -> str:
    """'an airy whoosh', 'a 124 bpm loop', 'an 80 bpm loop'."""
    return f"{'an' if _AN.match(text) else 'a'} {text}"


def _distinct(first: str, draw, count: int, attempts: int = 50) -> list[str]:
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}.")
    captions = [first]
    for _ in range(attempts * count):
        if len(captions) == count:
            break
        caption = draw()
        if caption not in captions:
            captions.append(caption)
    return captions


def _rng(seed: int, *key) -> random.Random:
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "little"))


def captions_for_row(row: dict, count: int, seed: int = 0) -> Optional[list[str]]:
    """Captions of a metadata row written by the SoundFont builder; `None` for other rows."""
    if row.get("kit") is not None:
        return drum_captions(row["pitch"], row["velocity"], row["kit"], count, seed)
    if row.get("program") is not None and row.get("bank", 0) == 0:
        return program_captions(row["program"], row["pitch"], row["velocity"], count, seed)
    return None


# ---- loops, phrases and sound effects: every caption states the tempo, key and length it was made with ----

# {a} article, {bpm} tempo, {dur} length, {style}, {kit}, {bars}, {extras} (fill, ghost notes, feel).
DRUM_LOOP_TEMPLATES = (
    "{a}{bpm} {style} drum loop, {kit}, {dur}",
    "{style} beat at {bpm}, {bars} pattern, {kit}, {dur}",
    "{dur} {style} drum groove, {bpm}, {extras}",
    "{kit} {style} drums, {bpm}, {bars} loop, {dur}",
    "{a}{style} drum pattern at {bpm}, {extras} ({dur})",
    "{bars} {style} drum loop, {bpm}, {kit}, {extras}, {dur}",
    "drums: {style}, {bpm}, {dur}, {extras}",
    "{style} drum loop, {bpm}, {dur}, {kit}",
)
# {mood} mood word, {pace} tempo word, {name} instrument, {kind} material, {key}, {bpm}, {dur}.
MELODIC_TEMPLATES = (
    "{a}{pace} {mood} {name} {kind} in {key}, {bpm}, {dur}",
    "{a}{mood} {kind} on {a}{name}, {key}, {bpm}, {dur}",
    "{name} {kind}, {key}, {bpm}, {mood}, {dur}",
    "{a}{mood} {name} {kind} in {key} at {bpm}, {dur}",
    "{a}{pace} {kind} in {key} played on {a}{name}, {bpm}, {dur}",
    "{key} {name} {kind}, {pace} and {mood}, {bpm}, {dur}",
    "{a}{mood} {name} {kind} ({key}, {bpm}, {dur})",
)
# {adj} descriptive words of the parameters, {name} the class word, {dur}.
SFX_TEMPLATES = (
    "{a}{adj} {name} sound effect, {dur}",
    "{name} sound, {adj}, {dur}",
    "{a}{adj} {name}, {dur}",
    "{dur} {name} sound effect, {adj}",
    "{a}{name} sfx, {adj}, {dur} long",
    "game sound: {adj} {name}, {dur}",
)


def tempo_spellings(bpm: int) -> list[str]:
    """The ways a caption may write a tempo; each reads back as ``bpm``."""
    return [f"{bpm} bpm", f"{bpm} BPM", f"{bpm}bpm", f"{bpm} beats per minute", f"tempo {bpm}"]


def duration_spellings(seconds: float) -> list[str]:
    """The ways a caption may write a length, to the hundredth of a second."""
    text = f"{seconds:.2f}"
    return [f"{text} s", f"{text} seconds", f"{text}-second", f"{text} sec"]


def key_spellings(tonic: int, mode: str) -> list[str]:
    """'D minor', 'Dm', 'the key of D minor', 'E♭ major', 'E-flat major' for pitch class ``tonic`` and a mode."""
    names = {SHARP_NAMES[tonic % 12], FLAT_NAMES[tonic % 12]}
    spellings = []
    for name in sorted(names):
        words = {name, name.replace("#", "♯").replace("b", "♭"),
                 name[0] + (" sharp" if "#" in name else "-flat" if "b" in name else "")}
        for word in sorted(words):
            spellings += [f"{word} {mode}", f"the key of {word} {mode}"]
            if mode in ("major", "minor") and word == name:
                spellings.append(f"{name}{'m' if mode == 'minor' else ' maj'}")
    return spellings


def bar_spellings(bars: int) -> list[str]:
    return [f"{bars}-bar", f"{NUMBER_WORDS.get(bars, bars)}-bar"]


def drum_loop_captions(first: str, style: str, bpm: int, seconds: float, kit: str, bars: int, extras: Sequence[str],
                       count: int, key: tuple) -> list[str]:
    """``count`` distinct captions of one drum loop; ``first`` is its template caption; ``key`` seeds the draws."""
    rng = _rng(*key)
    kits = [f"{kit} kit", *vocabulary.KIT_NICKNAMES.get(kit, ())]
    extras = list(extras) or ["steady"]

    def draw() -> str:
        return _fill(rng, rng.choice(DRUM_LOOP_TEMPLATES), bpm=rng.choice(tempo_spellings(bpm)),
                     dur=rng.choice(duration_spellings(seconds)), style=style, kit=rng.choice(kits),
                     bars=rng.choice(bar_spellings(bars)), extras=", ".join(rng.sample(extras, rng.randint(1, len(extras)))))

    return _distinct(first, draw, count)


def melodic_captions(first: str, program: int, kind: str, tonic: int, mode: str, bpm: int, seconds: float,
                     moods: Sequence[str], pace: str, count: int, key: tuple) -> list[str]:
    """``count`` distinct captions of one melodic clip; ``first`` is its template caption."""
    rng = _rng(*key)
    names = program_names(program)

    def draw() -> str:
        name = rng.choice(names)
        text = _fill(rng, rng.choice(MELODIC_TEMPLATES), name=name, kind=kind, mood=rng.choice(moods),
                     pace=pace, key=rng.choice(key_spellings(tonic, mode)), bpm=rng.choice(tempo_spellings(bpm)),
                     dur=rng.choice(duration_spellings(seconds)))
        return text.replace(f"{name} {kind}", instrument_and_kind(name, kind))

    return _distinct(first, draw, count)


def instrument_and_kind(name: str, kind: str) -> str:
    """'cello melody', but 'warm synth pad' (not '... pad pad') and 'slap bass line'."""
    last, (first, _, rest) = name.split()[-1], kind.partition(" ")
    return f"{name} {rest}".strip() if last == first else f"{name} {kind}"


def sfx_captions(first: str, names: Sequence[str], words: Sequence[str], seconds: float, count: int, key: tuple) -> list[str]:
    """``count`` distinct captions of one sound effect; ``first`` is its template caption."""
    rng = _rng(*key)

    def draw() -> str:
        chosen = rng.sample(list(words), rng.randint(1, min(2, len(words)))) if words else ["synthetic"]
        return _fill(rng, rng.choice(SFX_TEMPLATES), name=rng.choice(names), adj=" ".join(chosen),
                     dur=rng.choice(duration_spellings(seconds)))

    return _distinct(first, draw, count)
