"""Variations of a drum loop: does ``vary --loop`` give takes that still loop, at the loop's tempo?

Takes ``--limit`` drum loops of the test split (``--split``) of a ``latentaudio data drumloops`` dataset (evenly
spread; the builder renders each as a loop: a whole number of patterns, the last hits' decay sounding at the
start). Each is varied with ``LatentAudioAudioToAudioPipeline`` at ``--strength`` with no prompt (the studio's and
the shell's ``vary``), or turned toward ``--prompt`` (``transform``; a prompt that states no tempo is given the loop's,
as the beat tracker hears it, unless ``--no-match-tempo``), once plainly and once with ``loop=True``
(:mod:`latentaudio.pipelines.loops`), from the same seed. Reported, as shares of the loops and medians, with the
input loops themselves as the first row:

* **tempo**: ``estimate_tempo`` (librosa's beat tracker) of the take within 4 % of the loop's bpm, and within 4 %
  of it, its double or its half;
* **the wrap**: the take played in a loop, scored as in ``music_edits.py``: the log-mel flux across the wrap over
  the loudest hit inside, the sample step there over the 99th percentile, and the seam (the log-mel change across
  the wrap over the median change inside; a drum loop's downbeat lands on its wrap, so a few times 1 is its own).

    python benchmarks/loop_variations.py --model music --data data/drumloops-0[,data/drumloops-1] \\
        [--limit 12] [--strength 0.3] [--steps 20] [--threads 2] [--split validation]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_split_argument, generation_parser  # noqa: E402
from music_edits import chosen_rows, loop_edit_setup, print_loop_table, score_loop  # noqa: E402


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=12, seconds=0.0)
    parser.add_argument("--data", required=True, help="`latentaudio data drumloops` datasets, comma-separated")
    parser.add_argument("--strength", type=float, default=0.3, help="how far the takes stray, in [0, 1] (default 0.3)")
    parser.add_argument("--prompt", default=None, help="turn the loops toward this prompt (transform) instead of varying them")
    parser.add_argument("--no-match-tempo", dest="match_tempo", action="store_false",
                        help="leave a prompt that states no tempo as it is (match_tempo=False), not at the loop's tempo")
    add_split_argument(parser, "test")
    args = parser.parse_args()

    import numpy as np
    import torch

    from latentaudio import LatentAudioAudioToAudioPipeline
    from latentaudio.metrics import log_mel_fn

    pipe, vary, clips = loop_edit_setup(args, LatentAudioAudioToAudioPipeline)
    chosen = chosen_rows(clips, "drum loop", args.limit)
    mel_fn, hop = log_mel_fn(pipe.spectrogram), pipe.spectrogram.config.hop_length
    verb = "vary" if args.prompt is None else "transform"
    results = {"the input loops": [], verb: [], f"{verb}, loop=True": []}
    print(f"{len(chosen)} {args.split} drum loops, strength {args.strength}, {args.steps} steps, "
          + ("no prompt" if args.prompt is None else f"prompt {args.prompt!r}" + ("" if args.match_tempo else " as it is")))
    for k, i in enumerate(chosen):
        row, clip = clips.rows[i], clips.audio[i].numpy()
        for mode in results:
            take = clip if mode == "the input loops" else vary(
                clip, args.prompt, strength=args.strength, loop=mode.endswith("loop=True"), match_tempo=args.match_tempo,
                num_inference_steps=args.steps,
                guidance_scale=args.guidance, generator=torch.Generator().manual_seed(args.seed + k)).audios[0]
            take = np.asarray(take, dtype=np.float32)
            assert take.shape == clip.shape, (take.shape, clip.shape)
            scores, line = score_loop(take, row["tempo"], mel_fn, hop, pipe.sample_rate)
            results[mode].append(scores)
            print(f"  {row['tempo']:>3} bpm {row['style']:<14} {mode:<16} {line}", flush=True)
    print()
    print_loop_table(results, "", "tempo within 4% of the loop's")


if __name__ == "__main__":
    main()
