"""Splits that measure generalisation: whole pitches per instrument and whole velocities held out.

The original split (:func:`latentaudio.data.output.assign_splits` over pitch-velocity pairs) puts
every test note into training at another velocity, so a test score says little about notes a
model never heard. :func:`assign_holdout_splits` instead holds out, deterministically for a seed:

``pitches``
    For every melodic program, 10 % of its planned pitches go to validation and 10 % to test
    (at least one each once a program has 5 or more pitches): those notes are never rendered
    for that program in training. The top and bottom pitch stay in training, so held-out notes
    lie inside the range the model learned.
``velocities``
    One velocity (drawn from the interior ones, so it lies between trained velocities) goes to
    test on every instrument and drum; with fewer than 3 velocities none is held out.

Drum hits, which have no pitch to hold out, split by (kit, key, velocity) as before. Every row
also records ``unseen_pitch`` and ``unseen_velocity`` so an evaluation can report each alone.

A denser dataset that goes on training a model of an earlier one must hold out the notes the earlier one
held out, or its training would play notes the earlier evaluation calls unseen: :func:`held_out_pitches`
reads them from that dataset, and ``assign_holdout_splits(..., held_pitches=...)`` holds out exactly those.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Optional, Sequence, Union

from .output import assign_splits

HOLDOUTS = ("pitches", "velocities")
HELD_OUT_SHARE = 0.1  # of each program's pitches, for validation and again for test


def held_out_pitches(data_dir: Union[str, Path]) -> dict[int, dict[int, str]]:
    """The whole pitches a dataset built with ``holdout=["pitches"]`` keeps out of training: program -> pitch -> split.

    Raises:
        ValueError: the dataset's rows do not record ``unseen_pitch`` (it was not built with a pitch holdout).
    """
    path = Path(data_dir) / "metadata.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not any(row.get("unseen_pitch") for row in rows):
        raise ValueError(f"{path} holds out no whole pitches (no row has unseen_pitch); expected a dataset built "
                         "with --holdout pitches.")
    held: dict[int, dict[int, str]] = {}
    for row in rows:
        if row.get("unseen_pitch") and row.get("kit") is None:
            pitches = held.setdefault(row["program"], {})
            if row.get("unseen_velocity"):  # a held velocity goes to test whatever its pitch's split
                pitches.setdefault(row["pitch"], "test")
            else:
                pitches[row["pitch"]] = row["split"]
    return held


def assign_holdout_splits(notes: Sequence, holdout: Sequence[str], seed: int,
                          held_pitches: Optional[dict[int, dict[int, str]]] = None) -> dict:
    """Map each note (with ``kit``, ``program``, ``pitch``, ``velocity``) to ``(split, unseen_pitch, unseen_velocity)``.

    Args:
        held_pitches: With ``"pitches"`` in ``holdout``, hold out exactly these (program -> pitch -> split, as
            :func:`held_out_pitches` reads them from another dataset) instead of drawing 10 % per program;
            pitches the plan does not play are passed over.

    Raises:
        ValueError: ``holdout`` names something other than :data:`HOLDOUTS`, or ``held_pitches`` is given
            without ``"pitches"``.
    """
    unknown = sorted(set(holdout) - set(HOLDOUTS))
    if unknown:
        raise ValueError(f"Unknown holdout {unknown}; expected some of {HOLDOUTS}.")
    if held_pitches is not None and "pitches" not in holdout:
        raise ValueError(f"held_pitches needs 'pitches' in holdout, got holdout={list(holdout)}.")
    rng = random.Random(seed)
    velocities = sorted({note.velocity for note in notes})
    held_velocity = rng.choice(velocities[1:-1]) if "velocities" in holdout and len(velocities) >= 3 else None
    if held_pitches is not None:
        held_pitches = {program: dict(pitches) for program, pitches in held_pitches.items()}
    elif "pitches" in holdout:
        held_pitches = {}  # program -> pitch -> split
        for program in sorted({note.program for note in notes if note.kit is None}):
            pitches = sorted({note.pitch for note in notes if note.kit is None and note.program == program})
            inner = pitches[1:-1]
            count = max(1, round(HELD_OUT_SHARE * len(pitches))) if len(pitches) >= 5 else 0
            chosen = rng.sample(inner, min(len(inner), 2 * count))
            held_pitches[program] = {pitch: ("validation" if i < count else "test") for i, pitch in enumerate(chosen)}
    else:
        held_pitches = {}
    drums = assign_splits([(n.kit, n.pitch, n.velocity) for n in notes if n.kit is not None], seed)
    assignment = {}
    for note in notes:
        unseen_velocity = note.velocity == held_velocity
        held = held_pitches.get(note.program, {}).get(note.pitch) if note.kit is None else None
        if held is not None:
            split = "test" if unseen_velocity else held
        elif unseen_velocity:
            split = "test"
        elif note.kit is not None:
            split = drums[(note.kit, note.pitch, note.velocity)]
        else:
            split = "train"
        assignment[note] = (split, held is not None, unseen_velocity)
    return assignment
