"""What atomic writing costs: audio files and pipeline folders, atomic (flushed, renamed) beside plain.

Prints, as medians of ``--repeats`` rounds that alternate the two ways in one process (so that the
load of a shared machine falls on both alike):

* milliseconds per 0.5 s, 16 kHz WAV file: ``write_audio`` (temporary sibling, fsync, rename,
  folder fsync), ``write_audio(durable=False)`` (what dataset renderers use: no fsync) and a plain
  ``soundfile.write``, and the ratios to plain;
* milliseconds per ``save_pretrained`` of the tiny pipeline (``configs/tiny.yaml``) over an existing
  folder: atomic (beside, flushed, swapped whole) and diffusers' plain in-place save, and their ratio.

    python benchmarks/bench_atomic.py [--files 100] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100, help="WAV files per round")
    parser.add_argument("--repeats", type=int, default=5, help="rounds (medians are printed)")
    args = parser.parse_args()

    from diffusers import DiffusionPipeline

    from latentaudio.audio_io import write_audio
    from latentaudio.builder import build_pipeline, load_config

    audio = (0.1 * np.random.default_rng(0).standard_normal(8000)).astype(np.float32)
    pipe = build_pipeline(load_config(REPO / "configs" / "tiny.yaml"), seed=0)
    times = {"atomic wav": [], "unflushed wav": [], "plain wav": [], "atomic save": [], "plain save": []}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pipe.save_pretrained(folder / "atomic")
        pipe.save_pretrained(folder / "plain")
        for _ in range(args.repeats):
            times["atomic wav"].append(timed(lambda: [write_audio(folder / f"a{i}.wav", audio, 16000)
                                                      for i in range(args.files)]) / args.files)
            times["unflushed wav"].append(timed(lambda: [write_audio(folder / f"u{i}.wav", audio, 16000, durable=False)
                                                         for i in range(args.files)]) / args.files)
            times["plain wav"].append(timed(lambda: [sf.write(str(folder / f"p{i}.wav"), audio, 16000)
                                                     for i in range(args.files)]) / args.files)
            times["atomic save"].append(timed(lambda: pipe.save_pretrained(folder / "atomic")))
            times["plain save"].append(timed(lambda: DiffusionPipeline.save_pretrained(pipe, folder / "plain")))
    median = {name: 1000 * statistics.median(values) for name, values in times.items()}
    plain = median["plain wav"]
    print(f"WAV file (0.5 s, 16 kHz): atomic {median['atomic wav']:.2f} ms ({median['atomic wav'] / plain:.2f}x plain), "
          f"atomic unflushed {median['unflushed wav']:.2f} ms ({median['unflushed wav'] / plain:.2f}x), plain {plain:.2f} ms")
    print(f"save_pretrained (tiny pipeline): atomic {median['atomic save']:.0f} ms, plain {median['plain save']:.0f} ms, "
          f"ratio {median['atomic save'] / median['plain save']:.2f}")


if __name__ == "__main__":
    main()
