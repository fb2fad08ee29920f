"""A drum loop asked for by its style alone: its take at the style's tempo, stated, against the prompt as it was read.

``latentaudio generate`` and the pipeline read a drum-loop prompt that names its style but states no tempo ("a house
drum loop", "trap beat") at the style's usual tempo (:func:`latentaudio.prompts.style_tempo_bpm`: the middle of the
range ``latentaudio data drumloops`` plays it at; house 124 bpm), stated to the model as every drum-loop caption
states one, and whole bars of it long ("a house drum loop, 124 bpm, 9.68 s"). Before, such a prompt was read stating
only the longest clip's length ("a house drum loop, 10.24 s"), with no tempo for the beat-phase channels. This
generates both from the same noise seed, four wordings per style, none stating a tempo ("a house drum loop", "house
groove", "house beat, drums only", "a house drum pattern loop"), and scores each take as ``loop_lengths.py`` does:

* **tempo**: ``estimate_tempo`` within 4% of the style's tempo (and with its double or half);
* **the wrap**: the take played in a loop, scored as in ``music_edits.py`` (the log-mel flux across the wrap over the
  loudest hit inside, below 1 a wrap no bigger than a hit; the sample step there; the seam, about 1 for a wrap like
  any other moment);
* **style**, with ``--judge``: the share of takes a style classifier hears as the style named (one trained on the
  ``style`` column of ``latentaudio data drumloops`` rows, e.g. the ``style`` judge ``latentaudio evaluate --music``
  saves).

    python benchmarks/style_tempo.py --model music [--judge J/style] [--steps 20] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402
from music_edits import print_loop_table, score_loop  # noqa: E402

WORDINGS = ("a {style} drum loop", "{style} groove", "{style} beat, drums only", "a {style} drum pattern loop")


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=0.0)
    parser.add_argument("--judge", default=None, help="a classifier folder trained on the style column (optional)")
    args = parser.parse_args()
    args.model = "music" if args.model == parser.get_default("model") else args.model
    pipe = load_pipeline(args)

    import numpy as np
    import torch

    from latentaudio.data.drum_patterns import STYLES
    from latentaudio.metrics import log_mel_fn
    from latentaudio.prompts import drum_style, style_tempo_bpm

    judge = None
    if args.judge:
        from latentaudio.evaluation.classifier import load_classifier
        from latentaudio.evaluation.music import classify_any_lengths

        judge, _ = load_classifier(args.judge)
    rows = [(style, wording.format(style=style)) for style in STYLES for wording in WORDINGS]
    rows = rows[: args.limit] if args.limit else rows
    assert all(drum_style(prompt) == style for style, prompt in rows), "a prompt names another style"
    longest = pipe.config.get("longest_trained_length_in_s") or pipe.default_audio_length_in_s
    template = pipe.config.get("prompt_template")
    mel_fn, hop = log_mel_fn(pipe.spectrogram), pipe.spectrogram.config.hop_length

    def take(prompt: str, seconds=None):
        return pipe(prompt, audio_length_in_s=seconds, num_inference_steps=args.steps, guidance_scale=args.guidance,
                    generator=torch.Generator().manual_seed(args.seed)).audios[0]

    modes = {
        "the style's tempo, stated, whole bars (now)": lambda prompt: take(prompt),
        # as read before: the longest clip's length stated, no tempo (the template set aside, so it adds none)
        f"no tempo, {longest:g} s (before)": lambda prompt: take(f"{prompt}, {longest:.2f} s", longest),
    }
    print(f"{len(rows)} drum-loop prompts without a tempo, {args.model}, {args.steps or 'its own'} steps, seed {args.seed}")
    results, styles_heard = {}, {}
    for name, make in modes.items():
        pipe.register_to_config(prompt_template=template if "now" in name else None)
        takes = [make(prompt) for _, prompt in rows]
        results[name] = [score_loop(audio, style_tempo_bpm(style), mel_fn, hop, pipe.sample_rate)[0]
                         for audio, (style, _) in zip(takes, rows)]
        if judge is not None:
            _, heard = classify_any_lengths(judge, [torch.from_numpy(np.asarray(a, np.float32)) for a in takes],
                                            pipe.sample_rate)
            styles_heard[name] = np.mean([label == style for label, (style, _) in zip(heard, rows)])
    pipe.register_to_config(prompt_template=template)
    print_loop_table(results, "prompt read", "tempo within 4% of the style's")
    for name, share in styles_heard.items():
        print(f"style heard as named, {name}: {share:.0%}")


if __name__ == "__main__":
    main()
