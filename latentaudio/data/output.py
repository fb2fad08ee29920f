"""What every dataset builder shares: its result, the split rule, clip cutting, file names, metadata."""

from __future__ import annotations

import inspect
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio_io import PathLike
from ..spectrogram import MelSpectrogram

METADATA_NAME = "metadata.jsonl"
# Builders write audio at the default spectrogram's rate unless told otherwise (one source of truth).
DEFAULT_SAMPLE_RATE = inspect.signature(MelSpectrogram.__init__).parameters["sample_rate"].default
SPLIT_FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
DEFAULT_SECONDS = 2.0  # clip length of every builder unless told otherwise
TARGET_PEAK = 0.9  # peak a builder normalises to, where it normalises (-0.9 dBFS)
SILENT_WINDOW_DB = -50.0  # windows with a lower RMS are not worth a clip


@dataclass
class BuildResult:
    """What a builder wrote: the metadata rows and what it skipped (reason -> names)."""

    out_dir: Path
    rows: list[dict]
    skipped: dict[str, list[str]] = field(default_factory=dict)


def assign_splits(groups, seed: int, fractions: dict[str, float] = SPLIT_FRACTIONS) -> dict:
    """Map each distinct group (a pitch-velocity pair, a piece, a recording) to a split.

    The distinct groups are sorted, shuffled with ``seed`` and cut by ``fractions``, so the
    same groups and seed always give the same answer and a group never spans two splits.
    With at least as many groups as splits, every split gets one or more; the first split
    takes what is left.
    """
    distinct = sorted(set(groups))
    random.Random(seed).shuffle(distinct)
    names = list(fractions)
    enough = len(distinct) >= len(names)
    assignment, start = {}, 0
    for name in names[1:]:
        size = max(1, round(fractions[name] * len(distinct))) if enough else 0
        for group in distinct[start : start + size]:
            assignment[group] = name
        start += size
    for group in distinct[start:]:
        assignment[group] = names[0]
    return assignment


def cut_clips(audio: np.ndarray, num_samples: int, silent_db: float = SILENT_WINDOW_DB) -> list[tuple[int, np.ndarray]]:
    """(start, clip) windows back to back; quiet windows and the unfinished tail are dropped.

    Audio shorter than one clip is zero-padded to one clip (and kept if loud enough).
    """
    if len(audio) < num_samples:
        audio = np.pad(audio, (0, num_samples - len(audio)))
    clips = []
    for start in range(0, len(audio) - num_samples + 1, num_samples):
        clip = audio[start : start + num_samples]
        rms = float(np.sqrt(np.mean(np.square(clip, dtype=np.float64))))
        if rms > 0 and 20 * np.log10(rms) >= silent_db:
            clips.append((start, clip))
    return clips


def slug(text: str) -> str:
    """A lower-case file-name part: 'Acoustic Grand Piano' -> 'acoustic-grand-piano'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_metadata(out_dir: PathLike, rows: list[dict]) -> Path:
    """Write ``metadata.jsonl``, one JSON object per line."""
    path = Path(out_dir) / METADATA_NAME
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


MAX_SECONDS = 10.24  # longest clip of the loop, phrase and sound-effect builders: the music model's clip


def plan_until(make_item, clips=None, hours=None, limit: int = 10_000_000) -> list:
    """``make_item(0)``, ``make_item(1)``, ... until ``clips`` items or ``hours`` of audio (items have ``seconds``).

    Raises:
        ValueError: Neither or both of ``clips`` and ``hours`` given, or a size that is not positive.
    """
    if (clips is None) == (hours is None):
        raise ValueError(f"Give the size as clips or as hours, not both or neither (clips={clips}, hours={hours}).")
    if (clips if clips is not None else hours) <= 0:
        raise ValueError(f"The size must be positive, got clips={clips}, hours={hours}.")
    items, total = [], 0.0
    while len(items) < min(clips or limit, limit) and (hours is None or total < hours * 3600):
        items.append(make_item(len(items)))
        total += items[-1].seconds
    return items


def parse_shard(shard) -> tuple[int, int]:
    """'2/8' or (2, 8) -> (2, 8): this run renders the items whose index is 2 modulo 8."""
    try:
        index, count = (int(part) for part in (shard.split("/") if isinstance(shard, str) else shard))
    except (TypeError, ValueError):
        raise ValueError(f"A shard is written K/N (e.g. 0/4), got {shard!r}.") from None
    if not 0 <= index < count:
        raise ValueError(f"Shard {index}/{count}: expected 0 <= K < N.")
    return index, count


def normalise_peak(audio: np.ndarray, peak: float = TARGET_PEAK) -> np.ndarray:
    """``audio`` scaled so its peak is ``peak``; silence stays silence."""
    top = float(np.abs(audio).max(initial=0.0))
    return audio if top == 0 else (audio * (peak / top)).astype(np.float32)
