"""The ``init``, ``convert``, ``export`` and ``generate`` verbs: write a new pipeline from a config or from other weights, export one to ONNX; text to audio."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (add_sampling_options, best_of_settings, generator, load_model, longest_trained_length_in_s, model_index,
                     native_clip_in_s, output_paths, positive_float, positive_int, prompt_paths, seed, write_audios)


def add_generate_commands(verbs) -> None:
    """Register ``init``, ``convert``, ``export`` and ``generate`` on the ``latentaudio`` subparsers."""
    init = verbs.add_parser("init", help="write a randomly initialised pipeline from a YAML config")
    init.add_argument("config", help="model config, e.g. configs/small.yaml")
    init.add_argument("out_dir", help="folder to write the pipeline to")
    init.add_argument("--seed", type=seed, default=0)
    init.add_argument("--skip-packaged-encoder", action="store_true",
                      help="do not load a packaged text encoder (e.g. on a machine without its package); "
                           "the folder still names it and loads with it where it is installed")
    init.set_defaults(run=run_init)

    convert = verbs.add_parser("convert", help="write a model (e.g. an AudioLDM, MusicLDM or AudioLDM2 folder) as a latentaudio folder")
    convert.add_argument("model", help="pipeline folder, a hub id in the local cache, or an embedded model's name (default, default-teacher, music)")
    convert.add_argument("out_dir", help="new folder to write (safetensors only); written beside it, then renamed")
    convert.set_defaults(run=run_convert)

    export = verbs.add_parser("export", help="add ONNX graphs of the U-Net and VAE decoder to a model folder (faster on the CPU)")
    export.add_argument("model", help="latentaudio pipeline folder to export into (`convert` one first for other folders), "
                        "or with --standalone an embedded model's name (default, default-teacher, music; written to your cache)")
    export.add_argument("--format", choices=["onnx"], default="onnx", help="graph format (default onnx, run by ONNX Runtime)")
    export.add_argument("--standalone", action="store_true",
                        help="also write one graph of the whole text-to-audio call at the model's own sampling "
                             "(MODEL/standalone/), which `generate` runs without PyTorch: no start-up to speak of")
    export.set_defaults(run=run_export)

    generate = verbs.add_parser("generate", help="text to audio (one prompt, several, or a file of them)",
                                description="Text to audio. Without --model, a prompt that states a tempo or a key or names a "
                                            "loop, a phrase or a sound effect goes to the embedded music model, every other "
                                            "prompt to the default model.")
    generate.add_argument("prompt", nargs="*", metavar="PROMPT", help="what to generate; several give one file per take each")
    generate.add_argument("--prompts-file", default=None,
                          help="a text file of prompts, one a line (blank lines and lines starting with # skipped)")
    add_sampling_options(generate)
    generate.add_argument("--seconds", type=positive_float, default=None,
                          help="length (default: the length a prompt states, e.g. \"light rain, 3 s\"; else the model's clip, "
                               "or for a loop, a phrase or an effect the longest clip the model learnt)")
    generate.add_argument("--loop", action="store_true",
                          help="make takes that play seamlessly in a loop, the end leading into the start (whole bars for "
                               "a prompt that states a tempo; about 1.5 times the work of a plain take)")
    generate.add_argument("-n", "--num-waveforms", type=positive_int, default=1,
                          help="takes to write; with a model that has a scorer (the embedded models), best first")
    generate.add_argument("--best-of", **best_of_settings("-n", " of each prompt"))
    generate.add_argument("-o", "--output", default=None,
                          help="audio path (.wav; or .flac, .ogg, .mp3, .aiff); several takes (or prompts) get _0, _1, ... in "
                               "prompt order, takes within each (default: WAVs in this folder named after each prompt, "
                               "a_tight_snare_hit.wav, with -2, -3, ... rather than over a file that exists)")
    generate.add_argument("--plot", default=None, help="also save a labelled spectrogram PNG")
    generate.add_argument("--dry-run", action="store_true",
                          help="say how each prompt is read (the model it goes to, the take's length, the words the model "
                               "reads) and generate nothing; no model is loaded")
    generate.set_defaults(run=run_generate)


def run_init(args) -> int:
    from ..builder import build_pipeline, load_config

    if Path(args.out_dir).exists() and not Path(args.out_dir).is_dir():
        raise ValueError(f"init writes a pipeline folder, but {args.out_dir} is a file; give a folder path.")
    pipe = build_pipeline(load_config(args.config), seed=args.seed, load_packaged_encoder=not args.skip_packaged_encoder)
    pipe.save_pretrained(args.out_dir)
    parameters = {name: sum(p.numel() for p in getattr(pipe, name).parameters()) for name in ("vae", "unet", "vocoder")}
    print(f"Wrote a randomly initialised pipeline to {args.out_dir} ({', '.join(f'{k}: {v:,}' for k, v in parameters.items())} parameters)")
    return 0


def read_prompts(prompts: list[str], prompts_file: str | None) -> list[str]:
    """The prompts given on the command line, then those of ``prompts_file`` (one a line)."""
    prompts = list(prompts)
    if prompts_file is not None:
        try:
            lines = Path(prompts_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ValueError(f"Cannot read the prompts file {prompts_file}: {error.strerror}.") from error
        prompts += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not prompts:
        raise ValueError("No prompt given: pass one or more prompts, or --prompts-file FILE.")
    return prompts


def run_convert(args) -> int:
    from ..loading import convert_pipeline
    from ..model_folder import model_location

    pipe = convert_pipeline(model_location(args.model), args.out_dir)
    print(f"Wrote {args.out_dir} ({type(pipe.conditioner()).__name__}, {type(pipe.vocoder).__name__}, {pipe.sample_rate} Hz)")
    return 0


def run_export(args) -> int:
    from .. import EMBEDDED_MODELS
    from ..export import export_onnx, export_standalone

    embedded = args.model in EMBEDDED_MODELS and not Path(args.model).exists()  # part of the installed package: not written into
    if embedded and not args.standalone:
        raise ValueError(f"The embedded model {args.model!r} is exported with --standalone only (into your cache); "
                         f"`latentaudio convert {args.model} OUT` makes a folder of it for the per-component export.")
    if not embedded:
        written = export_onnx(args.model, log=print)
        print(f"Wrote {', '.join(str(path) for path in written.values())}; `generate --model {args.model}` runs them "
              "(--runtime torch does not).")
    if args.standalone:
        folder = export_standalone(args.model, log=print)
        print(f"Wrote {folder}; `generate --model {args.model}` runs it at the model's own sampling without PyTorch.")
    return 0


def standalone_generator(args, model: str | None):
    """``model``'s standalone generator (:mod:`latentaudio.standalone`: no PyTorch, so no start-up to
    speak of) when it runs this call's sampling, else ``None``. It runs the model's own sampling on the CPU in
    float32, without a negative prompt, sampler change, plot or loop, up to the length one pass denoises (each prompt's
    length is checked with :func:`~latentaudio.standalone.runs_call`); ``--runtime torch`` or ``onnx`` asks for the
    pipeline. Several takes of a model with a scorer are the pipeline's too, which ranks them best first. A stale
    export is reported and passed over."""
    from ..model_folder import PipelineFolder, model_location
    from ..standalone import StandaloneGenerator, StandaloneUnavailable, export_folder, read_config, runs_call

    if ((args.runtime, args.device, args.dtype) != ("auto", "cpu", "float32") or args.scheduler or args.negative_prompt
            or args.plot or args.loop):
        return None
    folder = model_location(model)
    if not export_folder(folder).is_dir():
        return None
    if takes_to_draw(args.num_waveforms, args.best_of) > 1 and "scorer" in PipelineFolder.read(folder).components:
        return None
    try:
        config = read_config(folder)
        if not runs_call(config, args.steps, args.guidance, None):
            return None
        return StandaloneGenerator.from_pretrained(folder, config=config)
    except StandaloneUnavailable as reason:
        print(f"{reason} Running the pipeline instead.", file=sys.stderr)
        return None


def model_for(prompt: str, model: str | None, loop: bool = False) -> str | None:
    """The model ``prompt`` goes to: ``model`` when one is given; without one, the embedded music model
    (``"music"``) for a prompt that asks for a loop, a phrase or an effect
    (:func:`~latentaudio.prompts.asks_for_material`) and for a take that plays in a loop (``loop``: sound that
    goes on, which the one-shot default model never learnt), else ``None`` (the default model)."""
    from ..prompts import asks_for_material

    return model if model is not None or not (loop or asks_for_material(prompt)) else "music"


def music_model_reason(prompt: str, loop: bool) -> str:
    """Why :func:`model_for` gave ``prompt`` (with ``loop``) to the music model, in words for the user."""
    from ..prompts import asks_for_material

    if asks_for_material(prompt) or not loop:
        return "the prompt asks for more than one sound (a loop, a phrase or an effect)"
    return "a take that plays in a loop"


def length_for(prompt: str, seconds: float | None, model: str | None) -> float | None:
    """The length of ``prompt``'s takes: ``seconds`` (``--seconds``) when given; else what the prompt asks of
    ``model`` (:func:`~latentaudio.prompts.take_length_in_s` with its ``longest_trained_length_in_s``: a stated
    length, whole bars of a stated tempo, a sound effect's own length, the music model's 10.24 s for other material),
    as its pipeline would choose; ``None`` for the model's own clip."""
    from ..prompts import take_length_in_s

    return seconds if seconds is not None else take_length_in_s(prompt, longest_trained_length_in_s(model))


def words_read(prompt: str, model: str | None, seconds: float | None) -> tuple[str | None, str]:
    """``(prompt_template, the words read)``: what ``model`` (a folder or an embedded name, read without loading it:
    :func:`~.common.model_index`) reads ``prompt`` as for a take of ``seconds`` (:func:`length_for`'s)."""
    from ..prompts import template_caption

    template = model_index(model).get("prompt_template")
    return template, template_caption(prompt, template, seconds)


def prompt_reading(prompt: str, model: str | None, seconds: float | None = None, loop: bool = False) -> str:
    """How ``prompt`` is read without running anything, in one line: the model it goes to (:func:`model_for`) and why,
    the take's length (:func:`length_for`; the model's own clip, :func:`~.common.native_clip_in_s`, where the prompt
    asks for none), and the words that model reads (its folder's ``prompt_template``):
    "'a sad piano melody': the music model, 9.14 s, read as 'a sad piano melody, 105 bpm, 9.14 s'; the prompt asks for
    more than one sound (a loop, a phrase or an effect)", and what it names that the model never learnt
    (:func:`unlearnt_note`)."""
    chosen = model_for(prompt, model, loop)
    length = length_for(prompt, seconds, chosen)
    template, read = words_read(prompt, chosen, length)
    name = {None: "the default model", "music": "the music model"}.get(chosen, chosen)
    own = native_clip_in_s(chosen) if length is None else None
    clip = f"{length:.2f} s" if length is not None else "its own clip" + ("" if own is None else f", {own:.2f} s")
    line = f"{prompt!r}: {name}, {clip}"
    line += f", read as {read!r}" if read != prompt else ", read as written"
    line += f"; {music_model_reason(prompt, loop)}" if chosen != model else ""
    note = unlearnt_note(prompt, chosen, template, read)
    return line + (f"; {note}" if note else "")


def unlearnt_note(prompt: str, model: str | None, template: str | None, read: str) -> str | None:
    """Words for the user when ``prompt`` names nothing ``model`` learnt, given the ``template`` it reads prompts
    through and the words ``read``: a prompt for the music model that names no drum style, drum, kind of phrase or
    sound effect (:func:`~latentaudio.prompts.names_known_material`: "a dembow loop"), or a one-shot its template finds
    no caption and no family for ("a gong"); ``None`` otherwise. The model then plays whatever the words call up."""
    from ..prompts import asks_for_material, names_known_material, parse_prompt

    if asks_for_material(prompt):
        if model == "music" and not names_known_material(prompt):
            return "it names no drum style, drum, kind of phrase or sound effect the music model learnt"
        return None
    if template is not None and read == prompt and parse_prompt(prompt).family is None:
        return "it names no instrument, drum or family the model learnt"
    return None


def say_rewrite(prompt: str, template, seconds: float) -> None:
    """Tell the user (on stderr) the words the model reads when its prompt template rewrites ``prompt`` for a take
    ``seconds`` long."""
    from ..prompts import template_caption

    read = template_caption(prompt, template, seconds)
    if read != prompt:
        print(f"{prompt!r} is read as {read!r} (the model's prompt template, {template})", file=sys.stderr)


def takes_to_draw(num_waveforms: int, best_of: int) -> int:
    """The takes of each prompt to generate for ``-n`` takes to write and ``--best-of`` K: K, and at least -n."""
    return max(num_waveforms, best_of)


def draws_for(pipe, num_waveforms: int, best_of: int, model: str | None, prompt: str | None) -> int:
    """The takes of ``prompt`` to draw for ``-n`` takes to write and ``--best-of`` K (:func:`takes_to_draw`), when
    ``pipe`` ranks them; ``-n`` when its scorer names nothing in ``prompt``, or there is no prompt (an edit's variations:
    nothing to rank by, :func:`unranked_note`, said on stderr).

    Raises:
        ValueError: More takes to draw than to write, and ``pipe`` cannot rank (no scorer, and no CLAP to rank by).
    """
    draws = takes_to_draw(num_waveforms, best_of)
    if draws > num_waveforms and not pipe.can_rank_takes:
        name = "the default model" if model is None else repr(model)
        asked = f" ({prompt!r})" if prompt else ""
        raise ValueError(f"--best-of needs a model with a scorer to rank its takes, and {name} has none{asked}; "
                         "give it one with `latentaudio train scorer`, or leave --best-of out.")
    note = unranked_note(pipe, num_waveforms, best_of, prompt)
    if note is None:
        return draws
    print(f"{prompt!r}: {note}" if prompt else note[0].upper() + note[1:], file=sys.stderr)
    return num_waveforms


def unranked_note(pipe, num_waveforms: int, best_of: int, prompt: str | None) -> str | None:
    """Why ``--best-of`` draws only the ``-n`` takes it writes of ``prompt``: ``pipe`` ranks takes, but its scorer
    names nothing ``prompt`` names, or there is no prompt (variations of a clip); `None` when it draws the ``best_of``
    asked for (or cannot rank at all)."""
    if takes_to_draw(num_waveforms, best_of) == num_waveforms or not pipe.can_rank_takes or pipe.scores_prompt(prompt):
        return None
    takes = "take" if num_waveforms == 1 else "takes"
    reason = ("the model's scorer knows nothing it names (a drum, an instrument, a drum loop's style, an effect)" if prompt
              else "no prompt to rank the takes by")
    return f"{reason}, so best of {best_of} draws only the {num_waveforms} {takes} to write"


def run_generate(args) -> int:
    prompts = read_prompts(args.prompt, args.prompts_file)
    if args.dry_run:
        for prompt in prompts:
            print(prompt_reading(prompt, args.model, args.seconds, args.loop))
        return 0
    paths = (prompt_paths(prompts, args.num_waveforms) if args.output is None
             else output_paths(args.output, len(prompts) * args.num_waveforms))
    if args.plot:
        from ..plotting import check_plot_path

        check_plot_path(args.plot)
    from ..standalone import runs_call

    mels, titles, spectrogram = [], [], None
    generators, pipelines = {}, {}  # model -> its standalone generator (None: it has none for this call), its pipeline
    for index, prompt in enumerate(prompts):  # one prompt at a time: each prompt's takes are those its own call gives
        model = model_for(prompt, args.model, args.loop)
        if model != args.model:
            print(f"{prompt!r}: the music model makes it, {music_model_reason(prompt, args.loop)} "
                  "(--model default for the one-shot model)", file=sys.stderr)
        seconds = length_for(prompt, args.seconds, model)
        outputs = paths[index * args.num_waveforms : (index + 1) * args.num_waveforms]
        if model not in generators:
            generators[model] = standalone_generator(args, model)
        standalone = generators[model]
        if standalone is not None and runs_call(standalone.config, None, None, seconds):
            num_samples = standalone.num_samples(seconds)  # checked before any work is done
            say_rewrite(prompt, standalone.config.get("prompt_template"), num_samples / standalone.sample_rate)
            write_audios(outputs, standalone(prompt, seconds, args.num_waveforms, args.seed), standalone.sample_rate, prompt)
            continue
        import torch

        if model not in pipelines:
            pipelines[model] = load_model(model, scheduler=args.scheduler, device=args.device, dtype=args.dtype,
                                          runtime=args.runtime)
        pipe = pipelines[model]
        draws = draws_for(pipe, args.num_waveforms, args.best_of, model, prompt)
        num_samples = pipe.check_length(seconds)
        say_rewrite(prompt, pipe.config.get("prompt_template"), num_samples / pipe.sample_rate)
        sampling = dict(negative_prompt=args.negative_prompt, audio_length_in_s=seconds, num_inference_steps=args.steps,
                        guidance_scale=args.guidance, num_waveforms_per_prompt=draws, generator=generator(args.seed))
        if args.loop or not args.plot:  # the waveforms (as the loop closes them); a loop's plot shows their mels
            audios = pipe(prompt, loop=args.loop, output_type="pt", **sampling).audios[: args.num_waveforms]  # best first
            if args.plot:
                with torch.no_grad():
                    mels += list(pipe.audio_mel(audios, num_samples).float().cpu())
        else:  # the mels, for the plot; the pipeline's own vocode step turns them into the waveforms it would return
            takes = pipe(prompt, output_type="mel", **sampling).audios[: args.num_waveforms]  # ranked best first
            with torch.no_grad():
                audios = pipe.vocode(takes, num_samples, "pt")
            mels += list(takes.float().cpu())
        write_audios(outputs, audios, pipe.sample_rate, prompt, args.loop)
        titles += [f"{prompt!r}" + (f" #{i}" if args.num_waveforms > 1 else "") for i in range(args.num_waveforms)]
        spectrogram = pipe.spectrogram
    if args.plot:
        from ..plotting import plot_spectrograms

        print(f"Wrote {plot_spectrograms(args.plot, mels, spectrogram, titles)}")
    return 0
