"""Stereo widening with the embedded default model: inter-channel correlation and the mid's distance to the input.

For real SoundFont notes (FluidR3_GM), each width gives the correlation of left and right and the
mid channel's distance to the input, ``mean |(L + R) / 2 - x| / mean |x|``. The target: at width 1 the correlation is at most 0.7 while the mid stays as close to the
input as before.

    python benchmarks/stereo_width.py [--steps 20] [--widths 0,0.5,0.8,1]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

NOTES = {"piano": (0, 60), "organ": (19, 60), "strings": (48, 57), "flute": (73, 72)}
SAMPLE_RATE = 16000


def render_notes() -> dict:
    from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer

    notes = {}
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, SAMPLE_RATE) as synth:
        for name, (program, pitch) in NOTES.items():
            synth.select(0, 0, program)
            audio = synth.one_shot(0, pitch, 100, SAMPLE_RATE, SAMPLE_RATE)
            notes[name] = torch.from_numpy(0.8 * audio / np.abs(audio).max()).float()
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--widths", default="0,0.5,0.8,1")
    args = parser.parse_args()
    from latentaudio import DEFAULT_MODEL, LatentAudioPipeline, LatentAudioStereoWideningPipeline

    torch.set_num_threads(1)
    pipe = LatentAudioStereoWideningPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
    pipe.set_progress_bar_config(disable=True)
    widths = [float(w) for w in args.widths.split(",")]
    print(f"{'note':8s} " + " ".join(f"corr@{w:g} mid@{w:g}" for w in widths))
    for name, mono in render_notes().items():
        row = []
        for width in widths:
            left, right = pipe(mono, width=width, num_inference_steps=args.steps,
                               generator=torch.Generator().manual_seed(0), output_type="pt").audios[0]
            corr = np.corrcoef(left.numpy(), right.numpy())[0, 1]
            mid = ((left + right) / 2 - mono).abs().mean() / mono.abs().mean()
            row.append(f"{corr:10.3f} {mid:6.3f}")
        print(f"{name:8s} " + " ".join(row))


if __name__ == "__main__":
    main()
