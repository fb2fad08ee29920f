"""The editing verbs of the ``latentaudio`` command: transform, vary, inpaint, extend, upsample, widen, interpolate.

Each verb is one row of :data:`EDIT_VERBS`: its pipeline, its own options, the checks it makes
before a model loads, and how its parsed arguments become the pipeline's keyword arguments.
One runner serves every row. Input audio of any sample rate and channel count is read as mono
and converted by the pipeline.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .common import (add_sampling_options, best_of_settings, folder_paths, generator, load_model, longest_trained_length_in_s,
                     output_paths, positive_float, positive_int, seed, write_audios)


def option(*flags: str, **settings) -> tuple:
    """One ``parser.add_argument(*flags, **settings)``, kept for later."""
    return flags, settings


def no_check(args, seconds) -> None:
    pass


@dataclass(frozen=True)
class EditVerb:
    """One editing verb: the pipeline it runs and how its command line becomes that pipeline's call."""

    help: str
    pipeline: str  # class name in latentaudio.pipelines
    options: tuple  # the verb's own options, from option()
    arguments: Callable[[argparse.Namespace], dict]  # parsed arguments -> the pipeline's keyword arguments
    output: str  # what -o names
    check: Callable[[argparse.Namespace, Optional[float]], None] = no_check  # (args, input seconds); raises ValueError
    folder: Optional[Callable[[argparse.Namespace], tuple[str, int]]] = None  # -o is a folder: (stem, count) of its files
    reads_input: bool = True
    takes: Optional[Callable[[argparse.Namespace], int]] = None  # the takes it writes, when it draws --best-of K of them

    def pipeline_class(self) -> type:
        """The class named by ``pipeline``, from :mod:`latentaudio.pipelines` (imported here, on first use)."""
        from .. import pipelines

        return getattr(pipelines, self.pipeline)


def check_fraction(name: str) -> Callable:
    """A check that ``--NAME`` lies in [0, 1], with the pipelines' own message."""

    def check(args, seconds) -> None:
        from ..pipelines.editing import check_strength

        check_strength(getattr(args, name), name)

    return check


def check_range_inside_input(args, seconds) -> None:
    from ..pipelines.editing import check_time_range

    check_time_range(args.start, args.end, seconds)


def check_two_ends(args, seconds) -> None:
    if args.num_interpolation_steps < 2:
        raise ValueError(f"--steps {args.num_interpolation_steps}: an interpolation needs at least 2 sounds (both ends).")


EDIT_VERBS = {
    "transform": EditVerb(
        "turn a sound into another: audio-to-audio toward a prompt", "LatentAudioAudioToAudioPipeline",
        (option("--prompt", required=True, help="the target sound, e.g. 'a snare drum hit'; the music model keeps the tempo "
                                                "it states, else the clip's own"),
         option("--strength", type=float, default=0.6,
                help="0 keeps the input, 1 ignores it (default 0.6, where the default model turns most drum hits into "
                     "the drum named; 0.15-0.35 for a subtle tweak)"),
         option("--loop", action="store_true", help="the input is a loop: the result loops seamlessly too"),
         option("--best-of", **best_of_settings("one"))),
        lambda args: dict(prompt=args.prompt, strength=args.strength, loop=args.loop),
        "WAV path", check=check_fraction("strength"), takes=lambda args: 1,
    ),
    "vary": EditVerb(
        "takes of one sample that differ in detail", "LatentAudioAudioToAudioPipeline",
        (option("-n", "--num-variations", type=positive_int, default=4, help="takes to write (default 4)"),
         option("--strength", type=float, default=0.2,
                help="how far takes stray, in [0, 1] (default 0.2, where the default model keeps a drum's type in 93 "
                     "takes of 100 and a note's family in 56; 0.3 and up wander further)"),
         option("--prompt", default=None, help="optional description to steer the takes"),
         option("--loop", action="store_true", help="the input is a loop: every take loops seamlessly too"),
         option("--best-of", **best_of_settings("-n", then="; without --prompt nothing ranks them"))),
        lambda args: dict(prompt=args.prompt, strength=args.strength, loop=args.loop),
        "folder for INPUT-STEM_0.wav, _1, ... (INPUT-STEM-2_0.wav, ... where those exist)", check=check_fraction("strength"),
        folder=lambda args: (Path(args.input).stem, args.num_variations), takes=lambda args: args.num_variations,
    ),
    "inpaint": EditVerb(
        "regenerate a time range of a clip", "LatentAudioInpaintPipeline",
        (option("--start", type=float, required=True, help="start of the range, seconds"),
         option("--end", type=float, required=True, help="end of the range, seconds"),
         option("--prompt", default=None, help="what the new part should be (default: what the clip sounds like to the "
                                               "model's scorer, where it knows; else the context decides); the music "
                                               "model keeps the tempo it states, else the clip's own"),
         option("--best-of", **best_of_settings("one", then="; ranked by the range made"))),
        lambda args: dict(start_in_s=args.start, end_in_s=args.end, prompt=args.prompt),
        "WAV path", check=check_range_inside_input, takes=lambda args: 1,
    ),
    "extend": EditVerb(
        "continue a clip (outpainting), optionally into a seamless loop (default model: the music model)",
        "LatentAudioContinuationPipeline",
        (option("--seconds", type=positive_float, default=None,
                help="seconds to add (default: as long as the clip, so a loop of whole bars plays twice)"),
         option("--prompt", default=None, help="what the continuation should be (default: what the clip sounds like to "
                                               "the model's scorer, e.g. 'a trap drum loop'); the music model continues "
                                               "at the tempo it states, else at the clip's own (as its beat tracker "
                                               "hears it)"),
         option("--loop", action="store_true", help="make the end lead seamlessly back into the start"),
         option("--best-of", **best_of_settings("one", then="; ranked by the part added"))),
        lambda args: dict(extend_in_s=args.seconds, prompt=args.prompt, loop=args.loop),
        "WAV path", takes=lambda args: 1,
    ),
    "upsample": EditVerb(
        "restore the high bands of band-limited audio", "LatentAudioSuperResolutionPipeline",
        (option("--cutoff", type=positive_float, default=None,
                help="where the input's content ends, Hz (default: half the file's sample rate for files "
                     "below the model's rate, else where 99.9%% of its power lies below)"),
         option("--prompt", default=None, help="what the sound is, if the low bands leave doubt")),
        lambda args: dict(cutoff_hz=args.cutoff, prompt=args.prompt),
        "WAV path",
    ),
    "widen": EditVerb(
        "mono to stereo from two near-identical variations", "LatentAudioStereoWideningPipeline",
        (option("--width", type=float, default=0.5, help="0 (dual mono) to 1 (widest), default 0.5"),
         option("--prompt", default=None, help="optional description to steer the variations"),
         option("--loop", action="store_true", help="the input is a loop: the stereo take loops seamlessly too")),
        lambda args: dict(width=args.width, prompt=args.prompt, loop=args.loop),
        "stereo WAV path", check=check_fraction("width"),
    ),
    "interpolate": EditVerb(
        "sounds between two prompts and/or two seeds", "LatentAudioInterpolationPipeline",
        (option("--prompt", required=True, help="prompt A"),
         option("--prompt-b", default=None, help="prompt B (default: prompt A, for a path between seeds)"),
         option("--steps", dest="num_interpolation_steps", metavar="STEPS", type=positive_int, default=5,
                help="sounds to write, both ends included (default 5)"),
         option("--seed-b", type=seed, default=None, help="seed of B's noise (default: --seed)"),
         option("--seconds", type=positive_float, default=None,
                help="length (default: what the longer prompt asks for, as generate reads it; else the model's clip)")),
        lambda args: dict(prompt=args.prompt, prompt_b=args.prompt_b, num_interpolation_steps=args.num_interpolation_steps,
                          generator_b=generator(args.seed_b), audio_length_in_s=args.seconds),
        "folder for interpolation_0.wav, _1, ... (interpolation-2_0.wav, ... where those exist)", check=check_two_ends,
        folder=lambda args: ("interpolation", args.num_interpolation_steps), reads_input=False,
    ),
}


def add_edit_commands(verbs) -> None:
    """Register the editing verbs on an ``argparse`` subparsers object."""
    for name, verb in EDIT_VERBS.items():
        parser = verbs.add_parser(name, help=verb.help)
        if verb.reads_input:
            parser.add_argument("input", help="audio file (any rate and channel count soundfile reads)")
        for flags, settings in verb.options:
            parser.add_argument(*flags, **settings)
        if verb.reads_input:
            add_sampling_options(parser)
        else:  # --steps counts the sounds
            add_sampling_options(parser, steps_flag="--sampler-steps", seed_help="seed of A's noise")
        parser.add_argument("-o", "--output", required=True, help=verb.output)
        parser.set_defaults(run=run_edit, edit_verb=name)


TEMPO_READ_AS = "the clip's tempo, as the beat tracker hears it (a prompt that states a tempo keeps its own)"
SOUND_READ_AS = "what the clip sounds like, as the model's scorer hears it (a prompt of your own keeps its words)"
BOTH_READ_AS = ("what the clip sounds like, as the model's scorer hears it, and its tempo, as the beat tracker hears it "
                "(a prompt of your own keeps its words, and a tempo it states)")
# Their pipelines give a prompt that states no tempo the clip's; inpaint and extend give an empty one its sound too.
TEMPO_VERBS = ("transform", "vary", "inpaint", "extend")


def model_for_verb(verb: str, model: str | None, loop: bool = False, prompt: str | None = None,
                   audio=None, sample_rate: int | None = None) -> str | None:
    """The model an editing verb runs: ``model`` when one is given; without one, the embedded music model
    (``"music"``) where the one-shot default model (``None``) has never heard what the edit asks for:

    * ``extend``, and a verb given a loop (``--loop``): sounds that go on (held chords, loops; MODEL_CARD.md),
      where the default model lets every continuation die away;
    * a ``prompt`` that asks for a loop, a phrase or an effect, as ``generate`` gives it
      (:func:`~latentaudio.prompts.asks_for_material`);
    * a clip with a beat to follow (``audio``, mono samples at ``sample_rate``; :func:`~latentaudio.metrics.clip_tempo`:
      a drum loop, a phrase), where the default model would fill a regenerated range with one-shots;
    * a clip longer than the default model's longest take (its ``longest_trained_length_in_s``, 5.12 s), whose
      held sound the default model lets die away as its one-shots do.

    Every other edit (a one-shot, a short held sound without a beat) runs the default model."""
    return model if model is not None or edit_model_reason(verb, loop, prompt, audio, sample_rate) is None else "music"


def edit_model_reason(verb: str, loop: bool = False, prompt: str | None = None, audio=None,
                      sample_rate: int | None = None) -> str | None:
    """Why :func:`model_for_verb` gives an edit to the music model when no model is named, in words for the user;
    ``None`` when it does not."""
    import numpy as np

    from ..metrics import clip_tempo
    from ..prompts import asks_for_material

    if verb == "extend":
        return "extend continues with the model that learnt sounds that go on"
    if loop:
        return "a take that plays in a loop"
    if prompt and asks_for_material(prompt):
        return "the prompt asks for more than one sound (a loop, a phrase or an effect)"
    if audio is None:
        return None
    audio = np.asarray(audio, dtype=np.float32)
    if clip_tempo(audio, sample_rate) is not None:
        return "the clip has a beat (a loop or a phrase)"
    longest = longest_trained_length_in_s(None)
    if longest is not None and len(audio) > round(longest * sample_rate):
        return f"the clip ({len(audio) / sample_rate:.2f} s) is longer than the one-shot model's longest take ({longest:g} s)"
    return None


def run_edit(args) -> int:
    """Check what can be checked, load the verb's pipeline, run it, write its audio."""
    from .generate import say_rewrite

    verb = EDIT_VERBS[args.edit_verb]
    inputs = read_and_check(args)
    paths = output_paths(args.output, 1) if verb.folder is None else folder_paths(args.output, *verb.folder(args))
    model = edit_model(args, inputs)
    pipe = load_model(model, verb.pipeline_class(), args.scheduler, args.device, args.dtype, args.runtime)
    if args.edit_verb in TEMPO_VERBS:
        args.prompt = say_read_as(pipe, inputs, args.prompt)  # the prompt read: the pipeline need not hear the clip again
    audios = run_verb(pipe, args, inputs, model)
    template = pipe.config.get("prompt_template")
    for prompt in dict.fromkeys(p for p in (getattr(args, "prompt", None), getattr(args, "prompt_b", None)) if p):
        say_rewrite(prompt, template, audios.shape[-1] / pipe.sample_rate)  # as the pipeline read it, for its takes
    write_audios(paths, audios, pipe.sample_rate, getattr(args, "prompt", None), getattr(args, "loop", False))
    return 0


def edit_model(args, inputs: dict) -> str | None:
    """The model the parsed edit ``args`` runs on ``inputs`` (:func:`read_and_check`'s; :func:`model_for_verb`), said on
    stderr when the edit goes to the music model without ``--model``."""
    verb, loop, prompt = args.edit_verb, getattr(args, "loop", False), getattr(args, "prompt", None)
    reason = None if args.model is not None else edit_model_reason(verb, loop, prompt, inputs.get("audio"),
                                                                     inputs.get("sample_rate"))
    if reason is not None:
        clip = getattr(args, "input", None)  # interpolate reads none: its prompt is what goes to the music model
        print(f"{clip or prompt!r}: the music model {'edits' if clip else 'makes'} it, {reason} "
              "(--model default for the one-shot model)", file=sys.stderr)
    return args.model if reason is None else "music"


def clip_read_as(pipe, audio, prompt: str | None, sample_rate: int | None = None) -> tuple[str, str] | None:
    """The words an edit by ``pipe`` reads for ``prompt`` when it gives an empty prompt what the clip sounds like and a
    prompt that states no tempo the clip's (:meth:`~latentaudio.pipelines.editing.LatentAudioEditPipelineBase.prompts_read`;
    ``audio``: a path, or samples at ``sample_rate``), and why, in words for the user; ``None`` when it reads the
    prompt as it is."""
    clips, given = pipe.prepare_audio(audio, sample_rate), prompt or ""
    described = pipe.prompts_of_clip_sound(clips, [given])[0]
    read = pipe.prompts_at_clip_tempo(clips, [described])[0]
    if read == given:
        return None
    why = TEMPO_READ_AS if described == given else SOUND_READ_AS if read == described else BOTH_READ_AS
    return read, why


def say_read_as(pipe, inputs: dict, prompt: str | None) -> str | None:
    """Tell the user (on stderr) the words an edit reads when the pipeline gives the prompt the clip's sound or tempo
    (:func:`clip_read_as`); the prompt it reads (``prompt`` itself when it reads it as it is)."""
    read = clip_read_as(pipe, inputs["audio"], prompt, inputs["sample_rate"])
    if read is None:
        return prompt
    print(f"{prompt or ''!r} is read as {read[0]!r}: {read[1]}", file=sys.stderr)
    return read[0]


def read_and_check(args) -> dict:
    """Read ``args.input`` (as mono) when the verb takes one and make the verb's checks; the pipeline's audio inputs.

    Raises:
        ValueError: The input is unreadable or an option does not fit it (e.g. a range outside the clip).
    """
    from ..audio_io import read_audio

    verb = EDIT_VERBS[args.edit_verb]
    inputs, seconds = {}, None
    if verb.reads_input:
        audio, rate = read_audio(args.input, mono=True)
        inputs, seconds = dict(audio=audio, sample_rate=rate), audio.shape[-1] / rate
    verb.check(args, seconds)
    return inputs


def run_verb(pipe, args, inputs: dict, model: str | None = None, **call_kwargs):
    """Run the verb's pipeline ``pipe`` (``model``'s: a folder, an embedded name, ``None`` for the default model) on
    ``inputs`` (from :func:`read_and_check`) with the parsed options; its audios. A verb that writes ranked takes
    (``transform``, ``vary``, ``inpaint``, ``extend``) draws ``--best-of`` K of them (:func:`~.generate.draws_for`) and
    keeps the best.

    ``call_kwargs`` go to the pipeline as they are (e.g. ``callback_on_step_end``).
    """
    from .generate import draws_for

    verb = EDIT_VERBS[args.edit_verb]
    arguments = verb.arguments(args)
    if verb.takes is not None:
        written = verb.takes(args)
        arguments["num_waveforms_per_prompt"] = draws_for(pipe, written, args.best_of, model, args.prompt)
    audios = pipe(**inputs, **arguments, negative_prompt=args.negative_prompt, guidance_scale=args.guidance,
                  num_inference_steps=args.steps, generator=generator(args.seed), **call_kwargs).audios
    return audios if verb.takes is None else audios[:written]  # ranked best first
