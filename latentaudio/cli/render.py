"""The ``render`` verb: a MIDI file played on an instrument made from a prompt (:mod:`latentaudio.render`)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
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
                    "strikes, or on instruments `latentaudio instrument` wrote (.sfz); written as one WAV.")
    parser.add_argument("midi", help="a standard MIDI file (.mid): every track and channel is played")
    parser.add_argument("prompt", nargs="?", default=None,
                        help="the instrument the notes play on, without a note: 'airy flute', 'warm electric piano'; or "
                             "an .sfz file `latentaudio instrument` wrote (default: each channel on the General MIDI "
                             "instrument its program names, the grand piano where it names none)")
    parser.add_argument("--drums", default=None, metavar="KIT",
                        help="the kit the drum channel (10) plays on: 'TR-808 kit', 'a dusty jazz kit', or an .sfz file "
                             "`latentaudio instrument --drums` wrote (default: the General MIDI kit the file's drum "
                             "channel program names, else the standard kit)")
    parser.add_argument("--no-drums", action="store_true", help="leave the drum channel out")
    parser.add_argument("--every", type=positive_int, default=3,
                        help="semitones between the instrument's samples (default 3; 1 samples every note the file plays)")
    parser.add_argument("--dynamics", default=None,
                        help="velocity layers of the instrument and the kit as dynamics words, e.g. soft,loud: a soft note "
                             "plays a take made soft (default: one layer, as the prompt says)")
    parser.add_argument("--tries", type=positive_int, default=4,
                        help="takes drawn for each sample (default 4): the first within a semitone of its note is kept")
    parser.add_argument("--round-robins", type=positive_int, default=1,
                        help="takes kept of each sample, played in turn, so that a repeated note or hit differs each time "
                             "(default 1; at most --tries)")
    parser.add_argument("--no-sustain-loops", action="store_true",
                        help="no loop that holds a long note: a note longer than its sample ends with the sample")
    parser.add_argument("--seconds", type=positive_float, default=None, help="length of each sample (default: the model's clip)")
    parser.add_argument("--keep-instruments", action="store_true",
                        help="also write each instrument and kit made as an .sfz file and its samples, in a folder beside "
                             "the WAV (NAME_instruments), to play again or load in a sampler")
    add_sampling_options(parser)
    parser.add_argument("-o", "--output", default=None,
                        help="the WAV to write (default: the MIDI file's name in this folder, -2, ... where it exists)")
    parser.set_defaults(run=run_render)


def is_sfz(text: Optional[str]) -> bool:
    """Whether an instrument or kit given to ``render`` is an SFZ file rather than a prompt."""
    return bool(text) and text.lower().endswith(".sfz")


@dataclass(frozen=True)
class RenderPart:
    """Notes of a MIDI file and what plays them: a prompt to sample (``sampled``: its notes, or a kit's drums), or an
    .sfz file."""

    given: str  # the prompt, or the .sfz file
    notes: list  # latentaudio.render.MidiNote
    sampled: list  # the notes (a kit's drums) to make samples of; none for an .sfz file
    drums: bool = False


@dataclass(frozen=True)
class RenderPlan:
    """What a ``render`` run plays, read and checked before a model loads (:func:`plan_render`)."""

    parts: list  # RenderPart: the instruments, then the kit
    dynamics: list  # the velocity layers' dynamics words, softest first (none: one layer)
    round_robins: int = 1  # takes kept of each note and layer, played in turn

    @property
    def samples(self) -> int:
        """How many samples to make."""
        return sum(len(part.sampled) for part in self.parts) * max(1, len(self.dynamics)) * self.round_robins


def check_given(given: str, dynamics: list, drums: bool = False) -> None:
    """Refuse an instrument (or with ``drums`` a kit) given to ``render`` that cannot play: an .sfz file that is not
    there, or a prompt :func:`~latentaudio.instrument.check_instrument_prompt` refuses."""
    from ..instrument import check_instrument_prompt

    if is_sfz(given) and not Path(given).is_file():
        raise ValueError(f"SFZ file not found: {given}")
    if not is_sfz(given):
        check_instrument_prompt(given, dynamics, drums=drums)


def plan_render(args) -> RenderPlan:
    """The checked plan of the parsed ``render`` arguments ``args``: the pitched notes on the prompt's instrument, or
    without a prompt each on the General MIDI instrument its channel's program names (the grand piano where none is
    set); the drum channel's on ``--drums``, else the kit its program names (the standard kit where it names none or
    one General MIDI lacks).

    Raises:
        ValueError: An unreadable MIDI file, a prompt that states a note (or a kit that names an instrument), a missing
            .sfz file, nothing to play.
    """
    from ..data.gm import DRUM_KEYS, DRUM_KITS, PROGRAMS
    from ..instrument import note_plan
    from ..render import read_midi
    from .instrument import check_round_robins, dynamics_layers

    dynamics = dynamics_layers(args.dynamics)
    check_round_robins(args.round_robins, args.tries)
    notes = read_midi(args.midi)
    pitched = [note for note in notes if not note.drum]
    struck = [] if args.no_drums else [note for note in notes if note.drum]
    if not pitched and not struck:
        raise ValueError(f"{Path(args.midi).name} plays only drums, and --no-drums leaves them out.")
    if args.prompt or not pitched:
        played = [(args.prompt, pitched)] if pitched else []
    else:  # each channel's own program
        programs = sorted({note.program or 0 for note in pitched})
        played = [(PROGRAMS[program].name, [n for n in pitched if (n.program or 0) == program]) for program in programs]
    parts = []
    for given, part_notes in played:
        check_given(given, dynamics)
        pitches = [note.pitch for note in part_notes]
        parts.append(RenderPart(given, part_notes, [] if is_sfz(given) else note_plan(min(pitches), max(pitches), args.every)))
    if struck:
        kit_given = args.drums or f"{DRUM_KITS.get(struck[0].program or 0, 'standard')} kit"
        check_given(kit_given, dynamics, drums=True)
        kit = [] if is_sfz(kit_given) else sorted({note.pitch for note in struck if note.pitch in DRUM_KEYS})
        if not pitched and not kit and not is_sfz(kit_given):
            raise ValueError(f"{Path(args.midi).name} plays only drum keys General MIDI has no drum for (35-81).")
        parts.append(RenderPart(kit_given, struck, kit, drums=True))
    return RenderPlan(parts, dynamics, args.round_robins)


def play_render(pipe, args, plan: RenderPlan, say: Callable[[str], None] = lambda line: None,
                on_sample: Optional[Callable[[int, int], None]] = None, callback_on_step_end=None,
                keep_in: Optional[Path] = None) -> tuple:
    """The instruments and kit of ``plan``, made with ``pipe`` and the sampling of ``args`` or read from the SFZ files
    given, and the MIDI file played on them: ``(audio, rate, summary)``, the summary one line on what played. ``pipe``
    may be ``None`` where nothing is made. ``say`` gets a line for each sample kept, ``on_sample(done, total)`` follows
    the samples, ``callback_on_step_end`` goes to every pipeline call. ``keep_in``: a folder to write each instrument
    and kit made into, as ``STEM.sfz`` and ``STEM/`` (STEM named after its prompt), as ``latentaudio instrument``
    writes them."""
    from ..atomic import write_text
    from ..audio_io import write_audio
    from ..data.gm import note_name
    from ..instrument import make_samples, read_sfz, sample_info, sfz_text
    from ..render import render
    from .common import file_stem

    rate = pipe.sample_rate if pipe is not None else None
    audios, parts, counts = {}, [], []
    draw = take_drawer(pipe, args, callback_on_step_end) if plan.samples else None

    def keep(sample, audio) -> None:
        audios[sample.file_name] = audio
        say(f"{sample.drum or note_name(sample.note)}: take {sample.take + 1}")
        if on_sample is not None:
            on_sample(len(audios), plan.samples)

    for index, part in enumerate(plan.parts):
        if is_sfz(part.given):
            samples, read, rate = read_sfz(part.given, rate)
            audios.update({f"{index}/{name}": audio for name, audio in read.items()})
            samples = [replace(sample, file_name=f"{index}/{sample.file_name}") for sample in samples]
        else:
            stem = file_stem(part.given)
            samples = make_samples(draw, rate, part.given, part.sampled, plan.dynamics, stem=stem,
                                   on_sample=keep, drums=part.drums, round_robins=plan.round_robins,
                                   loops=not args.no_sustain_loops)
            if keep_in is not None:  # the samples first, the .sfz that points at them last
                for sample in samples:
                    write_audio(keep_in / stem / sample.file_name, audios[sample.file_name], rate, info=sample_info(sample))
                write_text(keep_in / f"{stem}.sfz", sfz_text(samples, stem, [
                    f"{part.given}: {'a drum kit' if part.drums else 'an instrument'} made by latentaudio render for "
                    f"{Path(args.midi).name}"]))
        parts.append((part.notes, samples))
        counts.append(len(samples))
    audio, missed = render(parts, audios, rate)
    unplayed = set(missed)
    played = [f"{counted(len([n for n in part.notes if n not in unplayed]), 'drum hit' if part.drums else 'note')} on "
              f"{part.given!r} ({counted(count, 'sample')})" for part, count in zip(plan.parts, counts)]
    left = f"; left out {counted(len(missed), 'note')} no sample plays" if missed else ""
    return audio, rate, f"{audio.shape[-1] / rate:.2f} s{', stereo' if audio.ndim == 2 else ''}: {', '.join(played)}{left}"


def run_render(args) -> int:
    from ..audio_io import write_audio

    plan = plan_render(args)
    if args.output is not None:
        path = output_paths(args.output, 1)[0]
    else:
        (path,) = free_takes(lambda name: [Path(f"{name}.wav")], Path(args.midi).stem)
    check_writable(path.parent if str(path.parent) else Path("."))
    pipe = None
    if plan.samples:  # a prompt to make samples of; SFZ files alone need no model
        pipe = load_model(args.model, scheduler=args.scheduler, device=args.device, dtype=args.dtype, runtime=args.runtime)
        pipe.check_length(args.seconds)
    kept = None
    if args.keep_instruments:
        (kept,) = free_takes(lambda name: [path.with_name(name)], f"{path.stem}_instruments")
    audio, rate, summary = play_render(pipe, args, plan, say=lambda line: print(line, file=sys.stderr), keep_in=kept)
    write_audio(path, audio, rate)
    print(f"Wrote {path} ({summary})" + (f"; the instruments made in {kept}" if kept is not None and kept.exists() else ""))
    return 0
