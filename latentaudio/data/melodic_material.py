"""Generated melodic material in every key and common mode: scales, arpeggios, chord progressions, bass lines, pads, melodies.

Each generator takes the tonic's MIDI pitch (already placed in the instrument's register), a
mode (:data:`MODES`), a chord progression (scale degrees, one chord per bar) and a number of
bars of 4/4, and returns :class:`Note` s timed in beats. Chords are diatonic triads of the mode, so
every progression stays in its key. :data:`KINDS` names each generator, the tempo range it is
played at and the GM programs that suit it.
"""

from __future__ import annotations

import random
from typing import Callable, NamedTuple

BEATS_PER_BAR = 4
MODES = {
    "major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10), "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10), "lydian": (0, 2, 4, 6, 7, 9, 11), "phrygian": (0, 1, 3, 5, 7, 8, 10),
}
# Scale degrees (0 = tonic), one chord per bar, cycled.
PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (1, 4, 0, 0), (0, 3, 4, 0), (0, 5, 3, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 3, 6, 2)),
    "dorian": ((0, 3), (0, 3, 0, 6), (0, 1, 0, 3)),
    "mixolydian": ((0, 6, 3, 0), (0, 6), (0, 3, 6, 0)),
    "lydian": ((0, 1), (0, 1, 6, 0)),
    "phrygian": ((0, 1), (0, 1, 6, 1)),
}
# The tempo words of the captions and the tempi each names, [low, high) bpm: a clip at 70 bpm is "slow".
PACES = {"slow": (0, 76), "relaxed": (76, 100), "moderate": (100, 126), "upbeat": (126, 150), "fast": (150, 1000)}
MOODS = {
    "major": ("bright", "happy", "uplifting", "cheerful"), "minor": ("melancholic", "sad", "dark", "moody"),
    "dorian": ("soulful", "jazzy", "wistful"), "mixolydian": ("bluesy", "laid-back", "folky"),
    "lydian": ("dreamy", "floating", "magical"), "phrygian": ("tense", "exotic", "ominous"),
}


class Note(NamedTuple):
    start: float  # beats
    length: float  # beats
    pitch: int
    velocity: int


def degree_pitch(tonic: int, mode: str, degree: int) -> int:
    """The MIDI pitch of a scale degree (any integer; 7 is the tonic an octave up)."""
    scale = MODES[mode]
    return tonic + 12 * (degree // 7) + scale[degree % 7]


def triad(tonic: int, mode: str, degree: int) -> list[int]:
    return [degree_pitch(tonic, mode, degree + step) for step in (0, 2, 4)]


def scale_run(tonic, mode, progression, bars, rng):
    per_beat = rng.choice((1, 2))
    octaves = rng.choice((1, 2)) if per_beat == 2 else 1
    top = 7 * octaves
    path = list(range(top + 1)) + list(range(top - 1, 0, -1))
    count = bars * BEATS_PER_BAR * per_beat - 1
    notes = [Note(i / per_beat, 0.9 / per_beat, degree_pitch(tonic, mode, path[i % len(path)]), 84 if i % per_beat == 0 else 72)
             for i in range(count)]
    return notes + [Note(count / per_beat, 1.0 / per_beat, tonic, 84)]


def arpeggio(tonic, mode, progression, bars, rng):
    shape = rng.choice(("up", "up-down", "down"))
    notes = []
    for bar in range(bars):
        chord = triad(tonic, mode, progression[bar % len(progression)])
        tones = chord + [p + 12 for p in chord]
        order = {"up": tones + tones[:2], "down": tones[::-1] + tones[::-1][:2], "up-down": tones + tones[-2:0:-1]}[shape][:8]
        notes += [Note(bar * 4 + i / 2, 0.5, pitch, 90 if i % 2 == 0 else 74) for i, pitch in enumerate(order)]
    return notes


def chord_progression(tonic, mode, progression, bars, rng):
    rhythm = rng.choice(("whole", "quarters", "strum"))
    notes = []
    for bar in range(bars):
        chord = triad(tonic, mode, progression[bar % len(progression)])
        voicing = [chord[0] - 12] + chord
        hits = [(0.0, 3.9)] if rhythm != "quarters" else [(beat, 0.85) for beat in range(4)]
        for start, length in hits:
            for i, pitch in enumerate(voicing):
                offset = 0.04 * i if rhythm == "strum" else 0.0
                notes.append(Note(bar * 4 + start + offset, length - offset, pitch, 88 if start == 0 else 72))
    return notes


def bass_line(tonic, mode, progression, bars, rng):
    pattern = rng.choice(("roots", "root-fifth", "octaves", "walking"))
    notes = []
    for bar in range(bars):
        degree = progression[bar % len(progression)]
        root, fifth = degree_pitch(tonic, mode, degree), degree_pitch(tonic, mode, degree + 4)
        if pattern == "roots":
            steps = [(beat, 0.9, root) for beat in range(4)]
        elif pattern == "root-fifth":
            steps = [(0, 1.4, root), (1.5, 0.45, root), (2, 1.4, fifth), (3.5, 0.45, root)]
        elif pattern == "octaves":
            steps = [(i / 2, 0.45, root + 12 * (i % 2)) for i in range(8)]
        else:
            following = progression[(bar + 1) % len(progression)]
            approach = degree_pitch(tonic, mode, following) - 1
            steps = [(0, 0.9, root), (1, 0.9, degree_pitch(tonic, mode, degree + 2)), (2, 0.9, fifth), (3, 0.9, approach)]
        notes += [Note(bar * 4 + start, length, pitch, 96 if start == 0 else 80) for start, length, pitch in steps]
    return notes


def pad(tonic, mode, progression, bars, rng):
    notes = []
    for bar in range(bars):
        chord = triad(tonic, mode, progression[bar % len(progression)])
        notes += [Note(bar * 4, 4.0, pitch, 64) for pitch in chord + [chord[0] + 12]]
    return notes


def melody(tonic, mode, progression, bars, rng):
    rhythms = ((1, 1, 1, 1), (1.5, 0.5, 1, 1), (0.5, 0.5, 1, 2), (2, 1, 1), (1, 0.5, 0.5, 2), (0.5, 0.5, 0.5, 0.5, 2))
    notes, degree = [], 0
    for bar in range(bars):
        chord_root = progression[bar % len(progression)]
        start = bar * 4.0
        lengths = (4.0,) if bar == bars - 1 else rng.choice(rhythms)
        for i, length in enumerate(lengths):
            if bar == bars - 1:
                degree = 0 if abs(degree) < 4 else 7 * round(degree / 7)
            elif i == 0:  # downbeats land on a chord tone near the last note
                degree = min((chord_root + step + 7 * octave for step in (0, 2, 4) for octave in (-1, 0, 1)),
                             key=lambda d: abs(d - degree))
            else:
                degree += rng.choice((-2, -1, -1, 1, 1, 2))
            degree = max(-3, min(10, degree))
            notes.append(Note(start, length * 0.92, degree_pitch(tonic, mode, degree), 92 if i == 0 else 78))
            start += length
    return notes


def pace_word(bpm: float) -> str:
    """The word of :data:`PACES` for ``bpm``: 70 → "slow", 124 → "moderate"."""
    return next((word for word, (_, high) in PACES.items() if bpm < high), "fast")


class Kind(NamedTuple):
    generate: Callable[..., list[Note]]
    tempo: tuple[int, int]
    programs: tuple[int, ...]
    register: float  # where the tonic sits in the instrument's range (0 lowest, 1 highest)


# fmt: off
KINDS = {
    "scale": Kind(scale_run, (70, 160), (0, 12, 11, 73, 71, 40, 56, 24, 13, 46, 65, 68), 0.3),
    "arpeggio": Kind(arpeggio, (70, 150), (46, 0, 24, 25, 8, 10, 4, 81, 80, 6, 108, 11), 0.3),
    "chord progression": Kind(chord_progression, (60, 140), (0, 4, 16, 18, 25, 27, 48, 61, 21, 6, 5, 19), 0.4),
    "bass line": Kind(bass_line, (70, 150), (32, 33, 34, 35, 36, 38, 39, 43, 58), 0.25),
    "pad": Kind(pad, (60, 100), (88, 89, 90, 91, 92, 94, 95, 48, 49, 50, 52, 19), 0.4),
    "melody": Kind(melody, (60, 150), (40, 42, 73, 71, 65, 66, 56, 68, 0, 80, 81, 22, 75, 60), 0.35),
}
# fmt: on


def generate(kind: str, tonic: int, mode: str, progression: tuple[int, ...], bars: int, rng: random.Random) -> list[Note]:
    """The notes of ``bars`` bars of ``kind``.

    Raises:
        ValueError: Unknown kind or mode; the message lists the choices.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of material {kind!r}; expected one of {sorted(KINDS)}.")
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}; expected one of {sorted(MODES)}.")
    return KINDS[kind].generate(tonic, mode, progression, bars, rng)
