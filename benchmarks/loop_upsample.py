"""Restoring the high bands of a drum loop: how close does ``upsample`` bring a low-passed loop to the original?

Takes ``--limit`` drum loops of the test split (``--split``) of a ``latentaudio data drumloops`` dataset (evenly
spread), their first ``--seconds``. Each is low-passed at ``--cutoff`` Hz (every frequency above removed) and
restored by ``LatentAudioSuperResolutionPipeline`` with that cutoff and no prompt, as ``latentaudio upsample
loop.wav --cutoff C`` runs it. Reported, as medians over the loops: the log-spectral distance in dB
(:func:`~latentaudio.metrics.log_spectral_distance`, on the model's log-mel) of the low-passed loop and of the
restored take to the original, over the mel bins above the cutoff (what was removed) and over all bins.

    python benchmarks/loop_upsample.py --model music --data data/drumloops-0[,data/drumloops-1] \\
        [--limit 12] [--seconds 5.12] [--cutoff 3000] [--steps 20] [--threads 2] [--split validation]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_split_argument, generation_parser  # noqa: E402
from music_edits import chosen_rows, loop_edit_setup  # noqa: E402


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=12, seconds=5.12)
    parser.add_argument("--data", required=True, help="`latentaudio data drumloops` datasets, comma-separated")
    parser.add_argument("--cutoff", type=float, default=3000.0, help="Hz above which each loop is removed (default 3000)")
    add_split_argument(parser, "test")
    args = parser.parse_args()

    import numpy as np
    import torch

    from latentaudio import LatentAudioSuperResolutionPipeline
    from latentaudio.metrics import log_spectral_distance

    pipe, upsample, clips = loop_edit_setup(args, LatentAudioSuperResolutionPipeline)
    length = round(args.seconds * pipe.sample_rate)
    chosen = chosen_rows(clips, "drum loop", args.limit, length)
    removed = slice(upsample.known_bins(args.cutoff)[0], None)  # the mel bins above the cutoff
    print(f"{len(chosen)} {args.split} drum loops, {args.seconds:g} s, low-passed at {args.cutoff:g} Hz, {args.steps} steps")
    scores = []  # (low-passed, restored) x (above the cutoff, all bins)
    for k, i in enumerate(chosen):
        original = clips.audio[i][:length].float()
        spectrum = torch.fft.rfft(original)
        spectrum[torch.fft.rfftfreq(length, 1 / pipe.sample_rate) > args.cutoff] = 0
        low = torch.fft.irfft(spectrum, n=length)
        take = upsample(low, cutoff_hz=args.cutoff, num_inference_steps=args.steps, guidance_scale=args.guidance,
                        generator=torch.Generator().manual_seed(args.seed + k), output_type="pt").audios
        target, before, after = (upsample.audio_mel(audio.reshape(1, -1), length)[0] for audio in (original, low, take))
        scores.append([log_spectral_distance(mel[removed], target[removed]) for mel in (before, after)]
                      + [log_spectral_distance(mel, target) for mel in (before, after)])
        row = clips.rows[i]
        print(f"  {row['tempo']:>3} bpm {row['style']:<14} above the cutoff {scores[-1][0]:5.1f} -> {scores[-1][1]:5.1f} dB, "
              f"all bins {scores[-1][2]:5.1f} -> {scores[-1][3]:5.1f} dB", flush=True)
    above_before, above_after, all_before, all_after = np.median(np.array(scores), axis=0)
    print("\n| log-spectral distance to the original (median, dB) | low-passed | restored |\n|---|---|---|")
    print(f"| mel bins above {args.cutoff:g} Hz | {above_before:.1f} | {above_after:.1f} |")
    print(f"| all bins | {all_before:.1f} | {all_after:.1f} |")


if __name__ == "__main__":
    main()
