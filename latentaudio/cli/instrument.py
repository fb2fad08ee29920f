"""The ``instrument`` verb: a playable multisampled instrument (SFZ) from a prompt (:mod:`latentaudio.instrument`)."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .common import (add_sampling_options, check_writable, file_stem, free_takes, generator, given_flags, load_model,
                     positive_float, positive_int)


def add_instrument_command(verbs) -> None:
    """Register ``instrument`` on the ``latentaudio`` subparsers."""
    parser = verbs.add_parser(
        "instrument", help="a playable multisampled instrument (SFZ) from a prompt",
        description="A playable instrument from a prompt: a take of every few semitones (and of each dynamics layer), "
                    "each take's pitch heard and its region tuned to it, written as STEM.sfz and its samples in STEM/ "
                    "(STEM named after the prompt), which SFZ samplers load.")
    parser.add_argument("prompt", help="the instrument, without a note: 'airy flute', 'warm electric piano'; with "
                                       "--drums, the kit: 'TR-808 kit', 'a dusty jazz kit'")
    parser.add_argument("--drums", action="store_true",
                        help="a General MIDI drum kit instead: each key of --notes (default 35-81, every GM drum) plays "
                             "the drum it names, the best of --tries by the model's scorer; the hi-hats choke")
    parser.add_argument("--notes", default=None,
                        help="range to sample, LOW-HIGH in note names or MIDI numbers, e.g. C2-C6 (default: the playable "
                             "range of the General MIDI instrument the prompt names, else C2-C6)")
    parser.add_argument("--every", type=positive_int, default=None,
                        help="semitones between sampled notes (default 3); each sample plays the keys half-way to its "
                             "neighbours")
    parser.add_argument("--dynamics", default=None,
                        help="velocity layers as dynamics words, e.g. soft,loud (default: one layer, as the prompt says)")
    parser.add_argument("--tries", type=positive_int, default=4,
                        help="takes drawn for each sample (default 4): the first within a semitone of its note is kept, "
                             "in the order the model's scorer puts them")
    parser.add_argument("--round-robins", type=positive_int, default=1,
                        help="takes kept of each note, which a sampler plays in turn so that a repeated note or hit "
                             "differs (default 1; at most --tries)")
    parser.add_argument("--no-sustain-loops", action="store_true",
                        help="play every sample as it is: no loop that holds a note while its key is held (by default a "
                             "held note that stays steady gets one, its end crossfaded into its start)")
    parser.add_argument("--seconds", type=positive_float, default=None, help="length of each sample (default: the model's clip)")
    add_sampling_options(parser)
    parser.add_argument("-o", "--output", default=".",
                        help="folder for STEM.sfz and STEM/ (default: this one); STEM-2, ... where those exist")
    parser.set_defaults(run=run_instrument)


def dynamics_layers(text: str | None) -> list[str]:
    """The dynamics words of ``--dynamics``, softest first (:data:`~latentaudio.prompts.DYNAMICS`'s velocities).

    Raises:
        ValueError: A word the prompts do not read as dynamics, or two of the same loudness.
    """
    from ..prompts import DYNAMICS

    if text is None:
        return []
    words = [word.strip().lower() for word in text.split(",") if word.strip()]
    unknown = [word for word in words if word not in DYNAMICS]
    if unknown or not words:
        raise ValueError(f"--dynamics {text!r}: expected dynamics words separated by commas, e.g. soft,loud or "
                         "pp,mf,ff (the words prompts are read by)")
    if len({DYNAMICS[word] for word in words}) < len(words):
        raise ValueError(f"--dynamics {text!r}: two of its words are as loud as each other; give words of different "
                         "loudness (e.g. soft,loud).")
    return sorted(words, key=DYNAMICS.__getitem__)


@dataclass(frozen=True)
class InstrumentPlan:
    """What an ``instrument`` run will sample, checked before a model loads (:func:`plan_instrument`)."""

    prompt: str
    drums: bool
    dynamics: list  # dynamics words, softest first (:func:`dynamics_layers`)
    low: int
    high: int
    every: int  # semitones between sampled notes (1 for a kit)
    notes: list  # the MIDI notes (or a kit's keys) sampled
    round_robins: int = 1  # takes kept of each note, played in turn
    sustain_loops: bool = True  # held notes loop while their key is held

    @property
    def samples(self) -> int:
        return len(self.notes) * max(1, len(self.dynamics)) * self.round_robins

    def describe(self, tries: int) -> str:
        """One line: the prompt, how many samples over which range, and the takes of each."""
        from ..data.gm import note_name

        spacing = "every drum" if self.drums else f"every {self.every} semitones"
        layers = f", {', '.join(self.dynamics)}" if self.dynamics else ""
        robins = f", {self.round_robins} round robins" if self.round_robins > 1 else ""
        return (f"{self.prompt!r}: {self.samples} samples, {note_name(self.low)}-{note_name(self.high)} {spacing}{layers}"
                f"{robins}; {tries} takes a note")


def check_round_robins(round_robins: int, tries: int) -> None:
    """Refuse more round robins than takes drawn of each note (``--round-robins`` over ``--tries``)."""
    if round_robins > tries:
        raise ValueError(f"--round-robins {round_robins} keeps {round_robins} takes of each note: give --tries "
                         f"{round_robins} or more (it is {tries}).")


def plan_instrument(args) -> InstrumentPlan:
    """The checked plan of the parsed ``instrument`` arguments ``args``.

    Raises:
        ValueError: A prompt that states a note (or names a drum, or dynamics beside --dynamics), a bad range,
            --every with --drums, keys General MIDI gives no drum.
    """
    from ..instrument import (DRUM_KEYS_RANGE, check_drum_keys, check_instrument_prompt, default_notes, note_plan,
                              parse_notes)

    dynamics = dynamics_layers(args.dynamics)
    check_instrument_prompt(args.prompt, dynamics, args.drums)
    if args.drums and args.every is not None:
        raise ValueError("--every spaces the notes of a pitched instrument; a kit (--drums) has a sample on every key.")
    every = 1 if args.drums else args.every or 3
    low, high = parse_notes(args.notes) if args.notes else DRUM_KEYS_RANGE if args.drums else default_notes(args.prompt)
    notes = note_plan(low, high, every)
    if args.drums:
        check_drum_keys(notes)
    check_round_robins(args.round_robins, args.tries)
    return InstrumentPlan(args.prompt, args.drums, dynamics, low, high, every, notes, args.round_robins,
                          not args.no_sustain_loops)


def build_instrument(pipe, args, plan: InstrumentPlan, folder: Path, say: Callable[[str], None] = lambda line: None,
                     on_sample: Optional[Callable[[int, int], None]] = None, callback_on_step_end=None):
    """Make the instrument of ``plan`` with ``pipe`` and the sampling of ``args`` into ``folder``: its samples in
    ``folder/STEM/``, then ``folder/STEM.sfz`` (STEM named after the prompt, ``-2``, ... where those exist).
    ``say`` gets a line for each sample kept, ``on_sample(done, total)`` follows the samples, and
    ``callback_on_step_end`` goes to every pipeline call. Returns ``(sfz path, samples folder, samples)``."""
    from ..atomic import write_text
    from ..audio_io import write_audio
    from ..data.gm import note_name
    from ..instrument import make_samples, region_pitch, sample_info, sfz_text

    sfz, samples_folder = free_takes(lambda name: [folder / f"{name}.sfz", folder / name], file_stem(plan.prompt))
    kept = []

    draw = take_drawer(pipe, args, callback_on_step_end)
    def keep(sample, audio) -> None:
        write_audio(samples_folder / sample.file_name, audio, pipe.sample_rate, info=sample_info(sample))
        center, tune = region_pitch(sample.heard, sample.note)
        heard = "no pitch heard" if sample.heard is None else f"heard {note_name(center)} {-tune:+d} cents"
        robin = f" (round robin {sample.robin})" if plan.round_robins > 1 else ""
        looped = None if sample.loop is None else (sample.loop[1] + 1 - sample.loop[0]) / pipe.sample_rate
        loop = "" if looped is None else f", looped over {looped:.2f} s"
        say(f"{note_name(sample.note)}{robin}: {sample.drum or heard}, take {sample.take + 1}{loop}")
        kept.append(sample)
        if on_sample is not None:
            on_sample(len(kept), plan.samples)

    samples = make_samples(draw, pipe.sample_rate, plan.prompt, plan.notes, plan.dynamics, stem=sfz.stem, on_sample=keep,
                           drums=plan.drums, round_robins=plan.round_robins, loops=plan.sustain_loops)
    write_text(sfz, sfz_text(samples, samples_folder.name, instrument_header(args, plan)))
    return sfz, samples_folder, samples


def take_drawer(pipe, args, callback_on_step_end=None) -> Callable[[str], list]:
    """``draw(prompt)``: the ``--tries`` takes of one sample's prompt by ``pipe`` with the sampling of ``args``, best first
    where the model ranks them, as :func:`~latentaudio.instrument.make_samples` draws them; each is a take
    ``latentaudio generate PROMPT -n TRIES`` writes."""

    def draw(prompt: str) -> list:
        return list(pipe(prompt, negative_prompt=args.negative_prompt, audio_length_in_s=args.seconds,
                         num_inference_steps=args.steps, guidance_scale=args.guidance, num_waveforms_per_prompt=args.tries,
                         generator=generator(args.seed), output_type="np",
                         callback_on_step_end=callback_on_step_end).audios)

    return draw


def instrument_header(args, plan: InstrumentPlan) -> list[str]:
    """The comment lines an instrument's SFZ file starts with: what it is, and the command that makes it again."""
    from ..data.gm import note_name

    command = ["latentaudio", "instrument", plan.prompt, *(["--drums"] if plan.drums else []),
               "--notes", f"{note_name(plan.low)}-{note_name(plan.high)}",
               *([] if plan.drums else ["--every", str(plan.every)]), "--tries", str(args.tries), "--seed", str(args.seed),
               *([] if plan.sustain_loops or plan.drums else ["--no-sustain-loops"])]
    options = (("--dynamics", ",".join(plan.dynamics) or None),
               ("--round-robins", plan.round_robins if plan.round_robins > 1 else None), ("--model", args.model),
               ("--steps", args.steps), ("--guidance", args.guidance), ("--seconds", args.seconds),
               ("--negative-prompt", args.negative_prompt), ("--scheduler", args.scheduler))
    command += given_flags(options)
    return [f"{plan.prompt}: {'a drum kit' if plan.drums else 'an instrument'} made by latentaudio",
            f"made by: {shlex.join(command)}",
            "each region: the drum its key plays (General MIDI's), and the take kept" if plan.drums else
            "each region: the note asked for, the pitch its take was heard at, and the tune that plays it in tune"]


def instrument_summary(plan: InstrumentPlan, sfz: Path, samples_folder: Path, samples: list) -> str:
    """One line on what was written: for a kit, the drums from first to last key; else how many samples lie within a
    semitone of their note, and those kept from another pitch."""
    from ..data.gm import note_name

    wrote = f"Wrote {sfz} and {len(samples)} samples in {samples_folder}"
    if plan.drums:
        return (f"{wrote}: a General MIDI kit, {note_name(plan.low)} ({samples[0].drum}) to "
                f"{note_name(plan.high)} ({samples[-1].drum})")
    off = [f"{note_name(s.note)} ({'no pitch' if s.heard is None else note_name(round(s.heard))})"
           for s in samples if not s.in_tune]
    in_tune = len(samples) - len(off)
    return f"{wrote}: {in_tune} within a semitone of their note" + (f"; kept from another pitch: {', '.join(off)}" if off else "")


def run_instrument(args) -> int:
    plan = plan_instrument(args)
    folder = Path(args.output)
    check_writable(folder)
    pipe = load_model(args.model, scheduler=args.scheduler, device=args.device, dtype=args.dtype, runtime=args.runtime)
    pipe.check_length(args.seconds)
    print(plan.describe(args.tries), file=sys.stderr)
    sfz, samples_folder, samples = build_instrument(pipe, args, plan, folder, say=lambda line: print(line, file=sys.stderr))
    print(instrument_summary(plan, sfz, samples_folder, samples))
    return 0
