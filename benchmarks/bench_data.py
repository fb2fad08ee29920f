"""Data-layer throughput on CPU: rendering and loading.

Prints:

* SoundFont render throughput: seconds of audio written per wall-clock second, for
  ``--programs`` GM programs (plus the standard drum kit) at the default pitches and
  velocities, including the WAV writing and the dataset card;
* music21 render throughput for ``--pieces`` Bach chorales (parsing included);
* loader throughput in clips per second through a ``DataLoader`` (batch 16, main process,
  random 2 s crops, the default 64-bin mel): without a cache; with a cold mel cache (first
  epoch, writing it); with a warm cache; and with a warm cache and ``return_audio=False``
  (the diffusion-training path, which reads no audio at all).

    python benchmarks/bench_data.py [--programs 16] [--pieces 2] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402


def audio_seconds(rows, out_dir: Path) -> float:
    import soundfile as sf

    return sum(sf.info(str(out_dir / row["file_name"])).duration for row in rows)


def bench_soundfont(out_dir: Path, programs: int) -> None:
    from latentaudio.data import render_soundfont_dataset

    start = time.perf_counter()
    # Spread the programs over the families: 0, 8, 16, ... then 1, 9, ...
    chosen = sorted((p * 8) % 128 + (p * 8) // 128 for p in range(programs))
    result = render_soundfont_dataset(out_dir, programs=chosen, kits=(0,))
    elapsed = time.perf_counter() - start
    seconds = audio_seconds(result.rows, out_dir)
    print(f"soundfont render: {len(result.rows)} clips, {seconds:.0f} s of audio in {elapsed:.1f} s "
          f"-> {seconds / elapsed:.0f} audio-seconds/s")


def bench_music21(out_dir: Path, pieces: int) -> None:
    from latentaudio.data import render_music21_dataset

    start = time.perf_counter()
    result = render_music21_dataset("bach", out_dir, limit=pieces)
    elapsed = time.perf_counter() - start
    seconds = audio_seconds(result.rows, out_dir)
    print(f"music21 render:   {pieces} chorales, {len(result.rows)} clips, {seconds:.0f} s of audio in {elapsed:.1f} s "
          f"-> {seconds / elapsed:.0f} audio-seconds/s (parsing included)")


def clips_per_second(dataset, epochs: int) -> float:
    from torch.utils.data import DataLoader

    from latentaudio.data import collate_audio

    loader = DataLoader(dataset, batch_size=16, shuffle=True, collate_fn=collate_audio)
    start, clips = time.perf_counter(), 0
    for _ in range(epochs):
        for batch in loader:
            clips += batch["mel"].shape[0]
    return clips / (time.perf_counter() - start)


def bench_loader(root: Path, cache: Path, epochs: int) -> None:
    from latentaudio.data import AudioFolderDataset
    from latentaudio.spectrogram import MelSpectrogram

    spectrogram = MelSpectrogram()
    settings = dict(spectrogram=spectrogram, seconds=2.0, random_crop=True)
    figures = {
        "no cache": clips_per_second(AudioFolderDataset(root, **settings), epochs),
        "cold mel cache (writing)": clips_per_second(AudioFolderDataset(root, cache_dir=cache, **settings), 1),
        "warm mel cache": clips_per_second(AudioFolderDataset(root, cache_dir=cache, **settings), epochs),
        "warm mel cache, no audio": clips_per_second(
            AudioFolderDataset(root, cache_dir=cache, return_audio=False, **settings), epochs
        ),
    }
    count = len(AudioFolderDataset(root, seconds=2.0))
    print(f"loader ({count} clips, batch 16, 2 s crops, 64 mels, main process):")
    for name, value in figures.items():
        print(f"  {name:<26} {value:7.0f} clips/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", type=int, default=16, help="GM programs to render (default 16, one per family)")
    parser.add_argument("--pieces", type=int, default=2, help="Bach chorales to render (default 2)")
    parser.add_argument("--epochs", type=int, default=2, help="loader epochs per figure (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(f"torch threads: {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        bench_soundfont(folder / "gm", args.programs)
        bench_music21(folder / "bach", args.pieces)
        bench_loader(folder / "gm", folder / "cache", args.epochs)


if __name__ == "__main__":
    main()
