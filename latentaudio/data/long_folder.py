"""Turn a folder of long recordings into a captioned audiofolder of fixed-length clips.

Every usable file (see :func:`~latentaudio.data.report.scan_folder`: bad files are reported,
never silently dropped) is resampled to mono at the target rate and cut into back-to-back
windows of ``seconds``. Windows quieter than ``silent_db`` RMS are skipped, and so is the
unfinished tail, unless the whole recording is shorter than one clip, which is then
zero-padded. Levels are kept as recorded. Each clip keeps its recording's caption (from the
source metadata or folder names) and metadata columns, and gains ``source_file``, ``clip``
and ``start_seconds``. Without a ``split`` column in the source, one is added that holds out
whole recordings (80 / 10 / 10 % of them for a seed, with three or more recordings).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ..audio_io import PathLike, read_audio, write_audio
from .card import python_call, write_dataset_card
from .output import (
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SECONDS,
    SILENT_WINDOW_DB,
    BuildResult,
    assign_splits,
    cut_clips,
    write_metadata,
)
from .report import NoUsableAudioError, scan_folder

def clip_long_folder(
    src: PathLike,
    out_dir: PathLike,
    seconds: float = DEFAULT_SECONDS,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    silent_db: float = SILENT_WINDOW_DB,
    seed: int = 0,
    command: Optional[str] = None,
):
    """Cut the recordings of ``src`` into clips in ``out_dir``, with ``metadata.jsonl`` and a card.

    Args:
        src: An audiofolder of long recordings (metadata or folder-name captions).
        out_dir: Output folder (created); must not be ``src`` or inside it.
        seconds: Clip length.
        sample_rate: Output rate in Hz.
        silent_db: Windows with a lower RMS level (dBFS) are skipped.
        seed: Seeds the split assignment when the source has no ``split`` column.
        command: The command line to record in the card.

    Returns:
        `BuildResult`: the rows written and what was skipped.

    Raises:
        NoUsableAudioError: ``src`` holds no usable audio, or no window is loud enough.
    """
    # 1. check inputs and scan the source
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds}.")
    src, out_dir = Path(src), Path(out_dir)
    if out_dir.resolve() == src.resolve() or src.resolve() in out_dir.resolve().parents:
        raise ValueError(f"The output folder {out_dir} must not be the source folder {src} or inside it.")
    entries, report = scan_folder(src)
    if not entries:
        raise NoUsableAudioError(f"No usable audio in {src}.\n{report.format()}")
    has_split = any(entry.columns.get("split") is not None for entry in entries)
    splits = {} if has_split else assign_splits([entry.file_name for entry in entries], seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    num_samples = round(seconds * sample_rate)

    # 2. cut every recording
    result = BuildResult(out_dir, rows=[], skipped=dict(report.problems))
    for entry in entries:
        audio, _ = read_audio(entry.path, sample_rate=sample_rate)
        clips = cut_clips(audio.numpy(), num_samples, silent_db)
        if not clips:
            result.skipped.setdefault(f"no window above {silent_db:.0f} dBFS", []).append(entry.file_name)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", str(Path(entry.file_name).with_suffix("")).replace("/", "__"))
        for index, (start, clip) in enumerate(clips):
            file_name = f"{stem}-{index:04d}.wav"
            write_audio(out_dir / file_name, clip, sample_rate, durable=False)
            row = {"file_name": file_name, "text": entry.text, **entry.columns}
            if not has_split:
                row["split"] = splits[entry.file_name]
            row.update(source_file=entry.file_name, clip=index, start_seconds=start / sample_rate)
            result.rows.append(row)

    # 3. metadata and card
    if not result.rows:
        raise NoUsableAudioError(f"No window of {src} is louder than {silent_db} dBFS RMS.")
    write_metadata(out_dir, result.rows)
    command = command or python_call(
        "clip_long_folder", src=str(src), out_dir=str(out_dir), seconds=seconds, sample_rate=sample_rate,
        silent_db=silent_db, seed=seed,
    )
    write_dataset_card(
        out_dir,
        title=f"Clips of {src.name}",
        source=f"{len(entries)} recordings in {src}",
        licence="that of the source recordings (not recorded by latentaudio; fill in)",
        rows=result.rows,
        sample_rate=sample_rate,
        command=command,
        notes=[
            f"Back-to-back {seconds} s windows; windows below {silent_db:.0f} dBFS RMS and unfinished tails dropped; "
            "levels as recorded.",
            "Captions from the source metadata, else from folder names."
            + ("" if has_split else f" Splits hold out whole recordings (seed {seed})."),
        ],
        skipped=result.skipped,
    )
    return result
