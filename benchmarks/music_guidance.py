"""How strongly should a music model be guided? ``latentaudio evaluate --music``'s scores at several guidance scales.

Classifier-free guidance pushes a take towards what the prompt states (Ho & Salimans 2022): its tempo, key, style
and class, and away from the unconditional average, at some cost in variety and, past a point, in fidelity. This
generates ``--limit`` rows a category of the music datasets (drum loops, melodic material, sound effects, one-shots;
evenly spread) from each row's last caption at the row's length, once per scale in ``--scales`` with the same seeds,
and scores every take as ``latentaudio evaluate --music`` does with the judges it saved (``--judges``): category,
drum style, effect class, tempo within 4 %, key, key or its relative, mode, and each category's Fréchet distance against
its floor, beside the real clips. ``--split validation`` (the default) reads the validation rows, which hold out
tempos, keys and notes of their own, so that a scale is chosen without the test prompts; the test clips give the
floors.

    python benchmarks/music_guidance.py --model music --data D1,D2,... --judges REPORT_music_judges \
        [--classifier runs/classifier_crops3000] [--scales 2,3,5,7] [--key-scales 6,9] [--limit 24] [--split validation]

``--key-scales`` also runs each scale with *key guidance* at these scales (:func:`guide_key`): the key a prompt states
weighed on its own, as InstructPix2Pix (Brooks et al. 2023, eq. 3) weighs its two conditions. The trainer's
``music_dropout`` hides a stated key from the structured features (and so from the key channels) while the caption
keeps it, so the U-Net also learnt the prompt without its key; with the unconditional prediction ``u``, the prompt's
``c`` and the prompt's with its key hidden ``k``, the guided prediction is ``u + s (k - u) + s_key (c - k)``: plain
guidance when ``s_key = s``, one more U-Net row per take.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_split_argument, generation_parser, load_pipeline  # noqa: E402


def keyless_rows(conditions: dict) -> dict:
    """The guidance batch ``[unconditional, conditional]`` of U-Net keyword arguments with a third part: the
    conditional rows with the key hidden from their structured features (``class_labels``), as ``music_dropout`` hides it."""
    from latentaudio.conditioning import cat_rows, conditional_rows
    from latentaudio.conditioning.key import KEY_COLUMN
    from latentaudio.note_features import KEY_FEATURES

    cond = conditional_rows(conditions)
    keyless = dict(cond, class_labels=cond["class_labels"].clone())
    keyless["class_labels"][:, KEY_COLUMN : KEY_COLUMN + KEY_FEATURES] = 0
    return cat_rows([conditions, keyless])


def guide_key(pipe, key_scale: float):
    """``pipe``, changed in place to guide the key its prompts state at ``key_scale`` on its own (see the module
    docstring) wherever it guides in pairs and a prompt states a key. Returns ``pipe``."""
    from latentaudio.conditioning import has_music_embedding, unet_input
    from latentaudio.conditioning.key import KEY_COLUMN

    if pipe.embeds_guidance or not has_music_embedding(pipe.unet):
        raise ValueError("Key guidance needs a model guided in pairs whose U-Net reads the key a prompt states.")
    predict_window = pipe._predict_window

    def window(latents, t, conditions, guidance_scale, start=0, frame_in_s=None):
        labels = None if conditions is None else conditions.get("class_labels")
        if not pipe.guides_in_pairs(guidance_scale) or labels is None or not (labels[:, KEY_COLUMN] > 0).any():
            return predict_window(latents, t, conditions, guidance_scale, start, frame_in_s)
        conditions = keyless_rows(conditions)
        sample = unet_input(pipe.unet, pipe.scheduler.scale_model_input(latents.repeat(3, 1, 1, 1), t),
                            conditions["class_labels"], frame_in_s or pipe.latent_frame_in_s, start, pipe.spectrogram)
        uncond, cond, keyless = pipe.unet(sample, t, **conditions).sample.chunk(3)
        return uncond + guidance_scale * (keyless - uncond) + key_scale * (cond - keyless)

    pipe._predict_window = window
    return pipe

SCORES = ("category_accuracy", "style_accuracy", "sfx_class_accuracy", "family_accuracy", "note_accuracy",
          "tempo_accuracy", "tempo_accuracy_octave", "key_exact", "key_or_relative", "mode_accuracy", "frechet_distance")


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=24, seconds=0.0)
    parser.set_defaults(seconds=None)  # each row's own length
    parser.add_argument("--data", required=True, help="music datasets (drumloops, melodic, sfx, soundfont), comma-separated")
    parser.add_argument("--judges", required=True, help="music judges saved by `latentaudio evaluate --music`")
    parser.add_argument("--classifier", default=None, help="family classifier of `latentaudio evaluate` (one-shot family)")
    parser.add_argument("--scales", default="2,3,5,7", help="guidance scales, comma-separated (default 2,3,5,7)")
    parser.add_argument("--key-scales", default="", help="key guidance scales to run each scale with too, comma-separated")
    add_split_argument(parser, "validation")
    args = parser.parse_args()
    scales = [float(part) for part in args.scales.split(",")]
    key_scales = [float(part) for part in args.key_scales.split(",") if part]
    pipe = load_pipeline(args)
    if pipe.embeds_guidance:
        parser.error(f"{args.model} embeds its guidance scale (a distilled student): expected a model guided in pairs.")

    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.music import (SCORE_NAMES, TEMPO_TOLERANCE, generated_scores, load_music_clips,
                                              load_music_judges, real_clips_section)

    judges, _ = load_music_judges(args.judges)
    family = load_classifier(args.classifier)[0] if args.classifier else None
    folders = args.data.split(",")
    longest = pipe.config.max_audio_length_in_s
    shortest = pipe.samples_per_latent_frame / pipe.sample_rate
    rows = load_music_clips(folders, args.split, pipe.sample_rate, args.limit, longest, min_seconds=shortest)
    real = real_clips_section(folders, judges, pipe.sample_rate, args.limit, longest, family, rows, args.split)
    print(f"{len(rows)} {args.split} prompts, {args.steps} steps, seed {args.seed}; guidance {', '.join(map(str, scales))}")

    heard = {"real clips": {category: entry["scores"] for category, entry in real.items()}}
    plain = pipe._predict_window
    for scale in scales:
        for key_scale in [None, *key_scales]:
            pipe._predict_window = plain
            name = f"guidance {scale:g}" if key_scale is None else f"guidance {scale:g}, key {key_scale:g}"
            heard[name] = scored = generated_scores(pipe if key_scale is None else guide_key(pipe, key_scale), rows, real,
                                                    judges, args.steps, scale, args.seed, family_classifier=family)
            print(f"{name}: " + "; ".join(f"{c} category {s['category_accuracy']:.0%}" for c, s in scored.items()), flush=True)

    print("\n| category (prompts) | score | " + " | ".join(heard) + " |")
    print("|---|---|" + "---|" * len(heard))
    for category, entry in heard["real clips"].items():
        for score in SCORES:
            if score == "frechet_distance":
                values = [f"{entry['frechet_floor']:.2f} (floor)" if entry.get("frechet_floor") is not None else "–"]
                values += [f"{heard[name][category][score]:.2f}" if heard[name][category][score] is not None else "–"
                           for name in list(heard)[1:]]
            elif score in entry and entry[score] is not None:
                values = [_percent(heard[name][category].get(score)) for name in heard]
            else:
                continue
            name = SCORE_NAMES.get(score, "Fréchet distance").format(tolerance=f"{TEMPO_TOLERANCE:.0%}")
            print(f"| {category} ({entry['clips']}) | {name} | {' | '.join(values)} |")


def _percent(value) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


if __name__ == "__main__":
    main()
