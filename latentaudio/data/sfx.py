"""A captioned dataset of procedural sound effects (:mod:`latentaudio.data.sfx_synth`).

Clip ``i`` is of class ``i mod 14`` (laser, coin, jump, power-up, explosion, hit, whoosh, click,
beep, alarm, siren, rain, wind, engine); its parameters are drawn from a generator seeded with
(seed, i), so any clip can be rebuilt alone and ``shard`` splits one plan across processes.
Each clip is exactly as long as its parameters say (0.05-10 s), scaled to peak at 0.9, and its
captions name the class, words of its parameters and its length ("a descending high-pitched
8-bit laser sound effect, 0.35 s"). Splits: 80 / 10 / 10 % of the clips, by ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..audio_io import PathLike, write_audio
from . import vocabulary
from .captions import sfx_captions, with_article
from .card import python_call, write_dataset_card
from .output import (
    DEFAULT_SAMPLE_RATE, MAX_SECONDS, BuildResult, assign_splits, normalise_peak, parse_shard, plan_until, slug, write_metadata,
)
from .sfx_synth import SFX_CLASSES, render_sfx

SILENT_PEAK = 1e-4


@dataclass(frozen=True)
class SoundEffect:
    """One planned effect."""

    index: int
    name: str  # a key of SFX_CLASSES
    params: tuple  # sorted (name, value) pairs

    @property
    def parameters(self) -> dict:
        return dict(self.params)

    @property
    def seconds(self) -> float:
        return self.parameters["seconds"]

    @property
    def words(self) -> list[str]:
        return SFX_CLASSES[self.name].words(self.parameters)

    @property
    def caption(self) -> str:
        return with_article(f"{' '.join(self.words)} {self.name} sound effect, {self.seconds:.2f} s")

    @property
    def file_name(self) -> str:
        return f"sfx-{self.index:06d}-{slug(self.name)}.wav"


def plan_sound_effects(clips: Optional[int] = None, hours: Optional[float] = None, seed: int = 0,
                       classes: Optional[Sequence[str]] = None, max_seconds: float = MAX_SECONDS) -> list[SoundEffect]:
    """The effects to render, in a fixed order, ``clips`` of them or ``hours`` of audio."""
    classes = list(SFX_CLASSES) if classes is None else list(dict.fromkeys(classes))
    for name in classes:
        if name not in SFX_CLASSES:
            raise ValueError(f"Unknown sound-effect class {name!r}; expected some of {sorted(SFX_CLASSES)}.")
    if not classes:
        raise ValueError("Nothing to plan: no sound-effect classes.")

    def make(index: int) -> SoundEffect:
        name = classes[index % len(classes)]
        params = SFX_CLASSES[name].sample(np.random.default_rng([seed, index]))
        params["seconds"] = min(params["seconds"], max_seconds)
        return SoundEffect(index, name, tuple(sorted(params.items())))

    return plan_until(make, clips, hours)


def render_sound_effect(effect: SoundEffect, sample_rate: int, seed: int = 0) -> np.ndarray:
    """The effect's audio, exactly ``effect.seconds`` long, peaking at 0.9."""
    rng = np.random.default_rng([seed, effect.index, 1])
    return normalise_peak(render_sfx(effect.name, effect.parameters, rng, sample_rate))


def render_sfx_dataset(
    out_dir: PathLike,
    clips: Optional[int] = None,
    hours: Optional[float] = None,
    seed: int = 0,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    max_seconds: float = MAX_SECONDS,
    classes: Optional[Sequence[str]] = None,
    captions_per_clip: int = 4,
    shard="0/1",
    command: Optional[str] = None,
) -> BuildResult:
    """Render sound effects to ``out_dir`` as an audiofolder with ``metadata.jsonl`` and ``dataset_card.md``.

    Args:
        out_dir: Output folder (created).
        clips / hours: The size: this many clips, or clips until this many hours (one of the two).
        seed: Seeds the parameters, the noise and the splits.
        sample_rate: Output rate in Hz.
        max_seconds: Longest clip.
        classes: Class names of :data:`sfx_synth.SFX_CLASSES` (default all 14).
        captions_per_clip: Captions per row (``captions``; the first is ``text``).
        shard: "K/N": render only the clips whose index is K modulo N.
        command: The command line to record in the card.
    """
    # 1. check inputs and plan
    shard_index, shard_count = parse_shard(shard)
    plan = plan_sound_effects(clips, hours, seed, classes, max_seconds)
    splits = assign_splits(range(len(plan)), seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 2. render
    result = BuildResult(out_dir, rows=[])
    for effect in plan[shard_index::shard_count]:
        audio = render_sound_effect(effect, sample_rate, seed)
        if not np.isfinite(audio).all() or np.abs(audio).max(initial=0) < SILENT_PEAK:
            result.skipped.setdefault("silent or non-finite render", []).append(effect.file_name)
            continue
        write_audio(out_dir / effect.file_name, audio, sample_rate, durable=False)
        names = SFX_CLASSES[effect.name].names
        captions = sfx_captions(effect.caption, names, effect.words, effect.seconds, captions_per_clip, ("sfx", seed, effect.index))
        result.rows.append({
            "file_name": effect.file_name, "text": captions[0], "captions": captions, "split": splits[effect.index],
            "source": "sfx", "category": vocabulary.SOUND_EFFECT, "family": "Sound Effects", "sfx_class": effect.name,
            "seconds": effect.seconds, "parameters": effect.parameters,
        })

    # 3. metadata and card
    if not result.rows:
        raise ValueError(f"Nothing rendered: {result.skipped}")
    write_metadata(out_dir, result.rows)
    command = command or python_call(
        "render_sfx_dataset", out_dir=str(out_dir), clips=clips, hours=hours, seed=seed, sample_rate=sample_rate,
        max_seconds=max_seconds, classes=classes, captions_per_clip=captions_per_clip, shard=f"{shard_index}/{shard_count}",
    )
    write_dataset_card(
        out_dir, title="Procedural sound effects", source="latentaudio.data.sfx_synth: numpy/scipy oscillators, "
        "filtered noise and envelopes; no recordings", licence="generated by latentaudio (same licence as the package)",
        rows=result.rows, sample_rate=sample_rate, command=command, skipped=result.skipped, notes=[
            f"Classes: {', '.join(SFX_CLASSES if classes is None else classes)}; each clip's `parameters` made it.",
            "Each clip is scaled to peak at 0.9. Splits: 80/10/10 % of the clips.",
            f"Shard {shard_index}/{shard_count} of a plan of {len(plan)} clips." if shard_count > 1 else f"{len(plan)} clips planned.",
        ])
    return result
