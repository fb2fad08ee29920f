"""A captioned dataset of General MIDI one-shots rendered from a SoundFont.

Every chosen melodic program plays ``pitches_per_program`` pitches spread evenly over its
playable range (:mod:`latentaudio.data.gm`) at each velocity; every chosen drum kit in bank
128 plays each GM percussion key at each velocity. Captions come from the GM names:
"a soft acoustic grand piano note, C4", "a loud violin note, G5, strings",
"a loud snare drum hit", "a soft closed hi-hat hit, TR-808 kit".

Levels. The synth runs at a fixed gain with reverb and chorus off. Renders whose peak is
below -60 dBFS (notes outside the SoundFont's samples) are skipped and listed in the card.
Each *instrument* (a melodic program, or one drum sound of one kit) then gets a single gain
that brings its loudest render to a peak of 0.9 (-0.9 dBFS), so the instruments are equally
loud while soft notes stay softer than loud ones, as their captions say.

Splits. The ``split`` column holds out whole (pitch, velocity) combinations: all distinct
combinations in the plan are shuffled with ``seed`` and 80 / 10 / 10 % of them go to
train / validation / test, so a test clip's pitch and dynamics were never heard together in
training on any instrument. The same arguments always give the same dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..audio_io import PathLike, write_audio
from . import gm
from .captions import captions_for_row
from .card import python_call, write_dataset_card
from .splits import assign_holdout_splits, held_out_pitches
from .output import DEFAULT_SAMPLE_RATE, DEFAULT_SECONDS, TARGET_PEAK, BuildResult, assign_splits, slug, write_metadata
from .synth import DEFAULT_SOUNDFONT, DRUM_BANK, DRUM_CHANNEL, FluidSynthRenderer, fade_out

DEFAULT_VELOCITIES = (40, 80, 112)  # soft, moderately loud, loud
DEFAULT_PITCHES_PER_PROGRAM = 5
DEFAULT_KITS = (0, 24, 25, 40)  # standard, electronic, TR-808, brush
SILENCE_PEAK = 1e-3  # -60 dBFS before normalisation
FLUIDR3_LICENCE = "MIT (FluidR3_GM by Frank Wen, as packaged in Debian fluid-soundfont-gm)"
# Licences of the General MIDI SoundFonts Debian packages (from /usr/share/doc/<package>/copyright).
# Never train on the MuseScore General fonts or the Hydrogen kits: the held-out evaluation uses them.
FONT_LICENCES = {
    "FluidR3_GM.sf2": FLUIDR3_LICENCE,
    "TimGM6mb.sf2": "GPL-2 (TimGM6mb by Tim Brechbill, Debian timgm6mb-soundfont)",
    "OPL-3_FM_128M.sf2": "GPL-3+ (OPL-3 FM 128M, Debian opl3-soundfont)",
}
# Held out for evaluation: the MuseScore General fonts, GeneralUser, and the Hydrogen drum kits
# (matched anywhere in the path: /usr/share/hydrogen/data/drumkits/..., *.h2drumkit, GMRockKit).
EXCLUDED_FONTS = ("musescore", "MuseScore_General", "GeneralUser", "hydrogen", "h2drumkit", "GMRockKit", "GMkit")


def check_training_font(font: PathLike) -> Path:
    """``font`` as a Path; a ValueError when it is one of the sound sets held out for evaluation."""
    font = Path(font)
    if any(name.lower() in str(font).lower() for name in EXCLUDED_FONTS):
        raise ValueError(f"{font} is held out for evaluation (MuseScore General, GeneralUser and Hydrogen kits); "
                         "train on another SoundFont.")
    return font


def font_licence(font: PathLike) -> str:
    """The licence of a known General MIDI SoundFont, for a dataset card."""
    return FONT_LICENCES.get(Path(font).name, "that of the SoundFont used")


@dataclass(frozen=True)
class OneShot:
    """One planned note."""

    bank: int
    program: int  # melodic program, or the drum kit's preset in bank 128
    pitch: int  # MIDI pitch, or the percussion key
    velocity: int
    instrument: str
    family: str
    text: str
    kit: Optional[str] = None  # drum kit name; None for melodic notes

    @property
    def group(self) -> tuple:
        """Notes that share one normalisation gain: a program, or one drum sound of a kit."""
        return (self.bank, self.program) if self.kit is None else (self.bank, self.program, self.pitch)

    @property
    def file_name(self) -> str:
        if self.kit is None:
            return f"{self.program:03d}-{slug(self.instrument)}-p{self.pitch:03d}-v{self.velocity:03d}.wav"
        return f"drums-{slug(self.kit)}-k{self.pitch:03d}-{slug(self.instrument)}-v{self.velocity:03d}.wav"


def pitch_spread(low: int, high: int, count: int) -> list[int]:
    """``count`` distinct pitches evenly spread from ``low`` to ``high`` inclusive."""
    if count == 1:
        return [round((low + high) / 2)]
    return sorted({round(p) for p in np.linspace(low, high, count)})


def plan_one_shots(
    programs: Optional[Sequence[int]] = None,
    drums: bool = True,
    kits: Sequence[int] = DEFAULT_KITS,
    pitches_per_program: int = DEFAULT_PITCHES_PER_PROGRAM,
    velocities: Sequence[int] = DEFAULT_VELOCITIES,
    drum_keys: Optional[Sequence[int]] = None,
    pitch_step: Optional[int] = None,
) -> list[OneShot]:
    """Every note to render, in a fixed order. ``programs=None`` means all 128.

    ``pitch_step`` replaces ``pitches_per_program`` when given: every ``pitch_step``-th semitone of
    each program's range (1: every semitone)."""
    # Repeated values would write the same file twice; keep the first of each.
    programs = list(dict.fromkeys(range(128) if programs is None else programs))
    velocities, kits = list(dict.fromkeys(velocities)), list(dict.fromkeys(kits))
    drum_keys = list(dict.fromkeys(sorted(gm.DRUM_KEYS) if drum_keys is None else drum_keys))
    _check_range("program", programs, 0, 127)
    _check_range("velocity", velocities, 1, 127)
    for key in drum_keys:
        if key not in gm.DRUM_KEYS:
            raise ValueError(f"Unknown percussion key {key}; expected one of {min(gm.DRUM_KEYS)}-{max(gm.DRUM_KEYS)}.")
    for kit in kits:
        if kit not in gm.DRUM_KITS:
            raise ValueError(f"Unknown drum kit {kit}; expected one of {gm.DRUM_KITS}.")
    if pitch_step is not None and pitch_step < 1:
        raise ValueError(f"pitch_step must be at least 1, got {pitch_step}.")
    if pitches_per_program < 1:
        raise ValueError(f"pitches_per_program must be at least 1, got {pitches_per_program}.")

    plan = []
    for program in programs:
        spec, family = gm.PROGRAMS[program], gm.family_of(program)
        pitches = range(spec.low, spec.high + 1, pitch_step) if pitch_step else pitch_spread(spec.low, spec.high, pitches_per_program)
        for pitch in pitches:
            for velocity in velocities:
                text = gm.program_caption(program, pitch, velocity)
                plan.append(OneShot(0, program, pitch, velocity, spec.name, family.name, text))
    if drums:
        for kit in kits:
            for key in drum_keys:
                for velocity in velocities:
                    text = gm.drum_caption(key, velocity, gm.DRUM_KITS[kit])
                    plan.append(OneShot(DRUM_BANK, kit, key, velocity, gm.DRUM_KEYS[key], gm.DRUMS_FAMILY, text, gm.DRUM_KITS[kit]))
    return plan


def render_soundfont_dataset(
    out_dir: PathLike,
    soundfont: Union[PathLike, Sequence[PathLike]] = DEFAULT_SOUNDFONT,
    programs: Optional[Sequence[int]] = None,
    drums: bool = True,
    seconds: float = DEFAULT_SECONDS,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    seed: int = 0,
    pitches_per_program: int = DEFAULT_PITCHES_PER_PROGRAM,
    velocities: Sequence[int] = DEFAULT_VELOCITIES,
    kits: Sequence[int] = DEFAULT_KITS,
    drum_keys: Optional[Sequence[int]] = None,
    command: Optional[str] = None,
    pitch_step: Optional[int] = None,
    captions_per_clip: int = 1,
    holdout: Sequence[str] = (),
    hold_seconds: Optional[float] = None,
    holdout_like: Optional[PathLike] = None,
) -> BuildResult:
    """Render one-shots to ``out_dir`` as an audiofolder with ``metadata.jsonl`` and ``dataset_card.md``.

    Args:
        out_dir: Output folder (created).
        soundfont: The ``.sf2`` file, or several (each renders the whole plan; rows record ``font``);
            defaults to Debian's FluidR3_GM.
        programs: Melodic GM programs, 0-127; all 128 when `None`; ``[]`` for drums only.
        drums: Also render the percussion kits of bank 128.
        seconds: Length of every clip; a melodic note is held for ``hold_seconds``, then released.
        sample_rate: Output rate in Hz.
        seed: Seeds the split assignment.
        pitches_per_program: Pitches spread over each program's range.
        velocities: MIDI velocities of every note.
        kits: Drum kit presets in bank 128 (see :data:`gm.DRUM_KITS`).
        drum_keys: Percussion keys (35-81); all when `None`.
        command: The command line to record in the card.
        pitch_step: Every ``pitch_step``-th semitone of each range instead of ``pitches_per_program``.
        captions_per_clip: With more than 1, rows also hold ``captions``: the template caption and
            varied ones (:mod:`latentaudio.data.captions`) that diffusion training samples from.
        holdout: Hold out whole ``"pitches"`` per program and/or whole ``"velocities"``
            (:mod:`latentaudio.data.splits`) instead of pitch-velocity combinations.
        hold_seconds: How long a melodic note is held before its release; half of ``seconds`` when
            `None`. A fixed hold makes renders of different lengths agree where they overlap: the
            first 2.56 s of a 5.12 s render held 1.28 s is the 2.56 s render, with its decay after it.
        holdout_like: Another dataset built with a pitch holdout: hold out exactly its held-out pitches
            (:func:`latentaudio.data.splits.held_out_pitches`), in the same splits, instead of drawing new
            ones, so that a denser set which goes on training a model of that one never plays a note the
            earlier evaluation calls unseen. Implies ``"pitches"`` in ``holdout``.
    """
    # 1. check inputs and plan
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds}.")
    if hold_seconds is not None and not 0 < hold_seconds <= seconds:
        raise ValueError(f"hold_seconds={hold_seconds} is out of range: expected a hold in (0, {seconds:g}] (the clip).")
    fonts = [check_training_font(font) for font in ([soundfont] if isinstance(soundfont, (str, Path)) else soundfont)]
    plan = plan_one_shots(programs, drums, kits, pitches_per_program, velocities, drum_keys, pitch_step)
    if not plan:
        raise ValueError("Nothing to render: no programs and no drums.")
    if holdout_like is not None:
        holdout = sorted(set(holdout) | {"pitches"})
    if holdout:
        held = held_out_pitches(holdout_like) if holdout_like is not None else None
        splits = assign_holdout_splits(plan, holdout, seed, held_pitches=held)
    else:
        combination = assign_splits([(note.pitch, note.velocity) for note in plan], seed)
        splits = {note: (combination[(note.pitch, note.velocity)], None, None) for note in plan}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    num_samples = round(seconds * sample_rate)
    melodic_hold = num_samples // 2 if hold_seconds is None else round(hold_seconds * sample_rate)
    drum_hold = round(0.1 * sample_rate)

    # 2. render one normalisation group at a time
    result = BuildResult(out_dir, rows=[])
    for font in fonts:
        prefix = f"{slug(font.stem)}-" if len(fonts) > 1 else ""
        _render_font(font, plan, splits, prefix, out_dir, result, sample_rate, num_samples, melodic_hold, drum_hold)
    if captions_per_clip > 1:
        for row in result.rows:
            row["captions"] = captions_for_row(row, captions_per_clip, seed)

    # 3. metadata and card
    if not result.rows:
        raise ValueError(f"Every render from {soundfont} was silent or missing; is it a General MIDI SoundFont?")
    write_metadata(out_dir, result.rows)
    command = command or python_call(
        "render_soundfont_dataset", out_dir=str(out_dir), soundfont=[str(font) for font in fonts], programs=programs,
        drums=drums, seconds=seconds, sample_rate=sample_rate, seed=seed, pitches_per_program=pitches_per_program,
        velocities=list(velocities), kits=list(kits), drum_keys=drum_keys, pitch_step=pitch_step,
        captions_per_clip=captions_per_clip, holdout=list(holdout), hold_seconds=hold_seconds,
        holdout_like=None if holdout_like is None else str(holdout_like),
    )
    split_rule = (f"Splits hold out whole {' and whole '.join(holdout)} (seed {seed}; see latentaudio.data.splits"
                  f"{'' if holdout_like is None else f'; the pitches {Path(holdout_like).name} holds out'}); "
                  "rows mark unseen_pitch and unseen_velocity." if holdout else
                  f"Splits hold out whole (pitch, velocity) combinations (seed {seed}, 80/10/10 % of the combinations).")
    write_dataset_card(
        out_dir,
        title="General MIDI one-shots",
        source=f"SoundFont{'s' if len(fonts) > 1 else ''} {', '.join(font.name for font in fonts)} rendered with "
               "FluidSynth (reverb and chorus off)",
        licence="; ".join(f"{font.name}: {font_licence(font)}" for font in fonts) if len(fonts) > 1 else font_licence(fonts[0]),
        rows=result.rows,
        sample_rate=sample_rate,
        command=command,
        notes=[
            f"Levels: renders below -60 dBFS are skipped; each instrument (program, or drum sound of a kit) is scaled "
            f"so its loudest clip peaks at {TARGET_PEAK}; softer velocities stay softer. 20 ms fade-out at the end.",
            f"Melodic notes are held for {melodic_hold / sample_rate:.2f} s, drum hits for {drum_hold / sample_rate:.2f} s, "
            f"then released within the {seconds} s clip.",
            split_rule,
            "Programs are numbered 0-127; drums use bank 128 on MIDI channel 10.",
        ] + ([f"Each row's `captions` holds {captions_per_clip} captions (the first is `text`); diffusion training "
              "samples one per step."] if captions_per_clip > 1 else []),
        skipped=result.skipped,
    )
    return result


def _render_font(font: Path, plan, splits, prefix, out_dir, result, sample_rate, num_samples, melodic_hold, drum_hold):
    """Render ``plan`` with one SoundFont into ``result``, one normalisation group at a time."""
    with FluidSynthRenderer(font, sample_rate) as synth:
        for group in _groups(plan):
            first = group[0]
            channel = DRUM_CHANNEL if first.kit is not None else 0
            if not synth.select(channel, first.bank, first.program):
                result.skipped.setdefault("preset not in the SoundFont", []).extend(prefix + note.file_name for note in group)
                continue
            hold = drum_hold if first.kit is not None else melodic_hold
            rendered = []
            for note in group:
                audio = synth.one_shot(channel, note.pitch, note.velocity, num_samples, hold)
                if np.abs(audio).max() < SILENCE_PEAK:
                    result.skipped.setdefault("silent render (below -60 dBFS)", []).append(prefix + note.file_name)
                else:
                    rendered.append((note, audio))
            if not rendered:
                continue
            gain = TARGET_PEAK / max(np.abs(clip).max() for _, clip in rendered)
            for note, audio in rendered:
                write_audio(out_dir / (prefix + note.file_name), fade_out(audio * gain, sample_rate // 50), sample_rate,
                            durable=False)  # a dataset can be rendered again: atomic, not flushed
                result.rows.append(_row(note, splits[note], font.name, prefix, hold / sample_rate))


def _groups(plan: list[OneShot]) -> list[list[OneShot]]:
    groups: dict[tuple, list[OneShot]] = {}
    for note in plan:
        groups.setdefault(note.group, []).append(note)
    return list(groups.values())


def _row(note: OneShot, split: tuple, font: str, prefix: str, hold_seconds: float) -> dict:
    split, unseen_pitch, unseen_velocity = split
    row = {
        "file_name": prefix + note.file_name,
        "text": note.text,
        "split": split,
        "source": "soundfont",
        "family": note.family,
        "instrument": note.instrument,
        "program": note.program,
        "bank": note.bank,
        "kit": note.kit,
        "pitch": note.pitch,
        "note": gm.note_name(note.pitch),
        "velocity": note.velocity,
        "dynamics": gm.dynamics_word(note.velocity),
        "font": font,
        "hold_seconds": round(hold_seconds, 6),  # how long the key was held before its release
    }
    if unseen_pitch is not None:
        row.update(unseen_pitch=unseen_pitch, unseen_velocity=unseen_velocity)
    return row


def _check_range(name: str, values, low: int, high: int) -> None:
    for value in values:
        if not low <= value <= high:
            raise ValueError(f"Invalid {name} {value}: expected {low}-{high}.")

