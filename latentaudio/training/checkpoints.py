"""Resumable training state in ``OUTPUT/checkpoints/``: atomic, rotated, newest-complete resume.

Layout::

    checkpoints/
      checkpoint-00000200/          a complete checkpoint
        model.safetensors, model_1.safetensors, ...   trained modules (accelerate, safetensors)
        optimizer.bin, scheduler.bin, ...             optimizers and LR schedules (accelerate)
        random_states_<process>.pkl                  every process's RNG states (accelerate)
        ema.safetensors                              trainer extras (EMA weights), when any
        trainer_state.json                           step, data position, loss history; written last
      .partial-checkpoint-00000400/ one being written; never read, removed on the next start

A checkpoint is written under its ``.partial-`` name, every file flushed to disk, and only then
renamed to ``checkpoint-<step>``: a rename within one folder is atomic, so a run killed at any
moment leaves either the previous checkpoints or a new complete one. Only folders whose name
parses and which hold ``trainer_state.json`` count as complete. After each save the oldest
complete checkpoints beyond ``keep`` are deleted, never the newest.

Everything accelerate loads goes through its ``torch.load(weights_only=True)`` path; the extras
are safetensors and JSON, so resuming never unpickles arbitrary objects.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

STATE_FILE = "trainer_state.json"
STATE_FORMAT = "latentaudio-training-state/1"
PREFIX = "checkpoint-"
PARTIAL = ".partial-"


@dataclass
class TrainerState:
    """What a checkpoint records beside the tensors."""

    trainer: str  # "vae", "vocoder" or "diffusion"; a checkpoint only resumes its own trainer
    step: int = 0  # optimizer updates done
    position: int = 0  # items of the data stream consumed, all processes together
    history: list = field(default_factory=list)  # [step, {loss: mean since the last log}] per log point
    extra: dict = field(default_factory=dict)  # trainer-specific counters (e.g. the EMA's step)


class CheckpointFolder:
    """Saves and finds checkpoints; every process calls :meth:`save`, the main one writes the files.

    Args:
        folder: ``OUTPUT/checkpoints``.
        keep (`int`): Complete checkpoints to keep.
        accelerator (`accelerate.Accelerator`): Saves and loads the prepared objects.
    """

    def __init__(self, folder, keep: int, accelerator):
        self.folder, self.keep, self.accelerator = Path(folder), keep, accelerator

    def complete(self) -> list[Path]:
        """Complete checkpoints, oldest first."""
        if not self.folder.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.folder.iterdir()
                 if (m := re.fullmatch(rf"{PREFIX}(\d+)", p.name)) and (p / STATE_FILE).is_file()]
        return [path for _, path in sorted(found)]

    def newest(self) -> Optional[Path]:
        checkpoints = self.complete()
        return checkpoints[-1] if checkpoints else None

    def remove_partial(self) -> None:
        """Delete what a killed run left half-written (main process, before training starts)."""
        if self.accelerator.is_main_process and self.folder.is_dir():
            for path in self.folder.glob(f"{PARTIAL}*"):
                shutil.rmtree(path, ignore_errors=True)
        self.accelerator.wait_for_everyone()

    def save(self, state: TrainerState, write_extra: Callable[[Path, TrainerState], None]) -> Path:
        """Write a checkpoint of ``state`` atomically and rotate old ones; returns its folder.

        ``write_extra(folder, state)`` adds the trainer's own files and may fill ``state.extra``.
        """
        final = self.folder / f"{PREFIX}{state.step:08d}"
        if (final / STATE_FILE).is_file():  # this step is saved already (a resumed, finished run)
            return final
        partial = self.folder / f"{PARTIAL}{final.name}"
        if self.accelerator.is_main_process:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
        self.accelerator.wait_for_everyone()
        self.accelerator.save_state(str(partial), safe_serialization=True)  # every process: its RNG states
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            write_extra(partial, state)
            (partial / STATE_FILE).write_text(json.dumps({"format": STATE_FORMAT, **asdict(state)}, indent=1))
            _sync_tree(partial)
            os.replace(partial, final)
            _sync_dir(self.folder)
            for old in self.complete()[: -self.keep]:
                shutil.rmtree(old, ignore_errors=True)
        self.accelerator.wait_for_everyone()
        return final

    def load(self, path: Path, trainer: str) -> TrainerState:
        """Restore the prepared objects and RNG states from ``path``; returns its trainer state."""
        values = json.loads((path / STATE_FILE).read_text())
        if values.pop("format", None) != STATE_FORMAT:
            raise ValueError(f"{path} is not a checkpoint this version can read (expected format {STATE_FORMAT}).")
        state = TrainerState(**values)
        if state.trainer != trainer:
            raise ValueError(
                f"{path} is a checkpoint of the {state.trainer} trainer, not of the {trainer} trainer; "
                "resume it with `latentaudio train " + state.trainer + "`, or choose another --output."
            )
        self.accelerator.load_state(str(path))
        return state


def _sync_tree(folder: Path) -> None:
    """Flush every file under ``folder`` to disk, so the rename publishes finished bytes."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _sync_dir(folder)


def _sync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
