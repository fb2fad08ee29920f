"""Drum patterns of common styles, turned into humanised General MIDI drum events.

A style (:data:`STYLES`) writes one bar per drum as a row of steps: sixteenths
(``steps_per_beat`` 4) or eighth-note triplets (3). Step characters:

``X`` accent, ``x`` normal, ``o`` medium, ``g`` ghost, ``?`` a normal hit in some bars only,
``.`` rest. A row longer than a bar holds several bars and cycles (the bossa nova clave).

:func:`drum_pattern` turns a style into the hits of a pattern of 1-4 bars: optional hits are
drawn per bar, ghost notes are sprinkled on the style's ghost drum, a fill (a snare-and-tom run
over the last beat or two) can end the pattern, leading into a crash on its first beat.
:func:`performance_events` plays a pattern several times at a tempo with swing and humanised
timing and velocity: every repetition is humanised anew, so no two bars are identical.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .synth import DRUM_CHANNEL, NoteEvent, sort_events

VELOCITIES = {"X": 116, "x": 96, "o": 72, "g": 34, "?": 92}
HIT_SECONDS = 0.1  # note-off after each hit (GM drums ignore it, other kits' sounds may not)
KICK, SNARE, SIDE_STICK, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 37, 39, 42, 44, 46, 49, 51
TOMS = (50, 48, 47, 45, 43, 41)  # high to low
TEMPO_RANGE = (60, 180)  # bpm of every loop of ``latentaudio data drumloops``


@dataclass(frozen=True)
class DrumStyle:
    """One style's groove."""

    name: str
    voices: dict  # percussion key -> steps of one bar (or of several, cycling)
    tempo: tuple[int, int]  # usual bpm range
    beats_per_bar: int = 4
    steps_per_beat: int = 4  # 4: sixteenths; 3: eighth-note triplets
    swing: float = 0.0  # delay of the off-beat sixteenths, as a share of a step
    ghost_key: int = SNARE  # the drum that plays ghost notes
    hat_rolls: bool = False  # thirty-second hi-hat rolls (trap)
    kits: tuple[int, ...] = (0, 8, 16)  # the kits a player of the style would pick first

    @property
    def steps_per_bar(self) -> int:
        return self.beats_per_bar * self.steps_per_beat


# fmt: off
STYLES = {style.name: style for style in (
    DrumStyle("rock", {KICK: "x.......x.?.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."}, (90, 150)),
    DrumStyle("funk", {KICK: "x..x..?...x..?..", SNARE: "....X.......X...", CLOSED_HAT: "xoxoxoxoxoxoxoxo",
                       OPEN_HAT: "..............?."}, (88, 116), kits=(0, 8, 32)),
    DrumStyle("disco", {KICK: "x...x...x...x...", SNARE: "....x.......x...", CLOSED_HAT: "x...x...x...x...",
                        OPEN_HAT: "..x...x...x...x."}, (110, 132), kits=(0, 8, 24)),
    DrumStyle("house", {KICK: "X...x...x...x...", CLAP: "....x.......x...", OPEN_HAT: "..x...x...x...x.",
                        CLOSED_HAT: "g.g.g.g.g.g.g.g."}, (118, 130), ghost_key=CLOSED_HAT, kits=(24, 25)),
    DrumStyle("techno", {KICK: "X...x...x...x...", CLOSED_HAT: "ggxgggxgggxgggxg", CLAP: "....?.......x..."},
              (125, 145), ghost_key=SIDE_STICK, kits=(24, 25)),
    DrumStyle("hip hop", {KICK: "x......x..x..?..", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
              (80, 100), swing=0.25, kits=(0, 25, 8)),
    DrumStyle("trap", {KICK: "x.........x..?..", SNARE: "........X.......", CLAP: "........x.......",
                       CLOSED_HAT: "x.x.x.x.x.x.x.x."}, (130, 160), hat_rolls=True, ghost_key=KICK, kits=(25, 24)),
    DrumStyle("drum and bass", {KICK: "x.........x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x.",
                                RIDE: "?.......?......."}, (160, 180), kits=(0, 24, 16)),
    DrumStyle("reggae", {KICK: "........x.......", SIDE_STICK: "........x.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
              (62, 90), swing=0.2, ghost_key=SIDE_STICK, kits=(0, 8)),
    DrumStyle("bossa nova", {KICK: "x..xx..xx..xx..x", SIDE_STICK: "x..x..x...x..x....x..x..x..x....",
                             CLOSED_HAT: "x.x.x.x.x.x.x.x."}, (110, 140), ghost_key=SIDE_STICK, kits=(40, 32, 0)),
    DrumStyle("jazz swing", {RIDE: "x..x.xx..x.x", PEDAL_HAT: "...x.....x..", KICK: "g..g..g..g.."},
              (100, 180), steps_per_beat=3, kits=(32, 40)),
    DrumStyle("waltz", {KICK: "x...........", SNARE: "....x...x...", CLOSED_HAT: "x.x.x.x.x.x."},
              (84, 160), beats_per_bar=3, kits=(40, 32, 0, 48)),
    DrumStyle("shuffle", {KICK: "x.....x.?...", SNARE: "...X.....X..", CLOSED_HAT: "x.xx.xx.xx.x"},
              (90, 140), steps_per_beat=3, kits=(0, 8, 16)),
)}
# fmt: on
GHOST_CHANCE = 0.3  # of each empty off-beat step of the ghost drum, when a loop has ghost notes


class Hit(NamedTuple):
    step: int  # from the pattern's start
    key: int
    velocity: int


def drum_pattern(style: DrumStyle, bars: int, rng: random.Random, fill: bool, ghost_notes: bool) -> list[Hit]:
    """The hits of a ``bars``-bar pattern of ``style``, sorted by step.

    Raises:
        ValueError: ``bars`` is outside 1-4.
    """
    if not 1 <= bars <= 4:
        raise ValueError(f"A drum pattern has 1-4 bars, got {bars}.")
    per_bar, per_beat = style.steps_per_bar, style.steps_per_beat
    total = bars * per_bar
    hits: dict[tuple[int, int], int] = {}
    for key, row in style.voices.items():
        for step in range(total):
            mark = row[step % len(row)]
            if mark == "." or (mark == "?" and rng.random() < 0.5):
                continue
            hits[step, key] = VELOCITIES[mark]
    if ghost_notes:
        for step in range(total):
            if step % per_beat and (step, style.ghost_key) not in hits and rng.random() < GHOST_CHANCE:
                hits[step, style.ghost_key] = VELOCITIES["g"]
    if fill:
        fill_steps = per_beat * rng.choice((1, 2))
        start = total - fill_steps
        hits = {(step, key): velocity for (step, key), velocity in hits.items() if step < start or key == KICK}
        toms = list(TOMS[: rng.choice((2, 3, 4))])
        for i, step in enumerate(range(start, total)):
            drum = SNARE if i < fill_steps // 3 else toms[min(len(toms) - 1, (i - fill_steps // 3) * len(toms) // fill_steps)]
            hits[step, drum] = 80 + round(36 * i / max(1, fill_steps - 1))
        hits[0, CRASH] = VELOCITIES["X"]
    if (0, CRASH) in hits:
        hits.pop((0, CLOSED_HAT), None)
    for step, key in [position for position in hits if position[1] == OPEN_HAT]:
        hits.pop((step, CLOSED_HAT), None)  # a hi-hat is open or closed, not both
    return sorted(Hit(step, key, velocity) for (step, key), velocity in hits.items())


def performance_events(
    style: DrumStyle,
    pattern: list[Hit],
    bars: int,
    bpm: float,
    repeats: int,
    rng: np.random.Generator,
    humanise_ms: float = 0.0,
    velocity_spread: float = 0.0,
    start_seconds: float = 0.0,
) -> list[NoteEvent]:
    """Note events of ``pattern`` played ``repeats`` times from ``start_seconds``, on the drum channel.

    Swing delays the off-beat sixteenths; ``humanise_ms`` is the standard deviation of each hit's
    timing (clipped at 2.5 of them) and ``velocity_spread`` that of its velocity.
    """
    step_seconds = 60.0 / bpm / style.steps_per_beat
    pattern_steps = bars * style.steps_per_bar
    events = []
    for repeat in range(repeats):
        for hit in pattern:
            seconds = start_seconds + (repeat * pattern_steps + hit.step) * step_seconds
            if style.steps_per_beat == 4 and hit.step % 2:
                seconds += style.swing * step_seconds
            seconds += float(np.clip(rng.normal(0.0, humanise_ms), -2.5 * humanise_ms, 2.5 * humanise_ms)) / 1000
            velocity = int(np.clip(round(hit.velocity + rng.normal(0.0, velocity_spread)), 1, 127))
            events += _hit(seconds, hit.key, velocity)
        if style.hat_rolls:  # one beat of the pattern's last bar rolls in thirty-seconds
            beat = int(rng.integers(style.beats_per_bar))
            first = repeat * pattern_steps + (bars - 1) * style.steps_per_bar + beat * style.steps_per_beat
            for half_step in range(2 * style.steps_per_beat):
                seconds = start_seconds + (first + half_step / 2) * step_seconds
                events += _hit(seconds, CLOSED_HAT, int(50 + 8 * half_step))
    return sort_events(events)


def _hit(seconds: float, key: int, velocity: int) -> list[NoteEvent]:
    return [NoteEvent(seconds, True, DRUM_CHANNEL, key, velocity), NoteEvent(seconds + HIT_SECONDS, False, DRUM_CHANNEL, key, 0)]
