"""A captioned "genre" dataset rendered from music21's bundled corpus through FluidSynth.

Each piece is parsed with music21, turned into note events (one MIDI channel per part, all
on one GM program, at the piece's first tempo mark or 120 quarter notes per minute), rendered
offline, scaled so the piece peaks at 0.9, and cut into back-to-back clips of the training
length. Windows quieter than -50 dBFS RMS are skipped; the unfinished last window is
dropped unless the piece is shorter than one clip, which is then zero-padded. Captions read
"an Irish fiddle tune played on a fiddle, 120 bpm, G major". The ``split`` column holds out
whole pieces (80 / 10 / 10 % of them for a seed), never clips of one piece in two splits.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from ..audio_io import PathLike, write_audio
from . import gm
from .card import python_call, write_dataset_card
from .output import (
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SECONDS,
    SILENT_WINDOW_DB,
    TARGET_PEAK,
    BuildResult,
    assign_splits,
    cut_clips,
    slug,
    write_metadata,
)
from .synth import DEFAULT_SOUNDFONT, DRUM_CHANNEL, FluidSynthRenderer

DEFAULT_TEMPO = 120.0  # quarter notes per minute, music21's default when a piece has no mark
MUSIC21_LICENCE = (
    "music21 corpus: encodings distributed with music21 with the encoders' permission; some may not be used "
    "commercially (music21/corpus/license.txt and the licences inside individual files)"
)


class Collection(NamedTuple):
    description: str  # caption opening
    genre: str
    program: int  # default GM program


COLLECTIONS = {
    "bach": Collection("a Bach chorale", "Baroque chorale", 19),
    "oneills1850": Collection("an Irish fiddle tune", "Irish fiddle tune", 110),
    "ryansMammoth": Collection("a fiddle tune from Ryan's Mammoth Collection", "fiddle tune", 110),
    "airdsAirs": Collection("a Scottish air", "Scottish air", 73),
    "essenFolksong": Collection("a folk song from the Essen collection", "folk song", 73),
    "miscFolk": Collection("a fife and minstrelsy folk tune", "folk tune", 72),
    "palestrina": Collection("a Renaissance motet by Palestrina", "Renaissance polyphony", 52),
    "josquin": Collection("a Renaissance piece by Josquin", "Renaissance polyphony", 52),
    "monteverdi": Collection("a Monteverdi madrigal", "madrigal", 52),
    "trecento": Collection("a medieval Italian song", "trecento song", 74),
}
COLLECTION_LICENCES = {
    "essenFolksong": "Essen folksong database: permission for non-commercial distribution and use in music21 "
    "(music21/corpus/essenFolksong/license.txt)",
}


class NoteEvent(NamedTuple):
    seconds: float
    is_on: bool
    channel: int
    pitch: int
    velocity: int


def import_music21():
    try:
        import music21
    except ImportError as error:
        raise ImportError("The music21 builder needs music21: `pip install music21`.") from error
    return music21


def corpus_entries(collection: str) -> list:
    """The metadata entries of a corpus collection (one per piece, multi-tune files included), sorted.

    Raises:
        ValueError: Unknown collection; the message lists the ones available.
    """
    music21 = import_music21()
    bundle = music21.corpus.corpora.CoreCorpus().metadataBundle
    # MetadataBundle has no __iter__; iterating it calls __getitem__, which copies all 15,000
    # entries per step (15 s). Its entry dict is the fast path where it exists.
    entries = getattr(bundle, "_metadataEntries", None)
    entries = list(entries.values()) if isinstance(entries, dict) else list(bundle)
    by_collection: dict[str, list] = {}
    for entry in entries:
        by_collection.setdefault(str(entry.sourcePath).split("/")[0], []).append(entry)
    if collection not in by_collection:
        choices = ", ".join(f"{name} ({len(items)})" for name, items in sorted(by_collection.items()))
        raise ValueError(f"Unknown music21 collection {collection!r}; choose one of: {choices}.")
    return sorted(by_collection[collection], key=lambda e: (str(e.sourcePath), str(e.number or "")))


def score_events(score, seconds_per_quarter: float, default_velocity: int = 80) -> list[NoteEvent]:
    """Note-on/off events of every part, one MIDI channel per part (channel 10 is skipped)."""
    parts = list(score.parts) or [score]
    channels = [c for c in range(16) if c != DRUM_CHANNEL]
    events = []
    for index, part in enumerate(parts):
        channel = channels[min(index, len(channels) - 1)]
        for element in part.stripTies().flatten().notes:
            length = float(element.quarterLength)
            if length <= 0:  # grace notes
                continue
            start = float(element.offset) * seconds_per_quarter
            end = start + length * seconds_per_quarter
            velocity = element.volume.velocity or default_velocity
            for pitch in element.pitches:
                events.append(NoteEvent(start, True, channel, pitch.midi, int(velocity)))
                events.append(NoteEvent(end, False, channel, pitch.midi, 0))
    # At equal times, releases come first so a repeated note is re-struck.
    return sorted(events, key=lambda e: (e.seconds, e.is_on, e.channel, e.pitch))


def render_events(synth: FluidSynthRenderer, events: list[NoteEvent], program: int, tail_seconds: float = 1.0) -> np.ndarray:
    """Render events with every channel on ``program``; mono float32."""
    for channel in {event.channel for event in events}:
        if not synth.select(channel, 0, program):
            raise ValueError(f"The SoundFont has no preset for program {program}.")
    chunks, position = [], 0
    for event in events:
        target = round(event.seconds * synth.sample_rate)
        chunks.append(synth.render(target - position))
        position = max(position, target)
        if event.is_on:
            synth.note_on(event.channel, event.pitch, event.velocity)
        else:
            synth.note_off(event.channel, event.pitch)
    chunks.append(synth.render(round(tail_seconds * synth.sample_rate)))
    synth.silence()
    return np.concatenate(chunks)


def render_music21_dataset(
    collection: str,
    out_dir: PathLike,
    program: Optional[int] = None,
    limit: int = 10,
    seconds: float = DEFAULT_SECONDS,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    seed: int = 0,
    soundfont: PathLike = DEFAULT_SOUNDFONT,
    command: Optional[str] = None,
) -> BuildResult:
    """Render ``limit`` pieces of a music21 corpus collection to captioned clips in ``out_dir``.

    Args:
        collection: A top-level corpus folder ("bach", "oneills1850", "ryansMammoth",
            "essenFolksong", "palestrina", ...).
        out_dir: Output audiofolder (created).
        program: GM program 0-127 for every part; defaults to the collection's
            (:data:`COLLECTIONS`), else 0 (piano).
        limit: How many pieces, drawn at random (``seed``) from the collection.
        seconds: Clip length.
        sample_rate: Output rate in Hz.
        seed: Seeds the piece choice and the split assignment.
        soundfont: The ``.sf2`` file.
        command: The command line to record in the card.
    """
    # 1. check inputs and choose pieces
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds}.")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}.")
    info = COLLECTIONS.get(collection, Collection(f"a piece from the music21 {collection} collection", collection, 0))
    program = info.program if program is None else program
    if not 0 <= program <= 127:
        raise ValueError(f"Invalid program {program}: expected 0-127.")
    entries = corpus_entries(collection)
    random.Random(seed).shuffle(entries)
    entries = entries[:limit]
    piece_ids = [_piece_id(entry) for entry in entries]
    splits = assign_splits(piece_ids, seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    num_samples = round(seconds * sample_rate)
    instrument = gm.PROGRAMS[program].name

    # 2. parse, render and cut each piece
    result = BuildResult(out_dir, rows=[])
    with FluidSynthRenderer(soundfont, sample_rate) as synth:
        for entry, piece_id in zip(entries, piece_ids):
            try:
                score = entry.parse()
                tempo = _tempo(score)
                events = score_events(score, 60.0 / tempo)
                key = _key_name(score) if events else None
            except Exception as error:  # music21 raises many types on odd encodings
                result.skipped.setdefault("cannot parse", []).append(f"{piece_id} ({type(error).__name__})")
                continue
            if not events:
                result.skipped.setdefault("no notes", []).append(piece_id)
                continue
            audio = render_events(synth, events, program)
            peak = float(np.abs(audio).max())
            if peak == 0:
                result.skipped.setdefault("silent render", []).append(piece_id)
                continue
            audio = audio * (TARGET_PEAK / peak)
            title = (entry.metadata.title if entry.metadata else None) or Path(str(entry.sourcePath)).stem
            text = f"{info.description} played on {_with_article(instrument)}, {round(tempo)} bpm, {key}"
            for index, (start, clip) in enumerate(cut_clips(audio, num_samples)):
                file_name = f"{slug(piece_id)}-{index:03d}.wav"
                write_audio(out_dir / file_name, clip, sample_rate, durable=False)
                result.rows.append({
                    "file_name": file_name, "text": text, "split": splits[piece_id], "source": "music21",
                    "collection": collection, "genre": info.genre, "piece": title, "corpus_path": piece_id,
                    "family": gm.family_of(program).name, "instrument": instrument, "program": program,
                    "tempo": round(tempo), "key": key, "clip": index, "start_seconds": start / sample_rate,
                })

    # 3. metadata and card
    if not result.rows:
        raise ValueError(f"Nothing rendered from the music21 collection {collection!r}: {result.skipped}")
    write_metadata(out_dir, result.rows)
    command = command or python_call(
        "render_music21_dataset", collection=collection, out_dir=str(out_dir), program=program, limit=limit,
        seconds=seconds, sample_rate=sample_rate, seed=seed, soundfont=str(soundfont),
    )
    licence = COLLECTION_LICENCES.get(collection, MUSIC21_LICENCE)
    write_dataset_card(
        out_dir,
        title=f"music21 corpus: {collection}",
        source=f"music21 {import_music21().__version__} corpus '{collection}', rendered with FluidSynth and {Path(soundfont).name}",
        licence=f"{licence}; sounds: {Path(soundfont).name} (FluidR3_GM: MIT)",
        rows=result.rows,
        sample_rate=sample_rate,
        command=command,
        notes=[
            f"{len(entries)} pieces drawn with seed {seed}; every part on GM program {program} ({instrument}).",
            f"Each piece is scaled to peak at {TARGET_PEAK}, cut into back-to-back {seconds} s clips; windows below "
            f"{SILENT_WINDOW_DB:.0f} dBFS RMS and unfinished tails are dropped.",
            "Splits hold out whole pieces (80/10/10 % of the pieces when there are three or more).",
        ],
        skipped=result.skipped,
    )
    return result


def _tempo(score) -> float:
    """Quarter notes per minute of the first tempo mark, or :data:`DEFAULT_TEMPO`."""
    boundaries = score.metronomeMarkBoundaries()
    if boundaries:
        bpm = boundaries[0][2].getQuarterBPM()
        if bpm and bpm > 0:
            return float(bpm)
    return DEFAULT_TEMPO


def _key_name(score) -> str:
    """'G major', 'B-flat minor' from music21's key analysis."""
    key = score.analyze("key")
    tonic = key.tonic.name.replace("-", "-flat").replace("#", "-sharp")
    return f"{tonic} {key.mode}"


def _piece_id(entry) -> str:
    path = str(entry.sourcePath)
    return f"{path}#{entry.number}" if entry.number is not None else path


def _with_article(name: str) -> str:
    """'a fiddle', 'an oboe', and plurals bare: 'choir aahs', 'pizzicato strings' (not 'bass')."""
    if name.endswith("s") and not name.endswith("ss"):
        return name
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"

