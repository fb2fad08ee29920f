"""A playable instrument from a prompt: one take per sampled note (and per dynamics layer), each take's pitch heard
and put right, written as an SFZ multisample for a sampler (SFZ players such as sfizz and Sforzando load it).

A model that reads the note a prompt states (the default model: ``latentaudio.prompts``) can play any note of an
instrument, so a sampler instrument is a loop over notes: "airy flute, C4", "airy flute, D#4", ... every few
semitones. What makes the takes playable together:

* **The note heard.** A take's fundamental (:func:`~latentaudio.metrics.estimate_pitch`) can sit some cents off the
  note asked for, or on another note. Several takes of each note are drawn (``tries``), the model's scorer puts them
  best first where it has one, and the first within a semitone of the note is kept (else the nearest;
  :func:`pick_takes`).
* **Round robins.** With ``round_robins`` above 1, that many takes of each note are kept (in the same order of
  preference) and a sampler plays them in turn (``seq_length`` / ``seq_position``), so a repeated note or drum hit is
  never the same sample twice in a row.
* **Sustain loops.** A take that holds its note (a pad, an organ, strings, a flute) gets a loop over its steadiest
  stretch, starting where what leads into it best matches its end, with the loop's end crossfaded into that lead-in and
  the audio after it back into the release (:func:`sustain_loop`, :func:`bake_loop`): a sampler repeats it while the
  key is held (``loop_mode=loop_sustain``) and plays on into the release after. A take that dies away (a piano, a pluck) plays as it is.
* **The tuning.** Each region is then tuned by what was heard (:func:`region_pitch`): its ``pitch_keycenter`` is the
  nearest key to the take's pitch and ``tune`` the remaining cents, so every key plays its own pitch, whatever the take
  was off by. A take whose pitch cannot be heard (a noise, a drum) keeps the note asked for.

Each sampled note covers the keys half-way to its neighbours (:func:`key_ranges`), and dynamics layers ("soft",
"loud") split the velocities (:func:`velocity_ranges`).

A **drum kit** (``drums=True``) is the General MIDI percussion map instead: each key of its range (35-81) plays one
sample of the drum that key names ("closed hi-hat, TR-808 kit"), best first by the model's scorer, which knows the
drums by name; samples play whole (``loop_mode=one_shot``), and a closed or pedal hi-hat cuts an open one, as on a
real hi-hat (:data:`HI_HAT_CHOKE`). The SFZ format: https://sfzformat.com (the opcodes used here are SFZ v1's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from .data.gm import note_name
from .sample_info import SampleInfo

LOWEST_KEY, HIGHEST_KEY = 0, 127
RELEASE_S = 0.3  # how long a note fades after its key is let go (the SFZ file's ampeg_release)
DRUM_KEYS_RANGE = (35, 81)  # General MIDI percussion: acoustic kick drum to open triangle
# SFZ groups of the hi-hat: the closed (42) and pedal (44) hi-hat are group 2, and the open one (46) is group 1, which
# any note of group 2 turns off (off_by).
HI_HAT_CHOKE = {42: "group=2", 44: "group=2", 46: "group=1 off_by=2"}


@dataclass(frozen=True)
class Sample:
    """One region of the instrument: the take kept for ``note`` in one dynamics layer."""

    note: int  # the MIDI note asked for
    heard: Optional[float]  # the take's fundamental, fractional MIDI pitch; None where none was heard
    keys: tuple[int, int]  # the keys it plays, lowest and highest (inclusive)
    velocities: tuple[int, int]  # the velocities it plays, lowest and highest (inclusive)
    file_name: str  # the sample's file, relative to the instrument's folder of samples
    take: int  # which of the drawn takes was kept (0: the first, best first where the model ranks)
    drum: Optional[str] = None  # the drum it is, in a drum kit (General MIDI's name for its key)
    robin: int = 1  # its turn among the round robins of its note and layer (1 to round_robins)
    loop: Optional[tuple[int, int]] = None  # its sustain loop, first and last sample played (inclusive); None: none

    @property
    def in_tune(self) -> bool:
        """Whether the take lies within a semitone of the note asked for (:func:`~latentaudio.metrics.within_semitone`)."""
        from .metrics import within_semitone

        return within_semitone(self.heard, self.note)


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


def sample_info(sample: Sample) -> SampleInfo:
    """What the WAV of ``sample`` states to a sampler that imports it without the ``.sfz``: the pitch its region tunes it
    from (:func:`region_pitch`: the ``smpl`` chunk's unity note and the cents above it) and its sustain loop; a drum is
    a one-shot of no pitch (:mod:`latentaudio.sample_info`)."""
    if sample.drum:
        return SampleInfo()
    center, tune = region_pitch(sample.heard, sample.note)
    return SampleInfo.at_pitch(center - tune / 100, loop=sample.loop)


def played_at(audio: np.ndarray, key: int, pitch_keycenter: int, tune: int = 0) -> np.ndarray:
    """``audio`` (L,) as an SFZ sampler plays its region at ``key``: resampled to sound ``key - pitch_keycenter``
    semitones and ``tune`` cents higher (faster and shorter going up), a preview of the instrument without a sampler."""
    from scipy.signal import resample

    ratio = 2 ** ((key - pitch_keycenter + tune / 100) / 12)
    return resample(np.asarray(audio, np.float32), max(1, round(len(audio) / ratio))).astype(np.float32)


def sustain_loop(audio: np.ndarray, sample_rate: int, pitch: Optional[float], steadiest_db: float = 3.0,
                 drift_db_per_s: float = 4.0, shortest_s: float = 0.15, frame_s: float = 0.05,
                 crossfade_s: float = 0.05) -> Optional[tuple[int, int]]:
    """A loop over the steadiest stretch of a held note: ``(start, end)``, samples ``audio[start:end]`` to repeat,
    or ``None`` where the note holds no steady stretch of ``shortest_s`` (it dies away, or has no pitch heard).

    The note's sustain is the frames (``frame_s`` long) from the first within 6 dB of the loudest to the last, the
    attack's frame left out; the stretch is its longest run of frames whose levels stay within ``steadiest_db`` of each
    other, with ``crossfade_s`` of it kept before the loop for :func:`bake_loop`. The loop is about a whole number of the
    note's periods (``pitch``, in MIDI), its start moved by up to a period to where what leads up to it is most like the
    loop's end (the largest normalised correlation), so that the crossfade joins two stretches in phase; it ends where the
    stretch ends. A loop whose level drifts faster than ``drift_db_per_s`` (its first and last fifths compared: a note
    dying away) is refused, as its repeats would pump.

    Args:
        audio (`np.ndarray`): The take, mono (L,).
        pitch (`float` or `None`): Its fundamental, in (fractional) MIDI pitch (:func:`~latentaudio.metrics.estimate_pitch`).
    """
    if pitch is None:
        return None
    frame = max(1, round(frame_s * sample_rate))
    frames = len(audio) // frame
    if frames < 3:
        return None

    levels = 10 * np.log10(np.mean(np.square(audio[: frames * frame].reshape(frames, frame), dtype=np.float64), axis=1) + 1e-12)
    held = np.flatnonzero(levels >= levels.max() - 6)
    best, first = (0, 0), held[0] + 1
    for last in range(held[0] + 1, held[-1] + 1):  # the longest steady run of frames [first, last]
        while levels[first : last + 1].max() - levels[first : last + 1].min() > steadiest_db:
            first += 1
        if last + 1 - first > best[1] - best[0]:
            best = (first, last + 1)
    crossfade = round(crossfade_s * sample_rate)
    begin, stop = best[0] * frame + crossfade, best[1] * frame
    period = sample_rate / (440.0 * 2 ** ((pitch - 69) / 12))
    length = round(int((stop - begin - period) / period) * period)
    if length < shortest_s * sample_rate:
        return None
    # the start within a period either way whose lead-in is most like the loop's end (the pitch heard is a median, so
    # a long loop can drift off whole periods): the crossfade then joins two stretches in phase
    tail = audio[stop - crossfade : stop]
    shifts = range(-round(period), round(period) + 1)
    likeness = [_correlation(tail, audio[stop - length + shift - crossfade : stop - length + shift]) for shift in shifts]
    length -= shifts[int(np.argmax(likeness))]
    fifth = length // 5
    ends = [np.mean(np.square(audio[at : at + fifth], dtype=np.float64)) + 1e-12 for at in (stop - length, stop - fifth)]
    if abs(10 * np.log10(ends[1] / ends[0])) > drift_db_per_s * (length - fifth) / sample_rate:
        return None
    return stop - length, stop


def bake_loop(audio: np.ndarray, start: int, end: int, crossfade_s: float = 0.05, sample_rate: int = 16000) -> np.ndarray:
    """``audio`` with its loop ``[start, end)`` joined both ways a sampler plays past ``end - 1``: around to ``start``
    while the key is held, and on into the release after it is let go.

    The loop's last ``crossfade_s`` is faded into the audio that leads up to ``start``, so that going around, the loop
    continues as the audio before ``start`` does; and the first ``crossfade_s`` after the loop is faded from the audio
    that follows ``start`` back into the release, so that playing on continues the same way. Each fade keeps the power
    of the sum steady for its two stretches' correlation ``r`` (gains ``a``, ``b`` scaled by
    ``1 / sqrt(a² + b² + 2rab)``: linear for stretches in phase, equal-power for unrelated ones, so a chorused pad does
    not dip). The audio outside the two fades is unchanged."""
    fade = min(round(crossfade_s * sample_rate), start, (end - start) // 2, len(audio) - end)
    baked = np.array(audio, dtype=np.float32, copy=True)
    if fade > 0:
        baked[end - fade : end] = _fade(audio[end - fade : end], audio[start - fade : start])
        baked[end : end + fade] = _fade(audio[start : start + fade], audio[end : end + fade])
    return baked


def _fade(away: np.ndarray, into: np.ndarray) -> np.ndarray:
    """``away`` faded into ``into`` (two stretches of one length) at steady power for their correlation."""
    away, into = away.astype(np.float64), into.astype(np.float64)
    r = float(np.clip(_correlation(away, into), 0, 1))
    weight = np.arange(1, len(away) + 1) / len(away)
    gain = 1 / np.sqrt((1 - weight) ** 2 + weight**2 + 2 * r * (1 - weight) * weight)
    return (gain * ((1 - weight) * away + weight * into)).astype(np.float32)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """The normalised correlation of two stretches of one length, in [-1, 1] (0 where either is silent)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def pick_takes(heard: Sequence[Optional[float]], note: int, count: int = 1) -> list[int]:
    """Which ``count`` of the takes (in the order the pipeline gave them, best first where it ranks) to keep for
    ``note``, given the pitch ``heard`` in each (`None` for a drum, or none heard): those within a semitone of it in
    that order, then the others nearest to it, then those with no pitch heard, in that order."""
    from .metrics import within_semitone

    def preference(i: int) -> tuple:
        pitch = heard[i]
        if pitch is None:
            return (2, 0.0, i)
        return (0, 0.0, i) if within_semitone(pitch, note) else (1, abs(pitch - note), i)

    return sorted(range(len(heard)), key=preference)[:count]


def layer_prompt(prompt: str, note: int, dynamics: Optional[str] = None) -> str:
    """The prompt of one sample: ``prompt``, then the layer's dynamics word, then the note ("airy flute, soft, C#4")."""
    return ", ".join(part for part in (prompt, dynamics, note_name(note)) if part)


def drum_prompt(prompt: str, key: int, dynamics: Optional[str] = None) -> str:
    """The prompt of one drum of a kit: the drum its General MIDI key names, then ``prompt`` (the kit) and the layer's
    dynamics word ("closed hi-hat, TR-808 kit, soft"): the drum comes first, so that it is the one a prompt reader
    reads where the kit's words also name one ("an 808 kit" alone reads as an 808 kick)."""
    from .data.gm import DRUM_KEYS

    return ", ".join(part for part in (DRUM_KEYS[key], prompt, dynamics) if part)


def sample_prompt(prompt: str, note: int, dynamics: Optional[str] = None, drums: bool = False) -> str:
    """The prompt of one sample of an instrument: :func:`drum_prompt` for a kit, else :func:`layer_prompt`."""
    return drum_prompt(prompt, note, dynamics) if drums else layer_prompt(prompt, note, dynamics)


def check_instrument_prompt(prompt: str, dynamics: Sequence[str], drums: bool = False) -> None:
    """Refuse a prompt that states what the instrument sets itself: a note (each sample's), a drum (one sound: for a
    pitched instrument, or for a kit unless it names the kit, "an 808 kit"), or dynamics when ``dynamics`` layers are
    asked for.

    Raises:
        ValueError: Naming what the prompt states.
    """
    from .prompts import parse_prompt

    found = parse_prompt(prompt)
    if found.note is not None:
        raise ValueError(f"The prompt {prompt!r} states a note ({found.note_text}); an instrument plays every note "
                         "of --notes, so leave it out.")
    if found.is_drum and not drums:
        raise ValueError(f"The prompt {prompt!r} names a drum ({found.instrument}); an instrument is pitched: "
                         "--drums makes a drum kit, `latentaudio generate` a drum hit.")
    if found.is_drum and found.kit is None:
        raise ValueError(f"The prompt {prompt!r} names a drum ({found.instrument}); a kit has every drum: describe "
                         "the kit instead (e.g. 'TR-808 kit', 'a dusty jazz kit').")
    if drums and found.program is not None:
        raise ValueError(f"The prompt {prompt!r} names an instrument ({found.instrument}); a kit's samples are its "
                         "drums: describe the kit, or leave out --drums.")
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


def check_drum_keys(keys: Sequence[int]) -> None:
    """Raise ``ValueError`` naming the ``keys`` that General MIDI gives no drum (its percussion is 35-81)."""
    from .data.gm import DRUM_KEYS

    unknown = [key for key in keys if key not in DRUM_KEYS]
    if unknown:
        raise ValueError(f"Drum keys {unknown} are not General MIDI percussion: expected keys "
                         f"{DRUM_KEYS_RANGE[0]}-{DRUM_KEYS_RANGE[1]}.")


def make_samples(draw: Callable[[str], list[np.ndarray]], sample_rate: int, prompt: str, notes: Sequence[int],
                 dynamics: Sequence[str] = (), stem: str = "take", reach: Optional[int] = None,
                 on_sample: Optional[Callable[[Sample, np.ndarray], None]] = None, drums: bool = False,
                 round_robins: int = 1, loops: bool = True) -> list[Sample]:
    """Draw, hear and place every sample of the instrument.

    Args:
        draw: ``draw(prompt)`` gives the takes of one sample's prompt (:func:`sample_prompt`), mono at ``sample_rate``, in the order to prefer them (best first where the model ranks).
        notes: The sorted MIDI notes to sample (:func:`note_plan`); for a kit, its keys.
        dynamics: Dynamics words, softest first, one velocity layer each (:func:`velocity_ranges`); none: one layer
            of the prompt as it is.
        stem: The start of each sample's file name: ``STEM_soft_060_C4.wav`` (``#`` spelt ``s``), for a kit
            ``STEM_soft_042_closed_hi_hat.wav``.
        reach: Semitones the lowest and highest sample reach past their note (default: half the spacing of the
            lowest two notes, 6 for a single note); a kit's samples play their own key only.
        on_sample: Called with each sample and the audio kept for it, as soon as it is chosen (to write it).
        drums: A drum kit: each key the drum General MIDI gives it, its first takes kept (no pitch to hear).
        round_robins: Takes kept of each note (:func:`pick_takes`), played in turn; ``draw`` must give at least as many.
            Their files end ``_rr1``, ``_rr2``, ... when there are several.
        loops: Give each held note a sustain loop (:func:`sustain_loop`), baked into its audio (:func:`bake_loop`);
            never for a kit.

    Returns:
        Every sample, layer by layer (softest first), low to high within a layer, each note's round robins in turn.
    """
    from .data.gm import DRUM_KEYS
    from .metrics import estimate_pitch

    if drums:
        check_drum_keys(notes)
        keys = [(key, key) for key in notes]
    else:
        keys = key_ranges(notes, reach if reach is not None else (notes[1] - notes[0]) // 2 if len(notes) > 1 else 6)
    layers = list(dynamics) or [None]
    samples = []
    for layer, velocities in zip(layers, velocity_ranges(len(layers))):
        for note, note_keys in zip(notes, keys):
            takes = draw(sample_prompt(prompt, note, layer, drums))
            if len(takes) < round_robins:
                raise ValueError(f"{round_robins} round robins need as many takes of each note; {len(takes)} were drawn.")
            heard = [None] * len(takes) if drums else [estimate_pitch(take, sample_rate) for take in takes]
            what = DRUM_KEYS[note] if drums else note_name(note).replace("#", "s")
            for robin, kept in enumerate(pick_takes(heard, note, round_robins), start=1):
                turn = f"rr{robin}" if round_robins > 1 else None
                name = re.sub(r"[^\w-]+", "_", "_".join(part for part in (stem, layer, f"{note:03d}", what, turn) if part))
                audio, loop = takes[kept], None
                found = sustain_loop(audio, sample_rate, heard[kept]) if loops and not drums else None
                if found is not None:
                    audio, loop = bake_loop(audio, *found, sample_rate=sample_rate), (found[0], found[1] - 1)
                sample = Sample(note, heard[kept], note_keys, velocities, f"{name}.wav", kept,
                                DRUM_KEYS[note] if drums else None, robin, loop)
                if on_sample is not None:
                    on_sample(sample, audio)
                samples.append(sample)
    return samples


def sfz_text(samples: Sequence[Sample], folder: str, header: Sequence[str] = (), release_in_s: float = RELEASE_S) -> str:
    """The SFZ file of ``samples``, whose files lie in ``folder`` beside it: one ``<group>`` per velocity layer, one
    ``<region>`` per sample tuned by :func:`region_pitch`, each after a comment of what was asked and heard; the
    ``header`` lines first, as comments. Notes end with a ``release_in_s`` fade; a kit's samples play whole, its
    hi-hats choked (:data:`HI_HAT_CHOKE`); round robins take turns (``seq_length``, ``seq_position``); a sample with a
    sustain loop repeats it while its key is held (``loop_mode=loop_sustain``)."""
    kit = any(sample.drum for sample in samples)
    robins = max(sample.robin for sample in samples)
    lines = [f"// {line}" for line in header]
    lines += ["", "<global>", "loop_mode=one_shot" if kit else f"ampeg_release={release_in_s:g}"]
    layer = None
    for sample in samples:
        if sample.velocities != layer:
            layer = sample.velocities
            lines += ["", f"<group> lovel={layer[0]} hivel={layer[1]}"]
        center, tune = region_pitch(sample.heard, sample.note)
        if sample.drum:
            lines.append(f"// {sample.drum}, take {sample.take + 1}")
        else:
            heard = "no pitch heard" if sample.heard is None else f"heard {sample.heard:.2f} ({note_name(round(sample.heard))})"
            lines.append(f"// {note_name(sample.note)} asked, {heard}, take {sample.take + 1}")
        choke = f" {HI_HAT_CHOKE[sample.note]}" if sample.drum and sample.note in HI_HAT_CHOKE else ""
        turn = f" seq_length={robins} seq_position={sample.robin}" if robins > 1 else ""
        loop = "" if sample.loop is None else f" loop_mode=loop_sustain loop_start={sample.loop[0]} loop_end={sample.loop[1]}"
        lines.append(f"<region> sample={folder}/{sample.file_name} lokey={sample.keys[0]} hikey={sample.keys[1]} "
                     f"pitch_keycenter={center} tune={tune}{choke}{turn}{loop}")
    return "\n".join(lines) + "\n"


def read_sfz(path, sample_rate: Optional[int] = None) -> tuple[list[Sample], dict, int]:
    """The regions of an SFZ file as :func:`sfz_text` writes them, to play again (:mod:`latentaudio.render`):
    ``(samples, audios, rate)``, each sample's audio ``audios[sample.file_name]``, mono at ``sample_rate`` (default:
    the first file's rate; loop points moved with a file resampled to it).

    The opcodes read are those :func:`sfz_text` writes, under ``<global>``, ``<group>`` and ``<region>`` headers (a
    region takes its group's and the global ones it does not set): ``sample`` (a path without spaces, relative to the
    file), ``lokey``/``hikey`` (or ``key``), ``lovel``/``hivel``, ``pitch_keycenter``, ``tune``, ``loop_mode``,
    ``loop_start``/``loop_end`` and ``seq_position``. A region whose ``loop_mode`` is ``one_shot`` plays whole (a
    drum); one whose loop mode loops repeats its loop while held. Other opcodes are not read.

    Raises:
        ValueError: The file cannot be read, holds no region, or a region names no sample or one that cannot be read.
    """
    from pathlib import Path

    import soundfile as sf

    from .audio_io import AudioFileError, read_audio
    from .data.gm import DRUM_KEYS

    path = Path(path)
    try:
        text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"Cannot read the SFZ file {path}: {error}") from error
    overall, group, regions = {}, {}, []
    current = overall
    for header, opcode, value in re.findall(r"<(\w+)>|(\w+)=(\S+)", text):
        if header == "group":
            current = group = {}
        elif header == "region":
            current = {}
            regions.append((overall, group, current))
        elif header:
            current = overall if header == "global" else {}  # <control>, <master>, ...: not read
        else:
            current[opcode] = value
    if not regions:
        raise ValueError(f"The SFZ file {path} holds no <region>.")
    samples, audios, rate = [], {}, sample_rate
    for scopes in regions:
        opcodes = {key: value for scope in scopes for key, value in scope.items()}
        if "sample" not in opcodes:
            raise ValueError(f"A region of the SFZ file {path} names no sample.")
        name = opcodes["sample"].replace("\\", "/")
        try:
            native = sf.info(str(path.parent / name)).samplerate
            rate = rate or native
            audio, _ = read_audio(path.parent / name, rate, mono=True)
        except (AudioFileError, RuntimeError, sf.LibsndfileError) as error:
            raise ValueError(f"The SFZ file {path}: cannot read its sample {name}: {error}") from error
        center = int(opcodes.get("pitch_keycenter", 60))
        loop = None
        if opcodes.get("loop_mode") in ("loop_sustain", "loop_continuous") and "loop_end" in opcodes:
            loop = (round(int(opcodes.get("loop_start", 0)) * rate / native), round(int(opcodes["loop_end"]) * rate / native))
        samples.append(Sample(
            note=center, heard=center - int(opcodes.get("tune", 0)) / 100,
            keys=(int(opcodes.get("lokey", opcodes.get("key", 0))), int(opcodes.get("hikey", opcodes.get("key", 127)))),
            velocities=(int(opcodes.get("lovel", 1)), int(opcodes.get("hivel", 127))), file_name=name, take=0,
            drum=DRUM_KEYS.get(center, "one-shot") if opcodes.get("loop_mode") == "one_shot" else None,
            robin=int(opcodes.get("seq_position", 1)), loop=loop))
        audios[name] = audio.numpy()
    return samples, audios, rate
