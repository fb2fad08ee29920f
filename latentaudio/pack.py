"""A sample pack from a drum style: its drums as one-shots, and drum loops, a bass line, chords, a melody and effects
at one tempo and in one key, every sound several takes (``latentaudio pack``).

The drums are those the style's grooves play (:data:`~latentaudio.data.drum_patterns.STYLES`), from the kit its
players pick first; the phrases are the kinds the music builders render (:data:`~latentaudio.data.melodic_material.KINDS`),
each on the first instrument the builders give that kind, the first synth among them for a style played on an
electronic kit; the loops and phrases are seamless (``loop=True``) and whole bars long. Every prompt is one
``latentaudio generate`` would take, so each sound of a pack can be made again, or made more of, from the shell.

Example:
    >>> from latentaudio.pack import plan_pack
    >>> [sound.prompt for sound in plan_pack("house", 124, "A minor")][:2]
    ['kick drum, electronic kit', 'hand clap, electronic kit']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# The phrases of a pack: its folder, the kind of phrase (melodic_material.KINDS), and how its prompt names it.
PHRASES = (("bass", "bass line"), ("chords", "chord progression"), ("melody", "melody"))
# The sound effects of a pack: its prompt's words (the classes of `latentaudio data sfx`), and its file's stem.
EFFECTS = (("a whoosh sound effect", "whoosh"), ("a hit sound effect", "hit"))
ELECTRONIC_KITS = (24, 25)  # General MIDI's electronic and TR-808 kits (bank 128)


@dataclass(frozen=True)
class PackSound:
    """One sound of a pack: the folder and file stem its takes go to, the prompt that makes them, and whether they loop."""

    folder: str
    stem: str
    prompt: str
    loop: bool = False


def pack_style(text: str) -> str:
    """The drum style of :data:`~latentaudio.data.drum_patterns.STYLES` that ``text`` names, by its name or a nickname
    ("house", "dnb", "boom bap", "heavy metal" → "rock").

    Raises:
        ValueError: ``text`` names no style.
    """
    from .data.drum_patterns import STYLES
    from .prompts import drum_style

    style = drum_style(f"{text} drums")
    if style is None:
        raise ValueError(f"No drum style in {text!r}: expected one of {', '.join(STYLES)} (or a nickname: dnb, boom bap, "
                         "edm, ...).")
    return style


def pack_key(text: str) -> str:
    """The key ``text`` states, as prompts read it ("Am" → "A minor", "f# dorian" → "F# dorian").

    Raises:
        ValueError: ``text`` states no key.
    """
    from .prompts import parse_prompt

    text = text.strip()
    key = parse_prompt(text[:1].upper() + text[1:]).key if text else None  # "a minor" is a key here, not an article
    if key is None:
        raise ValueError(f"--key {text!r}: expected a key, e.g. 'A minor', 'Am', 'F# dorian', 'Bb major'.")
    return key


def phrase_instrument(kind: str, electronic: bool) -> str:
    """The instrument a pack plays a phrase of ``kind`` on: the first the music builders give the kind, or for an
    electronic style the first of those that is a synth (a synth family's, or a synth bass; its first when none is)."""
    from .data import gm
    from .data.melodic_material import KINDS

    programs = KINDS[kind].programs
    synths = [p for p in programs if "synth" in f"{gm.family_of(p).name} {gm.PROGRAMS[p].name}".lower()] if electronic else []
    return gm.PROGRAMS[(synths or programs)[0]].name


def plan_pack(style: str, bpm: float, key: str, bars: int = 2, instruments: Optional[dict] = None) -> list[PackSound]:
    """The sounds of a pack of ``style`` (:func:`pack_style`'s) at ``bpm`` in ``key`` (:func:`pack_key`'s), its loops
    and phrases ``bars`` bars long; ``instruments`` names another instrument for a phrase folder ("bass", "chords",
    "melody") than :func:`phrase_instrument`'s."""
    from .data.captions import instrument_and_kind, with_article
    from .data.drum_patterns import STYLES
    from .data.gm import DRUM_KEYS, DRUM_KITS
    from .instrument import drum_prompt

    groove = STYLES[style]
    kit = f"{DRUM_KITS[groove.kits[0]]} kit"
    electronic = groove.kits[0] in ELECTRONIC_KITS
    tempo = f"{bpm:g} bpm"
    metre = "" if groove.beats_per_bar == 4 else f", {groove.beats_per_bar}/4"  # the phrases' bars are the loop's
    sounds = [PackSound("drums", DRUM_KEYS[drum].replace(" ", "_").replace("-", ""), drum_prompt(kit, drum))
              for drum in groove.voices]
    sounds.append(PackSound("loops", f"{_stem(style)}_drum_loop_{bpm:g}bpm",
                            f"a {bars}-bar {tempo} {style} drum loop, {kit}", loop=True))
    for folder, kind in PHRASES:
        instrument = (instruments or {}).get(folder) or phrase_instrument(kind, electronic)
        words = instrument_and_kind(instrument, kind)
        sounds.append(PackSound(folder, f"{folder}_{_stem(key)}_{bpm:g}bpm",
                                with_article(f"{bars}-bar {words} in {key}, {tempo}{metre}"), loop=True))
    sounds += [PackSound("fx", stem, prompt) for prompt, stem in EFFECTS]
    return sounds


def pack_name(style: str, bpm: float, key: str) -> str:
    """The folder name of a pack: "house_124bpm_A_minor"."""
    return f"{_stem(style)}_{bpm:g}bpm_{_stem(key)}"


def _stem(words: str) -> str:
    """A style or a key as a part of a file name: "drum and bass" → "drum_and_bass", "F# minor" → "Fsharp_minor"."""
    return words.replace(" ", "_").replace("#", "sharp")
