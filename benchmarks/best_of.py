"""Ranking takes: the first take against the best of 2, 4 and 8 as the model's scorer hears them.

A pipeline with a ``scorer`` returns each prompt's ``num_waveforms_per_prompt`` takes best first
(``latentaudio.ranking``; ``latentaudio generate --best-of K``). This draws ``--takes`` takes of every prompt of the
generalisation sets (the notes no training row of ``--data`` played, of the ``--split`` half, every ``--every``-th;
the paraphrases; the blind paraphrases; or ``drums``, the ``--split`` half's drum captions, every ``--every``-th) with
the scorer detached, then asks the pipeline's own ``take_order`` which of the first k it would put first, for each
k, and judges that take: the family by ``--classifier`` (a judge the scorer is not: trained on other clips, by another
seed, on families), the drum type by the dataset's ``DrumTypeJudge``, the note within a semitone by the pitch estimate. "Any of k" is the share of prompts with at least
one take of the k heard in the right family: what a perfect scorer would reach. ``--instrument-rows`` adds the
ranking by the probability of the named instrument alone, which the released rule (the family's probability for a
pitched prompt) was chosen over on the validation split.

    python benchmarks/best_of.py --data data/gm_semi512 --classifier C [--model latentaudio/default_model]
        [--takes 8] [--split test] [--every 1] [--scorer DIR] [--sets unseen_notes,paraphrases,blind_paraphrases|drums]
        [--seconds 2.56]
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import (add_scorer_argument, add_split_argument, first_of, generation_parser, load_pipeline,  # noqa: E402
                    use_scorer)

SETS = ("unseen_notes", "paraphrases", "blind_paraphrases")
OTHER_SETS = ("drums",)  # the --split half's drum captions: drums to choose a scorer on, asked only by name


def prompt_sets(data: str, split: str, every: int, names) -> dict:
    from latentaudio.data import gm
    from latentaudio.evaluation import generalisation as G
    from latentaudio.evaluation.evaluate import PITCHED_FAMILIES

    rows = [json.loads(line) for line in (Path(data) / "metadata.jsonl").read_text().splitlines() if line.strip()]
    train = [row for row in rows if row["split"] == "train"]
    sets = {}
    for name in names:
        if name not in SETS + OTHER_SETS:
            raise SystemExit(f"No prompt set {name!r}: expected one of {', '.join(SETS + OTHER_SETS)}.")
        if name == "unseen_notes":
            notes = G.notes_of_split(G.unseen_notes(train, PITCHED_FAMILIES), rows, split)[::every]
            sets[name] = G.note_prompts(notes)
        elif name == "drums":
            drums = [row for row in rows if row["split"] == split and row["family"] == gm.DRUMS_FAMILY][::every]
            sets[name] = G.template_prompts(drums, PITCHED_FAMILIES)
        else:
            sets[name] = G.load_paraphrases(G.PARAPHRASES_PATH if name == "paraphrases" else G.BLIND_PARAPHRASES_PATH)
    return sets


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=2.56)
    parser.add_argument("--data", required=True, help="the dataset the model's unseen notes come from (data soundfont)")
    parser.add_argument("--classifier", required=True, help="the family judge (an AudioFamilyClassifier folder)")
    parser.add_argument("--takes", type=int, default=8, help="takes drawn per prompt (the largest k)")
    add_split_argument(parser, "test")
    parser.add_argument("--every", type=int, default=1, help="every n-th unseen note")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS + OTHER_SETS)} "
                        f"(default {','.join(SETS)})")
    add_scorer_argument(parser)
    parser.add_argument("--instrument-rows", action="store_true",
                        help="also rank by the named instrument's own probability")
    args = parser.parse_args()
    pipe = use_scorer(load_pipeline(args), args)

    import numpy as np
    import torch

    from latentaudio.evaluation import generalisation as G
    from latentaudio.evaluation.classifier import classify_clips, load_classifier
    from latentaudio.metrics import estimate_pitch, within_semitone
    from latentaudio.prompts import parse_prompt

    judge, _ = load_classifier(args.classifier)
    drum_judge, _ = G.drum_judge(args.data, "train", args.seconds, pipe.sample_rate)
    scorer = pipe.scorer
    ks = [k for k in (1, 2, 4, 8, 16) if k <= args.takes]
    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, {args.seconds} s, seed {args.seed}, "
          f"{args.takes} takes a prompt, unseen notes of the {args.split} split")
    for name, prompts in prompt_sets(args.data, args.split, args.every, args.sets.split(",")).items():
        started = time.perf_counter()
        pipe.register_modules(scorer=None)  # the takes in the order of their noise
        takes = []
        for start in range(0, len(prompts), 4):
            out = pipe(prompts.texts[start : start + 4], num_inference_steps=args.steps, guidance_scale=args.guidance,
                       audio_length_in_s=args.seconds, num_waveforms_per_prompt=args.takes, output_type="pt",
                       generator=torch.Generator().manual_seed(args.seed + start)).audios
            takes.append(out.float().cpu().reshape(-1, args.takes, out.shape[-1]))
        pipe.register_modules(scorer=scorer)
        takes = torch.cat(takes)  # (N, K, L)
        count, total = len(prompts), takes.shape[0] * takes.shape[1]
        seconds_generating = time.perf_counter() - started
        _, heard = classify_clips(judge, takes.flatten(0, 1), pipe.sample_rate, 32)
        family_ok = np.array(heard).reshape(count, args.takes) == np.array(prompts.families)[:, None]
        drums = [i for i, t in enumerate(prompts.drum_types) if t is not None]
        drum_ok = np.zeros((count, args.takes), bool)
        if drums:
            drum_heard = np.array(drum_judge(takes[drums].flatten(0, 1))).reshape(len(drums), args.takes)
            drum_ok[drums] = drum_heard == np.array([prompts.drum_types[i] for i in drums])[:, None]
        pitched = [i for i, n in enumerate(prompts.notes) if n is not None]
        note_ok = np.zeros((count, args.takes), bool)
        for i in pitched:
            for k in range(args.takes):
                note_ok[i, k] = within_semitone(estimate_pitch(takes[i, k].numpy(), pipe.sample_rate), prompts.notes[i])
        print(f"\n{name}: {count} prompts ({len(drums)} drums, {len(pitched)} pitched), {total} takes in "
              f"{seconds_generating:.0f} s\n")
        print("| takes | family heard | drum type | note within a semitone | any of k in the right family |")
        print("|---|---|---|---|---|")
        rows = np.arange(count)
        if args.instrument_rows:  # the named instrument's own log-probability (0: nothing named), every take
            with torch.no_grad():
                log_probs = torch.cat([torch.log_softmax(scorer.classify_audio(batch).logits, -1)
                                       for batch in takes.flatten(0, 1).split(32)]).reshape(count, args.takes, -1)
            named = [scorer.labels.index(found.instrument) if found.instrument in scorer.labels else None
                     for found in map(parse_prompt, prompts.texts)]
            instrument_scores = torch.stack([log_probs[i, :, j] if j is not None else torch.zeros(args.takes)
                                             for i, j in enumerate(named)])
        for k in ks:
            started = time.perf_counter()
            best = first_of(pipe, takes, prompts.texts, k)
            ranking_seconds = time.perf_counter() - started
            cost = f"{ranking_seconds / count * 1000:.0f} ms a prompt to rank"
            choices = [("first take" if k == 1 else f"best of {k} ({cost})", best)]
            if args.instrument_rows and k > 1:
                choices.append((f"best of {k}, by the instrument alone", instrument_scores[:, :k].argmax(1).numpy()))
            for label, best in choices:
                drum = f"{drum_ok[rows, best][drums].mean():.0%}" if drums else "–"
                note = f"{note_ok[rows, best][pitched].mean():.0%}" if pitched else "–"
                print(f"| {label} | {family_ok[rows, best].mean():.0%} | {drum} | {note} | {family_ok[:, :k].any(1).mean():.0%} |")


if __name__ == "__main__":
    main()
