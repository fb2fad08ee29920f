"""The ``pack`` verb: a sample pack from a drum style (:mod:`latentaudio.pack`)."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from .common import (add_sampling_options, best_of_settings, check_writable, free_takes, generator, given_flags,
                     load_model, positive_float, positive_int)
from .generate import draws_for, length_for, model_for, prompt_reading


def add_pack_command(verbs) -> None:
    """Register ``pack`` on the ``latentaudio`` subparsers."""
    parser = verbs.add_parser(
        "pack", help="a sample pack from a drum style: drums, loops, bass, chords, melody and effects at one tempo and key",
        description="A sample pack from a drum style, written as one folder (STYLE_BPMbpm_KEY): the drums the style "
                    "plays as one-shots, a drum loop, a bass line, chords and a melody that loop seamlessly, whole bars "
                    "at one tempo and in one key, and two sound effects; -n takes of each. Every WAV states its tempo, "
                    "key or note to samplers and DAWs that read them, and pack.txt gives the `latentaudio generate` "
                    "command that makes each sound again.")
    parser.add_argument("style", help="a drum style: rock, funk, disco, house, techno, hip hop, trap, drum and bass, "
                                      "reggae, bossa nova, jazz swing, waltz, shuffle (or a nickname: dnb, boom bap, edm)")
    parser.add_argument("--bpm", type=positive_float, default=None, help="tempo (default: the style's usual one)")
    parser.add_argument("--key", default="A minor", help="key of the bass, chords and melody (default 'A minor')")
    parser.add_argument("--bars", type=positive_int, default=2, help="bars of each loop and phrase (default 2)")
    parser.add_argument("-n", "--num-waveforms", type=positive_int, default=4, help="takes of each sound (default 4)")
    parser.add_argument("--best-of", **best_of_settings("-n", " of each sound"))
    for part, example in (("bass", "fretless bass"), ("chords", "rhodes"), ("melody", "flute")):
        parser.add_argument(f"--{part}", default=None, metavar="INSTRUMENT",
                            help=f"the instrument of the {part} (e.g. {example!r}; default: one that suits the style)")
    parser.add_argument("--dry-run", action="store_true",
                        help="say each sound's prompt, model and length, and generate nothing (no model is loaded)")
    add_sampling_options(parser)
    parser.add_argument("-o", "--output", default=".",
                        help="folder to write the pack's folder in (default: this one); NAME-2, ... where NAME exists")
    parser.set_defaults(run=run_pack)


@dataclass(frozen=True)
class PackPlan:
    """What a ``pack`` run will make, checked before a model loads (:func:`pack_plan`)."""

    style: str
    bpm: float
    key: str
    sounds: list  # of latentaudio.pack.PackSound

    @property
    def name(self) -> str:
        """The pack's folder name (:func:`~latentaudio.pack.pack_name`)."""
        from ..pack import pack_name

        return pack_name(self.style, self.bpm, self.key)


def pack_plan(args) -> PackPlan:
    """The plan of the parsed ``pack`` arguments.

    Raises:
        ValueError: No drum style in the style given, or no key in ``--key``.
    """
    from ..pack import pack_key, pack_style, plan_pack
    from ..prompts import style_tempo_bpm

    style = pack_style(args.style)
    bpm = args.bpm if args.bpm is not None else style_tempo_bpm(style)
    key = pack_key(args.key)
    return PackPlan(style, bpm, key, plan_pack(style, bpm, key, args.bars,
                                               dict(bass=args.bass, chords=args.chords, melody=args.melody)))


def sampling_flags(args) -> list[str]:
    """The sampling options of ``args`` that were given, as flags (those the takes depend on)."""
    return given_flags((("--best-of", args.best_of if args.best_of > 1 else None), ("--model", args.model),
                        ("--steps", args.steps), ("--guidance", args.guidance), ("--negative-prompt", args.negative_prompt),
                        ("--scheduler", args.scheduler)))


def remake_command(args, prompt: str, loop: bool) -> str:
    """The ``latentaudio generate`` command that makes the takes of ``prompt`` a pack made with ``args`` holds, in order."""
    return shlex.join(["latentaudio", "generate", prompt, "-n", str(args.num_waveforms), "--seed", str(args.seed),
                       *(["--loop"] if loop else []), *sampling_flags(args)])


def pack_command(args, plan: PackPlan) -> str:
    """The ``latentaudio pack`` command that makes the same pack."""
    parts = given_flags((f"--{part}", getattr(args, part) or None) for part in ("bass", "chords", "melody"))
    return shlex.join(["latentaudio", "pack", plan.style, "--bpm", f"{plan.bpm:g}", "--key", plan.key, "--bars", str(args.bars),
                       "-n", str(args.num_waveforms), "--seed", str(args.seed), *parts, *sampling_flags(args)])


def pack_takes(sounds, model: str | None, pipeline_for) -> list[tuple]:
    """``(sound, model, seconds)`` of each of ``sounds`` on ``model`` (:func:`~.generate.model_for` picks the default or
    the music model where none is named), every length checked by its pipeline, ``pipeline_for(model)``, before any take.

    Raises:
        ValueError: A loop or phrase longer than its model's longest take (fewer --bars, or a faster --bpm).
    """
    plans = []
    for sound in sounds:
        chosen = model_for(sound.prompt, model, sound.loop)
        seconds = length_for(sound.prompt, None, chosen)
        pipeline_for(chosen).check_length(seconds)
        plans.append((sound, chosen, seconds))
    return plans


def build_pack(args, plan: PackPlan, takes_of: list, target: Path, pipeline_for, say=lambda line: None, on_sound=None,
               callback_on_step_end=None) -> list[Path]:
    """Make the takes of ``takes_of`` (:func:`pack_takes`'s for ``plan``) with the sampling of ``args`` into the folder
    ``target``,
    written whole or not at all, ``pack.txt`` last. ``say`` gets a line for each sound, ``on_sound(done, total)`` follows
    the sounds and ``callback_on_step_end`` goes to every pipeline call. Returns the first take of each sound."""
    from ..atomic import atomic_folder, write_text
    from ..audio_io import write_audio
    from ..prompts import prompt_sample_info

    lines = [f"{target.name}: a sample pack made by latentaudio",
             f"made by: {pack_command(args, plan)}",
             f"{plan.bpm:g} bpm, {plan.key}: the loops and phrases are {args.bars} bars long and loop seamlessly; every WAV states "
             "its tempo and key, or its note, to samplers and DAWs that read them.",
             "Each sound's takes (_01, _02, ...) are those the command beside it writes (_0, _1, ...), best first where the "
             "model ranks them:",
             ""]
    firsts = []
    with atomic_folder(target) as temp:
        for done, (sound, model, seconds) in enumerate(takes_of, 1):
            pipe = pipeline_for(model)
            takes = pipe(sound.prompt, loop=sound.loop, output_type="pt", negative_prompt=args.negative_prompt,
                         audio_length_in_s=seconds, num_inference_steps=args.steps, guidance_scale=args.guidance,
                         num_waveforms_per_prompt=draws_for(pipe, args.num_waveforms, args.best_of, model, sound.prompt),
                         generator=generator(args.seed), callback_on_step_end=callback_on_step_end).audios[: args.num_waveforms]
            names = [f"{sound.folder}/{sound.stem}_{index + 1:02d}.wav" for index in range(len(takes))]
            for name, audio in zip(names, takes):
                info = prompt_sample_info(sound.prompt, audio.shape[-1], pipe.sample_rate, sound.loop)
                write_audio(temp / name, audio, pipe.sample_rate, info=info)
            firsts.append(target / names[0])
            lines.append(f"{names[0]} to {names[-1]}: {remake_command(args, sound.prompt, sound.loop)}")
            say(f"{sound.folder}/{sound.stem}: {len(takes)} takes of {sound.prompt!r} "
                f"({takes.shape[-1] / pipe.sample_rate:.2f} s)")
            if on_sound is not None:
                on_sound(done, len(takes_of))
        write_text(temp / "pack.txt", "\n".join(lines) + "\n")
    return firsts


def run_pack(args) -> int:
    plan = pack_plan(args)
    if args.dry_run:
        for sound in plan.sounds:
            print(f"{sound.folder}/{sound.stem}: {prompt_reading(sound.prompt, args.model, None, sound.loop)}")
        return 0
    folder = Path(args.output)
    check_writable(folder)
    (target,) = free_takes(lambda name: [folder / name], plan.name)
    pipes = {}

    def pipeline_for(model):  # each model loaded once
        if model not in pipes:
            pipes[model] = load_model(model, scheduler=args.scheduler, device=args.device, dtype=args.dtype,
                                      runtime=args.runtime)
        return pipes[model]

    takes_of = pack_takes(plan.sounds, args.model, pipeline_for)
    print(f"{target.name}: {len(plan.sounds)} sounds, {args.num_waveforms} takes each", file=sys.stderr)
    build_pack(args, plan, takes_of, target, pipeline_for, say=lambda line: print(line, file=sys.stderr))
    print(f"Wrote {target} ({len(plan.sounds) * args.num_waveforms} WAVs and pack.txt)")
    return 0
