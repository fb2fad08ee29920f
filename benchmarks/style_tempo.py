"""A drum loop asked for by its style alone: its take at the style's tempo, stated, against the prompt as it was read.

``latentaudio generate`` and the pipeline read a drum-loop prompt that names its style but states no tempo ("a house
drum loop", "trap beat") at the style's usual tempo (:func:`latentaudio.prompts.style_tempo_bpm`: the middle of the
range ``latentaudio data drumloops`` plays it at; house 124 bpm), stated to the model as every drum-loop caption
states one, and whole bars of it long ("a house drum loop, 124 bpm, 9.68 s"). Before, such a prompt was read stating
only the longest clip's length ("a house drum loop, 10.24 s"), with no tempo for the beat-phase channels. This
generates both from the same noise seed, four wordings per style, none stating a tempo ("a house drum loop", "house
groove", "house beat, drums only", "a house drum pattern loop": the drum loops of the request set that name a style,
:func:`latentaudio.evaluation.music.load_requests`), and scores each take as ``loop_lengths.py`` does:

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
from music_edits import judged, print_loop_table, score_loop, takes_now_and_before  # noqa: E402


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=0.0, model="music")
    parser.add_argument("--judge", default=None, help="a classifier folder trained on the style column (optional)")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import numpy as np

    from latentaudio.evaluation.music import load_requests
    from latentaudio.metrics import log_mel_fn
    from latentaudio.prompts import drum_style, style_tempo_bpm

    rows = [(row["style"], row["text"]) for row in load_requests("drum loop", nicknames=False) if row["style"]]
    rows = rows[: args.limit] if args.limit else rows
    assert all(drum_style(prompt) == style for style, prompt in rows), "a prompt names another style"
    mel_fn, hop = log_mel_fn(pipe.spectrogram), pipe.spectrogram.config.hop_length
    print(f"{len(rows)} drum-loop prompts without a tempo, {args.model}, {args.steps or 'its own'} steps, seed {args.seed}")
    takes = takes_now_and_before(pipe, args, [prompt for _, prompt in rows], "the style's tempo, stated, whole bars (now)")
    results = {name: [score_loop(audio, style_tempo_bpm(style), mel_fn, hop, pipe.sample_rate)[0]
                      for audio, (style, _) in zip(audios, rows)] for name, audios in takes.items()}
    print_loop_table(results, "prompt read", "tempo within 4% of the style's")
    for name, audios in takes.items() if args.judge else ():
        heard = judged(args.judge, audios, pipe.sample_rate)
        print(f"style heard as named, {name}: {np.mean([label == style for label, (style, _) in zip(heard, rows)]):.0%}")


if __name__ == "__main__":
    main()
