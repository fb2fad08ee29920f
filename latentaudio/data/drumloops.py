"""A captioned dataset of drum loops: styled patterns on every GM drum kit, rendered with FluidSynth.

Each clip (:class:`DrumLoop`) is a pattern of 1-4 bars (:mod:`latentaudio.data.drum_patterns`)
in one of 13 styles, at 60-180 bpm, on one of the kits of bank 128, played ``repeats`` times with
humanised timing and velocity, optionally with ghost notes and a fill. The clip is exactly
``repeats`` patterns long, so it loops: the render starts one pattern early and that pre-roll is
cut, so the decay of the last hits sounds at the clip's start as it would on the wrap.

Plan. Clip ``i`` takes style ``i mod 13`` and a kit in turn (every other turn one the style
favours, :attr:`DrumStyle.kits`, otherwise each kit of the font in order), then draws its tempo (around the style's usual range, within 60-180), bars,
repeats, feel, fill and ghost notes from ``random.Random`` seeded with (seed, i): any clip can
be rebuilt alone, and ``shard`` lets several processes build parts of one plan.

Captions name the tempo, style, kit and exact length ("a 124 bpm house drum loop, electronic
kit, 7.74 s"); :func:`latentaudio.prompts.parse_prompt` reads the tempo and length back.

Splits hold out whole tempos: every bpm of 60-180 goes to one split (80 / 10 / 10 % of them, by
``seed``), so test loops are at tempos no training loop has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..audio_io import PathLike, write_audio
from . import gm, vocabulary
from .captions import drum_loop_captions, with_article
from .card import python_call, write_dataset_card
from .drum_patterns import STYLES, TEMPO_RANGE, drum_pattern, performance_events
from .output import (
    DEFAULT_SAMPLE_RATE, MAX_SECONDS, BuildResult, assign_splits, normalise_peak, parse_shard, plan_until, slug, write_metadata,
)
from .soundfont import SILENCE_PEAK, check_training_font, font_licence
from .synth import DEFAULT_SOUNDFONT, DRUM_BANK, DRUM_CHANNEL, FluidSynthRenderer

TEMPO_MARGIN = 0.1  # tempos reach this far beyond a style's usual range


@dataclass(frozen=True)
class DrumLoop:
    """One planned loop."""

    index: int
    style: str
    bpm: int
    bars: int
    repeats: int
    kit: int  # preset in bank 128
    fill: bool
    ghost_notes: bool
    humanise_ms: float  # standard deviation of the timing
    velocity_spread: float

    @property
    def seconds(self) -> float:
        return self.repeats * self.bars * STYLES[self.style].beats_per_bar * 60.0 / self.bpm

    @property
    def kit_name(self) -> str:
        return gm.DRUM_KITS[self.kit]

    @property
    def feel(self) -> list[str]:
        words = ["swung"] if STYLES[self.style].swing or STYLES[self.style].steps_per_beat == 3 else []
        words.append("tight, quantised feel" if self.humanise_ms < 4 else "loose, humanised feel")
        if self.fill:
            words.append("with a fill")
        if self.ghost_notes:
            words.append("with ghost notes")
        return words

    @property
    def file_name(self) -> str:
        return f"loop-{self.index:06d}-{slug(self.style)}-{self.bpm}bpm-{slug(self.kit_name)}.wav"

    @property
    def caption(self) -> str:
        return with_article(f"{self.bpm} bpm {self.style} drum loop, {self.kit_name} kit, {self.seconds:.2f} s")


def plan_drum_loops(
    clips: Optional[int] = None,
    hours: Optional[float] = None,
    seed: int = 0,
    max_seconds: float = MAX_SECONDS,
    styles: Optional[Sequence[str]] = None,
    kits: Optional[Sequence[int]] = None,
) -> list[DrumLoop]:
    """The loops to render, in a fixed order, ``clips`` of them or ``hours`` of audio."""
    styles = list(STYLES) if styles is None else list(dict.fromkeys(styles))
    kits = list(gm.DRUM_KITS) if kits is None else list(dict.fromkeys(kits))
    for style in styles:
        if style not in STYLES:
            raise ValueError(f"Unknown drum style {style!r}; expected one of {sorted(STYLES)}.")
    for kit in kits:
        if kit not in gm.DRUM_KITS:
            raise ValueError(f"Unknown drum kit {kit}; expected one of {sorted(gm.DRUM_KITS)}.")
    if not styles or not kits:
        raise ValueError("Nothing to plan: no styles or no kits.")
    longest_bar = max(STYLES[style].beats_per_bar for style in styles) * 60.0 / TEMPO_RANGE[0]
    if max_seconds < longest_bar:
        raise ValueError(f"max_seconds must hold one bar at {TEMPO_RANGE[0]} bpm ({longest_bar:.2f} s), got {max_seconds}.")

    def make(index: int) -> DrumLoop:
        rng = random.Random(f"drumloop-{seed}-{index}")
        style = STYLES[styles[index % len(styles)]]
        turn = index // len(styles)
        preferred = [kit for kit in kits if kit in style.kits] or kits
        kit = preferred[turn // 2 % len(preferred)] if turn % 2 == 0 else kits[turn // 2 % len(kits)]
        low, high = style.tempo
        margin = TEMPO_MARGIN * (high - low + 20)
        bpm = rng.randint(max(TEMPO_RANGE[0], round(low - margin)), min(TEMPO_RANGE[1], round(high + margin)))
        bar_seconds = style.beats_per_bar * 60.0 / bpm
        bars = rng.choice([bars for bars in (1, 2, 3, 4) if bars * bar_seconds <= max_seconds + 1e-9] or [1])
        most = max(1, int(max_seconds // (bars * bar_seconds)))
        repeats = rng.randint((most + 1) // 2, most)
        humanise = rng.choice((0.0, 2.0, 6.0, 10.0))
        return DrumLoop(index, style.name, bpm, bars, repeats, kit, fill=rng.random() < 0.4,
                        ghost_notes=rng.random() < 0.5, humanise_ms=humanise, velocity_spread=4.0 + humanise)

    return plan_until(make, clips, hours)


def render_drum_loop(synth: FluidSynthRenderer, loop: DrumLoop) -> Optional[np.ndarray]:
    """The loop's audio, exactly ``loop.seconds`` long and peaking at the target; `None` when the kit is missing."""
    if not synth.select(DRUM_CHANNEL, DRUM_BANK, loop.kit):
        return None
    style = STYLES[loop.style]
    rng = random.Random(f"pattern-{loop.index}-{loop.style}-{loop.bpm}")
    pattern = drum_pattern(style, loop.bars, rng, loop.fill, loop.ghost_notes)
    timing = np.random.default_rng(rng.getrandbits(64))
    pattern_seconds = loop.seconds / loop.repeats
    # one pattern of pre-roll, so the clip starts with the decay of the previous repetition, as on a wrap
    events = performance_events(style, pattern, loop.bars, loop.bpm, loop.repeats + 1, timing,
                                loop.humanise_ms, loop.velocity_spread)
    sample_rate = synth.sample_rate
    start, length = round(pattern_seconds * sample_rate), round(loop.seconds * sample_rate)
    audio = synth.play(events, tail_samples=sample_rate)
    return normalise_peak(audio[start : start + length])


def render_drum_loop_dataset(
    out_dir: PathLike,
    clips: Optional[int] = None,
    hours: Optional[float] = None,
    soundfont: PathLike = DEFAULT_SOUNDFONT,
    seed: int = 0,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    max_seconds: float = MAX_SECONDS,
    styles: Optional[Sequence[str]] = None,
    kits: Optional[Sequence[int]] = None,
    captions_per_clip: int = 4,
    shard="0/1",
    command: Optional[str] = None,
) -> BuildResult:
    """Render drum loops to ``out_dir`` as an audiofolder with ``metadata.jsonl`` and ``dataset_card.md``.

    Args:
        out_dir: Output folder (created).
        clips / hours: The size: this many clips, or clips until this many hours (one of the two).
        soundfont: A General MIDI ``.sf2`` with drum kits in bank 128 (never a held-out one).
        seed: Seeds the plan, the performances and the splits.
        sample_rate: Output rate in Hz.
        max_seconds: Longest clip.
        styles: Style names of :data:`drum_patterns.STYLES` (default all); kits: bank-128 presets (default all GM kits).
        captions_per_clip: Captions per row (``captions``; the first is ``text``).
        shard: "K/N": render only the clips whose index is K modulo N (the plan and splits stay those of the whole).
        command: The command line to record in the card.
    """
    # 1. check inputs and plan
    font = check_training_font(soundfont)
    shard_index, shard_count = parse_shard(shard)
    plan = plan_drum_loops(clips, hours, seed, max_seconds, styles, kits)
    tempo_splits = assign_splits(list(range(TEMPO_RANGE[0], TEMPO_RANGE[1] + 1)), seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 2. render
    result = BuildResult(out_dir, rows=[])
    with FluidSynthRenderer(font, sample_rate) as synth:
        for loop in plan[shard_index::shard_count]:
            audio = render_drum_loop(synth, loop)
            if audio is None:
                result.skipped.setdefault(f"kit not in {font.name}", []).append(loop.file_name)
            elif np.abs(audio).max(initial=0) < SILENCE_PEAK:
                result.skipped.setdefault("silent render", []).append(loop.file_name)
            else:
                write_audio(out_dir / loop.file_name, audio, sample_rate, durable=False)
                result.rows.append(_row(loop, tempo_splits[loop.bpm], font.name, captions_per_clip, seed))

    # 3. metadata and card
    if not result.rows:
        raise ValueError(f"Nothing rendered: {result.skipped}")
    write_metadata(out_dir, result.rows)
    command = command or python_call(
        "render_drum_loop_dataset", out_dir=str(out_dir), clips=clips, hours=hours, soundfont=str(font), seed=seed,
        sample_rate=sample_rate, max_seconds=max_seconds, styles=styles, kits=kits, captions_per_clip=captions_per_clip,
        shard=f"{shard_index}/{shard_count}",
    )
    write_dataset_card(
        out_dir, title="Drum loops", source=f"Generated drum patterns ({len(STYLES)} styles) rendered with FluidSynth and "
        f"{font.name} (bank-128 kits, reverb and chorus off)", licence=f"{font.name}: {font_licence(font)}; patterns: "
        "generated by latentaudio (same licence as the package)", rows=result.rows, sample_rate=sample_rate,
        command=command, skipped=result.skipped, notes=[
            f"Styles: {', '.join(STYLES)}. Tempos {TEMPO_RANGE[0]}-{TEMPO_RANGE[1]} bpm, 1-4 bar patterns repeated up to "
            f"{max_seconds} s; each clip is exactly its repetitions long and loops (one pattern of pre-roll is cut).",
            "Splits hold out whole tempos (80/10/10 % of the bpm values 60-180).",
            f"Shard {shard_index}/{shard_count} of a plan of {len(plan)} clips." if shard_count > 1 else
            f"{len(plan)} clips planned.",
            "Each clip is scaled to peak at 0.9.",
        ])
    return result


def _row(loop: DrumLoop, split: str, font: str, captions_per_clip: int, seed: int) -> dict:
    captions = drum_loop_captions(loop.caption, loop.style, loop.bpm, loop.seconds, loop.kit_name, loop.bars, loop.feel,
                                  captions_per_clip, ("drumloop", seed, loop.index))
    return {
        "file_name": loop.file_name, "text": captions[0], "captions": captions, "split": split, "source": "drumloops",
        "category": vocabulary.DRUM_LOOP, "family": gm.DRUMS_FAMILY, "style": loop.style, "tempo": loop.bpm, "bars": loop.bars,
        "repeats": loop.repeats, "seconds": round(loop.seconds, 6), "kit": loop.kit_name, "program": loop.kit,
        "bank": DRUM_BANK, "fill": loop.fill, "ghost_notes": loop.ghost_notes, "humanise_ms": loop.humanise_ms,
        "beats_per_bar": STYLES[loop.style].beats_per_bar, "font": font,
    }
