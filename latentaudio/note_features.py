"""The note a prompt states, as the features the pitch embedding reads: NumPy only.

    f(m) = [1, (m - 60) / 24, sin(2π m / P₁), cos(2π m / P₁), …, sin(2π m / P₇), cos(2π m / P₇)]

for MIDI pitch ``m`` and the periods ``P`` of :data:`PERIODS` (6 semitones up to several octaves).
The 12-semitone pair is the pitch class, shared by every octave; the long periods place the note
on the keyboard; the features are smooth in ``m``, so a note never heard for an instrument lies
between notes that were. A prompt without a note, and the unconditional branch of guidance, give
all zeros (the leading 1 says a note was stated).

The U-Net's side (the embedding, training with the note hidden at random) is
:mod:`latentaudio.conditioning.pitch`; the standalone generator, which never imports torch, computes
the same features here.
"""

from __future__ import annotations

import functools
import math
from typing import Optional, Sequence

import numpy as np

from .prompts import parse_prompt

PERIODS = (6.0, 12.0, 24.0, 48.0, 96.0, 192.0, 384.0)  # semitones
PITCH_FEATURES = 2 + 2 * len(PERIODS)  # 16


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


def prompt_notes(prompts: Sequence[Optional[str]]) -> list[Optional[int]]:
    """The MIDI note each prompt states (``None`` where it states none), as :func:`~latentaudio.prompts.parse_prompt` reads it."""
    return [_stated_note(prompt) if prompt else None for prompt in prompts]


@functools.lru_cache(maxsize=1 << 16)
def _stated_note(prompt: str) -> Optional[int]:
    # Training reads the note of every caption at every step; a dataset has a bounded set of captions.
    return parse_prompt(prompt).note
