"""Does ``extend`` keep a held sound going? Six C major chords rendered with FluidR3_GM, continued by each model.

Each chord (C4, E4, G4 at velocity 100 on a GM program: drawbar organ, string ensemble, warm pad, church organ,
choir aahs, and a piano, whose chord dies away by itself) is held for the whole of ``--given`` seconds, rendered as
FluidSynth plays it (a peak of 0.2-0.5, quieter than the data builders' 0.9). ``LatentAudioContinuationPipeline``
adds ``--seconds`` more, once without a prompt and once with the chord's one-shot description ("an organ chord"),
at each model's own sampling. Printed per model and chord: the RMS of the added part's first, second and third
half-seconds after 0, 1 and 2 s, each over the RMS of the given chord's last half-second (1 keeps the level, 0 is
silence).

    python benchmarks/extend_sustain.py [--models music,default] [--given 2.56] [--seconds 2.56] [--seed 0] [--no-match-level] \
        [--no-match-sound]

``--no-match-level`` continues each chord at its own level (``match_level=False``) instead of bringing it up to the
training clips' level first. ``--no-match-sound`` leaves the empty prompt empty (``match_sound=False``) instead of giving
it what the chord sounds like to the model's scorer.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

SAMPLE_RATE = 16000
CHORD = (60, 64, 67)
CHORDS = {16: "an organ chord", 48: "a string ensemble chord", 89: "a warm synth pad chord", 19: "a church organ chord",
          52: "a choir chord", 0: "a piano chord"}
OFFSETS = (0.0, 1.0, 2.0)  # seconds into the added part where each measured half-second starts


def render_chords(seconds: float) -> dict[int, np.ndarray]:
    from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer

    chords = {}
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, SAMPLE_RATE) as synth:
        for program in CHORDS:
            synth.silence()
            synth.select(0, 0, program)
            for pitch in CHORD:
                synth.note_on(0, pitch, 100)
            chords[program] = synth.render(round(seconds * SAMPLE_RATE)).astype(np.float32)
            for pitch in CHORD:
                synth.note_off(0, pitch)
            synth.render(SAMPLE_RATE)  # let the release ring out before the next chord
    return chords


def rms(audio: np.ndarray, start: float, end: float) -> float:
    return float(np.sqrt(np.mean(audio[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)] ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="music,default", help="pipeline folders or embedded names, comma-separated")
    parser.add_argument("--given", type=float, default=2.56, help="seconds of each chord given to extend")
    parser.add_argument("--seconds", type=float, default=2.56, help="seconds added (at least 2.5 for every figure)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-match-level", dest="match_level", action="store_false",
                        help="continue each chord at its own level (match_level=False)")
    parser.add_argument("--no-match-sound", dest="match_sound", action="store_false",
                        help="leave the empty prompt empty (match_sound=False), not what the chord sounds like")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from latentaudio import LatentAudioContinuationPipeline
    from latentaudio.model_folder import model_location

    chords = render_chords(args.given)
    print(f"RMS of the added part at +{', +'.join(f'{o:g}' for o in OFFSETS)} s (half a second each) / the given chord's "
          f"last half-second; {args.given:g} s given, {args.seconds:g} s added, seed {args.seed}"
          f"{'' if args.match_level else ', at its own level (match_level=False)'}"
          f"{'' if args.match_sound else ', the empty prompt left empty (match_sound=False)'}")
    for name in args.models.split(","):
        pipe = LatentAudioContinuationPipeline.from_pretrained(model_location(name))
        pipe.set_progress_bar_config(disable=True)
        for program, description in CHORDS.items():
            for prompt in (None, description):
                out = pipe(audio=torch.from_numpy(chords[program]), sample_rate=SAMPLE_RATE, extend_in_s=args.seconds,
                           prompt=prompt, match_level=args.match_level, match_sound=args.match_sound, generator=torch.Generator().manual_seed(args.seed)).audios[0]
                given = rms(out, args.given - 0.5, args.given)
                added = [rms(out, args.given + o, args.given + o + 0.5) / given for o in OFFSETS]
                print(f"{name:>10s}  program {program:3d}  {prompt or '(no prompt)':26s} "
                      + "  ".join(f"{value:5.2f}" for value in added), flush=True)


if __name__ == "__main__":
    main()
