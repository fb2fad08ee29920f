"""Playing a MIDI file on instruments made from prompts (``latentaudio render``).

The instruments are :mod:`latentaudio.instrument`'s: samples every few semitones over the notes the file plays, each
tuned to the pitch heard in it and looped where it holds steady, and for the drum channel (General MIDI's channel 10)
a kit of the drums the file strikes. :func:`read_midi` reads the notes with what their channels say of them (program,
volume, expression, pan, sustain pedal, pitch bend), a note's volume and expression followed while it sounds
(a swell); :func:`render` plays each note as an SFZ sampler plays the
instrument's ``.sfz`` file: the nearest sample resampled to the note (:func:`~latentaudio.instrument.played_at`), its
loop repeated while the note is held, then a release fade (``ampeg_release``); a drum plays whole; round robins take
turns; the velocity sets the gain as SFZ's default velocity curve does, (velocity / 127)².

Example:
    >>> from latentaudio.render import read_midi
    >>> notes = read_midi("melody.mid")            # doctest: +SKIP
    >>> notes[0].start, notes[0].end, notes[0].pitch, notes[0].velocity  # doctest: +SKIP
    (0.0, 0.5, 60, 90)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .instrument import RELEASE_S, Sample, played_at, region_pitch

DRUM_CHANNEL = 10  # General MIDI's percussion channel (1-16)
DEFAULT_TEMPO = 500_000  # microseconds a quarter note, before a file sets one (120 bpm)
# MIDI controllers: the sustain pedal (64-127 down), channel volume, pan, expression, and the registered parameter
# number and data entry that set the pitch bend's range
SUSTAIN_PEDAL, VOLUME, PAN, EXPRESSION, PARAMETER_MSB, PARAMETER_LSB, DATA_ENTRY = 64, 7, 10, 11, 101, 100, 6
SETTINGS = {VOLUME: "volume", PAN: "pan", EXPRESSION: "expression"}  # the controllers a note takes from its channel
LEVEL_RAMP_S = 0.005  # a change of volume or expression while a note sounds is ramped over this, not stepped (a click)


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
    bends: tuple = ()  # its channel's pitch bends while it sounds: (seconds after its start, semitones from then on)
    levels: tuple = ()  # its channel's volume and expression changes while it sounds: (seconds after its start,
    #                     volume, expression from then on)

    @property
    def drum(self) -> bool:
        return self.channel == DRUM_CHANNEL


def read_midi(path) -> list[MidiNote]:
    """The notes of the standard MIDI file at ``path`` (every track and channel), in seconds through its tempo map,
    in the order they start, each with its channel's program, volume (controller 7), pan (controller 10) and expression
    (controller 11) when it was struck, the changes of volume and expression while it sounds (a swell), and the pitch
    bends its channel makes while it sounds (in semitones, over the range registered parameter 0 sets, General MIDI's
    2 by default). A note let go while its channel's sustain pedal
    (controller 64) is down sounds on until the pedal comes up or its key is struck again; a note still held at the end
    of its track ends there.

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
    voice = midi.ChannelVoiceMessages
    for track_index, track in enumerate(file.tracks):
        tick = 0
        for order, event in enumerate(track.events):
            if event.isDeltaTime():
                tick += event.time
            elif event.type == midi.MetaEvents.SET_TEMPO:
                tempos.append((tick, int.from_bytes(event.data, "big")))
            elif event.isNoteOn() or event.isNoteOff():
                events.append((tick, track_index, order, "on" if event.isNoteOn() else "off", event))
            elif event.type in (voice.CONTROLLER_CHANGE, voice.PROGRAM_CHANGE, voice.PITCH_BEND):
                events.append((tick, track_index, order, "channel", event))
        events.append((tick, track_index, math.inf, "end", None))
    seconds = _tick_seconds(sorted(tempos), division)
    notes = []
    held: dict = {}  # (track, channel, pitch) -> [_Struck] of keys down, first struck first
    ringing: dict = {}  # the same, of keys let go while the sustain pedal is down: they sound until it comes up
    channels: dict = {}  # channel -> _Channel (MIDI's channels are the file's, not a track's)

    def end(table: dict, key: tuple, tick: int, count: Optional[int] = None) -> None:
        struck = table.get(key, [])
        for note in struck[:count]:
            notes.append(note.ended(seconds, tick, key[2], key[1]))
        table[key] = struck[len(struck) if count is None else count :]

    for tick, track_index, _, kind, event in sorted(events, key=lambda e: e[:3]):
        if kind == "end":  # whatever the track still holds ends with it
            for table in (held, ringing):
                for key in [key for key in table if key[0] == track_index]:
                    end(table, key, tick)
            continue
        channel = channels.setdefault(event.channel, _Channel())
        if kind == "channel":
            released = channel.apply(event)
            if event.type == voice.PITCH_BEND:  # every note the channel sounds follows it
                followed, change = "bends", (tick, channel.bend)
            elif event.type == voice.CONTROLLER_CHANGE and event.parameter1 in (VOLUME, EXPRESSION):
                followed, change = "levels", (tick, channel.volume, channel.expression)
            else:
                followed = None
            if followed is not None:
                for note in (note for table in (held, ringing) for key, struck in table.items()
                             if key[1] == event.channel for note in struck):
                    getattr(note, followed).append(change)
            if released:  # the pedal came up: what it held ends
                for key in [key for key in ringing if key[1] == event.channel]:
                    end(ringing, key, tick)
            continue
        key = (track_index, event.channel, event.pitch)
        if kind == "on":
            end(ringing, key, tick)  # a key struck again stops its own ringing note
            held.setdefault(key, []).append(_Struck(tick, event.velocity, channel.settings(),
                                                    [(tick, channel.bend)] if channel.bend else [], []))
        elif held.get(key):
            if channel.pedal:
                ringing.setdefault(key, []).append(held[key].pop(0))
            else:
                end(held, key, tick, 1)
    if not notes:
        raise ValueError(f"The MIDI file {path} plays no note.")
    return sorted(notes, key=lambda note: (note.start, note.pitch))


@dataclass
class _Channel:
    """A MIDI channel's state as a file sets it: what its notes take when struck, its pedal, its pitch bend."""

    program: Optional[int] = None
    volume: int = 100
    pan: int = 64
    expression: int = 127
    pedal: bool = False
    bend: float = 0.0  # semitones
    bend_range: float = 2.0  # semitones at full bend: General MIDI's, unless registered parameter 0 sets another
    parameter: tuple = (127, 127)  # the registered parameter data entry sets (MSB, LSB); (127, 127): none

    def settings(self) -> tuple:
        """What a note struck now takes: ``MidiNote``'s program, volume, pan and expression."""
        return self.program, self.volume, self.pan, self.expression

    def apply(self, event) -> bool:
        """Take a program change, a controller or a pitch bend; whether it let the sustain pedal up."""
        from music21.midi import ChannelVoiceMessages as voice

        if event.type == voice.PROGRAM_CHANGE:
            self.program = event.data
        elif event.type == voice.PITCH_BEND:
            self.bend = ((event.parameter1 | event.parameter2 << 7) - 8192) / 8192 * self.bend_range
        elif event.parameter1 in SETTINGS:
            setattr(self, SETTINGS[event.parameter1], event.parameter2)
        elif event.parameter1 == SUSTAIN_PEDAL:
            was, self.pedal = self.pedal, event.parameter2 >= 64
            return was and not self.pedal
        elif event.parameter1 in (PARAMETER_MSB, PARAMETER_LSB):
            msb, lsb = self.parameter
            self.parameter = (event.parameter2, lsb) if event.parameter1 == PARAMETER_MSB else (msb, event.parameter2)
        elif event.parameter1 == DATA_ENTRY and self.parameter == (0, 0):  # registered parameter 0: the bend range
            self.bend_range = float(event.parameter2)
        return False


@dataclass
class _Struck:
    """A note struck and not yet ended: its start tick, velocity, its channel's settings then, and the channel's pitch
    bends (tick, semitones) and its changes of volume and expression (tick, volume, expression) while it sounds."""

    start: int
    velocity: int
    settings: tuple
    bends: list
    levels: list

    def ended(self, seconds, tick: int, pitch: int, channel: int) -> MidiNote:
        begin = seconds(self.start)
        return MidiNote(begin, seconds(tick), pitch, self.velocity, channel, *self.settings,
                        bends=tuple((round(seconds(at) - begin, 6), semitones) for at, semitones in self.bends),
                        levels=tuple((round(seconds(at) - begin, 6), *level) for at, *level in self.levels))


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


def round_robins_of(samples: Sequence[Sample], note: MidiNote) -> list[Sample]:
    """The samples whose keys and velocities hold ``note`` (a kit's, the drum of its key): one region's round robins,
    in the turn ``seq_position`` gives them; none where no region holds it."""
    return sorted((sample for sample in samples if sample.keys[0] <= note.pitch <= sample.keys[1]
                   and sample.velocities[0] <= note.velocity <= sample.velocities[1]), key=lambda sample: sample.robin)


def sounding(audio: np.ndarray, sample: Sample, key: int, held_s: float, sample_rate: int,
             release_s: float = RELEASE_S, bends: Sequence[tuple[float, float]] = ()) -> np.ndarray:
    """What ``sample`` (its audio ``audio``) sounds as played at ``key`` and let go after ``held_s``: a drum whole;
    a note resampled to its key, bent by ``bends`` (``MidiNote.bends``: from each time on, so many semitones), its
    sustain loop going round for as long as it is held (``loop_sustain``: let go, it plays on from where it is into the
    sample's own release), faded out over ``release_s`` (cut there, or where the sample ends).

    An unbent note is resampled whole through the FFT (:func:`~latentaudio.instrument.played_at`); a bent one is read at
    the position its changing rate reaches, sample by sample, by linear interpolation."""
    if sample.drum:
        return np.asarray(audio, np.float32)
    center, tune = region_pitch(sample.heard, sample.note)
    shift = key - center + tune / 100  # semitones
    off, fade = round(held_s * sample_rate), round(release_s * sample_rate)
    if bends:
        semitones = np.full(off + fade, shift, np.float64)
        for at, bend in bends:
            semitones[round(at * sample_rate) :] = shift + bend
        steps = 2 ** (semitones / 12)  # source samples played per output sample
        positions = np.concatenate([[0.0], np.cumsum(steps[:-1])])
        let_go, wanted = positions[min(off, len(positions) - 1)], math.ceil(positions[-1]) + 2
    else:
        ratio = 2 ** (shift / 12)
        let_go, wanted = held_s * sample_rate * ratio, math.ceil((held_s + release_s) * sample_rate * ratio) + 1
    if sample.loop is not None and let_go > sample.loop[1] + 1:  # still held at the loop's end: it goes round again
        start, end = sample.loop
        repeats = math.ceil((let_go - (end + 1)) / (end + 1 - start))
        audio = np.concatenate([audio[: end + 1], *[audio[start : end + 1]] * repeats, audio[end + 1 :]])
    audio = np.asarray(audio[:wanted], np.float32)
    if bends:
        played = np.interp(positions, np.arange(len(audio)), audio, right=0.0).astype(np.float32)
        played = played[: max(1, int(np.searchsorted(positions, len(audio))))]  # where the sample runs out
    else:
        from scipy.fft import next_fast_len

        # padded to a length the FFT resampler is fast at, then cut back
        played = played_at(np.pad(audio, (0, next_fast_len(len(audio)) - len(audio))), key, center, tune)
        played = played[: max(1, round(len(audio) / ratio))]
    envelope = np.ones(len(played), np.float32)
    envelope[off : off + fade] = np.linspace(1.0, 0.0, fade, dtype=np.float32)[: max(0, len(played) - off)]
    envelope[off + fade :] = 0.0
    return (played * envelope)[: off + fade]


def render(parts: Sequence[tuple[Sequence[MidiNote], Sequence[Sample]]], audios: dict, sample_rate: int,
           release_s: float = RELEASE_S) -> tuple[np.ndarray, list[MidiNote]]:
    """Each part's notes played on its own samples (an instrument's, a kit's; each sample's audio
    ``audios[sample.file_name]``), a region's round robins in turn: ``(audio, notes not played)``, each note at its
    :func:`note_gains`. The audio is mono, or stereo (2, L)
    when a channel is panned off centre (constant power, a centred note as loud in each channel as in mono), as long
    as the last sound, and turned down as a whole where the notes together pass full scale."""
    sounds, missed = [], []
    for notes, samples in parts:
        turns = {}  # a region (its keys and velocities) -> the notes it has played: its round robins take turns
        for note in sorted(notes, key=lambda note: (note.start, note.pitch)):
            robins = round_robins_of(samples, note)
            if not robins:
                missed.append(note)
                continue
            region = (robins[0].keys, robins[0].velocities)
            sample = robins[turns.get(region, 0) % len(robins)]
            turns[region] = turns.get(region, 0) + 1
            sound = sounding(audios[sample.file_name], sample, note.pitch, note.end - note.start, sample_rate, release_s,
                             note.bends)
            sounds.append((round(note.start * sample_rate), sound * note_gains(note, len(sound), sample_rate),
                           pan_gains(note.pan)))
    stereo = any(gains != (1.0, 1.0) for _, _, gains in sounds)
    out = np.zeros((2 if stereo else 1, max((start + len(sound) for start, sound, _ in sounds), default=0)), np.float32)
    for start, sound, gains in sounds:
        for channel, row in enumerate(out):
            row[start : start + len(sound)] += sound * gains[channel]
    peak = float(np.abs(out).max(initial=0.0))
    out = out / peak * 0.99 if peak > 0.99 else out
    return (out if stereo else out[0]), missed


def note_gain(note: MidiNote) -> float:
    """A note's gain as struck: :func:`velocity_gain` times :func:`channel_gain` of its channel's volume and expression
    then."""
    return velocity_gain(note.velocity) * channel_gain(note.volume, note.expression)


def velocity_gain(velocity: int) -> float:
    """The gain of a note's velocity (1-127) by SFZ's default velocity curve: (velocity / 127)²."""
    return (velocity / 127) ** 2


def channel_gain(volume: int, expression: int) -> float:
    """The gain of a channel's volume (controller 7) and expression (controller 11): (volume / 100 × expression / 127)²,
    1 at MIDI's default volume (100) and expression (127)."""
    return (volume / 100 * expression / 127) ** 2


def note_gains(note: MidiNote, length: int, sample_rate: int):
    """The gain of each of a note's ``length`` samples: :func:`note_gain` as struck, following the changes of its
    channel's volume and expression while it sounds (``MidiNote.levels``), each ramped over :data:`LEVEL_RAMP_S`; a
    number when nothing changes."""
    gain = note_gain(note)
    if not note.levels:
        return gain
    velocity = velocity_gain(note.velocity)
    steps = np.full(length, gain, np.float64)  # each change from its sample on, then a moving mean: linear ramps
    for at, volume, expression in note.levels:
        steps[round(at * sample_rate) :] = velocity * channel_gain(volume, expression)
    ramp = max(1, round(LEVEL_RAMP_S * sample_rate))
    sums = np.cumsum(np.concatenate([np.full(ramp, gain), steps]))
    return ((sums[ramp:] - sums[:-ramp]) / ramp).astype(np.float32)


def pan_gains(pan: int) -> tuple[float, float]:
    """The left and right gains of MIDI pan ``pan`` (0 left, 64 centre, 127 right), at constant power: (1, 1) at
    the centre, (√2, 0) hard left."""
    if pan == 64:
        return 1.0, 1.0
    angle = (min(1.0, max(-1.0, (pan - 64) / 63)) + 1) * math.pi / 4
    return math.sqrt(2) * math.cos(angle), math.sqrt(2) * math.sin(angle)
