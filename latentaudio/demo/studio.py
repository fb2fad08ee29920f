"""What the web studio runs, without any web code: one loaded model, its verbs, files in one temporary folder.

The command-line verbs are the source of truth. :func:`verb_parsers` builds their ``argparse``
parsers, the app turns each option into a control, and a request becomes the ``Namespace`` the
verb would parse; :class:`Studio` then runs it with :mod:`latentaudio.cli.edit`'s own
:func:`~latentaudio.cli.edit.read_and_check` and :func:`~latentaudio.cli.edit.run_verb`, so the
browser and the command line check and call the pipelines the same way.
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Callable, Optional

import soundfile

from ..cli.common import generator, load_model
from ..cli.edit import (EDIT_VERBS, TEMPO_VERBS, add_edit_commands, clip_read_as, edit_model_reason, read_and_check,
                        run_verb)
from ..cli.generate import (add_generate_commands, draws_for, length_for, model_for, music_model_reason,
                            unlearnt_note, unranked_note, words_read)
from ..cli.instrument import add_instrument_command, build_instrument, plan_instrument
from ..cli.pack import add_pack_command, build_pack, pack_plan, pack_takes
from ..cli.render import add_render_command, is_sfz, plan_render, play_render
from ..prompts import template_caption
from ..resident import ResidentPipeline

# Options fixed by the studio: its one loaded model (on its device, in its precision), and its own files.
HIDDEN_OPTIONS = {"help", "model", "device", "dtype", "runtime", "output", "input", "plot", "prompts_file", "run", "edit_verb",
                  "local", "dry_run", "midi"}  # a dry run: the panels say it beside the prompt; a MIDI file: uploaded


class Cancelled(Exception):
    """The user stopped the run; raised from the sampler's step callback."""


def verb_parsers() -> dict[str, argparse.ArgumentParser]:
    """The parser of each verb the studio serves (``generate``, ``instrument``, ``pack``, ``render`` and every row of
    ``EDIT_VERBS``), options added."""
    verbs = argparse.ArgumentParser().add_subparsers()
    add_generate_commands(verbs)
    add_instrument_command(verbs)
    add_pack_command(verbs)
    add_render_command(verbs)
    add_edit_commands(verbs)
    return {name: parser for name, parser in verbs.choices.items()
            if name in ("generate", "instrument", "pack", "render") or name in EDIT_VERBS}


def shown_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options of ``parser`` that become controls, in the order the verb declares them."""
    return [action for action in parser._actions if action.dest not in HIDDEN_OPTIONS]


def parse_values(parser: argparse.ArgumentParser, values: dict) -> argparse.Namespace:
    """A ``Namespace`` as ``parser`` would make it from ``values`` (dest → value from a control), through each option's type.

    Empty text and empty numbers mean "not given" (the option's default; the page shows an option without one as an
    empty text box, since an untouched number box sends 0). A required option left empty, or a value its type
    rejects, raises ``ValueError`` naming the option.
    """
    args = argparse.Namespace(**parser._defaults)
    for action in shown_options(parser):
        value = values.get(action.dest)
        flag = action.option_strings[-1] if action.option_strings else action.dest
        if value is None or (isinstance(value, str) and not value.strip()):
            if action.required:
                raise ValueError(f"{flag} is required: {action.help}.")
            value = action.default
        elif action.type is not None:
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            try:
                value = action.type(text)
            except argparse.ArgumentTypeError as error:
                raise ValueError(f"{flag}: {error}.") from error
            except ValueError as error:
                raise ValueError(f"{flag}: expected {'a whole number' if action.type is int else 'a number'}, got {text}.") from error
        setattr(args, action.dest, value)
    return args


def sampling_said(pipe, model: Optional[str], steps: Optional[int], guidance: Optional[float]) -> str:
    """How ``pipe`` (``model``'s) samples with the panel's ``steps`` and ``guidance`` (``None``: the model's own), as a
    sentence: "Sampled in 20 steps at guidance 3, the music model's own." """
    used_steps, used_guidance = pipe.sampling_settings(steps, guidance)
    whose = "the music model's" if model == "music" else "the model's"
    own = [name for name, given in (("steps", steps), ("guidance", guidance)) if given is None]
    tail = f", {whose} own" if len(own) == 2 else f" ({own[0]}: {whose} own)" if own else ""
    return f"Sampled in {used_steps} steps at guidance {used_guidance:g}{tail}."


def _sentences(note: Optional[str]) -> list[str]:
    """``note`` (lower case, no full stop) as a sentence in a list, or an empty list."""
    return [f"{note[0].upper()}{note[1:]}."] if note else []


class Studio:
    """One loaded model serving the verbs, one request at a time.

    Without a model named, the studio serves the embedded default model and, as the command line does, gives a
    prompt that asks for a loop, a phrase or an effect, every ``extend`` and every run with *loop* ticked, to the embedded music model (loaded at
    its first such run; :func:`~latentaudio.cli.generate.model_for`, :func:`~latentaudio.cli.edit.model_for_verb`), a
    prompt at the length :func:`~latentaudio.cli.generate.length_for` gives.

    Args:
        model: A pipeline folder, or ``None`` for the embedded default model.
        folder: Where every file the studio writes goes (the caller owns and removes it).
    """

    def __init__(self, model: Optional[str], folder: Path):
        from ..model_folder import model_location

        self.resident = ResidentPipeline(load_model(model), progress_bar=False)
        self.pipe = self.resident.pipe
        self.model = model
        self.model_path = model_location(model)
        self._residents = {model: self.resident}  # model name -> its loaded pipelines (the music model once asked for)
        self.folder = Path(folder)
        self.parsers = verb_parsers()
        self._run_lock = threading.Lock()  # the pipelines share components and a scheduler: one run at a time
        self._plot_lock = threading.Lock()  # matplotlib's pyplot is not thread-safe
        self._stopped: set[str] = set()
        self._heard: dict[tuple, object] = {}  # what was heard in an input file: the model for an edit, the words read
        self._heard_lock = threading.Lock()  # requests run in threads; hearing a clip takes a tenth of a second

    # ---------------------------------------------------------------- running
    def run(self, verb: str, values: dict, audio: Optional[str] = None, session: str = "",
            on_step: Optional[Callable[[int, int], None]] = None, previews: int = 5) -> list[Path]:
        """Run ``verb`` with control values ``values`` (dest → value) on the file ``audio`` (for verbs that read one)
        and write its takes as WAVs; their paths. ``on_step(step, steps)`` follows the sampler. ``instrument`` gives
        its zip and ``previews`` of its samples instead (:meth:`run_instrument`).

        Raises:
            ValueError: A value the verb rejects, an unreadable or unusable input, a range outside the clip.
            Cancelled: :meth:`stop` was called for ``session`` while it ran.
        """
        args = parse_values(self.parsers[verb], values)
        args.input, args.edit_verb = audio, verb
        if verb == "instrument":
            return self.run_instrument(args, session, on_step, previews)
        if verb == "pack":
            return self.run_pack(args, session, on_step, previews)
        if verb == "render":
            return self.run_render(args, audio, session, on_step)
        if verb == "generate":
            prompt, inputs = args.prompt if isinstance(args.prompt, str) else None, {}
            if not prompt:
                raise ValueError("prompt is required: what to generate, e.g. 'a snare drum hit'.")
            model = model_for(prompt, self.model, args.loop)
            args.seconds = length_for(prompt, args.seconds, model)
        else:
            inputs = read_and_check(args)
            model = self.edit_model(verb, getattr(args, "loop", False), getattr(args, "prompt", None), audio, inputs)
        with self._run_lock:
            self._stopped.discard(session)
            if model not in self._residents:
                self._residents[model] = ResidentPipeline(load_model(model), progress_bar=False)
            resident = self._residents[model]
            pipe = self.pipeline(verb, args.scheduler, resident)
            if verb in TEMPO_VERBS:  # the prompt read: the pipeline need not hear the clip again
                read = self.clip_read(pipe, model, verb, audio, args.prompt)
                args.prompt = args.prompt if read is None else read[0]
            steps, _ = pipe.sampling_settings(args.steps, args.guidance)
            callback = self._step_callback(session, steps, on_step)
            if verb == "generate":
                draws = draws_for(pipe, args.num_waveforms, args.best_of, model, prompt)
                audios = pipe(prompt, negative_prompt=args.negative_prompt, audio_length_in_s=args.seconds, loop=args.loop,
                              num_inference_steps=args.steps, guidance_scale=args.guidance,
                              num_waveforms_per_prompt=draws, generator=generator(args.seed),
                              callback_on_step_end=callback).audios[: args.num_waveforms]  # ranked best first
            else:
                audios = run_verb(pipe, args, inputs, model, callback_on_step_end=callback)
        return self.write_takes(verb, audios, prompt if verb == "generate" else getattr(args, "prompt", None),
                                getattr(args, "loop", False))

    def run_instrument(self, args: argparse.Namespace, session: str = "",
                       on_step: Optional[Callable[[int, int], None]] = None, previews: int = 5) -> list[Path]:
        """``latentaudio instrument`` on the studio's model (:func:`~latentaudio.cli.instrument.build_instrument`): the
        path of a zip of its ``.sfz`` file and samples, then ``previews`` of the loudest layer's samples (the first round
        robin of each), evenly spread from the lowest note to the highest, to hear. ``on_step(sample, samples)``
        follows the samples."""
        plan = plan_instrument(args)
        args.model = self.model  # what the file says made it
        with self._run_lock:
            self._stopped.discard(session)
            pipe = self.pipeline("instrument", args.scheduler, self.resident)
            pipe.check_length(args.seconds)
            run = self.folder / uuid.uuid4().hex[:12]
            sfz, samples_folder, samples = build_instrument(pipe, args, plan, run / "instrument", on_sample=on_step,
                                                            callback_on_step_end=self._step_callback(session, 0, None))
        archive = Path(shutil.make_archive(str(run / sfz.stem), "zip", root_dir=run / "instrument"))
        loudest = [sample for sample in samples if sample.velocities == samples[-1].velocities and sample.robin == 1]
        count = min(previews, len(loudest))
        spread = [round(i * (len(loudest) - 1) / max(1, count - 1)) for i in range(count)]
        return [archive, *(samples_folder / loudest[i].file_name for i in spread)]

    def run_pack(self, args: argparse.Namespace, session: str = "",
                 on_step: Optional[Callable[[int, int], None]] = None, previews: int = 5) -> list[Path]:
        """``latentaudio pack`` on the studio's models (:func:`~latentaudio.cli.pack.build_pack`): the path of a zip of
        the pack's folder, then the first take of up to ``previews`` of its sounds, the loops and phrases first, to hear.
        ``on_step(sound, sounds)`` follows the sounds."""
        plan = pack_plan(args)
        args.model = self.model  # what pack.txt says made it

        def pipeline_for(model: Optional[str]):  # the studio's resident pipelines; the music model loaded once asked for
            if model not in self._residents:
                self._residents[model] = ResidentPipeline(load_model(model), progress_bar=False)
            return self.pipeline("pack", args.scheduler, self._residents[model])

        with self._run_lock:
            self._stopped.discard(session)
            takes_of = pack_takes(plan.sounds, self.model, pipeline_for)
            run = self.folder / uuid.uuid4().hex[:12]
            firsts = build_pack(args, plan, takes_of, run / plan.name, pipeline_for, on_sound=on_step,
                                callback_on_step_end=self._step_callback(session, 0, None))
        archive = Path(shutil.make_archive(str(run / plan.name), "zip", root_dir=run, base_dir=plan.name))
        heard = [first for sound, first in zip(plan.sounds, firsts) if sound.loop] + \
                [first for sound, first in zip(plan.sounds, firsts) if not sound.loop]
        return [archive, *heard[:previews]]

    def run_render(self, args: argparse.Namespace, midi: Optional[str], session: str = "",
                   on_step: Optional[Callable[[int, int], None]] = None) -> list[Path]:
        """``latentaudio render`` of the MIDI file ``midi`` on the studio's model
        (:func:`~latentaudio.cli.render.play_render`): the path of its WAV, and with *keep instruments* a zip of the
        instruments made (each ``.sfz`` file and its samples). ``on_step(sample, samples)`` follows the samples."""
        if not midi:
            raise ValueError("No MIDI file: upload a standard MIDI file (.mid).")
        args.midi = midi
        if is_sfz(args.prompt) or is_sfz(args.drums):
            raise ValueError("The studio makes the instrument and the kit from prompts; an .sfz file is for "
                             "`latentaudio render` in a shell.")
        plan = plan_render(args)
        kept = self.folder / uuid.uuid4().hex[:12] / f"{Path(midi).stem}_instruments" if args.keep_instruments else None
        with self._run_lock:
            self._stopped.discard(session)
            pipe = self.pipeline("render", args.scheduler, self.resident)
            pipe.check_length(args.seconds)
            audio, _, _ = play_render(pipe, args, plan, on_sample=on_step, keep_in=kept,
                                      callback_on_step_end=self._step_callback(session, 0, None))
        played = self.write_takes("render", [audio])
        if kept is None:
            return played
        return played + [Path(shutil.make_archive(str(kept), "zip", root_dir=kept.parent, base_dir=kept.name))]

    def render_read_as(self, values: dict, midi: str) -> str:
        """Markdown of what a render of ``values`` plays the MIDI file ``midi`` on: the first instrument's first sample's
        prompt as the model reads it."""
        args = parse_values(self.parsers["render"], values)
        args.midi = midi
        plan = plan_render(args)
        first = next((part for part in plan.parts if part.sampled), None)
        return "" if first is None else self.samples_read_as(first.given, first.sampled[0], None, first.drums)

    def pack_read_as(self, values: dict) -> str:
        """Markdown of what a pack of ``values`` makes: its tempo and key, and each sound's prompt."""
        plan = pack_plan(parse_values(self.parsers["pack"], values))
        sounds = "; ".join(f"{sound.folder}: *{sound.prompt}*" for sound in plan.sounds)
        return f"A {plan.style} pack at {plan.bpm:g} bpm in {plan.key}, each sound from its own prompt: {sounds}."

    def instrument_read_as(self, values: dict) -> str:
        """Markdown saying what the studio's model reads the first sample's prompt as (each sample's prompt is the
        instrument's with its note, or a kit's with its drum, first)."""
        plan = plan_instrument(parse_values(self.parsers["instrument"], values))
        return self.samples_read_as(plan.prompt, plan.notes[0], (plan.dynamics or [None])[0], plan.drums)

    def samples_read_as(self, instrument: str, first: int, dynamics: Optional[str], drums: bool) -> str:
        """Markdown saying what the studio's model reads the prompt of an instrument's first sample (of ``first``, its
        note or a kit's drum) as."""
        from ..data.gm import DRUM_KEYS, note_name
        from ..instrument import sample_prompt

        prompt = sample_prompt(instrument, first, dynamics, drums)
        template = self.pipe.config.get("prompt_template")
        read = template_caption(prompt, template, None)
        what = DRUM_KEYS[first] if drums else note_name(first)
        said = f"Each sample has its own prompt: *{prompt}* for {what}"
        if read != prompt:
            said += f", read as *{read}* (the model's prompt template, `{template}`)"
        return said + ", and so on for every " + ("drum." if drums else "note.")

    def stop(self, session: str) -> None:
        """Stop ``session``'s run at its next sampler step."""
        self._stopped.add(session)

    def _step_callback(self, session: str, steps: int, on_step):
        def callback(pipe, step, timestep, tensors):
            if session in self._stopped:
                self._stopped.discard(session)
                raise Cancelled("Stopped.")
            if on_step is not None:
                on_step(step + 1, steps)
            return {}

        return callback

    def _heard_once(self, kind: str, audio: Optional[str], details: tuple, hear: Callable[[], object]):
        """``hear()``, once per file ``audio``, its modification time and ``details``: a run and its "read as" line
        share what was heard. The newest 64 are kept."""
        key = (kind, audio, os.stat(audio).st_mtime_ns if audio else None, *details)
        with self._heard_lock:
            if key not in self._heard:
                if len(self._heard) >= 64:
                    self._heard.pop(next(iter(self._heard)))
                self._heard[key] = hear()
            return self._heard[key]

    def edit_model(self, verb: str, loop: bool, prompt: Optional[str], audio: Optional[str],
                   inputs: Optional[dict] = None) -> Optional[str]:
        """The model ``verb`` runs on the file ``audio``: the studio's own, or without one the music model where
        :func:`edit_reason` gives a reason (:func:`~latentaudio.cli.edit.model_for_verb`)."""
        return self.model if self.edit_reason(verb, loop, prompt, audio, inputs) is None else "music"

    def edit_reason(self, verb: str, loop: bool, prompt: Optional[str], audio: Optional[str],
                    inputs: Optional[dict] = None) -> Optional[str]:
        """Why ``verb`` on the file ``audio`` goes to the music model, in words for the user
        (:func:`~latentaudio.cli.edit.edit_model_reason`: ``extend``, a loop, a prompt that asks for material, a clip
        with a beat or longer than the default model's longest take); ``None`` when the studio serves a model of its own or the edit stays with the default model.
        ``inputs``: the file as :func:`~latentaudio.cli.edit.read_and_check` read it, when at hand."""
        if self.model is not None:
            return None
        if audio is None:
            return edit_model_reason(verb, bool(loop), prompt)

        def hear():
            from ..audio_io import read_audio

            samples, rate = (inputs["audio"], inputs["sample_rate"]) if inputs else read_audio(audio, mono=True)
            return edit_model_reason(verb, bool(loop), prompt, samples, rate)

        return self._heard_once("model", audio, (verb, bool(loop), prompt or None), hear)

    def clip_read(self, pipe, model: Optional[str], verb: str, audio: str, prompt: Optional[str]) -> Optional[tuple]:
        """What an edit by ``pipe`` (of ``verb``, on ``model``) reads for ``prompt`` on the file ``audio``, and why
        (:func:`~latentaudio.cli.edit.clip_read_as`), heard once per file, its modification time and prompt: the run
        and its "read as" line share it. ``None`` when the prompt is read as it is."""
        return self._heard_once("read", audio, (model, verb, prompt or None), lambda: clip_read_as(pipe, audio, prompt))

    @staticmethod
    def pipeline(verb: str, scheduler: Optional[str], resident: ResidentPipeline):
        """The verb's pipeline over ``resident``'s loaded components (``from_pipe``; text to audio for ``generate`` and
        ``instrument``), with a fresh sampler of the given name."""
        return resident.pipeline(EDIT_VERBS[verb].pipeline_class() if verb in EDIT_VERBS else None, scheduler)

    # ------------------------------------------------------------------ files
    def write_takes(self, stem: str, audios, prompt: Optional[str] = None, loop: bool = False) -> list[Path]:
        """Each waveform ((L,) or (2, L)) as ``FOLDER/<run>/STEM_<i>.wav``, stating to a sampler or a DAW what
        ``prompt`` says of it, as ``latentaudio generate`` writes it (:func:`~latentaudio.prompts.prompt_sample_info`)."""
        from ..audio_io import write_audio
        from ..prompts import prompt_sample_info

        run = self.folder / uuid.uuid4().hex[:12]
        rate = self.pipe.sample_rate
        return [write_audio(run / f"{stem}_{i}.wav", audio, rate, info=prompt_sample_info(prompt, audio.shape[-1], rate, loop))
                for i, audio in enumerate(audios)]

    def spectrogram_image(self, path: Path, title: str) -> Path:
        """A labelled spectrogram PNG of the WAV at ``path`` (its mid channel), beside it."""
        from ..audio_io import read_audio
        from ..plotting import plot_spectrograms

        audio, _ = read_audio(path, self.pipe.sample_rate, mono=True)
        mel = self.pipe.codec.audio_to_mel(audio[None], audio.shape[-1])[0]
        with self._plot_lock:
            return plot_spectrograms(Path(path).with_suffix(".png"), [mel], self.pipe.spectrogram, [title])

    # ------------------------------------------------------------------ model
    def read_as(self, prompt, seconds: Optional[float] = None, loop: bool = False, verb: str = "generate",
                audio: Optional[str] = None, best_of: int = 0, num_waveforms: int = 1) -> str:
        """Markdown saying what the model reads ``prompt`` as when its prompt template rewrites it, for a take of
        ``seconds`` (the panel's value; `None`: the length the prompt asks for), or that the music model makes it
        (as it does a ``loop``); for an edit of the file ``audio``, that the music model made it (:meth:`edit_reason`)
        and, for an edit that gives the prompt the clip's tempo (:data:`~latentaudio.cli.edit.TEMPO_VERBS`), the words
        it read (:func:`~latentaudio.cli.edit.clip_read_as`); "" otherwise. For a generation of ``num_waveforms``
        takes (or an edit's that ranks its takes: ``transform``, ``vary``, ``inpaint``, ``extend``), the ``best_of`` K
        asked for, by a model already loaded, it adds that only the takes shown were drawn when its scorer knows nothing
        the words read name (an edit's: :func:`~latentaudio.cli.edit.clip_read_as`), or there are none
        (:func:`~latentaudio.cli.generate.unranked_note`)."""
        said = self._prompt_read_as(prompt, seconds, loop, verb, audio)
        prompt = prompt if isinstance(prompt, str) and prompt else None
        model, resident = self._run_model(verb, prompt, bool(loop), audio)
        note = None
        if resident is not None and (verb == "generate" or EDIT_VERBS[verb].takes is not None):
            if audio and verb in TEMPO_VERBS:  # ranked by the words the edit read (an empty prompt: the clip's sound)
                read = self.clip_read(self.pipeline(verb, None, resident), model, verb, audio, prompt)
                prompt = prompt if read is None else read[0]
            note = unranked_note(resident.pipe, num_waveforms, best_of, prompt)
        return "\n\n".join(part for part in (said, note and f"Best of {best_of}: {note}.") if part)

    def sampled(self, verb: str, prompt, loop: bool = False, audio: Optional[str] = None, steps: Optional[int] = None,
                guidance: Optional[float] = None) -> str:
        """How a run of ``verb`` (``prompt``, ``loop``, the file ``audio``) sampled, as a sentence
        (:func:`sampling_said`): ``steps`` and ``guidance`` as the panel gave them, or (``None``) the own of the model it
        went to (the music model's for a loop), which the sentence names; "" where no model of it is loaded."""
        model, resident = self._run_model(verb, prompt if isinstance(prompt, str) and prompt else None, bool(loop), audio)
        return "" if resident is None else sampling_said(resident.pipe, model, steps, guidance)

    def _run_model(self, verb: str, prompt: Optional[str], loop: bool, audio: Optional[str]) -> tuple:
        """``(model, its resident pipelines)`` a run of ``verb`` went to; ``(None, None)`` where it made no sampler run
        of its own here (nothing loaded for it, or no prompt or input)."""
        if verb == "generate" and prompt:
            model = model_for(prompt, self.model, loop)
        elif verb in EDIT_VERBS and (audio or not EDIT_VERBS[verb].reads_input):
            model = self.edit_model(verb, loop, prompt, audio)
        else:
            return None, None
        resident = self._residents.get(model)  # loaded by the run made
        return (model, resident) if resident is not None else (None, None)

    def _prompt_read_as(self, prompt, seconds: Optional[float], loop: bool, verb: str, audio: Optional[str]) -> str:
        if audio and verb != "generate":
            reason = self.edit_reason(verb, bool(loop), prompt or None, audio)
            said = [f"Edited by the music model: {reason}"] if reason else []
            if verb in TEMPO_VERBS:
                model = self.model if reason is None else "music"
                resident = self._residents.get(model)  # loaded by the run made
                read = None if resident is None else self.clip_read(self.pipeline(verb, None, resident), model, verb,
                                                                    audio, prompt or None)
                if read:
                    return "\n\n".join(said + [f"Read as: *{read[0]}*: {read[1]}"])
            if said:
                return said[0]
            if not isinstance(prompt, str) or not prompt:
                return ""
            clip = soundfile.info(audio).duration  # the edit's take: the clip's length, and for extend what it adds
            return self._template_read_as(prompt, clip + (seconds or clip) if verb == "extend" else clip)[1]
        template = self.pipe.config.get("prompt_template")
        if not isinstance(prompt, str) or not prompt:
            return ""
        if model_for(prompt, self.model, bool(loop)) != self.model:  # the words it reads, as generate --dry-run says
            said = [f"Made by the music model: {music_model_reason(prompt, bool(loop))}"]
            template, read = words_read(prompt, "music", length_for(prompt, seconds or None, "music"))
            if read != prompt:
                said.append(f"Read as: *{read}* (the music model's prompt template, `{template}`)")
            return "\n\n".join(said + _sentences(unlearnt_note(prompt, "music", template, read)))
        seconds = length_for(prompt, seconds or None, self.model)
        if seconds is not None:  # the take's length, a whole number of latent frames, as generate states it
            seconds = self.pipe.check_length(seconds) / self.pipe.sample_rate
        read, said = self._template_read_as(prompt, seconds)
        return "\n\n".join(([said] if said else []) + _sentences(unlearnt_note(prompt, self.model, template, read)))

    def _template_read_as(self, prompt: str, seconds: Optional[float]) -> tuple[str, str]:
        """The words the studio model's prompt template gives ``prompt`` for a take of ``seconds``, and the line that
        says so ("" when it reads the prompt as written)."""
        template = self.pipe.config.get("prompt_template")
        read = template_caption(prompt, template, seconds)
        return read, "" if read == prompt else f"Read as: *{read}* (the model's prompt template, `{template}`)"

    def model_card(self) -> str:
        """Markdown about the loaded model: folder, rate, clip length, text encoder, sampler, and its card if it has one."""
        pipe, config = self.pipe, self.pipe.config
        encoder = "none (unconditional)" if pipe.text_encoder is None else type(pipe.text_encoder).__name__
        if config.get("text_encoder_package"):
            encoder += f" from the `{config.text_encoder_package}` package"
        template = config.get("prompt_template")
        prompts = f"rewritten into its training captions (`{template}`)" if template else "read as written"
        shortest = config.get("shortest_pass_length_in_s")
        short = f"; a shorter request is the start of a {shortest:g} s take, cut and faded" if shortest else ""
        lines = [
            f"**Model** `{self.model_path}`",
            f"- pipeline: `{type(pipe).__name__}`",
            f"- sample rate: {pipe.sample_rate} Hz",
            f"- native clip: {pipe.default_audio_length_in_s:g} s (longest request: {config.max_audio_length_in_s:g} s{short})",
            f"- text encoder: {encoder}",
            f"- prompts: {prompts}",
            f"- sampler: `{type(self.resident.scheduler).__name__}`",
            f"- vocoder: `{type(pipe.vocoder).__name__}`",
        ]
        if self.model is None:
            lines.append("- loops, phrases, sound effects, every extend and every run with *loop* ticked: the embedded "
                         "music model (`music`, up to 10.24 s in one pass), loaded when first asked for")
        card = next((Path(self.model_path) / name for name in ("MODEL_CARD.md", "README.md")
                     if (Path(self.model_path) / name).is_file()), None)
        if card is not None:
            lines += ["", "---", "", card.read_text(encoding="utf-8", errors="replace")]
        return "\n".join(lines)
