"""How far the pitch embedding alone moves the note: prompts that state no note, generated with the pitch
features of several notes forced in, and the pitch estimated from each take.

A pitch-conditioned model whose U-Net follows its embedding gives each forced note back (within a semitone,
octave errors of the estimator aside); one whose U-Net reads the note only from the text gives the same pitch
for every forced note. Only the note features change between the takes of a prompt: same text, same seed.

    python benchmarks/pitch_control.py --model runs/pitch_release [--notes 48,60,72,84] [--steps 20] [--threads 2]
"""

from __future__ import annotations

import os
from unittest import mock

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402

PROMPTS = ("a moderately loud acoustic grand piano note", "a moderately loud flute note", "a moderately loud violin note",
           "a moderately loud electric bass note", "a moderately loud trumpet note", "a moderately loud church organ note")


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=len(PROMPTS), seconds=2.56)
    parser.add_argument("--notes", default="48,60,72,84", help="MIDI notes whose features are forced in")
    args = parser.parse_args()
    pipe = load_pipeline(args, runtime="torch")
    if not pipe.config.get("pitch_conditioning"):
        raise SystemExit(f"{args.model} has no pitch embedding (pitch_conditioning is off).")

    import numpy as np
    import torch

    import latentaudio.note_features as note_features
    from latentaudio.metrics import estimate_pitch

    notes = [int(note) for note in args.notes.split(",")]
    print(f"{args.model}: estimated MIDI pitch of each take, {args.steps} steps, guidance {args.guidance:g}, seed {args.seed}")
    print("| prompt (no note in the text) | " + " | ".join(f"forced {note}" for note in notes) + " |")
    print("|---|" + "---|" * len(notes))
    followed = 0
    for prompt in PROMPTS[: args.limit]:
        row = []
        for note in notes:
            # the conditioner reads each prompt's note through note_features.prompt_notes: give it this note instead
            with mock.patch.object(note_features, "prompt_notes", lambda prompts, note=note: [note if p else None for p in prompts]):
                audio = pipe(prompt, num_inference_steps=args.steps, guidance_scale=args.guidance, audio_length_in_s=args.seconds,
                             generator=torch.Generator().manual_seed(args.seed)).audios[0]
            estimate = estimate_pitch(np.asarray(audio), pipe.sample_rate)
            followed += estimate is not None and abs(estimate - note) <= 1
            row.append("–" if estimate is None else f"{estimate:.1f}")
        print(f"| {prompt} | " + " | ".join(row) + " |")
    print(f"takes within a semitone of the forced note: {followed} of {len(notes) * len(PROMPTS[: args.limit])}")


if __name__ == "__main__":
    main()
