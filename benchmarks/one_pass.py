"""Long clips in one pass against overlapping windows: U-Net calls, time and whether sounds still decay.

For the test prompts of a SoundFont dataset rendered at the long length (e.g. ``latentaudio data
soundfont --seconds 5.12 --hold 1.28``), generates each prompt twice with the same seeds: in one pass,
as a model trained on variable lengths does (``longest_trained_length_in_s``), and in the overlapping
windows of the U-Net's clip that a model without it uses. Prints per path:

- U-Net calls per batch and seconds per clip;
- the envelope: each clip's RMS in 0.5 s segments, in dB below its loudest segment (floored at -60);
  its mean absolute difference from the real clip of the same prompt, the median level of the last
  1.5 s (the tail: a held note released at 1.28 s has decayed there), and the share of clips that
  attack again (a segment 6 dB louder than the one before it, after the loudest);

and the same envelope figures for the real clips.

    python benchmarks/one_pass.py --model latentaudio/default_model --data data/gm_dense512 [--limit 48] \\
        [--steps 20] [--seconds 5.12] [--threads 2]
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from common import envelope_db, generation_parser, load_pipeline  # noqa: E402

SEGMENT_SECONDS = 0.5
FLOOR_DB = -60.0
TAIL_SECONDS = 1.5
BATCH_SIZE = 8  # prompts per pipeline call


def attacks_again(envelope: np.ndarray, rise_db: float = 6.0) -> np.ndarray:
    """Per clip: some segment after the loudest is ``rise_db`` louder than the segment before it."""
    rises = np.diff(envelope, axis=1)
    after_peak = np.arange(rises.shape[1])[None, :] >= envelope.argmax(axis=1)[:, None]
    return ((rises > rise_db) & after_peak).any(axis=1)


def summary(envelope: np.ndarray, real: np.ndarray) -> dict:
    tail = envelope[:, -round(TAIL_SECONDS / SEGMENT_SECONDS):].mean(axis=1)
    return {"envelope_error_db": float(np.abs(envelope - real).mean()), "tail_db": float(np.median(tail)),
            "attacks_again": float(attacks_again(envelope).mean())}


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=48, seconds=5.12)
    parser.add_argument("--data", required=True, help="SoundFont dataset rendered at --seconds (test split)")
    args = parser.parse_args()
    pipe = load_pipeline(args, runtime="torch")

    from latentaudio.evaluation.evaluate import generate_clips, load_clips

    clips = load_clips(args.data, "test", args.seconds, pipe.sample_rate, args.limit)
    real = envelope_db(clips.audio.numpy(), pipe.sample_rate, SEGMENT_SECONDS, FLOOR_DB)
    one_pass_seconds = pipe.one_pass_length_in_s
    print(f"{args.model}: clip {pipe.default_audio_length_in_s:g} s, one pass up to {one_pass_seconds:g} s; "
          f"{len(clips)} test prompts of {args.data} at {args.seconds:g} s, {args.steps} steps, {args.threads} threads")
    if one_pass_seconds < args.seconds:
        print(f"(this model has not trained on {args.seconds:g} s: its 'one pass' row runs windows too)")

    calls = [0]
    pipe.unet.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    longest = pipe.config.get("longest_trained_length_in_s")
    rows = {}
    for name, trained_length in (("one pass", longest), ("windows of the clip", None)):
        pipe.register_to_config(longest_trained_length_in_s=trained_length)
        calls[0] = 0
        started = time.perf_counter()
        audio = generate_clips(pipe, clips.texts, args.steps, args.seconds, args.guidance, args.seed, BATCH_SIZE)
        wall = (time.perf_counter() - started) / len(clips)
        batches = -(-len(clips) // BATCH_SIZE)
        rows[name] = {"unet_calls_per_batch": calls[0] / batches, "seconds_per_clip": wall,
                      **summary(envelope_db(audio.numpy(), pipe.sample_rate, SEGMENT_SECONDS, FLOOR_DB), real)}
    pipe.register_to_config(longest_trained_length_in_s=longest)

    print("\n| path | U-Net calls per batch | s per clip | envelope error (dB) | tail level (dB) | attacks again |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['unet_calls_per_batch']:.0f} | {row['seconds_per_clip']:.2f} | {row['envelope_error_db']:.1f} | "
              f"{row['tail_db']:.1f} | {row['attacks_again']:.0%} |")
    reference = summary(real, real)
    print(f"| real test clips | – | – | 0.0 | {reference['tail_db']:.1f} | {reference['attacks_again']:.0%} |")
    print(f"\nEnvelope: RMS per {SEGMENT_SECONDS:g} s below the clip's loudest segment, floored at {FLOOR_DB:g} dB; "
          f"tail: the median of the last {TAIL_SECONDS:g} s; attacks again: a segment 6 dB above the one before it, "
          f"after the loudest. One pass against windows, side by side: "
          f"{rows['windows of the clip']['seconds_per_clip'] / rows['one pass']['seconds_per_clip']:.2f}x faster.")


if __name__ == "__main__":
    main()
