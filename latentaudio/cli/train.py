"""The ``train`` and ``finetune`` verbs of the ``latentaudio`` command (argument parsing only).

    latentaudio train {vae,vocoder,diffusion} --model DIR --data DIR --output DIR [--config FILE]
        [--max-steps N] [--max-minutes M] [--batch-size B] [--checkpoint-every K] [--seed K] [--resume]
        [--allow-changed-settings]
    latentaudio train align-captions --model DIR --data DIR --output DIR [--text-states FILE]
    latentaudio train scorer --model DIR --data DIR [DIR ...] --output DIR [--max-steps N] [--seconds S]
        [--one-shot-labels instrument|family|family-or-drum|one] [--seed K] [--checkpoint-every K] [--resume]
    latentaudio finetune --model DIR --data DIR --output DIR [--lora-rank R] [--max-steps N] [--max-minutes M]
        [--config FILE] [--resume] [--allow-changed-settings]
    latentaudio distill --model TEACHER --data DIR --output STUDENT [--method consistency|guidance] [--steps 4]
        [--max-steps N] [--max-minutes M] [--config FILE] [--resume] [--allow-changed-settings]

Both run unchanged under ``accelerate launch --multi_gpu --num_processes N [--mixed_precision bf16] -m latentaudio ...``
(on machines without GPUs add ``ACCELERATE_USE_CPU=1`` to the environment: accelerate 1.x's
``--cpu --num_processes N`` starts a single process unless it goes through ``mpirun``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..model_folder import model_location
from .common import counted, positive_float, positive_int, seed

TRAINERS = ("vae", "vocoder", "diffusion")
SCORER_CHECKPOINT = Path("checkpoints") / "scorer"  # in --output while a scorer trains
# --one-shot-labels: the function of latentaudio.ranking that names a row for the scorer, and the one that groups its
# labels for balanced batches (None: every label equally likely); imported when it trains
ONE_SHOT_LABELS = {"instrument": ("sound_label", None), "family": ("family_sound_label", None),
                   "family-or-drum": ("family_or_drum_sound_label", "label_family"), "one": ("one_shot_sound_label", None)}


def add_training_commands(verbs) -> None:
    """Register ``train {vae,vocoder,diffusion}``, ``finetune`` and ``distill`` on the ``latentaudio`` subparsers."""
    train = verbs.add_parser("train", help="train one component of a pipeline (VAE, vocoder or diffusion U-Net)")
    components = train.add_subparsers(dest="component", required=True)
    helps = {
        "vae": "the mel VAE: reconstruction + KL (+ patch discriminator); sets its latent scaling factor",
        "vocoder": "the HiFi-GAN vocoder on ground-truth (or VAE-reconstructed) mels",
        "diffusion": "the latent U-Net with the VAE, vocoder and text encoder frozen",
    }
    for name in TRAINERS:
        parser = components.add_parser(name, help=helps[name])
        _add_folders(parser)
        parser.add_argument("--config", default=None,
                            help=f"training YAML, e.g. configs/training/{name}.yaml (default: the built-in recipe)")
        parser.add_argument("--max-steps", type=positive_int, default=None, help="optimizer updates (default: the config's)")
        parser.add_argument("--max-minutes", type=positive_float, default=None,
                            help="stop (checkpoint and save) after this much wall-clock time, counted from setup")
        parser.add_argument("--batch-size", type=positive_int, default=None, help="clips per process and micro-batch")
        parser.add_argument("--checkpoint-every", type=positive_int, default=None, help="steps between checkpoints")
        parser.add_argument("--seed", type=seed, default=None, help="random seed (default: the config's, 0)")
        _add_resume_options(parser)
        parser.set_defaults(run=run_train, trainer=name)
    align = components.add_parser("align-captions", help="refit the text projection so that every wording of a clip's "
                                  "caption lands where its canonical caption does (seconds; no U-Net training)")
    _add_folders(align)
    align.add_argument("--text-states", default=None, help="caption states file (`latentaudio data embed-captions`) to read; "
                       "written first when missing, so later alignments skip the encoder")
    align.set_defaults(run=run_align_captions)
    scorer = components.add_parser("scorer", help="the classifier that ranks a prompt's takes best first: trained on the "
                                   "instruments and drums of the data's train split, and on its drum loops' styles, "
                                   "effects' classes and phrases' families, saved as the pipeline's scorer")
    scorer.add_argument("--model", required=True, type=model_location,
                        help="pipeline folder to give the scorer ('default': the embedded default model)")
    scorer.add_argument("--data", required=True, nargs="+",
                        help="audiofolder(s) built by `latentaudio data soundfont` (their `instrument` column), "
                        "`drumloops`, `sfx` or `melodic` (their `style`, `sfx_class` or `family`)")
    scorer.add_argument("--output", required=True, help="folder for the pipeline with its new scorer (may be --model)")
    scorer.add_argument("--max-steps", type=positive_int, default=3000, help="optimizer updates (default 3000)")
    scorer.add_argument("--seconds", type=positive_float, default=2.56,
                        help="the longest clip it learns from, the onset kept (default 2.56; crops from 1 s up; "
                        "4 for loops and phrases)")
    scorer.add_argument("--one-shot-labels", choices=tuple(ONE_SHOT_LABELS), default="instrument",
                        help="what it names a one-shot by: its instrument (default), its GM family (drums as one), a pitched "
                        "one by its family and a drum by its name (the embedded one-shot models' scorer: each family, and the drums "
                        "as a whole, drawn equally often), or one label for every "
                        "one-shot (a music model's scorer that should hear a single note from a phrase: the fewer one-shot "
                        "labels, the more of its training goes to loops, effects and phrases)")
    scorer.add_argument("--seed", type=seed, default=0, help="seeds its weights and batches (default 0)")
    scorer.add_argument("--checkpoint-every", type=positive_int, default=250,
                        help="updates between checkpoints of the training state in OUTPUT/checkpoints/scorer (default 250; "
                             "removed once the scorer is saved)")
    scorer.add_argument("--resume", action="store_true",
                        help="continue a stopped run from its checkpoint (the same command otherwise)")
    scorer.set_defaults(run=run_train_scorer)

    finetune = verbs.add_parser("finetune", help="adapt a trained pipeline to a new audio folder (full or LoRA)")
    _add_folders(finetune)
    finetune.add_argument("--lora-rank", type=positive_int, default=None,
                          help="train rank-R LoRA adapters on the U-Net's attention (default: every U-Net weight)")
    finetune.add_argument("--max-steps", type=positive_int, default=None, help="optimizer updates (default 1000)")
    finetune.add_argument("--max-minutes", type=positive_float, default=None,
                          help="stop (checkpoint and save) after this much wall-clock time, counted from setup")
    finetune.add_argument("--config", default=None, help="fine-tuning YAML (default: configs/training/finetune.yaml's values)")
    _add_resume_options(finetune)
    finetune.set_defaults(run=run_finetune)

    distill = verbs.add_parser("distill", help="distil a trained pipeline into a few-step, guidance-conditioned student")
    distill.add_argument("--model", required=True, type=model_location,
                         help="the teacher: a trained pipeline folder, or an embedded model's name ('default-teacher')")
    distill.add_argument("--data", required=True, help="audiofolder to distil on (metadata.jsonl: file_name, text, split)")
    distill.add_argument("--output", required=True, help="folder for the student pipeline, checkpoints/ and logs/")
    distill.add_argument("--method", choices=("consistency", "guidance"), default=None,
                         help="consistency: latent consistency distillation, sampled by LCMScheduler; guidance: the "
                              "guided prediction in one call, sampled by the teacher's scheduler (default: the config's, "
                              "consistency)")
    distill.add_argument("--steps", type=positive_int, default=None,
                         help="the student's sampler steps, saved as its default (default: the config's, 4)")
    distill.add_argument("--max-steps", type=positive_int, default=None, help="optimizer updates (default: the config's)")
    distill.add_argument("--max-minutes", type=positive_float, default=None,
                         help="stop (checkpoint and save) after this much wall-clock time, counted from setup")
    distill.add_argument("--batch-size", type=positive_int, default=None, help="clips per process and micro-batch")
    distill.add_argument("--checkpoint-every", type=positive_int, default=None, help="steps between checkpoints")
    distill.add_argument("--config", default=None, help="distillation YAML, e.g. configs/training/distill.yaml")
    _add_resume_options(distill)
    distill.set_defaults(run=run_distill)


def _add_folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, type=model_location,
                        help="pipeline folder to start from (e.g. from `latentaudio init`), or an embedded model's name: "
                             "'default-teacher', 'music' (the 4-step 'default' is a distilled student: fine-tune its teacher)")
    parser.add_argument("--data", required=True, help="audio folder to train on: metadata.jsonl rows (file_name, text, split), "
                        "or captions from subfolder names")
    parser.add_argument("--output", required=True, help="folder for the trained pipeline, checkpoints/ and logs/")


def _add_resume_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resume", action="store_true",
                        help="continue from the newest intact checkpoint in OUTPUT/checkpoints (damaged ones are set aside)")
    parser.add_argument("--allow-changed-settings", action="store_true",
                        help="resume although the model or training settings differ from the checkpoint's")


def run_train(args) -> int:
    from ..training import (DiffusionTrainingConfig, VaeTrainingConfig, VocoderTrainingConfig, train_diffusion,
                            train_vae, train_vocoder)

    config_class, train = {
        "vae": (VaeTrainingConfig, train_vae),
        "vocoder": (VocoderTrainingConfig, train_vocoder),
        "diffusion": (DiffusionTrainingConfig, train_diffusion),
    }[args.trainer]
    config = config_class.from_yaml(args.config, max_steps=args.max_steps, max_minutes=args.max_minutes, batch_size=args.batch_size,
                                    checkpoint_every=args.checkpoint_every, seed=args.seed)
    return _stopping_cleanly(f"train {args.trainer}", train, args.model, args.data, args.output, config, args.resume,
                             args.allow_changed_settings)


def run_align_captions(args) -> int:
    from ..training.align import align_captions

    record = align_captions(args.model, args.data, args.output, args.text_states, log=print)
    print(f"Wrote {args.output}: validation error of other wordings {record['validation_error']['before']:.4f} -> "
          f"{record['validation_error']['after']:.4f} (ridge {record['ridge']:g})")
    return 0


def run_train_scorer(args) -> int:
    from .. import ranking
    from ..evaluation.classifier import train_classifier
    from .common import load_model

    pipe = load_model(args.model, runtime="torch")  # checked before the training starts; saved whole after
    data = args.data[0] if len(args.data) == 1 else args.data
    label_column, balance_by = (name and getattr(ranking, name) for name in ONE_SHOT_LABELS[args.one_shot_labels])
    checkpoint = Path(args.output) / SCORER_CHECKPOINT
    scorer, record = train_classifier(data, seconds=args.seconds, min_seconds=min(1.0, args.seconds), max_steps=args.max_steps,
                                      seed=args.seed, log=print,
                                      label_column=label_column, balance_by=balance_by,
                                      checkpoint_dir=checkpoint, checkpoint_every=args.checkpoint_every, resume=args.resume,
                                      sample_rate=pipe.sample_rate)
    pipe.register_modules(scorer=scorer)
    pipe.save_pretrained(args.output)
    if checkpoint.is_dir():  # the scorer is saved: its training state is done with
        shutil.rmtree(checkpoint)
    if checkpoint.parent.is_dir() and not any(checkpoint.parent.iterdir()):
        checkpoint.parent.rmdir()
    validation = record["validation_accuracy"]
    print(f"Wrote {args.output} with its scorer: {describe_labels(scorer.labels)}, "
          + (f"{validation:.1%} of {record['validation_clips']} validation clips named right" if validation is not None
             else "no validation split to measure it on"))
    return 0


def describe_labels(labels) -> str:
    """What a scorer's ``labels`` name, counted: "173 instruments and drums, 13 drum-loop styles, 14 effect classes"."""
    from collections import Counter

    from ..data.vocabulary import DRUM_LOOP, MELODIC, ONE_SHOT, SOUND_EFFECT
    from ..ranking import DRUM_NAMES, FAMILY_NAMES, label_category

    counts = Counter(label_category(label) for label in labels)
    one_shots = [label for label in labels if label_category(label) is None]
    parts = []
    if one_shots == [ONE_SHOT]:
        parts.append("one label for every one-shot")
    elif one_shots and all(label in FAMILY_NAMES for label in one_shots):
        parts.append(counted(len(one_shots), "family of one-shots", "families of one-shots"))
    elif one_shots and all(label in FAMILY_NAMES or label in DRUM_NAMES for label in one_shots):
        families = sum(label in FAMILY_NAMES for label in one_shots)
        parts.append(f"{counted(families, 'family', 'families')} and {counted(len(one_shots) - families, 'drum', 'drums')}")
    elif one_shots:
        parts.append(counted(len(one_shots), "instrument or drum", "instruments and drums"))
    for category, one, many in ((DRUM_LOOP, "drum-loop style", "drum-loop styles"), (SOUND_EFFECT, "effect class", "effect classes"),
                                (MELODIC, "family of phrases", "families of phrases")):
        if counts[category]:
            parts.append(counted(counts[category], one, many))
    return ", ".join(parts)


def run_finetune(args) -> int:
    from ..training import FinetuneConfig, finetune

    config = FinetuneConfig.from_yaml(args.config, max_minutes=args.max_minutes)
    return _stopping_cleanly("finetune", finetune, args.model, args.data, args.output, args.lora_rank, args.max_steps,
                             config, args.resume, args.allow_changed_settings)


def run_distill(args) -> int:
    from ..training import DistillationConfig, distill

    config = DistillationConfig.from_yaml(args.config, method=args.method, student_steps=args.steps, max_steps=args.max_steps,
                                          max_minutes=args.max_minutes, batch_size=args.batch_size,
                                          checkpoint_every=args.checkpoint_every)
    return _stopping_cleanly("distill", distill, args.model, args.data, args.output, config, args.resume,
                             args.allow_changed_settings)


def check_launch() -> None:
    """Refuse processes that were launched together but would each train alone (and overwrite one
    another's output), as ``accelerate launch --multi_gpu`` does on a machine without GPUs."""
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched > 1:
        from accelerate import PartialState
        from accelerate.utils import parse_flag_from_env

        # The process state as Accelerator() will build it (it reads the same flag).
        joined = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU")).num_processes
        if joined != launched:
            raise ValueError(
                f"{launched} processes were launched (WORLD_SIZE={launched}), but accelerate joined "
                f"{joined}: each would train alone and overwrite the others' output. "
                "Without GPUs, launch with `ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes N ...`."
            )


def _stopping_cleanly(verb: str, function, *arguments) -> int:
    """Run a trainer; a NaN/inf stop is one clear line and exit code 1, like every other error."""
    from ..training.common import NonFiniteLossError

    check_launch()
    try:
        function(*arguments)
    except NonFiniteLossError as error:
        print(f"latentaudio {verb}: error: {error}", file=sys.stderr)
        return 1
    return 0
