"""The ``render`` verb: a MIDI file played on an instrument made from a prompt (:mod:`latentaudio.render`)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .common import (add_sampling_options, check_writable, counted, free_takes, load_model, output_paths, positive_float,
                     positive_int)
from .instrument import take_drawer


def add_render_command(verbs) -> None:
    """Register ``render`` on the ``latentaudio`` subparsers."""
    parser = verbs.add_parser(
        "render", help="play a MIDI file on an instrument made from a prompt",
        description="Play a standard MIDI file on an instrument made from a prompt, as `latentaudio instrument` makes "
                    "it (a take every few semitones over the notes the file plays, each tuned to its heard pitch and "
                    "looped where it holds steady), and its drum channel (10) on a General MIDI kit of the drums it "
                    "strikes; written as one WAV.")
    parser.add_argument("midi", help="a standard MIDI file (.mid): every track and channel is played")
    parser.add_argument("prompt", nargs="?", default=None,
                        help="the instrument the notes play on, without a note: 'airy flute', 'warm electric piano' "
                             "(needed unless the file plays only drums)")
    parser.add_argument("--drums", default="standard kit", metavar="KIT",
                        help="the kit the drum channel (10) plays on: 'TR-808 kit', 'a dusty jazz kit' (default: "
                             "'standard kit')")
    parser.add_argument("--no-drums", action="store_true", help="leave the drum channel out")
    parser.add_argument("--every", type=positive_int, default=3,
                        help="semitones between the instrument's samples (default 3; 1 samples every note the file plays)")
    parser.add_argument("--tries", type=positive_int, default=4,
                        help="takes drawn for each sample (default 4): the first within a semitone of its note is kept")
    parser.add_argument("--no-sustain-loops", action="store_true",
                        help="no loop that holds a long note: a note longer than its sample ends with the sample")
    parser.add_argument("--seconds", type=positive_float, default=None, help="length of each sample (default: the model's clip)")
    add_sampling_options(parser)
    parser.add_argument("-o", "--output", default=None,
                        help="the WAV to write (default: the MIDI file's name in this folder, -2, ... where it exists)")
    parser.set_defaults(run=run_render)


@dataclass(frozen=True)
class RenderPlan:
    """What a ``render`` run plays, read and checked before a model loads (:func:`plan_render`)."""

    pitched: list  # the notes off the drum channel (latentaudio.render.MidiNote)
    struck: list  # the drum channel's notes, unless left out
    notes: list  # the instrument's sampled notes (every --every semitones over the pitched notes' range)
    kit: list  # the General MIDI drums the drum channel strikes

    @property
    def samples(self) -> int:
        return len(self.notes) + len(self.kit)


def plan_render(args) -> RenderPlan:
    """The checked plan of the parsed ``render`` arguments ``args``.

    Raises:
        ValueError: An unreadable MIDI file, pitched notes and no instrument, a prompt that states a note (or a kit
            that names an instrument), nothing to play.
    """
    from ..data.gm import DRUM_KEYS
    from ..instrument import check_instrument_prompt, note_plan
    from ..render import read_midi

    notes = read_midi(args.midi)
    pitched = [note for note in notes if not note.drum]
    struck = [] if args.no_drums else [note for note in notes if note.drum]
    if pitched and not args.prompt:
        raise ValueError(f"{Path(args.midi).name} plays {len(pitched)} pitched notes: give the instrument to play them "
                         f"on, e.g. latentaudio render {Path(args.midi).name} 'airy flute'.")
    if pitched:
        check_instrument_prompt(args.prompt, [])
    kit = sorted({note.pitch for note in struck if note.pitch in DRUM_KEYS})
    if struck:
        check_instrument_prompt(args.drums, [], drums=True)
    if not pitched and not kit:
        raise ValueError(f"{Path(args.midi).name} plays nothing but drums outside General MIDI's or left out (--no-drums).")
    sampled = note_plan(min(n.pitch for n in pitched), max(n.pitch for n in pitched), args.every) if pitched else []
    return RenderPlan(pitched, struck, sampled, kit)


def play_render(pipe, args, plan: RenderPlan, say: Callable[[str], None] = lambda line: None,
                on_sample: Optional[Callable[[int, int], None]] = None, callback_on_step_end=None) -> tuple:
    """The instrument and kit of ``plan`` made with ``pipe`` and the sampling of ``args``, and the MIDI file played on
    them: ``(audio, summary)``, the summary one line on what played. ``say`` gets a line for each sample kept,
    ``on_sample(done, total)`` follows the samples, ``callback_on_step_end`` goes to every pipeline call."""
    from ..data.gm import note_name
    from ..instrument import make_samples
    from ..render import render

    draw, audios, samples = take_drawer(pipe, args, callback_on_step_end), {}, []

    def keep(sample, audio) -> None:
        audios[sample.file_name] = audio
        say(f"{sample.drum or note_name(sample.note)}: take {sample.take + 1}")
        if on_sample is not None:
            on_sample(len(audios), plan.samples)

    if plan.notes:
        samples += make_samples(draw, pipe.sample_rate, args.prompt, plan.notes, stem="note", on_sample=keep,
                                loops=not args.no_sustain_loops)
    if plan.kit:
        samples += make_samples(draw, pipe.sample_rate, args.drums, plan.kit, stem="drum", on_sample=keep, drums=True)
    audio, missed = render(plan.pitched + plan.struck, samples, audios, pipe.sample_rate)
    played = [f"{counted(len(plan.pitched), 'note')} on {args.prompt!r} ({counted(len(plan.notes), 'sample')})"
              ] if plan.pitched else []
    played += [f"{counted(len(plan.struck) - len(missed), 'drum hit')} on {args.drums!r} "
               f"({counted(len(plan.kit), 'drum')})"] if plan.kit else []
    left = f"; left out {counted(len(missed), 'drum note')} General MIDI has no drum for" if missed else ""
    return audio, f"{len(audio) / pipe.sample_rate:.2f} s: {', '.join(played)}{left}"


def run_render(args) -> int:
    from ..audio_io import write_audio

    plan = plan_render(args)
    if args.output is not None:
        path = output_paths(args.output, 1)[0]
    else:
        (path,) = free_takes(lambda name: [Path(f"{name}.wav")], Path(args.midi).stem)
    check_writable(path.parent if str(path.parent) else Path("."))
    pipe = load_model(args.model, scheduler=args.scheduler, device=args.device, dtype=args.dtype, runtime=args.runtime)
    pipe.check_length(args.seconds)
    audio, summary = play_render(pipe, args, plan, say=lambda line: print(line, file=sys.stderr))
    write_audio(path, audio, pipe.sample_rate)
    print(f"Wrote {path} ({summary})")
    return 0
