"""The ``latentaudio`` command: argument parsing only; every verb calls package functions."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .argtypes import positive_float, positive_int

# Nothing latentaudio runs may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="pipeline folder (default: the embedded default model)")


def add_sampling_options(parser: argparse.ArgumentParser, steps: int = 20) -> None:
    from .schedulers import SCHEDULERS

    add_model_option(parser)
    parser.add_argument("--steps", type=positive_int, default=steps, help=f"sampler steps (default {steps})")
    parser.add_argument("--guidance", type=float, default=3.0, help="classifier-free guidance scale (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--negative-prompt", default=None, help="what to steer away from")
    parser.add_argument("--scheduler", choices=sorted(SCHEDULERS), default=None, help="sampler (default: the model's)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentaudio", description=__doc__.split(":")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)

    init = verbs.add_parser("init", help="write a randomly initialised pipeline from a YAML config")
    init.add_argument("config", help="model config, e.g. configs/small.yaml")
    init.add_argument("out_dir", help="folder to write the pipeline to")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--skip-packaged-encoder", action="store_true",
                      help="do not load a packaged text encoder (e.g. on a machine without its package); "
                           "the folder still names it and loads with it where it is installed")
    init.set_defaults(run=run_init)

    generate = verbs.add_parser("generate", help="text to audio")
    generate.add_argument("prompt")
    add_sampling_options(generate)
    generate.add_argument("--seconds", type=positive_float, default=None, help="length (default: the model's clip)")
    generate.add_argument("-n", "--num-waveforms", type=positive_int, default=1, help="takes to write")
    generate.add_argument("-o", "--output", default="output.wav", help="WAV path; several takes get _0, _1, ...")
    generate.add_argument("--plot", default=None, help="also save a labelled spectrogram PNG")
    generate.set_defaults(run=run_generate)

    from .data.cli import add_data_commands

    add_data_commands(verbs)
    from .training.cli import add_training_commands

    add_training_commands(verbs)
    from .edit_cli import add_edit_commands

    add_edit_commands(verbs)
    from .evaluation.cli import add_evaluate_command

    add_evaluate_command(verbs)
    return parser


def run_init(args) -> int:
    from .builder import build_pipeline, load_config

    pipe = build_pipeline(load_config(args.config), seed=args.seed, load_packaged_encoder=not args.skip_packaged_encoder)
    pipe.save_pretrained(args.out_dir)
    parameters = {name: sum(p.numel() for p in getattr(pipe, name).parameters()) for name in ("vae", "unet", "vocoder")}
    print(f"Wrote a randomly initialised pipeline to {args.out_dir} ({', '.join(f'{k}: {v:,}' for k, v in parameters.items())} parameters)")
    return 0


def load_model(model: str | None, pipeline_class=None):
    """Load ``model`` or the embedded default, with a clear message when there is none."""
    from . import DEFAULT_MODEL
    from .loading import ModelFolderError, load_pipeline

    if model is None:
        if not (Path(DEFAULT_MODEL) / "model_index.json").is_file():
            raise ModelFolderError(
                "No default model is embedded in this installation yet; pass --model DIR "
                "(make one with `latentaudio init configs/small.yaml DIR` and the `latentaudio train` verbs)."
            )
        model = DEFAULT_MODEL
    return load_pipeline(model) if pipeline_class is None else load_pipeline(model, pipeline_class)


def set_scheduler(pipe, name: str | None) -> None:
    from .schedulers import scheduler_from_name

    if name is not None:
        pipe.scheduler = scheduler_from_name(name, pipe.scheduler.config)


def output_paths(output: str, count: int) -> list[Path]:
    """``count`` WAV paths from one, checked writable before any work is done."""
    path = Path(output)
    if path.suffix.lower() not in (".wav", ".flac", ".ogg"):
        raise ValueError(f"Output path {output!r} must end in .wav, .flac or .ogg.")
    paths = [path] if count == 1 else [path.with_name(f"{path.stem}_{i}{path.suffix}") for i in range(count)]
    check_writable(path.parent)
    return paths


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"Cannot create the output folder {folder}: {error.strerror}") from error
    if not os.access(folder, os.W_OK):
        raise ValueError(f"Cannot write to the output folder {folder}: permission denied.")


def run_generate(args) -> int:
    import torch

    from .audio_io import write_audio
    from .plotting import plot_spectrograms

    paths = output_paths(args.output, args.num_waveforms)
    pipe = load_model(args.model)
    set_scheduler(pipe, args.scheduler)
    mels = pipe(
        args.prompt, negative_prompt=args.negative_prompt, audio_length_in_s=args.seconds,
        num_inference_steps=args.steps, guidance_scale=args.guidance, num_waveforms_per_prompt=args.num_waveforms,
        generator=torch.manual_seed(args.seed), output_type="mel",
    ).audios
    num_samples = pipe.check_length(args.seconds)
    with torch.no_grad():
        audios = pipe.vocoder(mels)[..., :num_samples]
    for path, audio in zip(paths, audios):
        write_audio(path, audio, pipe.sample_rate)
        print(f"Wrote {path} ({num_samples / pipe.sample_rate:.2f} s at {pipe.sample_rate} Hz)")
    if args.plot:
        titles = [f"{args.prompt!r}" + (f" #{i}" if len(mels) > 1 else "") for i in range(len(mels))]
        print(f"Wrote {plot_spectrograms(args.plot, list(mels), pipe.spectrogram, titles)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, ImportError) as error:
        print(f"latentaudio {args.verb}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
