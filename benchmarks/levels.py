"""How loud a model's takes come out against the real clips of the same prompts, and how often (and how far)
they pass full scale before the pipeline's limit (:func:`latentaudio.codec.limit_peaks`) turns them down.

For the test prompts of a SoundFont dataset, generates each prompt's mel as ``latentaudio evaluate``
seeds it (batch ``k`` seeded ``seed + k``), vocodes it without the limit, and prints:

- the level against the real clip of the same prompt: the median and interquartile range of the
  difference of their RMS, in dB;
- the takes whose peak passes full scale (1.0), how far each passes it, and the real clips that do.

    python benchmarks/levels.py --model latentaudio/default_model --data data/gm_dense2 [--limit 48] \\
        [--steps 20] [--seconds 2.56] [--threads 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import generation_parser, load_pipeline  # noqa: E402


def rms_db(audio: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.sqrt((audio.astype(np.float64) ** 2).mean(axis=1)) + 1e-9)


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=48, seconds=2.56)
    parser.add_argument("--data", required=True, help="SoundFont dataset (its test split)")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    from latentaudio.evaluation.evaluate import generate_clips, load_clips

    clips = load_clips(args.data, "test", args.seconds, pipe.sample_rate, args.limit)
    mels = generate_clips(pipe, clips.texts, args.steps, args.seconds, args.guidance, args.seed, output_type="mel")
    with torch.no_grad():
        audio = pipe.codec.vocode(mels, clips.audio.shape[1]).numpy()
    real = clips.audio.numpy()

    difference = rms_db(audio) - rms_db(real)
    peaks = np.abs(audio).max(axis=1)
    over = np.sort(20 * np.log10(peaks[peaks > 1.0]))
    print(f"{args.model}: {len(clips)} test prompts of {args.data} at {args.seconds:g} s, {args.steps} steps, "
          f"guidance {args.guidance:g}, seed {args.seed}")
    print(f"level against the real clip (generated minus real RMS): median {np.median(difference):+.1f} dB, "
          f"interquartile {np.percentile(difference, 25):+.1f} to {np.percentile(difference, 75):+.1f} dB")
    print(f"takes past full scale before the limit: {len(over)} of {len(audio)}"
          + (f", by {', '.join(f'{db:.1f}' for db in over)} dB (median {np.median(over):.1f} dB)" if len(over) else ""))
    print(f"real clips past full scale: {int((np.abs(real).max(axis=1) > 1.0).sum())} of {len(real)}")


if __name__ == "__main__":
    main()
