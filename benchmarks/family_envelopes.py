"""How a family's generated notes unfold over time beside its real ones: loudness and brightness per segment.

    python benchmarks/family_envelopes.py --model default-teacher --data data/gm_semi512 \
        [--families "Synth Pad,Synth Lead,Synth Effects"] [--steps 8] [--limit 128] [--segment 0.25]

For each family it takes the test prompts of ``latentaudio evaluate``'s standard section (the same ``--limit``
spread, so the same prompts), generates them (seed 0) and prints, per ``--segment`` seconds, the median over the
family's clips of the level (dB below each clip's loudest segment) and of the spectral centroid, real clips above
generated ones. A family the judge hears as another (``family_heard_as`` in the report) often differs here first:
an attack where the real sound swells in, or a tail that falls away sooner.
"""

from __future__ import annotations

import argparse

import numpy as np


def envelope(audio: np.ndarray, sample_rate: int, segment: float) -> tuple[np.ndarray, np.ndarray]:
    """(level in dB below the loudest segment, spectral centroid in Hz) of each whole ``segment`` of ``audio``."""
    import librosa

    hop = int(round(segment * sample_rate))
    count = len(audio) // hop
    if count == 0:
        raise ValueError(f"A clip of {len(audio)} samples is shorter than one {segment:g} s segment.")
    pieces = np.asarray(audio[: count * hop], dtype=np.float32).reshape(count, hop)
    level = 20 * np.log10(np.sqrt((pieces**2).mean(axis=1)) + 1e-6)
    centroid = np.array([librosa.feature.spectral_centroid(y=piece, sr=sample_rate, n_fft=min(2048, hop), hop_length=hop,
                                                           center=False)[0].mean() for piece in pieces])
    return level - level.max(), centroid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default-teacher", help="pipeline folder or embedded model name")
    parser.add_argument("--data", required=True, help="a dataset built by `latentaudio data soundfont`")
    parser.add_argument("--families", default="Synth Pad,Synth Lead,Synth Effects")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's own)")
    parser.add_argument("--guidance", type=float, default=None, help="guidance scale (default: the model's own)")
    parser.add_argument("--limit", type=int, default=128, help="test prompts spread as the evaluation spreads them")
    parser.add_argument("--seconds", type=float, default=2.56)
    parser.add_argument("--segment", type=float, default=0.25, help="seconds per printed segment")
    args = parser.parse_args()

    import torch

    from latentaudio.cli.common import load_model_now
    from latentaudio.evaluation.evaluate import generate_clips, load_clips

    pipe = load_model_now(args.model, runtime="torch")
    pipe.set_progress_bar_config(disable=True)
    steps, guidance = pipe.sampling_settings(args.steps, args.guidance)
    clips = load_clips(args.data, "test", args.seconds, pipe.sample_rate, args.limit)
    print(f"{args.model} on {args.data}, {steps} steps, guidance {guidance:g}, seed 0; medians per {args.segment:g} s")
    for family in (name.strip() for name in args.families.split(",")):
        chosen = [i for i, name in enumerate(clips.families) if name == family]
        if not chosen:
            print(f"\n{family}: no test prompt among the {len(clips)}")
            continue
        generated = generate_clips(pipe, [clips.texts[i] for i in chosen], steps, args.seconds, guidance, 0)
        rows = {"real": [envelope(clips.audio[i].numpy(), pipe.sample_rate, args.segment) for i in chosen],
                "generated": [envelope(clip.float().numpy(), pipe.sample_rate, args.segment) for clip in torch.unbind(generated)]}
        print(f"\n{family}, {len(chosen)} prompts (first: {clips.texts[chosen[0]]!r})")
        for what, column, unit in (("level", 0, "dB"), ("centroid", 1, "Hz")):
            for source, values in rows.items():
                median = np.median(np.stack([value[column] for value in values]), axis=0)
                print(f"  {what} ({unit}), {source:>9}: " + " ".join(f"{v:6.0f}" if unit == "Hz" else f"{v:6.1f}" for v in median))


if __name__ == "__main__":
    main()
