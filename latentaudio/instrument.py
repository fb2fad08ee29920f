"""A playable instrument from a prompt: one take per sampled note (and per dynamics layer), each take's pitch heard
and put right, written as an SFZ multisample that samplers load (sfizz, Sforzando, Bitwig, TAL-Sampler, ...).

A model that reads the note a prompt states (the default model: ``latentaudio.prompts``) can play any note of an
instrument, so a sampler instrument is a loop over notes: "airy flute, C4", "airy flute, D#4", ... every few
semitones. Two things make the takes playable together:

* **The note heard.** A take's fundamental (:func:`~latentaudio.metrics.estimate_pitch`) can sit some cents off the
  note asked for, or on another note. Several takes of each note are drawn (``tries``), the model's scorer puts them
  best first where it has one, and the first within a semitone of the note is kept (else the nearest).
* **The tuning.** Each region is then tuned by what was heard (:func:`region_pitch`): its ``pitch_keycenter`` is the
  nearest key to the take's pitch and ``tune`` the remaining cents, so every key plays its own pitch, whatever the take
  was off by. A take whose pitch cannot be heard (a noise, a drum) keeps the note asked for.

Each sampled note covers the keys half-way to its neighbours (:func:`key_ranges`), and dynamics layers ("soft",
"loud") split the velocities (:func:`velocity_ranges`). The SFZ format: https://sfzformat.com (the opcodes used here
are SFZ v1's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from .data.gm import note_name

LOWEST_KEY, HIGHEST_KEY = 0, 127


@dataclass(frozen=True)
class Sample:
    """One region of the instrument: the take kept for ``note`` in one dynamics layer."""

    note: int  # the MIDI note asked for
    heard: Optional[float]  # the take's fundamental, fractional MIDI pitch; None where none was heard
    keys: tuple[int, int]  # the keys it plays, lowest and highest (inclusive)
    velocities: tuple[int, int]  # the velocities it plays, lowest and highest (inclusive)
    file_name: str  # the sample's file, relative to the instrument's folder of samples
    take: int  # which of the drawn takes was kept (0: the first, best first where the model ranks)

    @property
    def in_tune(self) -> bool:
        """Whether the take lies within a semitone of the note asked for."""
        return self.heard is not None and abs(self.heard - self.note) <= 1.0


def parse_notes(text: str) -> tuple[int, int]:
    """The lowest and highest MIDI note of a range written ``LOW-HIGH`` in note names or MIDI numbers ("C2-C6",
    "F#3-A5", "36-84").

    Raises:
        ValueError: The text is not two notes, low to high, within MIDI's 0-127.
    """
    from .prompts import parse_prompt

    parts = [part.strip() for part in text.replace("..", "-").split("-")]
    notes = []
    for part in parts if len(parts) == 2 else []:
        note = int(part) if part.isdigit() else parse_prompt(part).note
        if note is None or not LOWEST_KEY <= note <= HIGHEST_KEY:
            break
        notes.append(note)
    if len(notes) != 2 or notes[0] > notes[1]:
        raise ValueError(f"Notes {text!r}: expected a range LOW-HIGH of note names or MIDI numbers, low to high "
                         "(e.g. C2-C6 or 36-84).")
    return notes[0], notes[1]


def note_plan(low: int, high: int, every: int) -> list[int]:
    """The notes to sample from ``low`` to ``high``: every ``every`` semitones, and ``high`` itself."""
    if every < 1:
        raise ValueError(f"every={every}: expected a positive number of semitones between sampled notes.")
    notes = list(range(low, high + 1, every))
    return notes if notes[-1] == high else [*notes, high]


def key_ranges(notes: Sequence[int], reach: int) -> list[tuple[int, int]]:
    """The keys each of the sorted ``notes`` plays: up to half-way to its neighbours (a key right in the middle to the
    lower note, the upper of two middle keys to the upper one), and ``reach`` semitones past the lowest and highest
    note, within MIDI's 0-127."""
    bounds = [max(LOWEST_KEY, notes[0] - reach)]
    bounds += [(below + above) // 2 + 1 for below, above in zip(notes, notes[1:])]
    ends = [bound - 1 for bound in bounds[1:]] + [min(HIGHEST_KEY, notes[-1] + reach)]
    return list(zip(bounds, ends))


def velocity_ranges(layers: int) -> list[tuple[int, int]]:
    """The velocities of each of ``layers`` dynamics layers, softest first: 1-127 split evenly (0 is a note-off)."""
    bounds = [1 + round(i * 127 / layers) for i in range(layers + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(layers)]


def region_pitch(heard: Optional[float], note: int) -> tuple[int, int]:
    """``(pitch_keycenter, tune)`` of a take of ``note`` heard at pitch ``heard``: the key nearest to what was heard,
    and the cents (within ±50) that bring it onto that key, so that every key plays its own pitch. A take with no
    pitch heard keeps ``note`` untuned."""
    if heard is None:
        return note, 0
    center = int(np.clip(round(heard), LOWEST_KEY, HIGHEST_KEY))
    return center, int(round((center - heard) * 100))


def played_at(audio: np.ndarray, key: int, pitch_keycenter: int, tune: int = 0) -> np.ndarray:
    """``audio`` (L,) as an SFZ sampler plays its region at ``key``: resampled to sound ``key - pitch_keycenter``
    semitones and ``tune`` cents higher (faster and shorter going up), a preview of the instrument without a sampler."""
    from scipy.signal import resample

    ratio = 2 ** ((key - pitch_keycenter + tune / 100) / 12)
    return resample(np.asarray(audio, np.float32), max(1, round(len(audio) / ratio))).astype(np.float32)


def pick_take(heard: Sequence[Optional[float]], note: int) -> int:
    """Which of the takes (in the order the pipeline gave them, best first where it ranks) to keep for ``note``, given
    the pitch ``heard`` in each: the first within a semitone of it, else the nearest to it, else the first."""
    near = [i for i, pitch in enumerate(heard) if pitch is not None and abs(pitch - note) <= 1.0]
    if near:
        return near[0]
    pitched = [i for i, pitch in enumerate(heard) if pitch is not None]
    return min(pitched, key=lambda i: abs(heard[i] - note)) if pitched else 0


def layer_prompt(prompt: str, note: int, dynamics: Optional[str] = None) -> str:
    """The prompt of one sample: ``prompt``, then the layer's dynamics word, then the note ("airy flute, soft, C#4")."""
    return ", ".join(part for part in (prompt, dynamics, note_name(note)) if part)


def check_instrument_prompt(prompt: str, dynamics: Sequence[str]) -> None:
    """Refuse a prompt that states what the instrument sets itself: a note (each sample's), a drum (one sound, not a
    pitched instrument), or dynamics when ``dynamics`` layers are asked for.

    Raises:
        ValueError: Naming what the prompt states.
    """
    from .prompts import parse_prompt

    found = parse_prompt(prompt)
    if found.note is not None:
        raise ValueError(f"The prompt {prompt!r} states a note ({found.note_text}); an instrument plays every note "
                         "of --notes, so leave it out.")
    if found.is_drum:
        raise ValueError(f"The prompt {prompt!r} names a drum ({found.instrument}); an instrument is pitched: "
                         "`latentaudio generate` makes drum hits.")
    if dynamics and found.dynamics is not None:
        raise ValueError(f"The prompt {prompt!r} states its dynamics ({found.dynamics!r}) and --dynamics gives "
                         f"{', '.join(dynamics)}: give one or the other.")


def default_notes(prompt: str) -> tuple[int, int]:
    """The range to sample when none is given: the playable range of the General MIDI instrument the prompt names
    (:data:`~latentaudio.data.gm.PROGRAMS`), else C2-C6."""
    from .data.gm import PROGRAMS
    from .prompts import parse_prompt

    program = parse_prompt(prompt).program
    return (PROGRAMS[program].low, PROGRAMS[program].high) if program is not None else (36, 84)


def make_samples(draw: Callable[[str], list[np.ndarray]], sample_rate: int, prompt: str, notes: Sequence[int],
                 dynamics: Sequence[str] = (), stem: str = "take", reach: Optional[int] = None,
                 on_sample: Optional[Callable[[Sample, np.ndarray], None]] = None) -> list[Sample]:
    """Draw, hear and place every sample of the instrument.

    Args:
        draw: ``draw(prompt)`` gives the takes of one sample's prompt (:func:`layer_prompt`), mono at
            ``sample_rate``, in the order to prefer them (best first where the model ranks).
        notes: The sorted MIDI notes to sample (:func:`note_plan`).
        dynamics: Dynamics words, softest first, one velocity layer each (:func:`velocity_ranges`); none: one layer
            of the prompt as it is.
        stem: The start of each sample's file name: ``STEM_soft_060_C4.wav`` (``#`` spelt ``s``).
        reach: Semitones the lowest and highest sample reach past their note (default: half the spacing of the
            lowest two notes, 6 for a single note).
        on_sample: Called with each sample and the audio kept for it, as soon as it is chosen (to write it).

    Returns:
        Every sample, layer by layer (softest first), low to high within a layer.
    """
    from .metrics import estimate_pitch

    if reach is None:
        reach = (notes[1] - notes[0]) // 2 if len(notes) > 1 else 6
    keys = key_ranges(notes, reach)
    layers = list(dynamics) or [None]
    samples = []
    for layer, velocities in zip(layers, velocity_ranges(len(layers))):
        for note, note_keys in zip(notes, keys):
            takes = draw(layer_prompt(prompt, note, layer))
            heard = [estimate_pitch(take, sample_rate) for take in takes]
            kept = pick_take(heard, note)
            name = "_".join(part for part in (stem, layer and layer.replace(" ", "_"), f"{note:03d}",
                                              note_name(note).replace("#", "s")) if part)
            sample = Sample(note, heard[kept], note_keys, velocities, f"{name}.wav", kept)
            if on_sample is not None:
                on_sample(sample, takes[kept])
            samples.append(sample)
    return samples


def sfz_text(samples: Sequence[Sample], folder: str, header: Sequence[str] = (), release_in_s: float = 0.3) -> str:
    """The SFZ file of ``samples``, whose files lie in ``folder`` beside it: one ``<group>`` per velocity layer, one
    ``<region>`` per sample tuned by :func:`region_pitch`, each after a comment of what was asked and heard; the
    ``header`` lines first, as comments. Notes end with a ``release_in_s`` fade."""
    lines = [f"// {line}" for line in header]
    lines += ["", "<global>", f"ampeg_release={release_in_s:g}"]
    layer = None
    for sample in samples:
        if sample.velocities != layer:
            layer = sample.velocities
            lines += ["", f"<group> lovel={layer[0]} hivel={layer[1]}"]
        center, tune = region_pitch(sample.heard, sample.note)
        heard = "no pitch heard" if sample.heard is None else f"heard {sample.heard:.2f} ({note_name(round(sample.heard))})"
        lines += [f"// {note_name(sample.note)} asked, {heard}, take {sample.take + 1}",
                  f"<region> sample={folder}/{sample.file_name} lokey={sample.keys[0]} hikey={sample.keys[1]} "
                  f"pitch_keycenter={center} tune={tune}"]
    return "\n".join(lines) + "\n"
