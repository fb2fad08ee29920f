"""The editing verbs of the ``latentaudio`` command: transform, vary, inpaint, extend, upsample, widen, interpolate.

Argument parsing only: each verb checks what it can before loading a model (input file,
strength, width, time range, output folder), then calls one editing pipeline. Input audio of
any sample rate and channel count is read as mono and converted by the pipeline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .argtypes import positive_float, positive_int
from .cli import add_model_option, add_sampling_options, check_writable, load_model, output_paths, set_scheduler


def add_edit_commands(verbs) -> None:
    """Register the editing verbs on an ``argparse`` subparsers object."""
    transform = verbs.add_parser("transform", help="turn a sound into another: audio-to-audio toward a prompt")
    add_input(transform)
    transform.add_argument("--prompt", required=True, help="the target sound, e.g. 'a snare drum hit'")
    transform.add_argument("--strength", type=float, default=0.5,
                           help="0 keeps the input, 1 ignores it (default 0.5; 0.15-0.35 for a subtle tweak)")
    add_sampling_options(transform)
    add_output(transform, "WAV path")
    transform.set_defaults(run=run_transform)

    vary = verbs.add_parser("vary", help="takes of one sample that differ in detail")
    add_input(vary)
    vary.add_argument("-n", "--num-variations", type=positive_int, default=4, help="takes to write (default 4)")
    vary.add_argument("--strength", type=float, default=0.3, help="how far takes stray, in [0, 1] (default 0.3)")
    vary.add_argument("--prompt", default=None, help="optional description to steer the takes")
    add_sampling_options(vary)
    add_output(vary, "folder for INPUT-STEM_0.wav, _1, ...")
    vary.set_defaults(run=run_vary)

    inpaint = verbs.add_parser("inpaint", help="regenerate a time range of a clip")
    add_input(inpaint)
    inpaint.add_argument("--start", type=float, required=True, help="start of the range, seconds")
    inpaint.add_argument("--end", type=float, required=True, help="end of the range, seconds")
    inpaint.add_argument("--prompt", default=None, help="what the new part should be (default: let the context decide)")
    add_sampling_options(inpaint)
    add_output(inpaint, "WAV path")
    inpaint.set_defaults(run=run_inpaint)

    extend = verbs.add_parser("extend", help="continue a clip (outpainting), optionally into a seamless loop")
    add_input(extend)
    extend.add_argument("--seconds", type=positive_float, required=True, help="seconds to add")
    extend.add_argument("--prompt", default=None, help="what the continuation should be")
    extend.add_argument("--loop", action="store_true", help="make the end lead seamlessly back into the start")
    add_sampling_options(extend)
    add_output(extend, "WAV path")
    extend.set_defaults(run=run_extend)

    upsample = verbs.add_parser("upsample", help="restore the high bands of band-limited audio")
    add_input(upsample)
    upsample.add_argument("--cutoff", type=positive_float, default=None,
                          help="where the input's content ends, Hz (default: half the file's sample rate, "
                               "for files below the model's rate)")
    upsample.add_argument("--prompt", default=None, help="what the sound is, if the low bands leave doubt")
    add_sampling_options(upsample)
    add_output(upsample, "WAV path")
    upsample.set_defaults(run=run_upsample)

    widen = verbs.add_parser("widen", help="mono to stereo from two near-identical variations")
    add_input(widen)
    widen.add_argument("--width", type=float, default=0.5, help="0 (dual mono) to 1 (widest), default 0.5")
    widen.add_argument("--prompt", default=None, help="optional description to steer the variations")
    add_sampling_options(widen)
    add_output(widen, "stereo WAV path")
    widen.set_defaults(run=run_widen)

    interpolate = verbs.add_parser("interpolate", help="sounds between two prompts and/or two seeds")
    interpolate.add_argument("--prompt", required=True, help="prompt A")
    interpolate.add_argument("--prompt-b", default=None, help="prompt B (default: prompt A, for a path between seeds)")
    interpolate.add_argument("--steps", type=positive_int, default=5, help="sounds to write, both ends included (default 5)")
    interpolate.add_argument("--seed-b", type=int, default=None, help="seed of B's noise (default: --seed)")
    interpolate.add_argument("--seconds", type=positive_float, default=None, help="length (default: the model's clip)")
    add_model_option(interpolate)
    interpolate.add_argument("--sampler-steps", type=positive_int, default=20, help="sampler steps (default 20)")
    interpolate.add_argument("--guidance", type=float, default=3.0, help="classifier-free guidance scale (default 3)")
    interpolate.add_argument("--seed", type=int, default=0, help="seed of A's noise (default 0)")
    interpolate.add_argument("--negative-prompt", default=None, help="what to steer away from")
    add_scheduler_option(interpolate)
    add_output(interpolate, "folder for interpolation_0.wav, _1, ...")
    interpolate.set_defaults(run=run_interpolate)


def add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="audio file (any rate and channel count soundfile reads)")


def add_output(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("-o", "--output", required=True, help=what)


def add_scheduler_option(parser: argparse.ArgumentParser) -> None:
    from .schedulers import SCHEDULERS

    parser.add_argument("--scheduler", choices=sorted(SCHEDULERS), default=None, help="sampler (default: the model's)")


# ------------------------------------------------------------------ helpers
def read_input(path: str):
    """(mono samples at the file's rate, that rate); an unreadable file is a ``ValueError`` naming it."""
    from .audio_io import read_audio

    return read_audio(path, mono=True)


def prepare(args, pipeline_class):
    """The model as ``pipeline_class`` with the chosen scheduler, and the common call arguments."""
    import torch

    pipe = load_model(args.model, pipeline_class)
    set_scheduler(pipe, args.scheduler)
    return pipe, dict(
        negative_prompt=args.negative_prompt, guidance_scale=args.guidance, generator=torch.Generator().manual_seed(args.seed),
    )


def folder_paths(output: str, stem: str, count: int) -> list[Path]:
    folder = Path(output)
    check_writable(folder)
    return [folder / f"{stem}_{i}.wav" for i in range(count)]


def write(paths, audios, rate: int) -> None:
    from .audio_io import write_audio

    for path, audio in zip(paths, audios):
        write_audio(path, audio, rate)
        channels = "stereo" if audio.ndim == 2 else "mono"
        print(f"Wrote {path} ({audio.shape[-1] / rate:.2f} s, {channels}, {rate} Hz)")


# --------------------------------------------------------------------- verbs
def run_transform(args) -> int:
    from .pipelines import LatentAudioAudioToAudioPipeline
    from .pipelines.editing import check_strength

    check_strength(args.strength)
    audio, rate = read_input(args.input)
    paths = output_paths(args.output, 1)
    pipe, common = prepare(args, LatentAudioAudioToAudioPipeline)
    out = pipe(audio, args.prompt, strength=args.strength, sample_rate=rate, num_inference_steps=args.steps, **common)
    write(paths, out.audios, pipe.sample_rate)
    return 0


def run_vary(args) -> int:
    from .pipelines import LatentAudioAudioToAudioPipeline
    from .pipelines.editing import check_strength

    check_strength(args.strength)
    audio, rate = read_input(args.input)
    paths = folder_paths(args.output, Path(args.input).stem, args.num_variations)
    pipe, common = prepare(args, LatentAudioAudioToAudioPipeline)
    out = pipe(audio, args.prompt, strength=args.strength, sample_rate=rate, num_inference_steps=args.steps,
               num_waveforms_per_prompt=args.num_variations, **common)
    write(paths, out.audios, pipe.sample_rate)
    return 0


def run_inpaint(args) -> int:
    from .pipelines import LatentAudioInpaintPipeline
    from .pipelines.editing import check_time_range

    audio, rate = read_input(args.input)
    check_time_range(args.start, args.end, audio.shape[-1] / rate)
    paths = output_paths(args.output, 1)
    pipe, common = prepare(args, LatentAudioInpaintPipeline)
    out = pipe(audio, args.start, args.end, args.prompt, sample_rate=rate, num_inference_steps=args.steps, **common)
    write(paths, out.audios, pipe.sample_rate)
    return 0


def run_extend(args) -> int:
    from .pipelines import LatentAudioContinuationPipeline

    audio, rate = read_input(args.input)
    paths = output_paths(args.output, 1)
    pipe, common = prepare(args, LatentAudioContinuationPipeline)
    out = pipe(audio, args.seconds, args.prompt, loop=args.loop, sample_rate=rate, num_inference_steps=args.steps, **common)
    write(paths, out.audios, pipe.sample_rate)
    return 0


def run_upsample(args) -> int:
    from .pipelines import LatentAudioSuperResolutionPipeline

    audio, rate = read_input(args.input)
    paths = output_paths(args.output, 1)
    pipe, common = prepare(args, LatentAudioSuperResolutionPipeline)
    out = pipe(audio, args.cutoff, args.prompt, sample_rate=rate, num_inference_steps=args.steps, **common)
    write(paths, out.audios, pipe.sample_rate)
    return 0


def run_widen(args) -> int:
    from .pipelines import LatentAudioStereoWideningPipeline
    from .pipelines.editing import check_strength

    check_strength(args.width, "width")
    audio, rate = read_input(args.input)
    paths = output_paths(args.output, 1)
    pipe, common = prepare(args, LatentAudioStereoWideningPipeline)
    out = pipe(audio, args.width, args.prompt, sample_rate=rate, num_inference_steps=args.steps, **common)
    write(paths, out.audios, pipe.sample_rate)
    return 0


def run_interpolate(args) -> int:
    import torch

    from .pipelines import LatentAudioInterpolationPipeline

    if args.steps < 2:
        raise ValueError(f"--steps {args.steps}: an interpolation needs at least 2 sounds (both ends).")
    paths = folder_paths(args.output, "interpolation", args.steps)
    pipe = load_model(args.model, LatentAudioInterpolationPipeline)
    set_scheduler(pipe, args.scheduler)
    out = pipe(
        args.prompt, args.prompt_b, num_interpolation_steps=args.steps,
        generator=torch.Generator().manual_seed(args.seed),
        generator_b=None if args.seed_b is None else torch.Generator().manual_seed(args.seed_b),
        negative_prompt=args.negative_prompt, audio_length_in_s=args.seconds,
        num_inference_steps=args.sampler_steps, guidance_scale=args.guidance,
    )
    write(paths, out.audios, pipe.sample_rate)
    return 0
