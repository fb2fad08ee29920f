"""Instruments from prompts (``latentaudio instrument``): how many samples land on their note, and how in tune every key
of the instrument plays once each region is tuned by the pitch its take was heard at.

For each prompt (instruments in users' words, one per family of the default model's pitched instruments), the samples
of ``latentaudio instrument PROMPT --every E --tries K`` over the range it would sample (the GM instrument's playable
range), drawn as the verb draws them. Printed per prompt:

- the samples whose first take lies within a semitone of the note asked for, and whose kept take does (the first of
  the ``--tries`` within a semitone, in the order the model's scorer puts them);
- every key of the instrument played as its region says (:func:`latentaudio.instrument.played_at`), its pitch heard
  again: the median distance from the key in cents and the share within 25 cents, untuned (``pitch_keycenter`` the note
  asked for, ``tune`` 0) and tuned (the regions the SFZ file holds). Keys whose sound has no pitch heard count as
  missed.

    python benchmarks/instrument_tuning.py [--model default] [--every 3] [--tries 4] [--prompts "airy flute;cello"]
"""

from __future__ import annotations

import time

import numpy as np
import torch

from common import generation_parser, load_pipeline

PROMPTS = ("grand piano", "marimba", "church organ", "nylon guitar", "fingered electric bass", "cello",
           "string ensemble", "muted trumpet", "alto sax", "airy flute", "square lead", "warm synth pad", "sitar")


def key_errors(audio: np.ndarray, rate: int, keys: tuple[int, int], center: int, tune: int) -> list[float]:
    """Cents between each key of ``keys`` and the pitch heard when the region plays it (inf where none is heard)."""
    from latentaudio.instrument import played_at
    from latentaudio.metrics import estimate_pitch

    errors = []
    for key in range(keys[0], keys[1] + 1):
        heard = estimate_pitch(played_at(audio, key, center, tune), rate)
        errors.append(np.inf if heard is None else abs(heard - key) * 100)
    return errors


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=len(PROMPTS), seconds=0.0)
    parser.set_defaults(model="default", seconds=None)
    parser.add_argument("--every", type=int, default=3, help="semitones between sampled notes (default 3)")
    parser.add_argument("--tries", type=int, default=4, help="takes drawn for each sample (default 4)")
    parser.add_argument("--prompts", default=";".join(PROMPTS), help="instruments, separated by ';'")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    from latentaudio.instrument import default_notes, make_samples, note_plan, region_pitch
    from latentaudio.metrics import estimate_pitch

    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, seed {args.seed}; every {args.every} semitones, "
          f"{args.tries} takes a sample")
    print("| prompt | samples | first take on its note | kept take on its note | keys: median cents off, untuned / tuned "
          "| keys within 25 cents, untuned / tuned | s |")
    print("|---|---|---|---|---|---|---|")
    totals = {"samples": 0, "first": 0, "kept": 0, "untuned": [], "tuned": []}
    for prompt in args.prompts.split(";")[: args.limit]:
        started, first_heard, kept_audio = time.perf_counter(), {}, {}

        def draw(text: str) -> list:
            takes = list(pipe(text, audio_length_in_s=args.seconds, num_inference_steps=args.steps,
                              guidance_scale=args.guidance, num_waveforms_per_prompt=args.tries,
                              generator=torch.Generator().manual_seed(args.seed), output_type="np").audios)
            first_heard[text] = estimate_pitch(takes[0], pipe.sample_rate)
            return takes

        notes = note_plan(*default_notes(prompt), args.every)
        samples = make_samples(draw, pipe.sample_rate, prompt, notes,
                               on_sample=lambda sample, audio: kept_audio.__setitem__(sample.note, audio))
        seconds = time.perf_counter() - started
        first = sum(heard is not None and abs(heard - note) <= 1 for heard, note in zip(first_heard.values(), notes))
        kept = sum(sample.in_tune for sample in samples)
        untuned, tuned = [], []
        for sample in samples:
            audio = kept_audio[sample.note]
            untuned += key_errors(audio, pipe.sample_rate, sample.keys, sample.note, 0)
            tuned += key_errors(audio, pipe.sample_rate, sample.keys, *region_pitch(sample.heard, sample.note))
        print(f"| {prompt} | {len(samples)} | {first} | {kept} | {np.median(untuned):.0f} / {np.median(tuned):.0f} | "
              f"{np.mean(np.array(untuned) <= 25):.0%} / {np.mean(np.array(tuned) <= 25):.0%} | {seconds:.0f} |", flush=True)
        totals["samples"] += len(samples)
        totals["first"] += first
        totals["kept"] += kept
        totals["untuned"] += untuned
        totals["tuned"] += tuned
    untuned, tuned = np.array(totals["untuned"]), np.array(totals["tuned"])
    print(f"| all | {totals['samples']} | {totals['first'] / totals['samples']:.0%} | {totals['kept'] / totals['samples']:.0%} "
          f"| {np.median(untuned):.0f} / {np.median(tuned):.0f} | {np.mean(untuned <= 25):.0%} / {np.mean(tuned <= 25):.0%} "
          f"| {len(untuned)} keys |")


if __name__ == "__main__":
    main()
