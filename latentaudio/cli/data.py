"""The ``latentaudio data`` verbs: argument parsing only; each calls a package function.

:func:`add_data_commands` registers them; :func:`run_data_command` (the ``run`` default of the
``data`` parser) dispatches. Their defaults come from the builders, which import torch, so under
``latentaudio`` the options are added only when a ``data`` verb is parsed.

Exit codes: 0 done; 1 nothing usable (``check`` on an unusable folder, ``folder`` on a
source without usable audio); 2 bad arguments or a failed build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_options_later, one_line, positive_float, positive_int, seed


def add_data_commands(subparsers) -> argparse.ArgumentParser:
    """Register ``data check|soundfont|music21|drumloops|melodic|sfx|folder|transcode|embed-captions`` on the top-level sub-parsers."""
    data = subparsers.add_parser("data", help="check audio folders and build captioned datasets")
    data.set_defaults(run=run_data_command)
    add_options_later(data, add_data_verbs)
    return data


def add_data_verbs(data: argparse.ArgumentParser) -> None:
    from ..data.drum_patterns import STYLES
    from ..data.melodic import DEFAULT_MUSIC21_SHARE
    from ..data.melodic_material import KINDS
    from ..data.sfx_synth import SFX_CLASSES
    from ..data.soundfont import DEFAULT_KITS, DEFAULT_PITCHES_PER_PROGRAM, DEFAULT_VELOCITIES
    from ..data.synth import DEFAULT_SOUNDFONT
    from ..data.transcode import FORMATS

    verbs = data.add_subparsers(dest="data_command", required=True)

    check = verbs.add_parser("check", help="report unusable files in an audio folder; exit 1 when nothing is usable")
    check.add_argument("dir", help="audiofolder (audio files + optional metadata.jsonl/csv)")
    check.add_argument("--silence-threshold", type=positive_float, default=1e-4, help="peak below which a file is silent (default 1e-4)")
    check.add_argument("--max-names", type=positive_int, default=20, help="names listed per problem (default 20)")

    soundfont = verbs.add_parser("soundfont", help="render captioned General MIDI one-shots from a SoundFont")
    soundfont.add_argument("--sf2", action="append", default=None, help=f"SoundFont, repeatable (default {DEFAULT_SOUNDFONT})")
    soundfont.add_argument("--out", required=True, help="output folder")
    soundfont.add_argument("--programs", type=int_list, default=None, help="GM programs 0-127, e.g. 0,24-31,40 (default all 128)")
    soundfont.add_argument("--no-drums", action="store_true", help="leave out the bank-128 drum kits")
    soundfont.add_argument("--kits", type=int_list, default=list(DEFAULT_KITS), help="drum kit presets (default 0,24,25,40)")
    soundfont.add_argument("--pitches", type=positive_int, default=DEFAULT_PITCHES_PER_PROGRAM, help="pitches per program (default 5)")
    soundfont.add_argument("--velocities", type=int_list, default=list(DEFAULT_VELOCITIES), help="MIDI velocities (default 40,80,112)")
    # generalisation data (issue 16): dense pitches, varied captions, held-out pitches and velocities
    soundfont.add_argument("--pitch-step", type=positive_int, default=None, help="every Nth semitone of each range (1: all); replaces --pitches")
    soundfont.add_argument("--captions-per-clip", type=positive_int, default=1, help="varied captions per clip, sampled in training (default 1)")
    soundfont.add_argument("--holdout", type=lambda text: [p for p in text.split(",") if p], default=[],
                           help="hold out whole 'pitches' per program and/or 'velocities', e.g. pitches,velocities")
    soundfont.add_argument("--holdout-like", type=Path, default=None, metavar="DIR",
                           help="hold out exactly the pitches dataset DIR holds out (implies --holdout pitches)")
    soundfont.add_argument("--hold", type=positive_float, default=None,
                           help="seconds a melodic note is held before its release (default: half the clip)")
    _add_clip_options(soundfont)

    music21 = verbs.add_parser("music21", help="render music21 corpus pieces to captioned clips")
    music21.add_argument("--collection", required=True, help="corpus folder: bach, oneills1850, ryansMammoth, essenFolksong, palestrina, ...")
    music21.add_argument("--program", type=int, default=None, help="GM program 0-127 (default: the collection's)")
    music21.add_argument("--limit", type=positive_int, default=10, help="pieces to render (default 10)")
    music21.add_argument("--out", required=True, help="output folder")
    music21.add_argument("--sf2", default=DEFAULT_SOUNDFONT, help=f"SoundFont (default {DEFAULT_SOUNDFONT})")
    _add_clip_options(music21)

    drumloops = verbs.add_parser("drumloops", help="render captioned drum loops (13 styles, every GM kit) with FluidSynth")
    drumloops.add_argument("--sf2", default=DEFAULT_SOUNDFONT, help=f"SoundFont (default {DEFAULT_SOUNDFONT})")
    drumloops.add_argument("--styles", type=_names, default=None, help=f"comma-separated styles (default all: {', '.join(STYLES)})")
    drumloops.add_argument("--kits", type=int_list, default=None, help="drum kit presets of bank 128 (default all GM kits)")
    _add_music_options(drumloops)

    melodic = verbs.add_parser("melodic", help="render captioned melodic material (generated and music21) with FluidSynth")
    melodic.add_argument("--sf2", default=DEFAULT_SOUNDFONT, help=f"SoundFont (default {DEFAULT_SOUNDFONT})")
    melodic.add_argument("--music21-share", type=float, default=DEFAULT_MUSIC21_SHARE,
                         help=f"share of clips from the music21 corpus (default {DEFAULT_MUSIC21_SHARE}; 0: generated only)")
    melodic.add_argument("--kinds", type=_names, default=None, help=f"comma-separated kinds (default all: {', '.join(KINDS)})")
    _add_music_options(melodic)

    sfx = verbs.add_parser("sfx", help="synthesise captioned procedural sound effects (14 classes)")
    sfx.add_argument("--classes", type=_names, default=None, help=f"comma-separated classes (default all: {', '.join(SFX_CLASSES)})")
    _add_music_options(sfx)

    folder = verbs.add_parser("folder", help="cut a folder of long recordings into captioned clips")
    folder.add_argument("src", help="folder of recordings (captions from metadata or folder names)")
    folder.add_argument("--out", required=True, help="output folder")
    folder.add_argument("--silent-db", type=float, default=-50.0, help="skip windows below this RMS level in dBFS (default -50)")
    _add_clip_options(folder)

    transcode = verbs.add_parser("transcode", help="copy an audiofolder into another audio format (ogg, opus, flac, wav)")
    transcode.add_argument("src", help="audiofolder to copy")
    transcode.add_argument("--out", required=True, help="output folder")
    transcode.add_argument("--format", choices=tuple(FORMATS), default="ogg",
                           help="audio format (default ogg: Vorbis; opus: Ogg Opus, smaller at --compression 0.9)")
    transcode.add_argument("--compression", type=float, default=0.3,
                           help="libsndfile compression level in [0, 1]; higher is smaller and lossier (default 0.3)")
    transcode.add_argument("--split", action="append", default=None, help="keep only this split (repeatable)")

    embed = verbs.add_parser("embed-captions", help="save the frozen text encoder's states of every caption (for diffusion training)")
    embed.add_argument("dir", help="audiofolder whose captions to encode")
    embed.add_argument("--model", required=True, help="pipeline folder, or an embedded model's name (default, default-teacher, music), "
                       "whose text encoder (and projection pooling) to use")
    embed.add_argument("--output", required=True, help="safetensors file to write (the diffusion config's text_states_file)")
    embed.add_argument("--prompt", action="append", default=None,
                       help="also encode this prompt (repeatable; default: the diffusion recipe's validation prompts)")
    embed.add_argument("--untold", action="store_true",
                       help="also encode every caption with its note taken out (latentaudio.prompts.without_note), "
                            "which diffusion training with caption_note_dropout reads")
    embed.add_argument("--untold-instrument", action="store_true",
                       help="also encode every caption with its instrument taken out, alone and with the note "
                            "(latentaudio.prompts.without_instrument), which caption_instrument_dropout reads")


def run_data_command(args: argparse.Namespace) -> int:
    """Run a parsed ``data`` verb; returns the exit code."""
    from ..data.report import NoUsableAudioError

    handlers = {"check": _check, "soundfont": _soundfont, "music21": _music21, "drumloops": _drumloops,
                "melodic": _melodic, "sfx": _sfx, "folder": _folder,
                "transcode": _transcode, "embed-captions": _embed_captions}
    try:
        return handlers[args.data_command](args)
    except NoUsableAudioError as error:
        # One line on stderr, like every failure; the folder's report (the lines after it) on stdout.
        summary, _, report = str(error).partition("\n")
        if report:
            print(report)
        print(f"latentaudio data {args.data_command}: error: {summary}", file=sys.stderr)
        return 1
    except (ValueError, OSError, ImportError) as error:
        if getattr(args, "debug", False):
            raise
        print(f"latentaudio data {args.data_command}: error: {one_line(error)}", file=sys.stderr)
        return 1


def _check(args) -> int:
    from ..data.report import scan_folder

    try:
        entries, report = scan_folder(args.dir, silence_threshold=args.silence_threshold)
    except (FileNotFoundError, ValueError) as error:
        print(f"latentaudio data check: error: {one_line(error)}", file=sys.stderr)
        return 1
    print(report.format(max_names=args.max_names))
    if not entries:
        print("Nothing usable: training on this folder would fail.", file=sys.stderr)
        return 1
    return 0


def _soundfont(args) -> int:
    from ..data.soundfont import render_soundfont_dataset
    from ..data.synth import DEFAULT_SOUNDFONT

    result = render_soundfont_dataset(
        args.out, soundfont=args.sf2 or DEFAULT_SOUNDFONT, programs=args.programs, drums=not args.no_drums, seconds=args.seconds,
        sample_rate=args.sample_rate, seed=args.seed, pitches_per_program=args.pitches,
        velocities=args.velocities, kits=args.kits, command=_command(args),
        pitch_step=args.pitch_step, captions_per_clip=args.captions_per_clip, holdout=args.holdout,
        hold_seconds=args.hold, holdout_like=args.holdout_like,
    )
    return _summary(result)


def _music21(args) -> int:
    from ..data.music21_render import render_music21_dataset

    result = render_music21_dataset(
        args.collection, args.out, program=args.program, limit=args.limit, seconds=args.seconds,
        sample_rate=args.sample_rate, seed=args.seed, soundfont=args.sf2, command=_command(args),
    )
    return _summary(result)


def _drumloops(args) -> int:
    from ..data.drumloops import render_drum_loop_dataset

    return _summary(render_drum_loop_dataset(args.out, soundfont=args.sf2, styles=args.styles, kits=args.kits, **_music_kwargs(args)))


def _melodic(args) -> int:
    from ..data.melodic import render_melodic_dataset

    return _summary(render_melodic_dataset(args.out, soundfont=args.sf2, music21_share=args.music21_share, kinds=args.kinds,
                                           **_music_kwargs(args)))


def _sfx(args) -> int:
    from ..data.sfx import render_sfx_dataset

    return _summary(render_sfx_dataset(args.out, classes=args.classes, **_music_kwargs(args)))


def _music_kwargs(args) -> dict:
    return dict(clips=args.clips, hours=args.hours, seed=args.seed, sample_rate=args.sample_rate, max_seconds=args.max_seconds,
                captions_per_clip=args.captions_per_clip, shard=args.shard, command=_command(args))


def _folder(args) -> int:
    from ..data.long_folder import clip_long_folder

    result = clip_long_folder(
        args.src, args.out, seconds=args.seconds, sample_rate=args.sample_rate, silent_db=args.silent_db,
        seed=args.seed, command=_command(args),
    )
    return _summary(result)


def _transcode(args) -> int:
    from ..data.transcode import transcode_folder

    return _summary(transcode_folder(args.src, args.out, format=args.format, compression=args.compression, splits=args.split))


def _embed_captions(args) -> int:
    from ..data.report import scan_folder
    from ..loading import load_pipeline
    from ..model_folder import model_location
    from ..training.config import DiffusionTrainingConfig
    from ..training.text_states import save_caption_states, untold_wordings

    entries, report = scan_folder(args.dir)
    if not entries:
        print(report.format(), file=sys.stderr)
        return 1
    prompts = args.prompt if args.prompt is not None else DiffusionTrainingConfig().validation_prompts
    captions = [wording for entry in entries for wording in entry.wordings] + list(prompts)
    if args.untold or args.untold_instrument:
        captions += untold_wordings(captions, note=args.untold, instrument=args.untold_instrument)
    path = save_caption_states(load_pipeline(model_location(args.model)), captions, args.output)
    print(f"Wrote the states of {len(set(captions) | {''})} captions to {path}")
    return 0


def _summary(result) -> int:
    print(f"Wrote {len(result.rows)} clips to {result.out_dir} (metadata.jsonl, dataset_card.md)")
    for reason, names in result.skipped.items():
        print(f"  skipped, {reason}: {len(names)} ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})")
    return 0


def _command(args) -> str:
    from ..data.card import command_line

    return getattr(args, "command_line", None) or command_line()


def _add_clip_options(parser: argparse.ArgumentParser) -> None:
    from ..data.output import DEFAULT_SAMPLE_RATE, DEFAULT_SECONDS

    parser.add_argument("--seconds", type=positive_float, default=DEFAULT_SECONDS, help=f"clip length (default {DEFAULT_SECONDS})")
    parser.add_argument("--sample-rate", type=positive_int, default=DEFAULT_SAMPLE_RATE, help=f"Hz (default {DEFAULT_SAMPLE_RATE})")
    parser.add_argument("--seed", type=seed, default=0, help="seeds the splits (and the music21 piece choice); default 0")


def _add_music_options(parser: argparse.ArgumentParser) -> None:
    """Size, length, captions and sharding of the drum-loop, melodic and sound-effect builders."""
    from ..data.output import DEFAULT_SAMPLE_RATE, MAX_SECONDS

    parser.add_argument("--out", required=True, help="output folder")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--clips", type=positive_int, help="number of clips")
    size.add_argument("--hours", type=positive_float, help="hours of audio (clips are planned until this much)")
    parser.add_argument("--max-seconds", type=positive_float, default=MAX_SECONDS, help=f"longest clip (default {MAX_SECONDS})")
    parser.add_argument("--captions-per-clip", type=positive_int, default=4, help="varied captions per clip (default 4)")
    parser.add_argument("--shard", default="0/1", help="K/N: render the clips whose index is K modulo N (default 0/1)")
    parser.add_argument("--sample-rate", type=positive_int, default=DEFAULT_SAMPLE_RATE, help=f"Hz (default {DEFAULT_SAMPLE_RATE})")
    parser.add_argument("--seed", type=int, default=0, help="seeds the plan, the renders and the splits (default 0)")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def int_list(text: str) -> list[int]:
    """'0,24-31,40' -> [0, 24, 25, ..., 31, 40]."""
    values = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            low, _, high = part.partition("-")
            values.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers and ranges like 0,24-31,40, got {text!r}") from None
    return values
