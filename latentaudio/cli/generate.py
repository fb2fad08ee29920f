"""The ``init``, ``convert`` and ``generate`` verbs: write a new pipeline from a config or from other weights; text to audio."""

from __future__ import annotations

from .common import add_sampling_options, generator, load_model, output_paths, positive_float, positive_int, write_audios


def add_generate_commands(verbs) -> None:
    """Register ``init``, ``convert`` and ``generate`` on the ``latentaudio`` subparsers."""
    init = verbs.add_parser("init", help="write a randomly initialised pipeline from a YAML config")
    init.add_argument("config", help="model config, e.g. configs/small.yaml")
    init.add_argument("out_dir", help="folder to write the pipeline to")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--skip-packaged-encoder", action="store_true",
                      help="do not load a packaged text encoder (e.g. on a machine without its package); "
                           "the folder still names it and loads with it where it is installed")
    init.set_defaults(run=run_init)

    convert = verbs.add_parser("convert", help="write a model (e.g. an AudioLDM, MusicLDM or AudioLDM2 folder) as a latentaudio folder")
    convert.add_argument("model", help="pipeline folder, or a hub id in the local cache")
    convert.add_argument("out_dir", help="new folder to write (safetensors only); written beside it, then renamed")
    convert.set_defaults(run=run_convert)

    generate = verbs.add_parser("generate", help="text to audio")
    generate.add_argument("prompt")
    add_sampling_options(generate)
    generate.add_argument("--seconds", type=positive_float, default=None, help="length (default: the model's clip)")
    generate.add_argument("-n", "--num-waveforms", type=positive_int, default=1, help="takes to write")
    generate.add_argument("-o", "--output", default="output.wav", help="WAV path; several takes get _0, _1, ...")
    generate.add_argument("--plot", default=None, help="also save a labelled spectrogram PNG")
    generate.set_defaults(run=run_generate)


def run_init(args) -> int:
    from ..builder import build_pipeline, load_config

    pipe = build_pipeline(load_config(args.config), seed=args.seed, load_packaged_encoder=not args.skip_packaged_encoder)
    pipe.save_pretrained(args.out_dir)
    parameters = {name: sum(p.numel() for p in getattr(pipe, name).parameters()) for name in ("vae", "unet", "vocoder")}
    print(f"Wrote a randomly initialised pipeline to {args.out_dir} ({', '.join(f'{k}: {v:,}' for k, v in parameters.items())} parameters)")
    return 0


def run_convert(args) -> int:
    from ..loading import convert_pipeline

    pipe = convert_pipeline(args.model, args.out_dir)
    print(f"Wrote {args.out_dir} ({type(pipe.conditioner()).__name__}, {type(pipe.vocoder).__name__}, {pipe.sample_rate} Hz)")
    return 0


def run_generate(args) -> int:
    import torch

    from ..plotting import plot_spectrograms

    paths = output_paths(args.output, args.num_waveforms)
    pipe = load_model(args.model, scheduler=args.scheduler)
    # The mels, for the plot; the pipeline's own vocode step turns them into the waveforms it would return.
    mels = pipe(
        args.prompt, negative_prompt=args.negative_prompt, audio_length_in_s=args.seconds,
        num_inference_steps=args.steps, guidance_scale=args.guidance, num_waveforms_per_prompt=args.num_waveforms,
        generator=generator(args.seed), output_type="mel",
    ).audios
    with torch.no_grad():
        audios = pipe.vocode(mels, pipe.check_length(args.seconds), "pt")
    write_audios(paths, audios, pipe.sample_rate)
    if args.plot:
        titles = [f"{args.prompt!r}" + (f" #{i}" if len(mels) > 1 else "") for i in range(len(mels))]
        print(f"Wrote {plot_spectrograms(args.plot, list(mels), pipe.spectrogram, titles)}")
    return 0
