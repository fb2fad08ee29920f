"""How a family's generated notes unfold over time beside its real ones: loudness and brightness per segment.

    python benchmarks/family_envelopes.py --model default-teacher --data data/gm_semi512 \
        [--families "Synth Pad,Synth Lead,Synth Effects"] [--steps 8] [--limit 128] [--segment 0.25] [--threads 2]

For each family it takes the test prompts of ``latentaudio evaluate``'s standard section (the same ``--limit``
spread, so the same prompts), generates them (``--seed``, 0 by default) and prints, per ``--segment`` seconds, the median over the
family's clips of the level (dB below each clip's loudest segment) and of the spectral centroid, real clips above
generated ones. A family the judge hears as another (``family_heard_as`` in the report) often differs here first:
an attack where the real sound swells in, or a tail that falls away sooner.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from common import envelope_db, generation_parser, load_pipeline  # noqa: E402


def envelope(audio: np.ndarray, sample_rate: int, segment: float) -> tuple[np.ndarray, np.ndarray]:
    """(level in dB below the loudest segment, spectral centroid in Hz) of each whole ``segment`` of ``audio``."""
    import librosa

    level = envelope_db(np.asarray(audio, dtype=np.float32)[None], sample_rate, segment)[0]
    hop = round(segment * sample_rate)
    pieces = np.asarray(audio[: len(level) * hop], dtype=np.float32).reshape(len(level), hop)
    centroid = np.array([librosa.feature.spectral_centroid(y=piece, sr=sample_rate, n_fft=min(2048, hop), hop_length=hop,
                                                           center=False)[0].mean() for piece in pieces])
    return level, centroid


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=128, seconds=2.56)
    parser.set_defaults(model="default-teacher")
    parser.add_argument("--data", required=True, help="a dataset built by `latentaudio data soundfont`")
    parser.add_argument("--families", default="Synth Pad,Synth Lead,Synth Effects")
    parser.add_argument("--segment", type=float, default=0.25, help="seconds per printed segment")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import torch

    from latentaudio.evaluation.evaluate import generate_clips, load_clips

    clips = load_clips(args.data, "test", args.seconds, pipe.sample_rate, args.limit)
    print(f"{args.model} on {args.data}, {args.steps} steps, guidance {args.guidance:g}, seed {args.seed}; "
          f"medians per {args.segment:g} s")
    for family in (name.strip() for name in args.families.split(",")):
        chosen = [i for i, name in enumerate(clips.families) if name == family]
        if not chosen:
            print(f"\n{family}: no test prompt among the {len(clips)}")
            continue
        generated = generate_clips(pipe, [clips.texts[i] for i in chosen], args.steps, args.seconds, args.guidance, args.seed)
        rows = {"real": [envelope(clips.audio[i].numpy(), pipe.sample_rate, args.segment) for i in chosen],
                "generated": [envelope(clip.float().numpy(), pipe.sample_rate, args.segment) for clip in torch.unbind(generated)]}
        print(f"\n{family}, {len(chosen)} prompts (first: {clips.texts[chosen[0]]!r})")
        for what, column, unit in (("level", 0, "dB"), ("centroid", 1, "Hz")):
            for source, values in rows.items():
                median = np.median(np.stack([value[column] for value in values]), axis=0)
                print(f"  {what} ({unit}), {source:>9}: " + " ".join(f"{v:6.0f}" if unit == "Hz" else f"{v:6.1f}" for v in median))


if __name__ == "__main__":
    main()
