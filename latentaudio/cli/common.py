"""What every verb of the ``latentaudio`` command shares: value types, options, model loading, output files, seeds.

Nothing heavy is imported here at module level, so ``latentaudio --help`` stays fast; torch,
diffusers and the pipelines load inside the functions that need them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..schedulers import SCHEDULERS


# Errors that are the user's to fix (a value, a file, a missing package): their message is the whole story.
USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


def one_line(error: BaseException) -> str:
    """``error``'s message on one line; an unexpected kind of error is named and points to ``--debug``."""
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and error.filename is not None and str(error.filename) not in message:
        message = f"{error.filename}: {message}"
    if isinstance(error, USER_ERRORS):
        return message
    return f"{message} ({type(error).__name__}; run with --debug for the traceback and report it)"


# ------------------------------------------------------------------ value types
def _number(text: str, parse, expected: str):
    """``parse(text)``; text that is not a number is rejected as the option's type would reject a bad value (argparse's
    own message would name the function: "invalid positive_int value")."""
    try:
        return parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}") from None


def given_flags(options) -> list[str]:
    """The ``(flag, value)`` pairs of ``options`` whose value is given (not ``None``), as command-line words: the
    options a written command that makes the same thing again must name."""
    return [word for flag, value in options if value is not None for word in (flag, str(value))]


def counted(count: int, one: str, many: str | None = None) -> str:
    """``count`` of a thing in words: "1 note", "3 notes", "2 effect classes" (``many``: the plural, when not ONE + s)."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def positive_int(text: str) -> int:
    value = _number(text, int, "a positive integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a positive number")
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def finite_float(text: str) -> float:
    value = _number(text, float, "a finite number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


# torch.Generator.manual_seed takes 64-bit seeds.
MAX_SEED = 2**64 - 1


RANDOM_SEEDS = 2**31  # a random seed (``--seed random``, the studio's box) is drawn from [0, RANDOM_SEEDS)


class DrawnSeed(int):
    """A seed drawn at random (``--seed random``): an ``int``, which :func:`say_drawn_seed` reports."""


def draw_seed() -> DrawnSeed:
    """A seed drawn at random from [0, :data:`RANDOM_SEEDS`) (short enough to read out and type back)."""
    return DrawnSeed(random.randrange(RANDOM_SEEDS))


def seed(text: str) -> int:
    """A seed option's value: a whole number from 0 to 2**64 - 1, or ``random`` for one drawn (:func:`draw_seed`)."""
    if text.strip().lower() == "random":
        return draw_seed()
    value = _number(text, int, "a seed from 0 to 2**64 - 1, or random")
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to 2**64 - 1, or random, got {text}")
    return value


def say_drawn_seed(args: argparse.Namespace) -> None:
    """Say on stderr which seed ``--seed random`` drew, so that the run can be made again."""
    drawn = getattr(args, "seed", None)
    if isinstance(drawn, DrawnSeed):
        print(f"--seed random drew {drawn}: --seed {drawn} makes the same takes again", file=sys.stderr)


# --------------------------------------------------------------------- options
DEVICES = ("cpu", "cuda", "mps")
DTYPES = ("float32", "float16", "bfloat16")
RUNTIMES = ("auto", "torch", "onnx")  # latentaudio.runtime.RUNTIMES, without importing torch for --help


def device_name(text: str) -> str:
    """``cpu``, ``mps``, ``cuda`` or ``cuda:N``."""
    kind, _, index = text.partition(":")
    if kind not in DEVICES or (index and (kind != "cuda" or not index.isdigit())):
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(DEVICES)} (or cuda:N), got {text!r}")
    return text


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """``--model``, and where and in which precision it runs (``--device``, ``--dtype``)."""
    parser.add_argument("--model", default=None, help="pipeline folder, latentaudio's or one written by diffusers' AudioLDM, "
                        "MusicLDM or AudioLDM2 pipeline, or an embedded model's name: default (the default, 4 steps), "
                        "default-teacher (the model it was distilled from, 8 guided steps), music (loops, phrases and effects of up to "
                        "10.24 s, 20 guided steps; a preview)")
    parser.add_argument("--device", type=device_name, default="cpu", help=f"where to run: {', '.join(DEVICES)} or cuda:N (default cpu)")
    parser.add_argument("--dtype", choices=DTYPES, default="float32", help="weights and activations (default float32)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto",
                        help="run exported ONNX graphs (`latentaudio export`) where the model has them (auto, the default: "
                             "for generate, its standalone graph without PyTorch where that runs the call), "
                             "never (torch), or insist on the per-component graphs (onnx)")


def add_sampling_options(parser: argparse.ArgumentParser, steps_flag: str = "--steps", seed_help: str = "random seed") -> None:
    """``--model``, sampler steps (``args.steps``, under ``steps_flag``), guidance, seed, negative prompt, scheduler."""
    add_model_option(parser)
    parser.add_argument(steps_flag, dest="steps", metavar=steps_flag.lstrip("-").replace("-", "_").upper(), type=positive_int,
                        default=None, help="sampler steps (default: the model's own: 4 for the default model, 20 for the "
                                           "music model and a model that saved none)")
    parser.add_argument("--guidance", type=finite_float, default=None,
                        help="classifier-free guidance scale (default: the model's own: 2 for the default model, 3 for the "
                             "music model and a model that saved none)")
    parser.add_argument("--seed", type=seed, default=0, help=f"{seed_help} (default 0; random: one drawn, and said)")
    parser.add_argument("--negative-prompt", default=None, help="what to steer away from")
    parser.add_argument("--scheduler", choices=sorted(SCHEDULERS), default=None, help="sampler (default: the model's)")
    add_local_option(parser)


def best_of_settings(written: str, of: str = "", then: str = "") -> dict:
    """The ``add_argument`` settings of ``--best-of K`` for a verb that writes the takes ``written`` names ("-n") ``of``
    something (" of each prompt"): draw K and keep the best, as the model's scorer hears the prompt; ``then``: more
    to say."""
    return dict(type=positive_int, default=1, metavar="K",
                help=f"draw K takes{of} (at least {written}) and write the best {written} of them, as the model's scorer hears "
                     f"the drum, family, loop style or effect class the prompt names (about K times the work of one take){then}")


def add_local_option(parser: argparse.ArgumentParser) -> None:
    """``--local``, and the mark of a verb that ``latentaudio serve`` runs when it is running (:mod:`.serve`)."""
    parser.add_argument("--local", action="store_true",
                        help="run in this process even while `latentaudio serve` runs (which has its models loaded)")
    parser.set_defaults(servable=True)


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr and exit 1, as every other bad input.

    argparse would print the whole usage block first and exit 2; the line names the value and what was expected
    ("latentaudio generate: error: argument --steps: expected a positive integer, got many") and where the options
    are listed.
    """

    def error(self, message: str):
        self.exit(1, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


class VerbParser(CommandParser):
    """A :class:`CommandParser` that adds the options given to :func:`add_options_later` when it first parses.

    ``latentaudio --help`` lists verbs by name and help line only, so a verb whose options take
    their defaults from heavy modules costs nothing until that verb is run or asked for help.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending_options = []
        # Also accepted after the verb; SUPPRESS keeps a top-level --debug from being reset.
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show the full traceback of an error (for bug reports)")

    def parse_known_args(self, args=None, namespace=None):
        while self.pending_options:
            self.pending_options.pop(0)(self)
        return super().parse_known_args(args, namespace)


def add_options_later(parser: argparse.ArgumentParser, add_options) -> None:
    """``add_options(parser)`` when ``parser`` first parses if it is a :class:`VerbParser`, else now."""
    if isinstance(parser, VerbParser):
        parser.pending_options.append(add_options)
    else:
        add_options(parser)


# ---------------------------------------------------------------------- models
# The models a long-lived process keeps loaded between verbs (``latentaudio serve``); None: load per call.
_resident = None


@contextmanager
def models_kept_loaded(capacity: int = 2):
    """Within the block, :func:`load_model` keeps what it loads (:class:`~latentaudio.resident.ResidentModels`,
    the ``capacity`` most recently used folders) and gives each call a pipeline over those components
    with a fresh sampler. Yields the :class:`~latentaudio.resident.ResidentModels`."""
    global _resident
    from ..resident import ResidentModels

    def load(model, device, dtype, runtime):
        return load_model_now(model, device=device, dtype=dtype, runtime=runtime)

    previous, _resident = _resident, ResidentModels(load, capacity)
    try:
        yield _resident
    finally:
        _resident = previous


def model_index(model: str | None) -> dict:
    """The ``model_index.json`` of ``model`` (a folder, an embedded model's name, ``None`` for the default model, or a
    hub id already in the local cache), read without loading the model.

    Raises:
        ModelFolderError: ``model`` is none of those.
    """
    from huggingface_hub import try_to_load_from_cache

    from ..model_folder import INDEX_FILE, ModelFolderError, PipelineFolder, model_location

    location = model_location(model)
    if Path(location).exists():
        return PipelineFolder.read(location).index
    try:
        cached = try_to_load_from_cache(location, INDEX_FILE)
    except ValueError:  # not a hub id either
        cached = None
    if not isinstance(cached, str):
        raise ModelFolderError(f"{location} is neither a pipeline folder nor a hub id in the local cache.")
    return json.loads(Path(cached).read_text())


def native_clip_in_s(model: str | None) -> float | None:
    """The length of ``model``'s own clip (its U-Net's ``sample_size`` in latent frames, each the VAE's downsampling
    times the spectrogram's hop), read from a local folder's configs without loading it; ``None`` where they do not
    say (a hub id, a folder without a spectrogram config)."""
    from ..model_folder import PipelineFolder, model_location
    from ..spectrogram import downsampling_factor

    folder = PipelineFolder.find(model_location(model))
    if folder is None:
        return None
    try:
        configs = {name: json.loads((folder.path / name / "config.json").read_text()) for name in ("unet", "vae", "spectrogram")}
        frames = configs["unet"]["sample_size"]
        frames = frames[0] if isinstance(frames, (list, tuple)) else frames  # as the pipeline's clip_frames reads it
        hop = downsampling_factor(len(configs["vae"]["block_out_channels"])) * configs["spectrogram"]["hop_length"]
        return frames * hop / configs["spectrogram"]["sample_rate"]
    except (OSError, KeyError, TypeError, ValueError):  # a config missing, or not saying
        return None


def longest_trained_length_in_s(model: str | None) -> float | None:
    """The longest take ``model`` (a folder or an embedded name; ``None``: the default model) learnt, its pipeline's
    ``longest_trained_length_in_s``, read from its folder without loading it; ``None`` when it states none."""
    from ..model_folder import PipelineFolder, model_location

    folder = PipelineFolder.find(model_location(model))
    return None if folder is None else folder.index.get("longest_trained_length_in_s")


def load_model(model: str | None, pipeline_class=None, scheduler: str | None = None, device: str = "cpu",
               dtype: str = "float32", runtime: str = "auto"):
    """Load ``model`` (or the embedded default) as ``pipeline_class``, with the named sampler if one
    is given, on ``device`` in ``dtype`` (see :func:`~latentaudio.loading.place_pipeline`), running its
    exported ONNX graphs as ``runtime`` says (:mod:`latentaudio.runtime`; PyTorch off the CPU or float32).
    Inside :func:`models_kept_loaded`, a folder already loaded is not read again.

    Raises:
        ModelFolderError: No model is given and none is embedded, or the folder does not load.
        ValueError: The device is not available here.
    """
    if _resident is not None:
        return _resident.pipeline(model, pipeline_class, scheduler, device, dtype, runtime)
    return load_model_now(model, pipeline_class, scheduler, device, dtype, runtime)


def load_model_now(model: str | None, pipeline_class=None, scheduler: str | None = None, device: str = "cpu",
                   dtype: str = "float32", runtime: str = "auto"):
    """:func:`load_model`, always from disk."""
    from .. import EMBEDDED_MODELS
    from ..loading import ModelFolderError, load_pipeline, place_pipeline
    from ..model_folder import model_location
    from ..schedulers import scheduler_from_name

    model = model_location(model)
    if model in EMBEDDED_MODELS.values() and not (Path(model) / "model_index.json").is_file():
        raise ModelFolderError(
            f"No model is embedded at {model} in this installation; pass --model DIR "
            "(make one with `latentaudio init configs/small.yaml DIR` and the `latentaudio train` verbs)."
        )
    if not (device == "cpu" and dtype == "float32"):
        if runtime == "onnx":
            raise ValueError(f"--runtime onnx runs on the CPU in float32; got --device {device} --dtype {dtype}.")
        runtime = "torch"
    pipe = load_pipeline(model, runtime=runtime) if pipeline_class is None else load_pipeline(model, pipeline_class, runtime=runtime)
    if scheduler is not None:
        pipe.scheduler = scheduler_from_name(scheduler, pipe.scheduler.config)
    return place_pipeline(pipe, device, dtype)


def generator(seed: int | None):
    """A CPU ``torch.Generator`` seeded with ``seed`` (``None`` for none): no verb touches the global RNG."""
    import torch

    return None if seed is None else torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- output files
def output_paths(output: str, count: int) -> list[Path]:
    """``count`` audio paths from one (``_0``, ``_1``, ... when several), checked writable before any work is done."""
    from ..audio_io import WRITABLE_FORMATS

    path = Path(output)
    if path.suffix.lower() not in WRITABLE_FORMATS:
        *others, last = WRITABLE_FORMATS
        raise ValueError(f"Output path {output!r} must end in {', '.join(others)} or {last}.")
    check_writable(path.parent)
    return numbered(path, count)


def numbered(path: Path, count: int) -> list[Path]:
    """``[path]`` for one take, else ``count`` paths with ``_0``, ``_1``, ... after the stem."""
    return [path] if count == 1 else [path.with_name(f"{path.stem}_{i}{path.suffix}") for i in range(count)]


def prompt_paths(prompts: list[str], count: int, folder: Path = Path()) -> list[Path]:
    """Where ``generate`` writes without ``-o``: each prompt's ``count`` takes as WAVs in ``folder``, named after the
    prompt (:func:`file_stem`: "a tight snare hit" gives ``a_tight_snare_hit.wav``, or ``_0``, ``_1``, ... for several
    takes), in prompt order, each name free (:func:`free_takes`): generating again keeps what was made before."""
    check_writable(folder)
    paths: list[Path] = []
    for prompt in prompts:
        paths += free_takes(lambda stem: numbered(folder / f"{stem}.wav", count), file_stem(prompt), taken=paths)
    return paths


def free_takes(takes_named: Callable[[str], list[Path]], stem: str, taken: Sequence[Path] = ()) -> list[Path]:
    """``takes_named(stem)``, or where one of those files exists (or is ``taken`` by an earlier take of the call), the
    takes of ``stem-2``, ``stem-3``, ... that are all free: a take never writes over a file."""
    for copy in itertools.count(1):
        takes = takes_named(stem if copy == 1 else f"{stem}-{copy}")
        if not any(path.exists() or path in taken for path in takes):
            return takes


def file_stem(prompt: str, longest: int = 60) -> str:
    """A file name's stem from ``prompt``: its words (letters, digits and ``#``, of any script) lower-cased and joined
    by ``_``, whole words up to ``longest`` characters ("Airy flute, F#5!" gives ``airy_flute_f#5``); ``take`` for a
    prompt of no words."""
    words = re.findall(r"\w[\w#]*", prompt.lower())
    stem = ""
    for word in words:
        joined = f"{stem}_{word}" if stem else word
        if len(joined) > longest:
            break
        stem = joined
    return stem or (words or ["take"])[0][:longest]


def folder_paths(output: str, stem: str, count: int) -> list[Path]:
    """``OUTPUT/STEM_0.wav``, ``_1``, ... (``count`` of them), the folder checked writable first; ``STEM-2_0.wav``, ...
    where those exist (:func:`free_takes`), so that a second run into the same folder keeps the first's takes."""
    folder = Path(output)
    check_writable(folder)
    return free_takes(lambda name: [folder / f"{name}_{i}.wav" for i in range(count)], stem)


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"Cannot create the output folder {folder}: {error.strerror}") from error
    if not os.access(folder, os.W_OK):
        raise ValueError(f"Cannot write to the output folder {folder}: permission denied.")


def write_audios(paths, audios, rate: int, prompt: Optional[str] = None, loop: bool = False) -> None:
    """Write each waveform ((L,) mono or (2, L) stereo) to its path and say so. A WAV made for ``prompt`` (or made to
    ``loop``) states to a sampler or a DAW what the prompt says of it: its root key, a loop's tempo and beats, the
    sustain loop of a seamless take (:func:`~latentaudio.prompts.prompt_sample_info`)."""
    from ..audio_io import write_audio
    from ..prompts import prompt_sample_info

    for path, audio in zip(paths, audios):
        write_audio(path, audio, rate, info=prompt_sample_info(prompt, audio.shape[-1], rate, loop))
        channels = "stereo" if audio.ndim == 2 else "mono"
        print(f"Wrote {path} ({audio.shape[-1] / rate:.2f} s, {channels}, {rate} Hz)")
