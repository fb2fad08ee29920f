"""Labelled spectrogram images (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_file


def check_plot_path(path) -> Path:
    """``path`` as a ``Path`` if matplotlib can write its format (by its suffix); ``ValueError`` otherwise.

    Called before any work is done, so a bad name fails before the audio is made.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    if path.suffix.lower().lstrip(".") not in formats:
        raise ValueError(f"Plot path {str(path)!r} must end in one of .{', .'.join(formats)} (e.g. .png).")
    return path


def plot_spectrograms(path, mels: list, spectrogram, titles: list[str], columns: int | None = None) -> Path:
    """Save log-mel spectrograms (each (n_mels, T), normalised as ``spectrogram`` makes them) side by side.

    Axes are labelled in seconds and Hz; colour is level in dB relative to full scale of the log-mel.
    ``columns`` lays them out in rows of that many (row by row); by default they make one row.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import librosa

    config = spectrogram.config
    mel_hz = librosa.mel_frequencies(config.n_mels + 2, fmin=config.f_min, fmax=config.f_max, htk=config.mel_scale == "htk")[1:-1]
    columns = len(mels) if columns is None else columns
    if not 1 <= columns <= len(mels):
        raise ValueError(f"columns={columns} must lie between 1 and the number of spectrograms ({len(mels)}).")
    rows = -(-len(mels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(mels):]:
        ax.set_axis_off()
    for ax, mel, title in zip(axes.flat, mels, titles):
        mel = torch.as_tensor(mel).detach().float().cpu()
        db = 20 / np.log(10) * spectrogram.denormalize(mel).numpy()  # natural-log magnitude → dB
        seconds = mel.shape[-1] * config.hop_length / config.sample_rate
        image = ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=db.max() - 80, vmax=db.max(),
                          extent=(0, seconds, 0, config.n_mels))
        ticks = np.linspace(0, config.n_mels - 1, 5).astype(int)
        ax.set_yticks(ticks + 0.5, [f"{mel_hz[t]:.0f}" for t in ticks])
        ax.set(title=title, xlabel="time (s)", ylabel="frequency (Hz, mel scale)")
        fig.colorbar(image, ax=ax, label="dB")
    fig.tight_layout()
    try:
        return save_figure(fig, path)
    finally:
        plt.close(fig)


def save_figure(fig, path) -> Path:
    """Save a matplotlib figure atomically, in the format its suffix names (``.png``, ``.pdf``, ``.svg``, ...).

    Raises:
        ValueError: The suffix names no format matplotlib writes, or the file cannot be written.
    """
    path = Path(path)
    image_format = path.suffix.lstrip(".").lower()
    if image_format not in fig.canvas.get_supported_filetypes():
        raise ValueError(f"Cannot write the plot to {path}: expected a suffix among "
                         f"{sorted('.' + name for name in fig.canvas.get_supported_filetypes())}.")
    try:
        with atomic_file(path) as temp:
            fig.savefig(temp, dpi=100, format=image_format)
    except OSError as error:
        raise ValueError(f"Cannot write the plot to {path}: {error}") from error
    return path
