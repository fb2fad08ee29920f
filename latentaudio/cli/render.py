"""The ``render`` verb: a MIDI file played on an instrument made from a prompt (:mod:`latentaudio.render`)."""

from __future__ import annotations

import sys
from pathlib import Path

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


def run_render(args) -> int:
    from ..audio_io import write_audio
    from ..data.gm import DRUM_KEYS, note_name
    from ..instrument import check_instrument_prompt, make_samples, note_plan
    from ..render import read_midi, render

    notes = read_midi(args.midi)
    pitched = [note for note in notes if not note.drum]
    struck = [] if args.no_drums else [note for note in notes if note.drum]
    if pitched and not args.prompt:
        raise ValueError(f"{args.midi} plays {len(pitched)} pitched notes: give the instrument to play them on, e.g. "
                         f"latentaudio render {args.midi} 'airy flute'.")
    if pitched:
        check_instrument_prompt(args.prompt, [])
    kit = sorted({note.pitch for note in struck if note.pitch in DRUM_KEYS})
    if struck:
        check_instrument_prompt(args.drums, [], drums=True)
    if not pitched and not kit:
        raise ValueError(f"{args.midi} plays nothing but drums outside General MIDI's or left out (--no-drums).")
    if args.output is not None:
        path = output_paths(args.output, 1)[0]
    else:
        (path,) = free_takes(lambda name: [Path(f"{name}.wav")], Path(args.midi).stem)
    check_writable(path.parent if str(path.parent) else Path("."))
    pipe = load_model(args.model, scheduler=args.scheduler, device=args.device, dtype=args.dtype, runtime=args.runtime)
    pipe.check_length(args.seconds)
    draw, audios, samples = take_drawer(pipe, args), {}, []

    def keep(sample, audio) -> None:
        audios[sample.file_name] = audio
        print(f"{note_name(sample.note) if not sample.drum else sample.drum}: take {sample.take + 1}", file=sys.stderr)

    if pitched:
        low, high = min(note.pitch for note in pitched), max(note.pitch for note in pitched)
        samples += make_samples(draw, pipe.sample_rate, args.prompt, note_plan(low, high, args.every), stem="note",
                                on_sample=keep, loops=not args.no_sustain_loops)
    if kit:
        samples += make_samples(draw, pipe.sample_rate, args.drums, kit, stem="drum", on_sample=keep, drums=True)
    audio, missed = render(pitched + struck, samples, audios, pipe.sample_rate)
    write_audio(path, audio, pipe.sample_rate)
    played = [f"{counted(len(pitched), 'note')} on {args.prompt!r} ({counted(len(samples) - len(kit), 'sample')})"] \
        if pitched else []
    played += [f"{counted(len(struck) - len(missed), 'drum hit')} on {args.drums!r} ({counted(len(kit), 'drum')})"] if kit else []
    left = f"; left out {counted(len(missed), 'drum note')} General MIDI has no drum for" if missed else ""
    print(f"Wrote {path} ({len(audio) / pipe.sample_rate:.2f} s): {', '.join(played)}{left}")
    return 0

