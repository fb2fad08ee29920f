"""The note and the instrument a prompt states, as the features the U-Net's structured embedding reads: NumPy only.

    f(m) = [1, (m - 60) / 24, sin(2π m / P₁), cos(2π m / P₁), …, sin(2π m / P₇), cos(2π m / P₇)]

for MIDI pitch ``m`` and the periods ``P`` of :data:`PERIODS` (6 semitones up to several octaves).
The 12-semitone pair is the pitch class, shared by every octave; the long periods place the note
on the keyboard; the features are smooth in ``m``, so a note never heard for an instrument lies
between notes that were. A prompt without a note, and the unconditional branch of guidance, give
all zeros (the leading 1 says a note was stated).

A U-Net with the instrument embedding as well reads ``PITCH_FEATURES + INSTRUMENT_FEATURES``
columns: the note's, then one-hot blocks of the instrument :func:`~latentaudio.prompts.parse_prompt`
names (its General MIDI family of :data:`FAMILY_NAMES`, its program 0-127, its GM drum key 35-81),
all zeros where the prompt names none. The family block is set on its own by a prompt that names a
family only ("a brass note"), so such a prompt still says something; a nickname ("sax", "kick")
sets the same columns as the General MIDI name.

A U-Net with the music embedding as well reads :data:`MUSIC_FEATURES` more: what a prompt for a
loop or a phrase states precisely and a sentence encoder barely tells apart ("96 bpm" from "100 bpm",
"D minor" from "D major"), much as Stable Audio conditions on timing beside its text:

* the tempo: ``[1, log2(bpm / 120), sin(2π log2(bpm) / Q₁), cos(…), …]`` for the periods ``Q`` of
  :data:`TEMPO_PERIODS` (in doublings), so 4 % apart is a visible step and a tempo between two heard
  ones lies between them;
* the key: ``[1]``, the tonic's pitch class (one-hot, 12), the pitch classes of its scale (12: relative
  keys share them) and the mode (one-hot over :data:`KEY_MODES`);
* the length the prompt states: ``[1, log2(seconds / 2.56) / 2]``.

Each part is all zeros where the prompt does not state it.

The U-Net's side (the embedding, training with the note and the instrument hidden at random) is
:mod:`latentaudio.conditioning.pitch`; the standalone generator, which never imports torch, computes
the same features here.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple, Optional, Sequence

import numpy as np

from .data import gm
from .data.melodic_material import MODES
from .prompts import parse_prompt

PERIODS = (6.0, 12.0, 24.0, 48.0, 96.0, 192.0, 384.0)  # semitones
PITCH_FEATURES = 2 + 2 * len(PERIODS)  # 16
FAMILY_NAMES = tuple(family.name for family in gm.FAMILIES) + (gm.DRUMS_FAMILY,)  # 17
DRUM_KEY_RANGE = range(min(gm.DRUM_KEYS), max(gm.DRUM_KEYS) + 1)  # GM percussion keys 35-81
INSTRUMENT_FEATURES = len(FAMILY_NAMES) + len(gm.PROGRAMS) + len(DRUM_KEY_RANGE)  # 17 + 128 + 47 = 192
TEMPO_PERIODS = (0.125, 0.25, 0.5, 1.0, 2.0)  # doublings of the tempo
TEMPO_REFERENCE_BPM = 120.0  # the tempo's second column is log2(bpm / TEMPO_REFERENCE_BPM)
KEY_MODES = tuple(MODES)  # major, minor, dorian, mixolydian, lydian, phrygian
TEMPO_FEATURES = 2 + 2 * len(TEMPO_PERIODS)  # 12
KEY_FEATURES = 1 + 12 + 12 + len(KEY_MODES)  # 31
LENGTH_FEATURES = 2
MUSIC_FEATURES = TEMPO_FEATURES + KEY_FEATURES + LENGTH_FEATURES  # 45
# the note; the note and the instrument; the note, the instrument, tempo, key and length
FEATURE_WIDTHS = (PITCH_FEATURES, PITCH_FEATURES + INSTRUMENT_FEATURES, PITCH_FEATURES + INSTRUMENT_FEATURES + MUSIC_FEATURES)


class Instrument(NamedTuple):
    """What plays, as a prompt names it: a family, and the program or drum key when it names one."""

    family: str  # a name of FAMILY_NAMES
    program: Optional[int] = None  # GM program 0-127
    drum_key: Optional[int] = None  # GM percussion key 35-81


class Music(NamedTuple):
    """What a prompt states of the music it asks for, beyond the note and the instrument."""

    tempo_bpm: Optional[float] = None
    key: Optional[tuple[int, str]] = None  # (tonic pitch class 0-11, a mode of KEY_MODES)
    seconds: Optional[float] = None


def note_features(notes: Sequence[Optional[float]]) -> np.ndarray:
    """Features (B, PITCH_FEATURES), float32, of MIDI pitches; a row of zeros where the note is ``None``."""
    rows = np.zeros((len(notes), PITCH_FEATURES), np.float64)
    for row, note in zip(rows, notes):
        if note is None:
            continue
        angles = np.array([2 * math.pi * float(note) / period for period in PERIODS])
        row[0], row[1] = 1.0, (float(note) - 60.0) / 24.0
        row[2::2], row[3::2] = np.sin(angles), np.cos(angles)
    return rows.astype(np.float32)


def instrument_features(instruments: Sequence[Optional[Instrument]]) -> np.ndarray:
    """Features (B, INSTRUMENT_FEATURES), float32, of instruments; a row of zeros where it is ``None``."""
    rows = np.zeros((len(instruments), INSTRUMENT_FEATURES), np.float32)
    programs = len(FAMILY_NAMES)
    drums = programs + len(gm.PROGRAMS)
    for row, instrument in zip(rows, instruments):
        if instrument is None:
            continue
        row[FAMILY_NAMES.index(instrument.family)] = 1.0
        if instrument.program is not None:
            row[programs + instrument.program] = 1.0
        if instrument.drum_key is not None:
            row[drums + DRUM_KEY_RANGE.index(instrument.drum_key)] = 1.0
    return rows


def music_features(music: Sequence[Optional[Music]]) -> np.ndarray:
    """Features (B, MUSIC_FEATURES), float32, of the tempo, key and length each row states; zeros where it states none."""
    rows = np.zeros((len(music), MUSIC_FEATURES), np.float64)
    key, length = TEMPO_FEATURES, TEMPO_FEATURES + KEY_FEATURES
    for row, stated in zip(rows, music):
        if stated is None:
            continue
        if stated.tempo_bpm is not None:
            doublings = math.log2(float(stated.tempo_bpm))
            angles = np.array([2 * math.pi * doublings / period for period in TEMPO_PERIODS])
            row[0], row[1] = 1.0, doublings - math.log2(TEMPO_REFERENCE_BPM)
            row[2:key:2], row[3:key:2] = np.sin(angles), np.cos(angles)
        if stated.key is not None:
            tonic, mode = stated.key
            row[key] = 1.0
            row[key + 1 + tonic % 12] = 1.0
            for step in MODES[mode]:
                row[key + 13 + (tonic + step) % 12] = 1.0
            row[key + 25 + KEY_MODES.index(mode)] = 1.0
        if stated.seconds is not None and stated.seconds > 0:
            row[length], row[length + 1] = 1.0, math.log2(float(stated.seconds) / 2.56) / 2
    return rows.astype(np.float32)


def features(notes: Sequence[Optional[float]], instruments: Optional[Sequence[Optional[Instrument]]] = None,
             music: Optional[Sequence[Optional[Music]]] = None) -> np.ndarray:
    """The note's features, then the instrument's when ``instruments`` is given, then the music's when
    ``music`` is (the instrument's columns zero if it is not): (B, width of FEATURE_WIDTHS)."""
    parts = [note_features(notes)]
    if instruments is not None or music is not None:
        parts.append(instrument_features(instruments if instruments is not None else [None] * len(notes)))
    if music is not None:
        parts.append(music_features(music))
    return np.concatenate(parts, axis=1)


def prompt_features(prompts: Sequence[Optional[str]], width: int) -> np.ndarray:
    """Features (B, ``width``) of what each prompt states: its note, its instrument and its tempo, key and
    length as far as ``width`` has room for them (``FEATURE_WIDTHS``, the U-Net's
    ``projection_class_embeddings_input_dim``)."""
    check_feature_width(width)
    instruments = prompt_instruments(prompts) if width > FEATURE_WIDTHS[0] else None
    return features(prompt_notes(prompts), instruments, prompt_music(prompts) if width > FEATURE_WIDTHS[1] else None)


def check_feature_width(width: int) -> None:
    """Raise ``ValueError`` unless ``width`` is one of ``FEATURE_WIDTHS``."""
    if width not in FEATURE_WIDTHS:
        raise ValueError(f"Structured features are {FEATURE_WIDTHS[0]} (the note), {FEATURE_WIDTHS[1]} (the note and "
                         f"the instrument) or {FEATURE_WIDTHS[2]} (and tempo, key and length) wide, not {width}.")


def prompt_notes(prompts: Sequence[Optional[str]]) -> list[Optional[int]]:
    """The MIDI note each prompt states (``None`` where it states none), as :func:`~latentaudio.prompts.parse_prompt` reads it."""
    return [_stated(prompt)[0] if prompt else None for prompt in prompts]


def prompt_instruments(prompts: Sequence[Optional[str]]) -> list[Optional[Instrument]]:
    """The instrument each prompt names (``None`` where it names none), as :func:`~latentaudio.prompts.parse_prompt` reads it."""
    return [_stated(prompt)[1] if prompt else None for prompt in prompts]


def prompt_music(prompts: Sequence[Optional[str]]) -> list[Optional[Music]]:
    """The tempo, key and length each prompt states (``None`` where it states none of them)."""
    return [_stated(prompt)[2] if prompt else None for prompt in prompts]


@functools.lru_cache(maxsize=1 << 16)
def _stated(prompt: str) -> tuple[Optional[int], Optional[Instrument], Optional[Music]]:
    # Training reads every caption at every step; a dataset has a bounded set of captions.
    found = parse_prompt(prompt)
    instrument = None if found.family is None else Instrument(found.family, found.program, found.drum_key)
    music = Music(found.tempo_bpm, found.key_signature, found.seconds)
    return found.note, instrument, (None if music == Music() else music)
