"""Provenance: the ``dataset_card.md`` every builder writes beside its metadata."""

from __future__ import annotations

import datetime
import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional

import soundfile as sf

from ..audio_io import PathLike

CARD_NAME = "dataset_card.md"


def write_dataset_card(
    out_dir: PathLike,
    title: str,
    source: str,
    licence: str,
    rows: list[dict],
    sample_rate: int,
    command: str,
    notes: Iterable[str] = (),
    skipped: Optional[dict[str, list[str]]] = None,
) -> Path:
    """Write ``dataset_card.md``: source, licence, counts, total duration, sample rate, command.

    Args:
        out_dir: The dataset folder, holding the files the rows name.
        title: First heading.
        source: Where the audio comes from (SoundFont path, corpus, folder).
        licence: The licence of the source material.
        rows: The metadata rows; durations are read from the files they name.
        sample_rate: Rate of the written audio.
        command: The exact command line that built the dataset.
        notes: Extra bullet points (level policy, split rule, ...).
        skipped: What was left out and why (reason -> names).
    """
    out_dir = Path(out_dir)
    seconds = sum(sf.info(str(out_dir / row["file_name"])).duration for row in rows)
    lines = [
        f"# {title}",
        "",
        f"- **Source:** {source}",
        f"- **Licence:** {licence}",
        f"- **Clips:** {len(rows)}",
        f"- **Total duration:** {seconds:.1f} s ({seconds / 3600:.2f} h)",
        f"- **Sample rate:** {sample_rate} Hz, mono",
        f"- **Built:** {datetime.date.today().isoformat()}",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
        "Layout: Hugging Face audiofolder (`metadata.jsonl` rows with `file_name`, `text` and the columns below).",
    ]
    for column in ("split", "category", "family", "style", "kind", "sfx_class", "collection"):
        counts = Counter(row.get(column) for row in rows if row.get(column) is not None)
        if counts:
            lines += ["", f"Clips per {column}:", ""] + [f"- {name}: {count}" for name, count in sorted(counts.items())]
    if rows:
        lines += ["", "Columns: " + ", ".join(f"`{key}`" for key in rows[0])]
    notes = list(notes)
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    if skipped:
        lines += ["", "Skipped:", ""]
        for reason, names in skipped.items():
            shown = ", ".join(names[:20]) + (f", ... ({len(names) - 20} more)" if len(names) > 20 else "")
            lines.append(f"- {reason} ({len(names)}): {shown}")
    path = out_dir / CARD_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def command_line(argv: Optional[list[str]] = None) -> str:
    """The command that is running, as a shell line (``latentaudio ...`` when run as the CLI)."""
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0]) if argv else Path()
    if program.name == "latentaudio" or (program.name == "__main__.py" and program.parent.name == "latentaudio"):
        return shlex.join(["latentaudio", *argv[1:]])
    return shlex.join(argv)


def python_call(function: str, **kwargs) -> str:
    """How a builder called from Python records itself when no command line is given."""
    return f"{function}({', '.join(f'{key}={value!r}' for key, value in kwargs.items())})"
