"""Playing a MIDI file on an instrument made from a prompt (``latentaudio render``).

The instrument is :mod:`latentaudio.instrument`'s: samples every few semitones over the notes the file plays, each
tuned to the pitch heard in it and looped where it holds steady, and for the drum channel (General MIDI's channel 10)
a kit of the drums the file strikes. :func:`render` plays each note as an SFZ sampler plays the instrument's ``.sfz``
file: the nearest sample resampled to the note (:func:`~latentaudio.instrument.played_at`), its loop repeated while
the note is held, then a release fade (``ampeg_release``); a drum plays whole; the velocity sets the gain as SFZ's
default velocity curve does, (velocity / 127)².

Example:
    >>> from latentaudio.render import read_midi
    >>> notes = read_midi("melody.mid")            # doctest: +SKIP
    >>> notes[0]                                   # doctest: +SKIP
    MidiNote(start=0.0, end=0.5, pitch=60, velocity=90, channel=1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .instrument import RELEASE_S, Sample, played_at, region_pitch

DRUM_CHANNEL = 10  # General MIDI's percussion channel (1-16)
DEFAULT_TEMPO = 500_000  # microseconds a quarter note, before a file sets one (120 bpm)
# MIDI controllers: the sustain pedal (64-127 down), channel volume, pan, expression
SUSTAIN_PEDAL, VOLUME, PAN, EXPRESSION = 64, 7, 10, 11
SETTINGS = {VOLUME: "volume", PAN: "pan", EXPRESSION: "expression"}  # the controllers a note takes from its channel


@dataclass(frozen=True)
class MidiNote:
    """One note of a MIDI file, in seconds."""

    start: float
    end: float
    pitch: int  # MIDI note (on the drum channel, the General MIDI drum)
    velocity: int  # 1-127
    channel: int  # 1-16
    program: Optional[int] = None  # the General MIDI program its channel was set to (0-127); None: none was set
    volume: int = 100  # its channel's volume (controller 7, 0-127) when it was struck; 100 is MIDI's default
    pan: int = 64  # its channel's pan (controller 10): 0 left, 64 centre, 127 right
    expression: int = 127  # its channel's expression (controller 11), a share of its volume

    @property
    def drum(self) -> bool:
        return self.channel == DRUM_CHANNEL


def read_midi(path) -> list[MidiNote]:
    """The notes of the standard MIDI file at ``path`` (every track and channel), in seconds through its tempo map,
    in the order they start, each with its channel's program, volume (controller 7), pan (controller 10) and expression
    (controller 11) when it was struck. A note let go while its channel's sustain pedal (controller 64) is down sounds on until the pedal comes up
    or its key is struck again; a note still held at the end of its track ends there.

    Raises:
        ValueError: The file is missing or not a MIDI file, uses SMPTE time, or plays no note.
    """
    from music21 import midi

    file = midi.MidiFile()
    try:
        file.open(str(path))
        try:
            file.read()
        finally:
            file.close()
    except Exception as error:  # music21 raises several types for files that are not MIDI
        raise ValueError(f"Cannot read the MIDI file {path}: {error}") from error
    division = file.ticksPerQuarterNote
    if not division or division <= 0:
        raise ValueError(f"The MIDI file {path} counts time in SMPTE frames; expected ticks per quarter note.")
    tempos, events = [], []  # (tick, microseconds a quarter); (tick, track, order, kind, event)
    for track_index, track in enumerate(file.tracks):
        tick = 0
        for order, event in enumerate(track.events):
            if event.isDeltaTime():
                tick += event.time
            elif event.type == midi.MetaEvents.SET_TEMPO:
                tempos.append((tick, int.from_bytes(event.data, "big")))
            elif event.isNoteOn() or event.isNoteOff():
                events.append((tick, track_index, order, "on" if event.isNoteOn() else "off", event))
            elif event.type == midi.ChannelVoiceMessages.CONTROLLER_CHANGE and (event.parameter1 == SUSTAIN_PEDAL
                                                                                  or event.parameter1 in SETTINGS):
                events.append((tick, track_index, order, "control", event))
            elif event.type == midi.ChannelVoiceMessages.PROGRAM_CHANGE:
                events.append((tick, track_index, order, "program", event))
        events.append((tick, track_index, math.inf, "end", None))
    seconds = _tick_seconds(sorted(tempos), division)
    notes = []
    held: dict = {}  # (track, channel, pitch) -> [(start tick, velocity)] of keys down, first struck first
    ringing: dict = {}  # the same, of keys let go while the sustain pedal is down: they sound until it comes up
    channels: dict = {}  # channel -> its settings: program, volume, pan (MIDI's channels are the file's, not a track's)
    pedal_down: set = set()  # channels

    def end(table: dict, key: tuple, tick: int, count: Optional[int] = None) -> None:
        starts = table.get(key, [])
        for start, velocity, settings in starts[:count]:
            notes.append(MidiNote(seconds(start), seconds(tick), key[2], velocity, key[1], *settings))
        table[key] = starts[len(starts) if count is None else count :]

    for tick, track_index, _, kind, event in sorted(events, key=lambda e: e[:3]):
        if kind == "end":  # whatever the track still holds ends with it
            for table in (held, ringing):
                for key in [key for key in table if key[0] == track_index]:
                    end(table, key, tick)
            continue
        settings = channels.setdefault(event.channel, {"program": None, "volume": 100, "pan": 64, "expression": 127})
        if kind == "program":
            settings["program"] = event.data
            continue
        if kind == "control" and event.parameter1 in SETTINGS:
            settings[SETTINGS[event.parameter1]] = event.parameter2
            continue
        if kind == "control":
            if event.parameter2 >= 64:
                pedal_down.add(event.channel)
            elif event.channel in pedal_down:
                pedal_down.discard(event.channel)
                for key in [key for key in ringing if key[1] == event.channel]:
                    end(ringing, key, tick)
            continue
        key = (track_index, event.channel, event.pitch)
        if kind == "on":
            end(ringing, key, tick)  # a key struck again stops its own ringing note
            held.setdefault(key, []).append((tick, event.velocity, (settings["program"], settings["volume"], settings["pan"],
                                                                    settings["expression"])))
        elif held.get(key):
            if event.channel in pedal_down:
                ringing.setdefault(key, []).append(held[key].pop(0))
            else:
                end(held, key, tick, 1)
    if not notes:
        raise ValueError(f"The MIDI file {path} plays no note.")
    return sorted(notes, key=lambda note: (note.start, note.pitch))


def _tick_seconds(tempos: Sequence[tuple[int, int]], division: int):
    """A function from a tick to seconds through the tempo map ``tempos`` (``(tick, microseconds a quarter)``)."""
    marks, at, tick, tempo = [], 0.0, 0, DEFAULT_TEMPO
    for change, new in tempos:
        at += (change - tick) * tempo / division / 1e6
        marks.append((change, at, new))
        tick, tempo = change, new

    def seconds(when: int) -> float:
        start, base, rate = 0, 0.0, DEFAULT_TEMPO
        for change, at_change, new in marks:
            if change > when:
                break
            start, base, rate = change, at_change, new
        return base + (when - start) * rate / division / 1e6

    return seconds


def region_of(samples: Sequence[Sample], note: MidiNote, turn: int = 0) -> Optional[Sample]:
    """The sample an SFZ sampler plays for ``note``: of those whose keys and velocities hold it (a kit's, the drum of
    its key), the round robin whose turn it is (``turn``: how many notes that region has played before; the robins
    take turns as ``seq_position`` orders them); ``None`` where none holds it."""
    robins = sorted((sample for sample in samples if sample.keys[0] <= note.pitch <= sample.keys[1]
                     and sample.velocities[0] <= note.velocity <= sample.velocities[1]), key=lambda sample: sample.robin)
    return robins[turn % len(robins)] if robins else None


def sounding(audio: np.ndarray, sample: Sample, key: int, held_s: float, sample_rate: int,
             release_s: float = RELEASE_S) -> np.ndarray:
    """What ``sample`` (its audio ``audio``) sounds as played at ``key`` and let go after ``held_s``: a drum whole;
    a note resampled to its key, its sustain loop going round for as long as it is held (``loop_sustain``: let go, it
    plays on from where it is into the sample's own release), faded out over ``release_s`` (cut there, or where the
    sample ends)."""
    if sample.drum:
        return np.asarray(audio, np.float32)
    center, tune = region_pitch(sample.heard, sample.note)
    ratio = 2 ** ((key - center + tune / 100) / 12)  # source samples played per output sample
    let_go, wanted = held_s * sample_rate * ratio, math.ceil((held_s + release_s) * sample_rate * ratio) + 1
    if sample.loop is not None and let_go > sample.loop[1] + 1:  # still held at the loop's end: it goes round again
        start, end = sample.loop
        repeats = math.ceil((let_go - (end + 1)) / (end + 1 - start))
        audio = np.concatenate([audio[: end + 1], *[audio[start : end + 1]] * repeats, audio[end + 1 :]])
    from scipy.fft import next_fast_len

    audio = np.asarray(audio[:wanted], np.float32)  # padded to a length the FFT resampler is fast at, then cut back
    played = played_at(np.pad(audio, (0, next_fast_len(len(audio)) - len(audio))), key, center, tune)
    played = played[: max(1, round(len(audio) / ratio))]
    off, fade = round(held_s * sample_rate), round(release_s * sample_rate)
    envelope = np.ones(len(played), np.float32)
    envelope[off : off + fade] = np.linspace(1.0, 0.0, fade, dtype=np.float32)[: max(0, len(played) - off)]
    envelope[off + fade :] = 0.0
    return (played * envelope)[: off + fade]


def render(parts: Sequence[tuple[Sequence[MidiNote], Sequence[Sample]]], audios: dict, sample_rate: int,
           release_s: float = RELEASE_S) -> tuple[np.ndarray, list[MidiNote]]:
    """Each part's notes played on its own samples (an instrument's, a kit's; each sample's audio
    ``audios[sample.file_name]``), a region's round robins in turn: ``(audio, notes not played)``, each note at its
    :func:`note_gain`. The audio is mono, or stereo (2, L)
    when a channel is panned off centre (constant power, a centred note as loud in each channel as in mono), as long
    as the last sound, and turned down as a whole where the notes together pass full scale."""
    sounds, missed = [], []
    for notes, samples in parts:
        turns = {}  # a region (its keys and velocities) -> the notes it has played: its round robins take turns
        for note in sorted(notes, key=lambda note: (note.start, note.pitch)):
            sample = region_of(samples, note)
            if sample is None:
                missed.append(note)
                continue
            region = (sample.keys, sample.velocities)
            sample = region_of(samples, note, turns.get(region, 0))
            turns[region] = turns.get(region, 0) + 1
            sound = sounding(audios[sample.file_name], sample, note.pitch, note.end - note.start, sample_rate, release_s)
            sounds.append((round(note.start * sample_rate), sound * note_gain(note), pan_gains(note.pan)))
    stereo = any(gains != (1.0, 1.0) for _, _, gains in sounds)
    out = np.zeros((2 if stereo else 1, max((start + len(sound) for start, sound, _ in sounds), default=0)), np.float32)
    for start, sound, gains in sounds:
        for channel, row in enumerate(out):
            row[start : start + len(sound)] += sound * gains[channel]
    peak = float(np.abs(out).max(initial=0.0))
    out = out / peak * 0.99 if peak > 0.99 else out
    return (out if stereo else out[0]), missed


def note_gain(note: MidiNote) -> float:
    """A note's gain: (velocity / 127)², as SFZ's default velocity curve, times (volume / 100 × expression / 127)² of
    its channel, 1 at MIDI's default volume (100) and expression (127)."""
    return (note.velocity / 127) ** 2 * (note.volume / 100 * note.expression / 127) ** 2


def pan_gains(pan: int) -> tuple[float, float]:
    """The left and right gains of MIDI pan ``pan`` (0 left, 64 centre, 127 right), at constant power: (1, 1) at
    the centre, (√2, 0) hard left."""
    if pan == 64:
        return 1.0, 1.0
    angle = (min(1.0, max(-1.0, (pan - 64) / 63)) + 1) * math.pi / 4
    return math.sqrt(2) * math.cos(angle), math.sqrt(2) * math.sin(angle)
