"""How long the music model's data builders take on this CPU, per hour of audio written.

For each builder (drum loops, melodic material, sound effects) it builds ``--hours`` of audio
``--repeats`` times into a temporary folder (one process, one core) and prints the median
wall-clock seconds, the audio written, and the seconds it takes per hour of audio (wall / audio
hours), with every run's figure. The melodic builder's first run also reads the music21 corpus
metadata (once per process); its time is printed apart.

    python benchmarks/bench_music_data.py [--hours 0.2] [--repeats 3] [--kinds drumloops,melodic,sfx] [--music21-share S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def builders():
    from latentaudio.data.drumloops import render_drum_loop_dataset
    from latentaudio.data.melodic import render_melodic_dataset
    from latentaudio.data.sfx import render_sfx_dataset

    return {"drumloops": render_drum_loop_dataset, "melodic": render_melodic_dataset, "sfx": render_sfx_dataset}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=0.2, help="hours of audio per run (default 0.2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per builder (default 3)")
    parser.add_argument("--kinds", default="drumloops,melodic,sfx")
    parser.add_argument("--music21-share", type=float, default=None, help="melodic share of corpus excerpts (default the builder's)")
    args = parser.parse_args()
    table = builders()
    if "melodic" in args.kinds and args.music21_share != 0:
        from latentaudio.data.melodic import CORPUS
        from latentaudio.data.music21_render import corpus_entries

        start = time.perf_counter()
        for name in CORPUS:
            corpus_entries(name)
        print(f"music21 corpus metadata (once per process): {time.perf_counter() - start:.1f} s")
    for kind in args.kinds.split(","):
        per_hour = []
        for repeat in range(args.repeats):
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                extra = {"music21_share": args.music21_share} if kind == "melodic" and args.music21_share is not None else {}
                result = table[kind](Path(folder) / kind, hours=args.hours, seed=repeat, **extra)
                wall = time.perf_counter() - start
            audio_hours = sum(row["seconds"] for row in result.rows) / 3600
            per_hour.append(wall / audio_hours)
            print(f"  {kind} run {repeat}: {wall:.1f} s for {len(result.rows)} clips, {audio_hours * 60:.1f} min of audio "
                  f"-> {wall / audio_hours:.0f} s per hour; skipped {sum(map(len, result.skipped.values()))}")
        print(f"{kind}: median {statistics.median(per_hour):.0f} s per hour of audio "
              f"({statistics.median(per_hour) / 60:.1f} min), runs {[round(x) for x in per_hour]}")


if __name__ == "__main__":
    main()
