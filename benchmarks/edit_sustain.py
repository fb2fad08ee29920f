"""Does an edit keep a long held sound going? The chords of ``extend_sustain.py``, edited whole by each model.

Each chord of ``extend_sustain.py`` (C4, E4, G4 on a GM program, rendered with FluidR3_GM) is held for ``--seconds``
(longer than the default model's longest take of 5.12 s) and edited whole by ``LatentAudioAudioToAudioPipeline`` at
``--strength``, with ``--prompt`` (``transform``) or without one (``vary``), at each model's own sampling. Printed per
model and chord: the RMS of the take's second after 0.5 s, in the middle and before the end, each over the same
second of the chord (1 keeps the level; a take that fades falls towards 0), and their medians over the chords that
are held (the piano, which dies away by itself, left out of the medians).

    python benchmarks/edit_sustain.py [--models default,music] [--seconds 8] [--strength 0.3] [--prompt P] [--seed 0]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from extend_sustain import CHORDS, SAMPLE_RATE, render_chords, rms  # noqa: E402

DYING = {0}  # programs whose chord dies away by itself


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="default,music", help="pipeline folders or embedded names, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of each chord (at least 3)")
    parser.add_argument("--strength", type=float, default=0.3, help="how far the take strays, in [0, 1] (default 0.3)")
    parser.add_argument("--prompt", default=None, help="turn the chords toward this prompt (default: none, as vary)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.seconds < 3:
        parser.error(f"--seconds {args.seconds:g} must be at least 3 (three seconds are measured)")
    torch.set_num_threads(args.threads)

    from latentaudio import LatentAudioAudioToAudioPipeline
    from latentaudio.model_folder import model_location

    chords = render_chords(args.seconds)
    starts = (0.5, args.seconds / 2 - 0.5, args.seconds - 1.5)
    print(f"RMS of the take's second from {', '.join(f'{s:g}' for s in starts)} s / the chord's; {args.seconds:g} s chords, "
          f"strength {args.strength:g}, prompt {args.prompt!r}, seed {args.seed}")
    for name in args.models.split(","):
        pipe = LatentAudioAudioToAudioPipeline.from_pretrained(model_location(name))
        pipe.set_progress_bar_config(disable=True)
        held = []
        for program in CHORDS:
            chord = chords[program]
            take = pipe(torch.from_numpy(chord), prompt=args.prompt, strength=args.strength,
                        generator=torch.Generator().manual_seed(args.seed)).audios[0]
            levels = [rms(take, start, start + 1) / rms(chord, start, start + 1) for start in starts]
            if program not in DYING:
                held.append(levels)
            print(f"{name:>10s}  program {program:3d}  " + "  ".join(f"{value:5.2f}" for value in levels), flush=True)
        print(f"{name:>10s}  median of the held chords  " + "  ".join(f"{value:5.2f}" for value in np.median(held, axis=0)))


if __name__ == "__main__":
    main()
