"""Watching a run: a progress bar, TensorBoard logs and the loss-curve PNG.

TensorBoard goes through accelerate's tracker (``OUTPUT/logs/<trainer>/``): scalars every
``log_every`` steps (each loss averaged since the last log, the learning rates, examples per
second), validation metrics, mel images and audio. Only the main process writes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import yaml
from tqdm.auto import tqdm

from ..plotting import save_figure
from .checkpoints import TrainerState


class Monitor:
    """Progress bar and TensorBoard for one run.

    Args:
        accelerator (`accelerate.Accelerator`): Built with ``log_with="tensorboard"``.
        name (`str`): Trainer name, the TensorBoard run.
        config: The trainer's config (logged once as text).
        state (`TrainerState`): Where the run starts; its history grows with every log.
        max_steps (`int`): Length of the run.
        examples_per_step (`int`): Clips per optimizer update over every process.
        log_every (`int`): Steps between logs.
    """

    def __init__(self, accelerator, name: str, config, state: TrainerState, max_steps: int, examples_per_step: int,
                 log_every: int):
        self.accelerator, self.state = accelerator, state
        self.examples_per_step, self.log_every = examples_per_step, log_every
        accelerator.init_trackers(name)
        if accelerator.is_main_process:
            self.writer.add_text("config", f"```\n{yaml.safe_dump(config.to_dict(), sort_keys=False)}```", state.step)
        self.bar = tqdm(total=max_steps, initial=state.step, desc=f"train {name}", unit="step",
                        disable=not accelerator.is_local_main_process, dynamic_ncols=True)
        self._sums: dict[str, float] = {}
        self._count = 0
        self._since = time.perf_counter()

    @property
    def writer(self):
        """The TensorBoard ``SummaryWriter`` (main process only)."""
        return self.accelerator.get_tracker("tensorboard", unwrap=True)

    @property
    def examples_per_second(self) -> float:
        return self._count * self.examples_per_step / max(time.perf_counter() - self._since, 1e-9)

    def step(self, losses: dict[str, float], learning_rates: dict[str, float]) -> None:
        """Record one finished optimizer update (``self.state.step`` already counts it)."""
        for name, value in losses.items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._count += 1
        postfix = {**{name: f"{value:.4g}" for name, value in losses.items()}, "ex/s": f"{self.examples_per_second:.1f}"}
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update()
        if self.state.step % self.log_every == 0:
            self.flush(learning_rates)

    def flush(self, learning_rates: Optional[dict[str, float]] = None) -> None:
        """Log the averages since the last log and start a new window."""
        if not self._count:
            return
        means = {name: total / self._count for name, total in self._sums.items()}
        self.state.history.append([self.state.step, means])
        scalars = {f"loss/{k}": v for k, v in means.items()}
        scalars.update({f"lr/{k}": v for k, v in (learning_rates or {}).items()})
        scalars["examples_per_second"] = self.examples_per_second
        self.accelerator.log(scalars, step=self.state.step)
        self._sums, self._count, self._since = {}, 0, time.perf_counter()

    def metrics(self, values: dict[str, float]) -> None:
        self.accelerator.log({f"validation/{k}": v for k, v in values.items()}, step=self.state.step)

    def audio(self, tag: str, audio: torch.Tensor, sample_rate: int) -> None:
        if self.accelerator.is_main_process:
            self.writer.add_audio(tag, audio.detach().float().cpu().clamp(-1, 1).reshape(-1), self.state.step, sample_rate)

    def mel(self, tag: str, mel: torch.Tensor) -> None:
        """A (n_mels, T) mel as a grey image, low frequencies at the bottom."""
        if self.accelerator.is_main_process:
            image = mel.detach().float().cpu().flip(0)
            image = (image - image.min()) / (image.max() - image.min()).clamp(min=1e-8)
            self.writer.add_image(tag, image, self.state.step, dataformats="HW")

    def close(self) -> None:
        self.bar.close()
        self.accelerator.end_training()


def plot_loss_curves(history: list, path) -> Optional[Path]:
    """One panel per loss of ``history`` (``[step, {name: value}]`` rows); ``None`` without data."""
    if not history:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({name for _, values in history for name in values})
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        points = np.array([(step, values[name]) for step, values in history if name in values])
        ax.plot(points[:, 0], points[:, 1])
        if (points[:, 1] > 0).all() and points[:, 1].max() > 10 * points[:, 1].min():
            ax.set_yscale("log")
        ax.set(title=name, xlabel="step", ylabel="loss")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.tight_layout()
    try:
        return save_figure(fig, path)
    finally:
        plt.close(fig)
