"""Instruments from prompts (``latentaudio instrument``): how many samples land on their note, and how in tune every key
of the instrument plays once each region is tuned by the pitch its take was heard at.

For each prompt (instruments in users' words, one per family of the default model's pitched instruments), the samples
of ``latentaudio instrument PROMPT --every E --tries K`` over the range it would sample (the GM instrument's playable
range), drawn as the verb draws them. Printed per prompt:

- the samples whose first take drawn (what one draw gives) lies within a semitone of the note asked for, and whose
  kept take does (the first of the ``--tries`` within a semitone, in the order the model's scorer puts them);
- the samples given a sustain loop (a held note that stays steady), and of those the loops whose wrap (back to the
  loop's start) and release (on past its end) step no more than the loop does anywhere (:func:`wrap_step`: the
  loudness of the 10 ms after a point against the 10 ms before; the loop's own steps are taken every 25 ms inside its
  second pass);
- every key of the instrument played as its region says (:func:`latentaudio.instrument.played_at`), its pitch heard
  again: the median distance from the key in cents and the share within 25 cents, untuned (``pitch_keycenter`` the note
  asked for, ``tune`` 0) and tuned (the regions the SFZ file holds). Keys whose sound has no pitch heard count as
  missed.

``--drums DATA`` measures drum kits instead (``latentaudio instrument KIT --drums``): every General MIDI drum key of
each kit in ``--kits``, its first take drawn and the take kept (the first of ``--tries``, best first by the model's scorer)
judged by ``DrumTypeJudge`` fitted on the training drums of the ``latentaudio data soundfont`` dataset DATA: the share
heard as the type of drum its key names (kick, snare, hi-hat, tom, ...).

    python benchmarks/instrument_tuning.py [--model default] [--every 3] [--tries 4] [--prompts "airy flute;cello"]
    python benchmarks/instrument_tuning.py --drums data/gm_dense2 [--kits "TR-808 kit;jazz kit"]
"""

from __future__ import annotations

import time

import numpy as np
import torch

from common import generation_parser, load_pipeline

KITS = ("standard kit", "TR-808 kit", "electronic kit", "jazz kit", "brush kit", "a dusty lo-fi kit")
PROMPTS = ("grand piano", "marimba", "church organ", "nylon guitar", "fingered electric bass", "cello",
           "string ensemble", "muted trumpet", "alto sax", "airy flute", "square lead", "warm synth pad", "sitar")


def draw_takes(pipe, args, text: str, firsts: list) -> list:
    """The ``--tries`` takes of ``text`` as ``latentaudio instrument`` gets them (best first by the model's scorer),
    drawn with the scorer detached so that the first take drawn (the one take a single draw gives) is kept in
    ``firsts``."""
    scorer = pipe.scorer
    pipe.register_modules(scorer=None)  # the takes in the order of their noise
    try:
        takes = pipe(text, audio_length_in_s=args.seconds, num_inference_steps=args.steps, guidance_scale=args.guidance,
                     num_waveforms_per_prompt=args.tries, generator=torch.Generator().manual_seed(args.seed),
                     output_type="np").audios
    finally:
        pipe.register_modules(scorer=scorer)
    firsts.append(takes[0])
    if scorer is not None and args.tries > 1:
        takes = takes[pipe.take_order(torch.from_numpy(takes), [text], args.tries).numpy()]
    return list(takes)


def wrap_step(played: np.ndarray, at: int, window: int = 160) -> float:
    """The loudness step at sample ``at`` of ``played``: the RMS of the ``window`` samples after it over those before,
    in dB (both ways alike)."""
    before, after = played[at - window : at], played[at : at + window]
    return abs(10 * np.log10((np.mean(np.square(after)) + 1e-12) / (np.mean(np.square(before)) + 1e-12)))


def loop_steps(audio: np.ndarray, loop: tuple[int, int], hop: int = 400) -> tuple[float, float, float]:
    """``(the step at the wrap, the step into the release, the largest step inside the loop)`` of a sample whose sustain
    loop is ``loop`` (first and last sample, inclusive): played to the loop's end, around, and through once more; and
    played on past the loop's end, as after the key is let go."""
    start, end = loop[0], loop[1] + 1
    played = np.concatenate([audio[:end], audio[start:end], audio[start:end]])
    inside = [wrap_step(played, at) for at in range(end + 800, 2 * end - start - 800, hop)]
    return wrap_step(played, end), wrap_step(audio, end), max(inside)


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
    parser.add_argument("--drums", default=None, help="measure drum kits, judged against this dataset's training drums")
    parser.add_argument("--kits", default=";".join(KITS), help="drum kits, separated by ';'")
    args = parser.parse_args()
    pipe = load_pipeline(args)
    if args.drums:
        return drum_kits(pipe, args)

    from latentaudio.instrument import default_notes, make_samples, note_plan, region_pitch
    from latentaudio.metrics import estimate_pitch, within_semitone

    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, seed {args.seed}; every {args.every} semitones, "
          f"{args.tries} takes a sample")
    print("| prompt | samples | first take drawn on its note | kept take on its note | looped: wrap and release no bigger than the loop's "
          "own steps | keys: median cents off, untuned / tuned | keys within 25 cents, untuned / tuned | s |")
    print("|---|---|---|---|---|---|---|---|")
    totals = {"samples": 0, "first": 0, "kept": 0, "looped": 0, "smooth": 0, "untuned": [], "tuned": []}
    for prompt in args.prompts.split(";")[: args.limit]:
        started, firsts, kept_audio = time.perf_counter(), [], {}
        notes = note_plan(*default_notes(prompt), args.every)
        samples = make_samples(lambda text: draw_takes(pipe, args, text, firsts), pipe.sample_rate, prompt, notes,
                               on_sample=lambda sample, audio: kept_audio.__setitem__(sample.note, audio))
        seconds = time.perf_counter() - started
        first = sum(within_semitone(estimate_pitch(take, pipe.sample_rate), note) for take, note in zip(firsts, notes))
        kept = sum(sample.in_tune for sample in samples)
        steps = [loop_steps(kept_audio[sample.note], sample.loop) for sample in samples if sample.loop is not None]
        smooth = sum(max(wrap, release) <= inside for wrap, release, inside in steps)
        untuned, tuned = [], []
        for sample in samples:
            audio = kept_audio[sample.note]
            untuned += key_errors(audio, pipe.sample_rate, sample.keys, sample.note, 0)
            tuned += key_errors(audio, pipe.sample_rate, sample.keys, *region_pitch(sample.heard, sample.note))
        print(f"| {prompt} | {len(samples)} | {first} | {kept} | {len(steps)}: {smooth} | "
              f"{np.median(untuned):.0f} / {np.median(tuned):.0f} | "
              f"{np.mean(np.array(untuned) <= 25):.0%} / {np.mean(np.array(tuned) <= 25):.0%} | {seconds:.0f} |", flush=True)
        totals["samples"] += len(samples)
        totals["first"] += first
        totals["kept"] += kept
        totals["looped"] += len(steps)
        totals["smooth"] += smooth
        totals["untuned"] += untuned
        totals["tuned"] += tuned
    untuned, tuned = np.array(totals["untuned"]), np.array(totals["tuned"])
    print(f"| all | {totals['samples']} | {totals['first'] / totals['samples']:.0%} | {totals['kept'] / totals['samples']:.0%} "
          f"| {totals['looped']}: {totals['smooth']} | {np.median(untuned):.0f} / {np.median(tuned):.0f} | {np.mean(untuned <= 25):.0%} / {np.mean(tuned <= 25):.0%} "
          f"| {len(untuned)} keys |")



def drum_kits(pipe, args) -> None:
    """The ``--drums`` measurement (see the module docstring)."""
    from latentaudio.data.vocabulary import DRUM_TYPES
    from latentaudio.evaluation.generalisation import drum_judge
    from latentaudio.instrument import DRUM_KEYS_RANGE, make_samples, note_plan

    judge, _ = drum_judge(args.drums, "train", 2.56, pipe.sample_rate)
    keys = note_plan(*DRUM_KEYS_RANGE, 1)
    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, seed {args.seed}; {len(keys)} drum keys a kit, "
          f"{args.tries} takes a drum")
    print("| kit | drums | first take drawn heard as its drum type | kept take | s |")
    print("|---|---|---|---|---|")
    first_right = kept_right = total = 0
    for kit in args.kits.split(";")[: args.limit]:
        started, firsts, kept = time.perf_counter(), [], []
        samples = make_samples(lambda text: draw_takes(pipe, args, text, firsts), pipe.sample_rate, kit, keys, drums=True,
                               on_sample=lambda sample, audio: kept.append(audio))
        seconds = time.perf_counter() - started
        asked = [DRUM_TYPES[sample.note] for sample in samples]
        heard_first, heard_kept = judge(torch.from_numpy(np.stack(firsts))), judge(torch.from_numpy(np.stack(kept)))
        right_first = sum(h == a for h, a in zip(heard_first, asked))
        right_kept = sum(h == a for h, a in zip(heard_kept, asked))
        print(f"| {kit} | {len(samples)} | {right_first / len(samples):.0%} | {right_kept / len(samples):.0%} | {seconds:.0f} |",
              flush=True)
        first_right, kept_right, total = first_right + right_first, kept_right + right_kept, total + len(samples)
    print(f"| all | {total} | {first_right / total:.0%} | {kept_right / total:.0%} | |")


if __name__ == "__main__":
    main()
