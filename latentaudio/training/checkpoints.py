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

Resuming heals itself: :meth:`CheckpointFolder.newest_intact` checks the newest checkpoint before
anything loads from it — ``trainer_state.json`` parses, every file has the size recorded when it
was written, safetensors headers cover their files, accelerate's zip archives pass their CRCs —
and a damaged one is named, renamed aside to ``damaged-checkpoint-<step>`` (kept, never read
again) and the previous intact checkpoint is used. ``trainer_state.json`` also records the
settings the run trains with (the training config and a digest of the model folder); a resume
whose settings differ names each difference and stops unless changes are allowed.
"""

from __future__ import annotations

import json
import os
import pickletools
import re
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from safetensors import safe_open

from ..atomic import publish_folder, sync_tree

STATE_FILE = "trainer_state.json"
STATE_FORMAT = "latentaudio-training-state/1"
PREFIX = "checkpoint-"
PARTIAL = ".partial-"
DAMAGED = "damaged-"


class DamagedCheckpointError(ValueError):
    """A checkpoint folder that cannot be resumed from: unreadable state, truncated or corrupt files."""


@dataclass
class TrainerState:
    """What a checkpoint records beside the tensors."""

    trainer: str  # "vae", "vocoder" or "diffusion"; a checkpoint only resumes its own trainer
    step: int = 0  # optimizer updates done
    position: int = 0  # items of the data stream consumed, all processes together
    history: list = field(default_factory=list)  # [step, {loss: mean since the last log}] per log point
    extra: dict = field(default_factory=dict)  # trainer-specific counters (e.g. the EMA's step)
    settings: dict = field(default_factory=dict)  # what the run trains with; a resume compares them
    files: dict = field(default_factory=dict)  # every file's size in bytes when written (integrity check)


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
            state.files = {str(p.relative_to(partial)): p.stat().st_size for p in sorted(partial.rglob("*")) if p.is_file()}
            (partial / STATE_FILE).write_text(json.dumps({"format": STATE_FORMAT, **asdict(state)}, indent=1))
            sync_tree(partial)
            publish_folder(partial, final)
            shutil.rmtree(partial, ignore_errors=True)  # what stood at `final` without a state file, if anything
            for old in self.complete()[: -self.keep]:
                shutil.rmtree(old, ignore_errors=True)
        self.accelerator.wait_for_everyone()
        return final

    def read_state(self, path: Path, trainer: str) -> TrainerState:
        """The trainer state recorded in checkpoint ``path``.

        Raises:
            DamagedCheckpointError: ``trainer_state.json`` is unreadable or not a state this version reads.
            ValueError: The checkpoint belongs to another trainer.
        """
        state_file = path / STATE_FILE
        try:
            values = json.loads(state_file.read_text())
            if not isinstance(values, dict) or values.pop("format", None) != STATE_FORMAT:
                raise ValueError(f"not a training state of format {STATE_FORMAT}")
            state = TrainerState(**values)
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as error:
            raise DamagedCheckpointError(f"{state_file} cannot be read: {error}") from error
        if state.trainer != trainer:
            raise ValueError(
                f"{path} is a checkpoint of the {state.trainer} trainer, not of the {trainer} trainer; "
                "resume it with `latentaudio train " + state.trainer + "`, or choose another --output."
            )
        return state

    def verify(self, path: Path, state: TrainerState) -> None:
        """Check the files of checkpoint ``path`` without loading them (sizes, safetensors headers, zip CRCs).

        Raises:
            DamagedCheckpointError: Naming the first damaged file.
        """
        for name, size in state.files.items():
            file = path / name
            if not file.is_file() or file.stat().st_size != size:
                found = file.stat().st_size if file.is_file() else "missing"
                raise DamagedCheckpointError(f"{file} was written with {size} bytes, found {found}")
        for file in sorted(path.rglob("*")):
            try:
                if file.suffix == ".safetensors":
                    with safe_open(str(file), framework="pt") as handle:
                        handle.keys()
                elif file.suffix in (".bin", ".pkl") and zipfile.is_zipfile(file):  # torch.save's archives
                    with zipfile.ZipFile(file) as archive:
                        bad = archive.testzip()
                    if bad is not None:
                        raise ValueError(f"member {bad} fails its CRC")
                elif file.suffix in (".bin", ".pkl"):  # an older plain pickle
                    with open(file, "rb") as handle:
                        for _ in pickletools.genops(handle):  # reads opcodes; nothing is unpickled
                            pass
            except Exception as error:  # safetensors, zipfile and pickletools each raise their own types
                raise DamagedCheckpointError(f"{file} is damaged: {error}") from error

    def newest_intact(self, trainer: str) -> tuple[Optional[Path], Optional[TrainerState]]:
        """The newest checkpoint that reads and verifies, with its state; ``(None, None)`` when there is none.

        Damaged checkpoints newer than it are reported by name and renamed aside to
        ``damaged-checkpoint-<step>`` (kept for inspection, never read again, and out of the way
        of the run's next save of that step); every process checks, the main process renames.

        Raises:
            DamagedCheckpointError: There are checkpoints, but none is intact (nothing is renamed).
        """
        damaged = []
        found = (None, None)
        for path in reversed(self.complete()):
            try:
                state = self.read_state(path, trainer)
                self.verify(path, state)
            except DamagedCheckpointError as error:
                damaged.append((path, error))
                continue
            found = (path, state)
            break
        if damaged and found[0] is None:
            raise DamagedCheckpointError(
                f"No intact checkpoint in {self.folder}: {'; '.join(str(error) for _, error in damaged)}. "
                "Move them away to start from step 0."
            )
        self.accelerator.wait_for_everyone()
        for path, error in damaged:
            if self.accelerator.is_main_process:
                aside = path.with_name(DAMAGED + path.name)
                shutil.rmtree(aside, ignore_errors=True)
                os.replace(path, aside)
                print(f"Checkpoint {path.name} is damaged ({error}); set aside as {aside.name}, "
                      f"resuming from {found[0].name} instead.")
        self.accelerator.wait_for_everyone()
        return found

    def load(self, path: Path, state: TrainerState) -> None:
        """Restore the prepared objects and RNG states from checkpoint ``path`` (read by :meth:`read_state`).

        Raises:
            ValueError: The checkpoint's tensors do not fit the modules being trained.
        """
        try:
            self.accelerator.load_state(str(path))
        except RuntimeError as error:  # e.g. size mismatches of another model's weights
            detail = str(error).strip().splitlines()[0]
            raise ValueError(f"Cannot resume from {path}: its weights do not fit this run's model ({detail}).") from error


def changed_settings(recorded: dict, current: dict) -> list[str]:
    """``"name: old → new"`` for each setting that differs (settings one side lacks are left out)."""
    return [f"{name}: {recorded[name]!r} → {current[name]!r}" for name in sorted(recorded.keys() & current.keys())
            if recorded[name] != current[name]]
