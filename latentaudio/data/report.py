"""Scanning an audio folder: which files are usable, and a report on every one that is not.

A folder follows the Hugging Face *audiofolder* convention: audio files plus, optionally, a
``metadata.jsonl`` (or ``metadata.csv``) whose rows name a ``file_name`` relative to the
metadata file and usually a ``text`` caption; any other columns are kept.

* With metadata, the rows are the dataset (as in ``datasets``); audio files that no row names
  are reported as ``unlisted`` and not used. A row without ``text`` (or with an empty one)
  is uncaptioned and serves unconditional training.
* Without metadata, every audio file is used and its caption is made from the folders
  between the root and the file: ``root/brass/muted trumpet/x.wav`` -> ``"brass, muted
  trumpet"`` (underscores and hyphens become spaces). Files directly in the root are
  uncaptioned.
* Hidden files and folders (names starting with ``.``) are ignored, so a cache may live
  inside the folder.

Nothing here raises on bad data. Every file that cannot be used is skipped and named in the
:class:`DataReport` under one reason (:data:`PROBLEMS`).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import soundfile as sf

from ..audio_io import AudioFileError, PathLike, read_audio

METADATA_FILES = ("metadata.jsonl", "metadata.csv")
# Every format libsndfile reads, plus the usual alternative spellings.
AUDIO_EXTENSIONS = frozenset(
    [f".{name.lower()}" for name in sf.available_formats()] + [".mp3", ".opus", ".oga", ".aif", ".wave"]
)

# Why a file was skipped; the order is the order of the report.
PROBLEMS = {
    "unreadable": "cannot be decoded (corrupt or not audio)",
    "empty": "zero-length file or no samples",
    "nonfinite": "holds NaN or infinite samples",
    "silent": "all samples below the silence threshold",
    "missing": "named in metadata but not found",
    "unsafe_path": "absolute path, '..' or a symbolic link escapes the folder",
    "bad_row": "metadata row without a usable file_name",
    "duplicate": "named by more than one metadata row",
    "unlisted": "audio file that no metadata row names",
}


class NoUsableAudioError(ValueError):
    """A folder holds no usable audio; the message carries the report."""


@dataclass
class AudioEntry:
    """One usable file, as scanned."""

    path: Path  # absolute path of the audio file
    file_name: str  # path relative to the dataset root, with "/" separators
    text: str  # caption, "" when uncaptioned
    columns: dict[str, Any]  # the other metadata columns (None where a row lacks one)
    num_frames: int  # length at the file's own sample rate
    sample_rate: int  # the file's sample rate
    peak: float  # largest absolute sample

    @property
    def seconds(self) -> float:
        return self.num_frames / self.sample_rate

    @property
    def wordings(self) -> list[str]:
        """Its caption and the varied wordings of its ``captions`` column, which training samples from."""
        return [self.text, *(self.columns.get("captions") or [])]


@dataclass
class DataReport:
    """What a scan found: the usable count and, per problem, the names skipped."""

    root: Path
    usable: int = 0
    usable_seconds: float = 0.0
    uncaptioned: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, problem: str, name: str) -> None:
        if problem not in PROBLEMS:
            raise ValueError(f"Unknown problem {problem!r}; expected one of {list(PROBLEMS)}.")
        self.problems.setdefault(problem, []).append(name)

    @property
    def skipped(self) -> int:
        return sum(len(names) for names in self.problems.values())

    def format(self, max_names: int = 10) -> str:
        """A readable summary: counts, then each problem with up to ``max_names`` names."""
        lines = [
            f"{self.root}: {self.usable} usable audio files ({self.usable_seconds:.1f} s, "
            f"{self.uncaptioned} uncaptioned), {self.skipped} skipped"
        ]
        for problem, description in PROBLEMS.items():
            names = self.problems.get(problem, [])
            if names:
                shown = ", ".join(names[:max_names]) + (f", ... ({len(names) - max_names} more)" if len(names) > max_names else "")
                lines.append(f"  {problem} ({len(names)}: {description}): {shown}")
        return "\n".join(lines)


def scan_folder(root: PathLike, silence_threshold: float = 1e-4) -> tuple[list[AudioEntry], DataReport]:
    """Find the usable files of an audio folder and report the others.

    Every audio file is read once (at its own rate) to check it decodes, is not empty, holds
    no NaN/inf and peaks at or above ``silence_threshold``.

    Args:
        root: The dataset folder.
        silence_threshold: Files whose absolute peak is below this (default 1e-4, -80 dBFS)
            count as silent.

    Returns:
        ``(entries, report)``: usable files in a stable order, and the report.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: A folder holds both a ``metadata.jsonl`` and a ``metadata.csv``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Dataset folder not found: {root}")
    report = DataReport(root=root)
    audio_files = sorted(_visible_files(root, lambda p: p.suffix.lower() in AUDIO_EXTENSIONS))
    metadata_files = _metadata_files(root)
    if metadata_files:
        rows = _rows_from_metadata(root, metadata_files, report)
        listed = {_relative(root, path) for path, _ in rows}
        for path in audio_files:
            if _relative(root, path) not in listed:
                report.add("unlisted", _relative(root, path))
    else:
        rows = [(path, {"text": _caption_from_folders(root, path)}) for path in audio_files]

    column_names = sorted({key for _, row in rows for key in row} - {"file_name", "text"})
    entries = []
    inside = root.resolve()
    for path, row in rows:
        name = _relative(root, path)
        if not path.resolve().is_relative_to(inside):  # a link (of the file or a folder on its way) that leaves
            report.add("unsafe_path", name)
            continue
        checked = _check_audio(path, silence_threshold)
        if isinstance(checked, str):
            report.add(checked, name)
            continue
        num_frames, rate, peak = checked
        text = row.get("text")
        text = "" if text is None else str(text).strip()
        columns = {key: row.get(key) for key in column_names}
        entries.append(AudioEntry(path, name, text, columns, num_frames, rate, peak))
        report.usable += 1
        report.usable_seconds += num_frames / rate
        report.uncaptioned += not text
    return entries, report


def _visible_files(root: Path, keep) -> list[Path]:
    """The files under ``root`` that ``keep`` takes, outside hidden files and folders. Symbolic links to folders are
    followed (a dataset may link in sample folders kept elsewhere), each real folder once, so a link back up the
    tree ends there."""
    found, seen = [], set()
    for folder, subfolders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        found += [path for name in files if not name.startswith(".") and (path := Path(folder) / name).is_file() and keep(path)]
    return found


def _metadata_files(root: Path) -> list[Path]:
    found = sorted(_visible_files(root, lambda p: p.name in METADATA_FILES))
    folders = [path.parent for path in found]
    for folder in set(folders):
        if folders.count(folder) > 1:
            raise ValueError(
                f"{folder} holds both metadata.jsonl and metadata.csv; keep one (the audiofolder convention allows one per folder)."
            )
    return found


def _rows_from_metadata(root: Path, metadata_files: list[Path], report: DataReport) -> list[tuple[Path, dict]]:
    """(audio path, row) for each usable row; unsafe, missing, malformed and duplicate rows go to the report."""
    rows, seen = [], set()
    for metadata in metadata_files:
        where = _relative(root, metadata)
        for line_number, row in _read_rows(metadata):
            file_name = row.get("file_name") if isinstance(row, dict) else None
            if not isinstance(file_name, str) or not file_name.strip():
                report.add("bad_row", f"{where}:{line_number}")
                continue
            if _is_unsafe(file_name):
                report.add("unsafe_path", file_name)
                continue
            path = metadata.parent / file_name
            name = _relative(root, path)
            if not path.is_file():
                report.add("missing", name)
            elif name in seen:
                report.add("duplicate", name)
            else:
                seen.add(name)
                rows.append((path, row))
    return rows


def _read_rows(metadata: Path):
    """Yield (line number, row) pairs; a row that is not a JSON object is yielded as None."""
    with open(metadata, newline="", encoding="utf-8") as handle:
        if metadata.suffix == ".csv":
            # Column values stay strings, as written.
            for line_number, row in enumerate(csv.DictReader(handle), start=2):
                yield line_number, row
            return
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_number, json.loads(line)
            except json.JSONDecodeError:
                yield line_number, None


def _is_unsafe(file_name: str) -> bool:
    """Absolute paths (POSIX or Windows) and any '..' component may escape the folder."""
    normalised = file_name.replace("\\", "/")
    path = PurePosixPath(normalised)
    return path.is_absolute() or ".." in path.parts or (len(normalised) > 1 and normalised[1] == ":")


def _check_audio(path: Path, silence_threshold: float) -> tuple[int, int, float] | str:
    """(frames, rate, peak) of a usable file, or the name of its problem."""
    try:
        if path.stat().st_size == 0:
            return "empty"
        audio, rate = read_audio(path, mono=False)  # (C, L)
    except AudioFileError as error:
        return error.reason
    except OSError:
        return "unreadable"
    peak = float(audio.abs().max())
    if peak < silence_threshold:
        return "silent"
    return audio.shape[-1], rate, peak


def _caption_from_folders(root: Path, path: Path) -> str:
    folders = path.relative_to(root).parts[:-1]
    return ", ".join(" ".join(part.replace("_", " ").replace("-", " ").split()) for part in folders)


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)

