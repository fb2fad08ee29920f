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
from .prompts import parse_prompt

PERIODS = (6.0, 12.0, 24.0, 48.0, 96.0, 192.0, 384.0)  # semitones
PITCH_FEATURES = 2 + 2 * len(PERIODS)  # 16
FAMILY_NAMES = tuple(family.name for family in gm.FAMILIES) + (gm.DRUMS_FAMILY,)  # 17
DRUM_KEY_RANGE = range(min(gm.DRUM_KEYS), max(gm.DRUM_KEYS) + 1)  # GM percussion keys 35-81
INSTRUMENT_FEATURES = len(FAMILY_NAMES) + len(gm.PROGRAMS) + len(DRUM_KEY_RANGE)  # 17 + 128 + 47 = 192
FEATURE_WIDTHS = (PITCH_FEATURES, PITCH_FEATURES + INSTRUMENT_FEATURES)  # the note; the note and the instrument


class Instrument(NamedTuple):
    """What plays, as a prompt names it: a family, and the program or drum key when it names one."""

    family: str  # a name of FAMILY_NAMES
    program: Optional[int] = None  # GM program 0-127
    drum_key: Optional[int] = None  # GM percussion key 35-81


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


def features(notes: Sequence[Optional[float]], instruments: Optional[Sequence[Optional[Instrument]]] = None) -> np.ndarray:
    """The note's features, then the instrument's when ``instruments`` is given: (B, width of FEATURE_WIDTHS)."""
    pitch = note_features(notes)
    return pitch if instruments is None else np.concatenate([pitch, instrument_features(instruments)], axis=1)


def prompt_features(prompts: Sequence[Optional[str]], width: int) -> np.ndarray:
    """Features (B, ``width``) of what each prompt states: its note, and its instrument when ``width``
    has room for it (``FEATURE_WIDTHS``, the U-Net's ``projection_class_embeddings_input_dim``)."""
    check_feature_width(width)
    return features(prompt_notes(prompts), prompt_instruments(prompts) if width > PITCH_FEATURES else None)


def check_feature_width(width: int) -> None:
    """Raise ``ValueError`` unless ``width`` is one of ``FEATURE_WIDTHS``."""
    if width not in FEATURE_WIDTHS:
        raise ValueError(f"Structured features are {FEATURE_WIDTHS[0]} (the note) or {FEATURE_WIDTHS[1]} "
                         f"(the note and the instrument) wide, not {width}.")


def prompt_notes(prompts: Sequence[Optional[str]]) -> list[Optional[int]]:
    """The MIDI note each prompt states (``None`` where it states none), as :func:`~latentaudio.prompts.parse_prompt` reads it."""
    return [_stated(prompt)[0] if prompt else None for prompt in prompts]


def prompt_instruments(prompts: Sequence[Optional[str]]) -> list[Optional[Instrument]]:
    """The instrument each prompt names (``None`` where it names none), as :func:`~latentaudio.prompts.parse_prompt` reads it."""
    return [_stated(prompt)[1] if prompt else None for prompt in prompts]


@functools.lru_cache(maxsize=1 << 16)
def _stated(prompt: str) -> tuple[Optional[int], Optional[Instrument]]:
    # Training reads every caption at every step; a dataset has a bounded set of captions.
    found = parse_prompt(prompt)
    instrument = None if found.family is None else Instrument(found.family, found.program, found.drum_key)
    return found.note, instrument
