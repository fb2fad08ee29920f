"""The ``instrument`` verb: a playable multisampled instrument (SFZ) from a prompt (:mod:`latentaudio.instrument`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from .common import (add_sampling_options, check_writable, file_stem, free_takes, generator, load_model, positive_float,
                     positive_int)


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


def run_instrument(args) -> int:
    from ..audio_io import write_audio
    from ..atomic import write_text
    from ..data.gm import note_name
    from ..instrument import (DRUM_KEYS_RANGE, check_drum_keys, check_instrument_prompt, default_notes, make_samples,
                              note_plan, parse_notes, region_pitch, sfz_text)

    dynamics = dynamics_layers(args.dynamics)
    check_instrument_prompt(args.prompt, dynamics, args.drums)
    if args.drums and args.every is not None:
        raise ValueError("--every spaces the notes of a pitched instrument; a kit (--drums) has a sample on every key.")
    every = 1 if args.drums else args.every or 3
    low, high = parse_notes(args.notes) if args.notes else DRUM_KEYS_RANGE if args.drums else default_notes(args.prompt)
    notes = note_plan(low, high, every)
    if args.drums:
        check_drum_keys(notes)
    folder = Path(args.output)
    check_writable(folder)
    stem = file_stem(args.prompt)
    sfz, samples_folder = free_takes(lambda name: [folder / f"{name}.sfz", folder / name], stem)
    pipe = load_model(args.model, scheduler=args.scheduler, device=args.device, dtype=args.dtype, runtime=args.runtime)
    pipe.check_length(args.seconds)
    layers = f", {', '.join(dynamics)}" if dynamics else ""
    spacing = "every drum" if args.drums else f"every {every} semitones"
    print(f"{args.prompt!r}: {len(notes) * max(1, len(dynamics))} samples, {note_name(low)}-{note_name(high)} "
          f"{spacing}{layers}; {args.tries} takes each", file=sys.stderr)

    def draw(prompt: str) -> list:
        takes = pipe(prompt, negative_prompt=args.negative_prompt, audio_length_in_s=args.seconds,
                     num_inference_steps=args.steps, guidance_scale=args.guidance, num_waveforms_per_prompt=args.tries,
                     generator=generator(args.seed), output_type="np").audios
        return list(takes)

    def keep(sample, audio) -> None:
        write_audio(samples_folder / sample.file_name, audio, pipe.sample_rate)
        center, tune = region_pitch(sample.heard, sample.note)
        heard = "no pitch heard" if sample.heard is None else f"heard {note_name(center)} {-tune:+d} cents"
        print(f"{note_name(sample.note)}: {sample.drum or heard}, take {sample.take + 1}", file=sys.stderr)

    samples = make_samples(draw, pipe.sample_rate, args.prompt, notes, dynamics, stem=sfz.stem, on_sample=keep,
                           drums=args.drums)
    command = ["latentaudio", "instrument", args.prompt, *(["--drums"] if args.drums else []),
               "--notes", f"{note_name(low)}-{note_name(high)}", *([] if args.drums else ["--every", str(every)]),
               "--tries", str(args.tries), "--seed", str(args.seed)]
    for flag, value in (("--dynamics", ",".join(dynamics) or None), ("--model", args.model), ("--steps", args.steps),
                        ("--guidance", args.guidance), ("--seconds", args.seconds), ("--negative-prompt", args.negative_prompt),
                        ("--scheduler", args.scheduler)):
        command += [flag, str(value)] if value is not None else []
    header = [f"{args.prompt}: {'a drum kit' if args.drums else 'an instrument'} made by latentaudio",
              f"made by: {shlex.join(command)}",
              "each region: the drum its key plays (General MIDI's), and the take kept" if args.drums else
              "each region: the note asked for, the pitch its take was heard at, and the tune that plays it in tune"]
    write_text(sfz, sfz_text(samples, samples_folder.name, header))
    if args.drums:
        print(f"Wrote {sfz} and {len(samples)} samples in {samples_folder}: a General MIDI kit, "
              f"{note_name(low)} ({samples[0].drum}) to {note_name(high)} ({samples[-1].drum})")
        return 0
    in_tune = [sample for sample in samples if sample.in_tune]
    off = [f"{note_name(s.note)} ({'no pitch' if s.heard is None else note_name(round(s.heard))})"
           for s in samples if not s.in_tune]
    print(f"Wrote {sfz} and {len(samples)} samples in {samples_folder}: {len(in_tune)} within a semitone of their note"
          + (f"; kept from another pitch: {', '.join(off)}" if off else ""))
    return 0
