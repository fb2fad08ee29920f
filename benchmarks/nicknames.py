"""Effects and drum loops asked for in words the builders' captions never use, taken as ``generate`` takes them.

The rows of the request set marked ``"named_by": "nickname"``: 28 sound effects, two for each class, each named only
by a nickname (``vocabulary.EFFECT_NICKNAMES``: "a white noise riser", "a level up sound", "a thunderstorm"), 12 drum
loops whose style is named by a nickname (``vocabulary.STYLE_NICKNAMES``: "heavy metal drums", "a trance beat", "a
blues shuffle") and 4 drum loops of no style the builder knows or that ask for a fill ("a drum fill", "a dembow
loop"). None states a tempo or a length. Each prompt goes to the model ``generate`` gives it without ``--model``
(``cli.generate.model_for``), at the length it chooses (``length_for``), read by that model's prompt template, from
one noise seed, at the model's own steps and guidance; scored per category:

* **music model**: the share of prompts given to the music model (a loop or an effect the one-shot model never learnt);
* **heard as asked**: the share of takes the judge hears as the effect class (``--effect-judge``: a classifier trained
  on the ``sfx_class`` column of ``latentaudio data sfx`` rows) or the drum style (``--style-judge``: one trained on
  the ``style`` column of ``latentaudio data drumloops`` rows) the row names;
* **tempo within 4%** (drum loops): ``estimate_tempo`` within 4% of the tempo the row's style is played at (a loop of no
  style: 120 bpm), and with its double or half;
* **whole bars** (drum loops): the share of takes whole bars of that tempo long, so that they loop in a DAW.

Run it against an earlier checkout of the package with this file's rows to compare readings (``--requests`` reads
the rows from this repository either way):

    python benchmarks/nicknames.py --effect-judge JS --style-judge JD [--seed 0] [--threads 2]
    PYTHONPATH=EARLIER_CHECKOUT python benchmarks/nicknames.py --effect-judge JS --style-judge JD
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# This repository's request set, also when an earlier checkout of the package (whose own file lacks the rows) runs it.
REQUESTS = Path(__file__).resolve().parents[1] / "latentaudio" / "evaluation" / "requests.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--effect-judge", required=True, help="a classifier folder trained on the sfx_class column")
    parser.add_argument("--style-judge", required=True, help="a classifier folder trained on the style column")
    parser.add_argument("--requests", default=str(REQUESTS), help=f"the request set (default {REQUESTS})")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: each model's own)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import numpy as np
    import torch

    from latentaudio import LatentAudioPipeline
    from latentaudio.cli.generate import length_for, model_for
    from latentaudio.data.drum_patterns import TEMPO_RANGE
    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.music import classify_any_lengths, load_requests, tempo_matches
    from latentaudio.metrics import estimate_tempo
    from latentaudio.model_folder import model_location
    from latentaudio.prompts import pace, paced_tempo_bpm, style_tempo_bpm

    torch.set_num_threads(args.threads)
    rows = [row for row in load_requests(path=args.requests) if row.get("named_by") == "nickname"]  # any checkout's
    pipes: dict = {}
    takes, music = [], []
    for row in rows:
        chosen = model_for(row["text"], None)
        if chosen not in pipes:
            pipes[chosen] = LatentAudioPipeline.from_pretrained(model_location(chosen))
            pipes[chosen].set_progress_bar_config(disable=True)
        pipe = pipes[chosen]
        steps, guidance = pipe.sampling_settings(args.steps, None)
        audio = pipe(row["text"], audio_length_in_s=length_for(row["text"], None, chosen), num_inference_steps=steps,
                     guidance_scale=guidance, generator=torch.Generator().manual_seed(args.seed)).audios[0]
        takes.append(torch.from_numpy(np.asarray(audio, np.float32)))
        music.append(chosen == "music")
    sample_rate = next(iter(pipes.values())).sample_rate
    print(f"{len(rows)} prompts named by nicknames, seed {args.seed}, {args.steps or 'each model'}'s own steps")
    print("| category | prompts | music model | heard as asked | tempo within 4% (double or half) | whole bars |")
    print("|---|---|---|---|---|---|")
    for category, column, judge in (("sound effect", "sfx_class", args.effect_judge),
                                    ("drum loop", "style", args.style_judge)):
        picked = [i for i, row in enumerate(rows) if row["category"] == category]
        named = [i for i in picked if rows[i][column]]
        heard = classify_any_lengths(load_classifier(judge)[0], [takes[i] for i in named], sample_rate)[1]
        cells = [category, str(len(picked)), f"{np.mean([music[i] for i in picked]):.0%}",
                 f"{np.mean([label == rows[i][column] for label, i in zip(heard, named)]):.0%} of {len(named)}"]
        if category == "drum loop":
            tempos = [style_tempo_bpm(rows[i]["style"], pace(rows[i]["text"])) if rows[i]["style"]
                      else paced_tempo_bpm(TEMPO_RANGE, pace(rows[i]["text"])) for i in picked]
            estimates = [estimate_tempo(takes[i].numpy(), sample_rate) for i in picked]
            bars = [len(takes[i]) / sample_rate / (4 * 60 / bpm) for i, bpm in zip(picked, tempos)]
            cells += [f"{np.mean([tempo_matches(e, t) for e, t in zip(estimates, tempos)]):.0%} "
                      f"({np.mean([tempo_matches(e, t, octave=True) for e, t in zip(estimates, tempos)]):.0%})",
                      f"{np.mean([abs(b - round(b)) < 0.01 for b in bars]):.0%}"]
        else:
            cells += ["–", "–"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
