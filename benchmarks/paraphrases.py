"""Family and note adherence on the hand-written paraphrases alone, many of them at one length: a finer
side-by-side of two models in users' wording than the generalisation section's 24 prompts a set.

Takes ``--limit`` paraphrases (``latentaudio/evaluation/paraphrases.jsonl``, or with ``--set blind`` the blind
set ``paraphrases_blind.jsonl``, written after the prompt reader's phrase tables) evenly spread, generates each
as ``latentaudio evaluate`` does (batches of 8, batch ``k`` seeded ``seed + k``) and scores them with a
family classifier from ``latentaudio evaluate`` (or ``train_classifier``): the family, for pitched
prompts the note within a semitone, and with ``--data`` (a ``latentaudio data soundfont`` dataset) for
drum prompts the drum type, by a ``DrumTypeJudge`` fitted on that dataset's training drums.
``--as-written`` turns the model's ``prompt_template`` off, so the text encoder reads each prompt as
it is written: the rewrite's effect, side by side. ``--shortest-pass S`` sets the model's
``shortest_pass_length_in_s`` (0: none), so a length below it is generated as the start of an S-second take
and cut, as the pipeline does for such a model: ``--shortest-pass 0`` against ``--shortest-pass 2.56`` at
``--seconds 1.5`` is that setting's effect, side by side.

    python benchmarks/paraphrases.py --model latentaudio/default_model --classifier runs/classifier_dense2 \\
        [--data data/gm_dense2 [--drums]] [--set blind] [--as-written] [--limit 144] [--seconds 2.56] \\
        [--shortest-pass 2.56] [--steps 20] [--threads 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=144, seconds=2.56)
    parser.add_argument("--classifier", required=True, help="an AudioFamilyClassifier folder")
    parser.add_argument("--shortest-pass", type=float,
                        help="the model's shortest_pass_length_in_s for this run, in seconds (0: none; default: the model's own)")
    parser.add_argument("--drums", action="store_true",
                        help="only the drum prompts (all of them, --limit aside), each listed with the type the judge heard; needs --data")
    parser.add_argument("--data", help="a `latentaudio data soundfont` dataset whose training drums fit the drum judge")
    parser.add_argument("--set", choices=("paraphrases", "blind"), default="paraphrases",
                        help="the hand-written set, or the blind one written after the prompt reader's tables")
    parser.add_argument("--as-written", action="store_true",
                        help="the text encoder reads each prompt as written (the model's prompt_template off)")
    args = parser.parse_args()
    pipe = load_pipeline(args)
    if args.as_written:
        pipe.register_to_config(prompt_template=None)
    if args.shortest_pass is not None:
        pipe.register_to_config(shortest_pass_length_in_s=args.shortest_pass or None)

    from latentaudio.evaluation.classifier import AudioFamilyClassifier
    from latentaudio.evaluation.evaluate import evenly_spaced, generate_clips
    from latentaudio.evaluation.generalisation import BLIND_PARAPHRASES_PATH, PARAPHRASES_PATH, drum_judge, load_paraphrases, score_prompts

    classifier = AudioFamilyClassifier.from_pretrained(args.classifier)
    prompts = load_paraphrases(BLIND_PARAPHRASES_PATH if args.set == "blind" else PARAPHRASES_PATH)
    if args.drums and not args.data:
        parser.error("--drums needs --data (the dataset whose training drums fit the judge)")
    chosen = ([i for i, drum in enumerate(prompts.drum_types) if drum] if args.drums
              else evenly_spaced(len(prompts), args.limit))
    prompts = prompts.subset(chosen)
    audio = generate_clips(pipe, prompts.texts, args.steps, args.seconds, args.guidance, args.seed)
    judge = drum_judge(args.data, "train", args.seconds, pipe.sample_rate)[0] if args.data else None
    scores = score_prompts(classifier, judge, prompts, audio, pipe.sample_rate)
    if args.drums:
        for text, wanted, heard in zip(prompts.texts, prompts.drum_types, scores["drums_heard"]):
            print(f"{'ok' if heard == wanted else '--'} {wanted:>12} -> {heard:<12} {text}")
    num_samples = round(args.seconds * pipe.sample_rate)
    frames = pipe.pass_frames_for(num_samples)
    passed = frames * pipe.samples_per_latent_frame / pipe.sample_rate
    cut = f" (cut from {passed:g} s takes)" if frames > pipe.latent_frames_for(num_samples) else ""
    read = "as written" if not pipe.config.get("prompt_template") else f"rewritten into {pipe.config.prompt_template}"
    print(f"{args.model}: {scores['prompts']} {'blind ' if args.set == 'blind' else ''}paraphrases at {args.seconds:g} s{cut}, "
          f"{args.steps} steps, guidance {args.guidance:g}, prompts {read}")
    parts = [f"family {scores['family_accuracy']:.1%}"]
    if scores["note_accuracy"] is not None:
        parts.append(f"note within a semitone {scores['note_accuracy']:.1%} of {scores['pitched_prompts']} pitched")
    if scores["drum_accuracy"] is not None:
        parts.append(f"drum type {scores['drum_accuracy']:.1%} of {scores['drum_prompts']} drum prompts")
    print("; ".join(parts))


if __name__ == "__main__":
    main()
