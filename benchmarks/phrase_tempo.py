"""A phrase asked for without a tempo: its take at the tempo its kind and tempo word are played at, against the prompt as it was read.

``latentaudio generate`` and the pipeline read a melodic prompt that states no tempo ("a sad piano melody", "chill
rhodes chords", "a funky bassline") at the tempo ``latentaudio data melodic`` plays its kind of material at
(:func:`latentaudio.prompts.melodic_tempo_bpm`: the middle of the kind's range, or of the part of it its tempo word
names: "slow" below 76 bpm), stated to the model as every phrase caption states one, and whole bars of it long ("a sad
piano melody, 105 bpm, 9.14 s"). Before, such a prompt was read stating only the longest clip's length ("a sad piano
melody, 10.24 s"), with no tempo for the beat-phase channels. This generates both from the same noise seed, five
prompts per kind in users' words, none stating a tempo, a key or a length (the phrases of the request set,
:func:`latentaudio.evaluation.music.load_requests`), and scores each take:

* **tempo**: ``estimate_tempo`` within 4% of the tempo the prompt is now read at (and with its double or half), and,
  for the prompts with a tempo word, whether the estimate carries that word (:func:`latentaudio.data.melodic_material.pace_word`);
* **the wrap**: the take played in a loop, scored as ``music_edits.py`` does (the log-mel flux across the wrap over the
  loudest onset inside, below 1 a wrap no bigger than a note's; the sample step there; the seam);
* **mode**: for the prompts with a mood word of the major or minor captions ("sad", "bright"), whether the chroma key
  estimate hears that mode;
* **kind**, with ``--judge``: the share of takes a classifier trained on the ``kind`` column of ``latentaudio data
  melodic`` rows hears as the kind asked for.

    python benchmarks/phrase_tempo.py --model music [--judge J] [--steps 20] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402
from music_edits import judged, print_loop_table, score_loop, takes_now_and_before  # noqa: E402


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=0.0, model="music")
    parser.add_argument("--judge", default=None, help="a classifier folder trained on the kind column (optional)")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import numpy as np

    from latentaudio.data.melodic_material import MOODS, pace_word
    from latentaudio.evaluation.music import estimate_key, estimate_tempo, load_requests
    from latentaudio.metrics import log_mel_fn
    from latentaudio.prompts import melodic_kind, pace, take_tempo_bpm

    rows = [(row["kind"], row["text"]) for row in load_requests("melodic", nicknames=False)]
    rows = rows[: args.limit] if args.limit else rows
    assert all(melodic_kind(prompt) == kind for kind, prompt in rows), "a prompt names another kind"
    mode_of = {mood: mode for mode in ("major", "minor") for mood in MOODS[mode]}
    moods = [next((mode_of[word] for word in prompt.replace(",", " ").split() if word in mode_of), None) for _, prompt in rows]
    mel_fn, hop, rate = log_mel_fn(pipe.spectrogram), pipe.spectrogram.config.hop_length, pipe.sample_rate
    print(f"{len(rows)} phrase prompts without a tempo, {args.model}, {args.steps or 'its own'} steps, seed {args.seed}")
    takes = takes_now_and_before(pipe, args, [prompt for _, prompt in rows],
                                 "its kind's tempo at its tempo word, stated, whole bars (now)")
    results, extra = {}, {}
    for name, audios in takes.items():
        results[name] = [score_loop(audio, take_tempo_bpm(prompt), mel_fn, hop, rate)[0] for audio, (_, prompt) in zip(audios, rows)]
        paced = [pace_word(estimate_tempo(audio, rate) or 0) == pace(prompt)
                 for audio, (_, prompt) in zip(audios, rows) if pace(prompt) is not None]
        heard = [(estimate_key(audio, rate) or (None, None))[1] == mode for audio, mode in zip(audios, moods) if mode is not None]
        extra[name] = {"tempo word heard": f"{np.mean(paced):.0%} of {len(paced)}",
                       "mood's mode heard": f"{np.mean(heard):.0%} of {len(heard)}",
                       "length (median, s)": f"{np.median([len(audio) / rate for audio in audios]):.2f}"}
        if args.judge:
            kinds = judged(args.judge, audios, rate)
            extra[name]["kind heard as asked"] = f"{np.mean([label == kind for label, (kind, _) in zip(kinds, rows)]):.0%}"
    print_loop_table(results, "prompt read", "tempo within 4% of the one read now")
    heads = list(next(iter(extra.values())))
    print("\n| prompt read | " + " | ".join(heads) + " |\n|" + "---|" * (len(heads) + 1))
    for name, cells in extra.items():
        print(f"| {name} | " + " | ".join(cells[head] for head in heads) + " |")


if __name__ == "__main__":
    main()
