"""The ``evaluate`` verb of the ``latentaudio`` command (argument parsing only).

    latentaudio evaluate --model DIR --data DIR [--steps 10,50] [--output report.json] [--limit N]
        [--classifier DIR] [--classifier-steps N] [--seconds S] [--guidance G] [--seed K] [--split validation]
        [--generalisation add|only] [--lengths 1,1.5,2.56] [--sets NAMES] [--music DIR[,DIR...]] [--music-judges DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_model_option, check_writable, finite_float, load_model, positive_float, positive_int, seed


def step_list(text: str) -> list[int]:
    """'10,50' -> [10, 50]."""
    try:
        steps = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated step counts such as 10,50, got {text!r}") from None
    if not steps or min(steps) < 1:
        raise argparse.ArgumentTypeError(f"expected positive step counts such as 10,50, got {text!r}")
    return steps


def positive_float_list(text: str) -> list[float]:
    """'1,1.5,2.56' -> [1.0, 1.5, 2.56]."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive numbers such as 1,1.5,2.56, got {text!r}")
    return values


def set_names(text: str) -> list[str]:
    """'unseen_notes,paraphrases' -> ['unseen_notes', 'paraphrases'], each one of the generalisation section's sets."""
    from ..evaluation.generalisation import check_set_names

    names = [part.strip() for part in text.split(",") if part.strip()]
    try:
        check_set_names(names)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)[:-1]) from error
    return names


def held_out_split(text: str) -> str:
    """'validation' -> 'validation': a split an evaluation can generate from (``evaluation.evaluate.HELD_OUT_SPLITS``)."""
    if text == "test":  # the default: parsed without importing the evaluation (and torch)
        return text
    from ..evaluation.evaluate import floor_split

    try:
        floor_split(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)[:-1]) from error
    return text


def folder_list(text: str) -> list[str]:
    """'data/loops,data/melodic' -> ['data/loops', 'data/melodic']."""
    folders = [part.strip() for part in text.split(",") if part.strip()]
    if not folders:
        raise argparse.ArgumentTypeError(f"expected comma-separated dataset folders, got {text!r}")
    return folders


def add_evaluate_command(verbs) -> argparse.ArgumentParser:
    """Register ``evaluate`` on the top-level sub-parsers of ``latentaudio``."""
    evaluate = verbs.add_parser("evaluate", help="measure a pipeline on the held-out test split of a GM dataset")
    add_model_option(evaluate)
    evaluate.add_argument("--data", required=True, help="dataset from `latentaudio data soundfont` (split, family, pitch columns)")
    evaluate.add_argument("--steps", type=step_list, default=None,
                          help="sampler step counts, comma-separated (default: the model's own, 20 for a model that saves none)")
    evaluate.add_argument("--output", default="report.json", help="JSON report path (default report.json)")
    evaluate.add_argument("--limit", type=positive_int, default=None, help="at most N test prompts, evenly spread (default: all)")
    evaluate.add_argument("--classifier", default=None,
                          help="saved embedding classifier to reuse (default: train one on the train split, saved as OUTPUT_classifier/)")
    evaluate.add_argument("--classifier-steps", type=positive_int, default=3000,
                          help="training steps of a new classifier (default 3000; 1500 left the dense set's judge at 77%% on validation, 3000 from 1 s crops at 90%%)")
    evaluate.add_argument("--seconds", type=positive_float, default=None, help="clip length (default: the model's native clip)")
    evaluate.add_argument("--guidance", type=finite_float, default=None,
                          help="classifier-free guidance scale (default: the model's own, 3 for a model that saves none)")
    evaluate.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    evaluate.add_argument("--batch-size", type=positive_int, default=8, help="prompts per pipeline call (default 8)")
    evaluate.add_argument("--best-of", type=positive_int, default=1, metavar="K",
                          help="score the best of K takes of each prompt, as the model's scorer ranks them and "
                               "`generate --best-of K` writes them (default 1: single takes; about K times the work)")
    evaluate.add_argument("--split", type=held_out_split, default="test",
                          help="the held-out split whose rows give the prompts (default test); validation chooses "
                               "settings without reading the test prompts: the test clips then give the floor, and the "
                               "generalisation section scores the validation split's template captions and unseen notes")
    evaluate.add_argument("--no-baseline", dest="baseline", action="store_false",
                          help="leave out the random-U-Net baseline (one more generation at the fewest steps; with "
                               "--music, the music prompts once more through it)")
    # issue 16: template, paraphrase and unseen-note prompts at several lengths (evaluation/generalisation.py)
    evaluate.add_argument("--generalisation", choices=("off", "add", "only"), default="off",
                          help="add the generalisation section, or report only it (default off)")
    evaluate.add_argument("--lengths", type=positive_float_list, default=[1.0, 1.5, 2.56],
                          help="clip lengths of the generalisation section (default 1.0,1.5,2.56)")
    evaluate.add_argument("--sets", type=set_names, default=None,
                          help="the generalisation section's prompt sets to score, comma-separated (default: all of "
                               "template, paraphrases, unseen_notes, blind_paraphrases)")
    # the music model: category, tempo, key, style and effect adherence on the music test prompts (evaluation/music.py)
    evaluate.add_argument("--music", type=folder_list, default=None,
                          help="music datasets (drumloops, melodic, sfx, soundfont), comma-separated: adds the music section")
    evaluate.add_argument("--music-judges", default=None,
                          help="saved music judges to reuse (default: train them on the train split, saved as OUTPUT_music_judges/)")
    evaluate.set_defaults(run=run_evaluate)
    return evaluate


def run_evaluate(args) -> int:
    from ..evaluation.classifier import load_classifier, train_classifier
    from ..evaluation.evaluate import check_best_of, evaluate, format_report, save_report

    output = Path(args.output)
    check_writable(output.parent)
    for folder in args.music or []:
        if not Path(folder).is_dir():
            raise ValueError(f"--music {folder} is not a folder; expected datasets built by `latentaudio data drumloops`, "
                             "`melodic`, `sfx` or `soundfont`.")
    pipe = load_model(args.model, device=args.device, dtype=args.dtype, runtime=args.runtime)
    check_best_of(pipe, args.best_of)  # before a judge trains
    own_steps, args.guidance = pipe.sampling_settings(None, args.guidance)  # the model as shipped, e.g. a distilled student's
    args.steps = args.steps or [own_steps]
    seconds = args.seconds or pipe.default_audio_length_in_s
    if args.classifier:
        classifier, info = load_classifier(args.classifier)
        info = {"classifier": str(args.classifier), "trained_now": False, **info}
    else:
        folder = output.with_name(f"{output.stem}_classifier")
        # the generalisation section judges shorter clips too: the classifier then learns from crops down to the shortest
        shortest = min(args.lengths) if args.generalisation != "off" and min(args.lengths) < seconds else None
        print(f"Training the embedding classifier on the train split of {args.data} ({args.classifier_steps} steps) ...")
        classifier, info = train_classifier(args.data, folder, seconds=seconds, max_steps=args.classifier_steps, seed=args.seed,
                                            log=print, min_seconds=shortest)
        print(f"Saved it to {folder} (reuse it with --classifier {folder})")
        info = {"classifier": str(folder), "trained_now": True, **info}
    if args.generalisation == "only":
        report = {"setup": {"model": args.model or "default model", "data": str(args.data), "split": args.split,
                            "best_of": args.best_of}, "embedding": info}
    else:
        report = evaluate(
            pipe, args.data, classifier, steps=args.steps, limit=args.limit, seconds=seconds, guidance_scale=args.guidance,
            seed=args.seed, batch_size=args.batch_size, model_name=args.model or "default model", classifier_info=info, log=print,
            baseline=args.baseline, split=args.split, best_of=args.best_of,
        )
    if args.generalisation != "off":
        from ..evaluation.generalisation import format_generalisation, generalisation_section

        report["generalisation"] = generalisation_section(
            pipe, args.data, classifier, steps=max(args.steps), lengths=args.lengths, limit=args.limit,
            guidance_scale=args.guidance, seed=args.seed, batch_size=args.batch_size, sets=args.sets, log=print,
            split=args.split, best_of=args.best_of)
    if args.music:
        report["music"] = run_music(args, pipe, classifier, output)
    report["setup"]["command"] = command_line(args)
    print()
    if "generation" in report:
        print(format_report(report))
    if "generalisation" in report:
        print(format_generalisation(report["generalisation"]))
    if "music" in report:
        from ..evaluation.music import format_music

        if "generation" in report or "generalisation" in report:
            print()
        print(format_music(report["music"]))
    print(f"\nWrote {save_report(report, output)}")
    return 0


def run_music(args, pipe, classifier, output: Path) -> dict:
    """The music section, with judges loaded from ``--music-judges`` or trained on the music train splits."""
    from ..evaluation.music import load_music_judges, music_section, train_music_judges

    if args.music_judges:
        judges, records = load_music_judges(args.music_judges)
        info = {"folder": str(args.music_judges), "trained_now": False}
    else:
        folder = output.with_name(f"{output.stem}_music_judges")
        print(f"Training the music judges on the train split of {', '.join(args.music)} ({args.classifier_steps} steps) ...")
        judges, records = train_music_judges(args.music, folder, max_steps=args.classifier_steps, seed=args.seed, log=print)
        print(f"Saved them to {folder} (reuse them with --music-judges {folder})")
        info = {"folder": str(folder), "trained_now": True}
    info["records"] = records
    return music_section(pipe, args.music, judges, steps=max(args.steps), limit=args.limit, seed=args.seed,
                         guidance_scale=args.guidance, batch_size=args.batch_size, family_classifier=classifier,
                         judges_info=info, baseline=args.baseline, log=print, split=args.split, best_of=args.best_of)


def command_line(args) -> str:
    """The command that reproduces a report (with the classifier it used)."""
    import shlex

    words = ["latentaudio", "evaluate", "--data", args.data, "--steps", ",".join(map(str, args.steps)),
             "--guidance", f"{args.guidance:g}", "--seed", str(args.seed), "--output", args.output]
    for flag, value in (("--model", args.model), ("--limit", args.limit), ("--seconds", args.seconds),
                        ("--classifier", args.classifier)):
        if value is not None:
            words += [flag, str(value)]
    if args.classifier is None:
        words += ["--classifier-steps", str(args.classifier_steps)]
    if not getattr(args, "baseline", True):
        words += ["--no-baseline"]
    if getattr(args, "split", "test") != "test":
        words += ["--split", args.split]
    if getattr(args, "best_of", 1) != 1:
        words += ["--best-of", str(args.best_of)]
    if getattr(args, "generalisation", "off") != "off":
        words += ["--generalisation", args.generalisation, "--lengths", ",".join(f"{x:g}" for x in args.lengths)]
        if getattr(args, "sets", None):
            words += ["--sets", ",".join(args.sets)]
    if getattr(args, "music", None):
        words += ["--music", ",".join(args.music)] + (["--music-judges", args.music_judges] if args.music_judges else [])
    return shlex.join(words)
