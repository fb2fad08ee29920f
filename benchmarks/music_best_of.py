"""Ranking a music model's takes: the first take against the best of 2, 4 and 8 as the model's scorer hears them.

A music model with a ``scorer`` (``latentaudio train scorer`` on the music builders' data) returns each prompt's
``num_waveforms_per_prompt`` takes best first, as the one-shot models do (``benchmarks/best_of.py``): a drum loop's
by the style the prompt names, an effect's by its class, a phrase's by the family of the instrument it names
(``latentaudio.ranking.sound_label``). This draws ``--takes`` takes of each of ``--limit`` held-out rows a category
of the music datasets (each row's last caption, a varied wording, at the length the row states) with the scorer
detached, asks the pipeline's own ``take_order`` which of the first k it would put first, for each k, and scores
that take as ``latentaudio evaluate --music`` does with the judges it saved (``--judges``: trained on the first 4 s
of the same builders' train split by another seed, one judge a column): category, drum style, effect class, tempo
within 4 %, key or its relative, mode. "Any of k" is the share of rows with at least one take of the k heard as what
the row is (its category, and its style or class where it has one): what a perfect scorer would reach.

    python benchmarks/music_best_of.py --model music --data D1,D2,... --judges J [--takes 8] [--limit 32]
        [--split test] [--categories "drum loop,sound effect,melodic"] [--takes-file F] [--scorer DIR]

``--takes-file`` keeps the drawn takes (written when the file is missing, read when it is there, for the same rows and
settings), so that other scorers (``--scorer``: a scorer folder, or a pipeline folder holding one, in place of the
model's) rank the very same takes.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_scorer_argument, add_split_argument, generation_parser, load_pipeline, use_scorer  # noqa: E402

from latentaudio.data.vocabulary import DRUM_LOOP, MELODIC, SOUND_EFFECT  # noqa: E402

CATEGORIES = (DRUM_LOOP, SOUND_EFFECT, MELODIC)
DETAIL = {DRUM_LOOP: "style", SOUND_EFFECT: "sfx_class"}  # the judge's column of what a category's prompt names
COLUMNS = (("category_accuracy", "category"), ("style_accuracy", "style"), ("sfx_class_accuracy", "effect class"),
           ("tempo_accuracy", "tempo within 4%"), ("key_or_relative", "key or its relative"), ("mode_accuracy", "mode"))


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=32, seconds=10.24, model="music")
    parser.add_argument("--data", required=True, help="comma-separated music datasets (drumloops, melodic, sfx)")
    parser.add_argument("--judges", required=True, help="the folder train_music_judges saved")
    parser.add_argument("--takes", type=int, default=8, help="takes drawn per prompt (the largest k)")
    parser.add_argument("--categories", default=",".join(CATEGORIES), help="comma-separated categories to draw")
    parser.add_argument("--batch", type=int, default=2, help="prompts of one length per pipeline call")
    parser.add_argument("--takes-file", default=None, help="keep the takes here (read when it exists)")
    add_scorer_argument(parser)
    add_split_argument(parser, "test")
    args = parser.parse_args()
    pipe = use_scorer(load_pipeline(args), args)

    from pathlib import Path

    import numpy as np
    import torch

    from latentaudio.evaluation.music import (
        MusicClips, classify_any_lengths, load_music_clips, load_music_judges, score_music)

    judges, _ = load_music_judges(args.judges)
    longest = min(args.seconds, pipe.config.max_audio_length_in_s)
    shortest = pipe.samples_per_latent_frame / pipe.sample_rate
    every = load_music_clips(args.data.split(","), args.split, pipe.sample_rate, args.limit, longest, min_seconds=shortest)
    wanted = args.categories.split(",")
    keep = [i for i, category in enumerate(every.categories) if category in wanted]
    clips = MusicClips([every.rows[i] for i in keep], [every.texts[i] for i in keep], [every.audio[i] for i in keep])
    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, seed {args.seed}, {args.takes} takes a prompt, "
          f"{args.split} rows: " + ", ".join(f"{c} {clips.categories.count(c)}" for c in wanted))

    # 1. every row's takes, in the order of their noise (the scorer detached)
    setting = dict(texts=clips.texts, steps=args.steps, guidance=args.guidance, seed=args.seed, takes=args.takes)
    if args.takes_file is not None and Path(args.takes_file).is_file():
        kept = torch.load(args.takes_file, weights_only=True)
        if kept["setting"] != setting:
            raise SystemExit(f"{args.takes_file} holds other rows or settings; remove it to draw these.")
        takes = kept["takes"]
        print(f"{len(clips) * args.takes} takes read from {args.takes_file}")
    else:
        takes = draw_takes(pipe, clips, args)
        if args.takes_file is not None:
            torch.save({"setting": setting, "takes": takes}, args.takes_file)

    # 2. what the judges hear in every take (for "any of k")
    flat = [take for row_takes in takes for take in row_takes]
    heard = {column: np.array(classify_any_lengths(judge, flat, pipe.sample_rate)[1]).reshape(len(clips), args.takes)
             for column, judge in judges.items()}
    right = np.stack([heard["category"][i] == category for i, category in enumerate(clips.categories)])
    for i, (row, category) in enumerate(zip(clips.rows, clips.categories)):
        column = DETAIL.get(category)
        if column in heard and row.get(column):
            right[i] &= heard[column][i] == row[column]

    # 3. the take each k puts first, scored as the evaluation scores one take
    ks = [k for k in (1, 2, 4, 8, 16) if k <= args.takes]
    tables = {category: [] for category in wanted}
    for k in ks:
        started = time.perf_counter()
        best = [0 if k == 1 else int(pipe.take_order(takes[i][:k], [clips.texts[i]], k)[0]) for i in range(len(clips))]
        cost = (time.perf_counter() - started) / len(clips) * 1000
        scores = score_music(judges, clips, [takes[i][b] for i, b in enumerate(best)], pipe.sample_rate)
        for category in wanted:
            if category in scores:
                rows = [i for i, c in enumerate(clips.categories) if c == category]
                tables[category].append((k, cost, scores[category]["scores"], right[rows, :k].any(1).mean()))
    for category, table in tables.items():
        if not table:
            continue
        shown = [(key, name) for key, name in COLUMNS if key in table[0][2]]
        print(f"\n{category}: {table[0][2]['clips']} prompts\n")
        print("| takes | " + " | ".join(name for _, name in shown) + " | any of k heard as asked |")
        print("|---" * (len(shown) + 2) + "|")
        for k, cost, scores, any_right in table:
            label = "first take" if k == 1 else f"best of {k} ({cost:.0f} ms a prompt to rank)"
            print(f"| {label} | " + " | ".join(f"{scores[key]:.0%}" for key, _ in shown) + f" | {any_right:.0%} |")


def draw_takes(pipe, clips, args) -> list:
    """``args.takes`` takes (K, L) of every row of ``clips`` at its length, in the order of their noise."""
    import torch

    from latentaudio.evaluation.music import by_length

    scorer = pipe.scorer
    pipe.register_modules(scorer=None)
    takes: list = [None] * len(clips)
    started = time.perf_counter()
    for indices in by_length(clips.audio):
        seconds = clips.audio[indices[0]].shape[-1] / pipe.sample_rate
        for start in range(0, len(indices), args.batch):
            group = indices[start : start + args.batch]
            out = pipe([clips.texts[i] for i in group], num_inference_steps=args.steps, guidance_scale=args.guidance,
                       audio_length_in_s=seconds, num_waveforms_per_prompt=args.takes, output_type="pt",
                       generator=torch.Generator().manual_seed(args.seed + group[0])).audios.float().cpu()
            for i, row_takes in zip(group, out.reshape(len(group), args.takes, -1)):
                takes[i] = row_takes
    pipe.register_modules(scorer=scorer)
    print(f"{len(clips) * args.takes} takes in {time.perf_counter() - started:.0f} s")
    return takes


if __name__ == "__main__":
    main()
