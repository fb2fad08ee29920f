"""A music prompt that states no length: read as written (``gm_one_shot``), or stating the take's (``gm_music``)?

Every caption of ``latentaudio data drumloops``, ``melodic`` and ``sfx`` states its clip's length, so a model trained
on them has seldom met a loop, a phrase or an effect asked for without one; users seldom give one. The
``gm_music`` prompt template (:func:`latentaudio.prompts.template_caption`) states the take's length for them. This
generates ``--limit`` test rows a category (drum loops, melodic material, sound effects; evenly spread) from the
row's last caption with its length taken out (:func:`latentaudio.prompts.without_length`: "a booming blast, 2.33
seconds" → "a booming blast"), at the row's length, once under each template with the same seeds, and scores both
as ``latentaudio evaluate --music`` does with the judges it saved (``--judges``): category, drum style, effect class,
tempo within 4 %, key or its relative and mode, beside the real clips.

    python benchmarks/stated_length.py --model music --data D1,D2,... --judges REPORT_music_judges [--limit 16]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402

TEMPLATES = ("gm_one_shot", "gm_music")
SCORES = ("category_accuracy", "style_accuracy", "sfx_class_accuracy", "tempo_accuracy", "key_or_relative", "mode_accuracy")


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=16, seconds=0.0)
    parser.set_defaults(seconds=None)  # each row's own length
    parser.add_argument("--data", required=True, help="`latentaudio data drumloops`, `melodic` and `sfx` datasets, comma-separated")
    parser.add_argument("--judges", required=True, help="music judges saved by `latentaudio evaluate --music`")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    from latentaudio.evaluation.music import (ONE_SHOT, MusicClips, generate_at_row_lengths, load_music_clips, load_music_judges,
                                              score_music)
    from latentaudio.prompts import without_length

    judges, _ = load_music_judges(args.judges)
    shortest = pipe.samples_per_latent_frame / pipe.sample_rate
    test = load_music_clips(args.data.split(","), "test", pipe.sample_rate, args.limit, pipe.config.max_audio_length_in_s,
                            min_seconds=shortest)
    kept = [i for i, category in enumerate(test.categories) if category != ONE_SHOT]  # the templates agree on one-shots
    test = MusicClips([test.rows[i] for i in kept], [without_length(test.texts[i]) for i in kept], [test.audio[i] for i in kept])
    print(f"{len(test)} test prompts without their length, {args.steps} steps, guidance {args.guidance}; e.g. "
          + "; ".join(repr(text) for text in test.texts[:: max(1, len(test) // 3)]))
    heard = {"real clips": score_music(judges, test, test.audio, pipe.sample_rate)}
    for template in TEMPLATES:
        pipe.register_to_config(prompt_template=template)
        audio = generate_at_row_lengths(pipe, test, args.steps, args.guidance, args.seed, batch_size=1)
        heard[template] = score_music(judges, test, audio, pipe.sample_rate)
    print("\n| category | score | " + " | ".join(heard) + " |")
    print("|---|---|" + "---|" * len(heard))
    for category, entry in heard["real clips"].items():
        for score in SCORES:
            if score in entry["scores"]:
                values = " | ".join(f"{100 * heard[name][category]['scores'][score]:.0f}%" for name in heard)
                print(f"| {category} ({entry['scores']['clips']}) | {score.removesuffix('_accuracy')} | {values} |")


if __name__ == "__main__":
    main()
