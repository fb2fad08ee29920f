"""A captioned dataset of melodic material: generated phrases and music21 corpus excerpts, rendered with FluidSynth.

Clip ``i`` is, with probability ``music21_share``, the opening of a music21 corpus piece (a Bach
chorale or a folk tune, transposed by -5 to +6 semitones and moved by octaves into the
instrument's register) and otherwise generated material (:mod:`latentaudio.data.melodic_material`:
a scale, arpeggio, chord progression, bass line, pad or melody) in one of 12 keys and 6 modes.
Each plays on a GM program that suits it at a tempo drawn for it; generated clips are whole bars
of 4/4, corpus excerpts a whole number of quarter notes, at most ``max_seconds``.

Captions name the instrument, the material, the key and mode, mood words of the mode, a tempo
word, the tempo and the exact length ("a slow melancholic cello melody in D minor, 70 bpm,
6.86 s"); :func:`latentaudio.prompts.parse_prompt` reads back the tempo, key and length.

Splits hold out whole (key, mode) pairs of the generated material (80 / 10 / 10 % of the 72) and
whole corpus pieces, by ``seed``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..audio_io import PathLike, write_audio
from . import gm, vocabulary
from .captions import instrument_and_kind, melodic_captions, with_article
from .card import python_call, write_dataset_card
from .melodic_material import BEATS_PER_BAR, KINDS, MODES, MOODS, PROGRESSIONS, generate, pace_word
from .music21_render import MUSIC21_LICENCE, corpus_entries, import_music21, piece_id, render_events, score_events
from .output import (
    DEFAULT_SAMPLE_RATE, MAX_SECONDS, BuildResult, assign_splits, normalise_peak, parse_shard, plan_until, slug, write_metadata,
)
from .soundfont import SILENCE_PEAK, check_training_font, font_licence
from .synth import DEFAULT_SOUNDFONT, FluidSynthRenderer, NoteEvent, fade_out, sort_events

# music21 collections: (what a caption calls an excerpt, programs that suit it, tempo range)
CORPUS = {
    "bach": ("chorale", (19, 0, 48, 52, 6, 16, 49), (60, 100)),
    "oneills1850": ("folk melody", (73, 40, 110, 71, 74, 78, 21, 22, 75, 68), (80, 150)),
    "essenFolksong": ("folk melody", (73, 40, 71, 74, 78, 21, 0, 24, 46, 68), (70, 130)),
}
DEFAULT_MUSIC21_SHARE = 0.25
PREFERRED_SPELLING = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class MelodicClip:
    """One planned clip; corpus excerpts learn their key when parsed."""

    index: int
    kind: str
    program: int
    bpm: int
    seconds: float
    mood_choice: int  # which mood word of the mode leads the template caption
    tonic: Optional[int] = None  # pitch class, generated material only
    mode: Optional[str] = None
    bars: int = 0
    progression: tuple = ()
    collection: Optional[str] = None  # music21 excerpts only
    piece: Optional[str] = None
    transpose: int = 0

    @property
    def file_name(self) -> str:
        return f"melodic-{self.index:06d}-{slug(self.kind)}-{slug(gm.PROGRAMS[self.program].name)}.wav"


def key_name(tonic: int, mode: str) -> str:
    """'D minor', 'Bb major', 'F# dorian'."""
    return f"{PREFERRED_SPELLING[tonic % 12]} {mode}"


def plan_melodic(clips=None, hours=None, seed: int = 0, max_seconds: float = MAX_SECONDS,
                 music21_share: float = DEFAULT_MUSIC21_SHARE, kinds: Optional[Sequence[str]] = None) -> list[MelodicClip]:
    """The clips to render, in a fixed order, ``clips`` of them or ``hours`` of audio."""
    kinds = list(KINDS) if kinds is None else list(dict.fromkeys(kinds))
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"Unknown kind of material {kind!r}; expected some of {sorted(KINDS)}.")
    if not 0 <= music21_share <= 1:
        raise ValueError(f"music21_share must be in [0, 1], got {music21_share}.")
    if max_seconds < BEATS_PER_BAR:
        raise ValueError(f"max_seconds must hold one bar at 60 bpm (4 s), got {max_seconds}.")
    pieces = {name: [piece_id(entry) for entry in corpus_entries(name)] for name in CORPUS} if music21_share > 0 else {}

    def make(index: int) -> MelodicClip:
        rng = random.Random(f"melodic-{seed}-{index}")
        mood_choice = rng.randrange(12)
        if rng.random() < music21_share:
            collection = rng.choice(sorted(CORPUS))
            kind, programs, (low, high) = CORPUS[collection]
            bpm = rng.randint(low, high)
            most = int(max_seconds * bpm / 60)
            quarters = rng.randint(max(4, 2 * most // 3), most)
            return MelodicClip(index, kind, rng.choice(programs), bpm, quarters * 60.0 / bpm, mood_choice,
                               collection=collection, piece=rng.choice(pieces[collection]), transpose=rng.randint(-5, 6))
        kind = kinds[index % len(kinds)]
        spec = KINDS[kind]
        bpm = rng.randint(*spec.tempo)
        bar_seconds = BEATS_PER_BAR * 60.0 / bpm
        most = max(1, int(max_seconds // bar_seconds))
        mode, bars = rng.choice(list(MODES)), rng.randint((most + 1) // 2, most)
        return MelodicClip(index, kind, rng.choice(spec.programs), bpm, bars * bar_seconds, mood_choice,
                           tonic=rng.randrange(12), mode=mode, bars=bars, progression=rng.choice(PROGRESSIONS[mode]))

    return plan_until(make, clips, hours)


def render_generated(synth: FluidSynthRenderer, clip: MelodicClip) -> np.ndarray:
    """A generated clip's audio, exactly ``clip.seconds`` long, peaking at 0.9."""
    spec, program = KINDS[clip.kind], gm.PROGRAMS[clip.program]
    target = program.low + spec.register * (program.high - program.low)
    tonic = min((p for p in range(program.low, program.high + 1) if p % 12 == clip.tonic), key=lambda p: abs(p - target))
    notes = generate(clip.kind, tonic, clip.mode, clip.progression, clip.bars, random.Random(f"notes-{clip.index}"))
    beat = 60.0 / clip.bpm
    events = [event for note in notes for event in (
        NoteEvent(note.start * beat, True, 0, note.pitch, note.velocity),
        NoteEvent((note.start + note.length) * beat, False, 0, note.pitch, 0))]
    if not synth.select(0, 0, clip.program):
        raise ValueError(f"The SoundFont has no preset for program {clip.program}.")
    return _finish(synth.play(sort_events(events), tail_samples=synth.sample_rate), clip, synth.sample_rate)


def render_excerpt(synth: FluidSynthRenderer, clip: MelodicClip, entry) -> tuple[np.ndarray, int, str]:
    """A corpus excerpt's audio and its key (tonic pitch class, mode) after transposition."""
    score = entry.parse()
    if not hasattr(score, "parts"):  # an Opus: the entry's file parsed to several tunes; take the first
        score = score.scores[0]
    key = score.analyze("key")
    events = [e for e in score_events(score, 60.0 / clip.bpm) if e.seconds < clip.seconds]
    if not events:
        raise ValueError("no notes in the excerpt")
    pitches = sorted(e.pitch for e in events if e.is_on)
    program = gm.PROGRAMS[clip.program]
    centre = program.low + 0.45 * (program.high - program.low)
    shift = clip.transpose + 12 * round((centre - pitches[len(pitches) // 2] - clip.transpose) / 12)
    events = [e._replace(pitch=min(127, max(0, e.pitch + shift))) for e in events]
    audio = render_events(synth, events, clip.program, tail_seconds=clip.seconds)
    return _finish(audio, clip, synth.sample_rate), (key.tonic.pitchClass + clip.transpose) % 12, key.mode


def _finish(audio: np.ndarray, clip: MelodicClip, sample_rate: int) -> np.ndarray:
    length = round(clip.seconds * sample_rate)
    audio = np.pad(audio, (0, max(0, length - len(audio))))[:length]
    return fade_out(normalise_peak(audio), sample_rate // 50)


def render_melodic_dataset(
    out_dir: PathLike,
    clips: Optional[int] = None,
    hours: Optional[float] = None,
    soundfont: PathLike = DEFAULT_SOUNDFONT,
    seed: int = 0,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    max_seconds: float = MAX_SECONDS,
    music21_share: float = DEFAULT_MUSIC21_SHARE,
    kinds: Optional[Sequence[str]] = None,
    captions_per_clip: int = 4,
    shard="0/1",
    command: Optional[str] = None,
) -> BuildResult:
    """Render melodic clips to ``out_dir`` as an audiofolder with ``metadata.jsonl`` and ``dataset_card.md``.

    Args:
        out_dir: Output folder (created).
        clips / hours: The size: this many clips, or clips until this many hours (one of the two).
        soundfont: A General MIDI ``.sf2`` (never a held-out one).
        seed: Seeds the plan, the notes and the splits.
        sample_rate: Output rate in Hz.
        max_seconds: Longest clip.
        music21_share: Share of clips taken from the music21 corpus (0 for generated material only).
        kinds: Kinds of generated material (default all of :data:`melodic_material.KINDS`).
        captions_per_clip: Captions per row (``captions``; the first is ``text``).
        shard: "K/N": render only the clips whose index is K modulo N.
        command: The command line to record in the card.
    """
    # 1. check inputs and plan
    font = check_training_font(soundfont)
    shard_index, shard_count = parse_shard(shard)
    plan = plan_melodic(clips, hours, seed, max_seconds, music21_share, kinds)
    key_splits = assign_splits([(tonic, mode) for tonic in range(12) for mode in MODES], seed)
    piece_splits = assign_splits([clip.piece for clip in plan if clip.piece], seed)
    entries = {piece_id(entry): entry for name in {c.collection for c in plan if c.collection} for entry in corpus_entries(name)}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 2. render
    result = BuildResult(out_dir, rows=[])
    with FluidSynthRenderer(font, sample_rate) as synth:
        for clip in plan[shard_index::shard_count]:
            tonic, mode = clip.tonic, clip.mode
            try:
                if clip.piece is None:
                    audio, split = render_generated(synth, clip), key_splits[tonic, mode]
                else:
                    (audio, tonic, mode), split = render_excerpt(synth, clip, entries[clip.piece]), piece_splits[clip.piece]
            except Exception as error:  # music21 raises many types on odd encodings
                result.skipped.setdefault("cannot render", []).append(f"{clip.file_name} ({type(error).__name__}: {error})")
                synth.silence()
                continue
            if np.abs(audio).max(initial=0) < SILENCE_PEAK:
                result.skipped.setdefault("silent render", []).append(clip.file_name)
                continue
            write_audio(out_dir / clip.file_name, audio, sample_rate, durable=False)
            result.rows.append(_row(clip, tonic, mode, split, font.name, captions_per_clip, seed))

    # 3. metadata and card
    if not result.rows:
        raise ValueError(f"Nothing rendered: {result.skipped}")
    write_metadata(out_dir, result.rows)
    command = command or python_call(
        "render_melodic_dataset", out_dir=str(out_dir), clips=clips, hours=hours, soundfont=str(font), seed=seed,
        sample_rate=sample_rate, max_seconds=max_seconds, music21_share=music21_share, kinds=kinds,
        captions_per_clip=captions_per_clip, shard=f"{shard_index}/{shard_count}",
    )
    licence = f"{font.name}: {font_licence(font)}; generated material: latentaudio (same licence as the package)"
    if any(clip.piece for clip in plan):
        licence += f"; {MUSIC21_LICENCE}"
    write_dataset_card(
        out_dir, title="Melodic material", source=f"Generated scales, arpeggios, chord progressions, bass lines, pads and "
        f"melodies, and music21 {import_music21().__version__ if music21_share > 0 else ''} corpus excerpts "
        f"({', '.join(CORPUS)}), rendered with FluidSynth and {font.name} (reverb and chorus off)".replace("  ", " "),
        licence=licence, rows=result.rows, sample_rate=sample_rate, command=command, skipped=result.skipped, notes=[
            f"Keys: all 12 tonics in {', '.join(MODES)}; corpus excerpts transposed by -5 to +6 semitones "
            "(their key is music21's analysis, transposed).",
            "Splits hold out whole (key, mode) pairs of the generated material and whole corpus pieces.",
            f"Clips up to {max_seconds} s, scaled to peak at 0.9, 20 ms fade-out.",
            f"Shard {shard_index}/{shard_count} of a plan of {len(plan)} clips." if shard_count > 1 else f"{len(plan)} clips planned.",
        ])
    return result


def _row(clip: MelodicClip, tonic: int, mode: str, split: str, font: str, captions_per_clip: int, seed: int) -> dict:
    instrument = gm.PROGRAMS[clip.program].name
    moods = MOODS.get(mode, MOODS["major"])
    mood, pace = moods[clip.mood_choice % len(moods)], pace_word(clip.bpm)
    first = with_article(f"{pace} {mood} {instrument_and_kind(instrument, clip.kind)} in {key_name(tonic, mode)}, {clip.bpm} bpm, {clip.seconds:.2f} s")
    captions = melodic_captions(first, clip.program, clip.kind, tonic, mode, clip.bpm, clip.seconds, moods, pace,
                                captions_per_clip, ("melodic", seed, clip.index))
    return {
        "file_name": clip.file_name, "text": captions[0], "captions": captions, "split": split,
        "source": "music21" if clip.piece else "generated", "category": vocabulary.MELODIC, "kind": clip.kind,
        "family": gm.family_of(clip.program).name, "instrument": instrument, "program": clip.program,
        "key": key_name(tonic, mode), "tonic": tonic, "mode": mode, "tempo": clip.bpm, "seconds": round(clip.seconds, 6),
        "bars": clip.bars or None, "mood": mood, "collection": clip.collection, "corpus_path": clip.piece,
        "transpose": clip.transpose if clip.piece else None, "font": font,
    }


