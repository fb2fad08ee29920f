"""A generated loop at the length its prompt asks for: whole bars of its tempo, generated plain and as a
seamless loop (``loop=True``), against the longest clip.

``latentaudio generate`` and the pipeline, given no length, make a loop or a phrase that states a tempo whole
bars long (:func:`latentaudio.prompts.take_length_in_s`: as many bars as fit in the model's longest trained
clip). This compares that take, plain and denoised as a circle (``loop=True``,
:mod:`latentaudio.pipelines.loops`), with the longest clip itself (10.24 s for the music model, a fraction of a
bar past the last whole bar at most tempos), on ``--limit`` drum loops and ``--limit`` melodic phrases of the test
split (``--split``) of ``latentaudio data drumloops`` / ``melodic`` datasets (evenly spread; the splits hold out
whole tempos and keys). A drum loop's prompt is its tempo, style and kit ("a 124 bpm house drum loop, electronic
kit"), a phrase's its tempo, instrument, kind and key ("a 92 bpm cello melody in D minor"), the length left out;
every length starts from the same noise seed. Reported per category, as shares and medians:

* **tempo**: ``estimate_tempo`` (librosa's beat tracker) of the take within 4 % of the prompt's bpm, and within
  4 % of it, its double or its half (the issue's measure of a generated loop);
* **the wrap**: the take played in a loop, its last sample followed by its first, scored as in
  ``music_edits.py``: the log-mel flux across the wrap over the loudest hit inside the take (below 1: the
  wrap is no bigger a change than a hit inside the loop), the sample step there over the 99th percentile, and
  the seam (the log-mel change across the wrap over the median change inside: about 1 for a wrap like any
  other moment; a held chord cut at its end and started again from silence is many times that).

    python benchmarks/loop_lengths.py --model music --data data/drumloops-0,data/melodic-0[,...] \\
        [--limit 12] [--steps 20] [--seconds 10.24] [--threads 2] [--split validation]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_split_argument, generation_parser, load_pipeline  # noqa: E402
from music_edits import chosen_rows, print_loop_table, score_loop  # noqa: E402


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=12, seconds=0.0)
    parser.set_defaults(seconds=None)  # --seconds: the fixed length to compare with (default: the longest trained clip)
    parser.add_argument("--data", required=True,
                        help="`latentaudio data drumloops` and `melodic` datasets, comma-separated")
    add_split_argument(parser, "test")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import numpy as np
    import torch

    from latentaudio.evaluation.music import load_music_clips
    from latentaudio.metrics import log_mel_fn
    from latentaudio.prompts import take_length_in_s

    longest = pipe.config.get("longest_trained_length_in_s") or pipe.default_audio_length_in_s
    fixed = args.seconds or longest
    clips = load_music_clips(args.data.split(","), args.split, pipe.sample_rate)
    prompts = {"drum loop": lambda row: f"a {row['tempo']} bpm {row['style']} drum loop, {row['kit']} kit",
               "melodic": lambda row: f"a {row['tempo']} bpm {row['instrument']} {row['kind'].replace('-', ' ')} in {row['key']}"}
    mel_fn, hop = log_mel_fn(pipe.spectrogram), pipe.spectrogram.config.hop_length
    modes = {"whole bars": False, "whole bars, loop=True": True, f"{fixed:g} s": False}
    for category, prompt_of in prompts.items():
        if category not in clips.categories:
            print(f"No {args.split} {category} rows in {args.data}.\n")
            continue
        chosen = [clips.rows[i] for i in chosen_rows(clips, category, args.limit)]
        results = {mode: [] for mode in modes}
        print(f"{len(chosen)} {args.split} {category} rows, {args.steps} steps, guidance {args.guidance}")
        for k, row in enumerate(chosen):
            prompt = prompt_of(row)
            for mode, loop in modes.items():
                seconds = fixed if mode.endswith(" s") else take_length_in_s(prompt, longest)
                take = pipe(prompt, audio_length_in_s=seconds, loop=loop, num_inference_steps=args.steps,
                            guidance_scale=args.guidance, generator=torch.Generator().manual_seed(args.seed + k)).audios[0]
                scores, line = score_loop(np.asarray(take, dtype=np.float32), row["tempo"], mel_fn, hop, pipe.sample_rate)
                results[mode].append(scores)
                print(f"  {prompt!r:<60} {mode:<22} {seconds:6.2f} s  {line}", flush=True)
        print()
        print_loop_table(results, category, "tempo within 4% of the prompt's")
        print()


if __name__ == "__main__":
    main()
