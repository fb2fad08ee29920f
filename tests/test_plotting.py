"""Spectrogram figures: the layout a caller asks for, and a one-line refusal of an impossible one."""

import matplotlib.image
import pytest
import torch

from latentaudio.plotting import plot_spectrograms
from latentaudio.spectrogram import MelSpectrogram


@pytest.fixture
def mels():
    spectrogram = MelSpectrogram()
    tone = torch.sin(2 * torch.pi * 440 * torch.arange(8000) / spectrogram.config.sample_rate)
    return spectrogram, [spectrogram(tone), spectrogram(0.5 * tone), spectrogram(tone[:4000])]


def test_spectrograms_make_one_row_by_default_and_rows_of_the_columns_asked_for(tmp_path, mels):
    spectrogram, three = mels
    row = matplotlib.image.imread(plot_spectrograms(tmp_path / "row.png", three, spectrogram, ["a", "b", "c"]))
    grid = matplotlib.image.imread(plot_spectrograms(tmp_path / "grid.png", three, spectrogram, ["a", "b", "c"], columns=2))
    # 4.5 x 3.2 inches a panel at 100 dpi: three across, then two across and two down (the fourth cell left blank)
    assert row.shape[:2] == (320, 1350)
    assert grid.shape[:2] == (640, 900)


@pytest.mark.parametrize("columns", [0, 4])
def test_a_grid_wider_than_the_spectrograms_or_empty_is_refused(tmp_path, mels, columns):
    spectrogram, three = mels
    with pytest.raises(ValueError, match=f"columns={columns} must lie between 1 and the number of spectrograms \\(3\\)"):
        plot_spectrograms(tmp_path / "grid.png", three, spectrogram, ["a", "b", "c"], columns=columns)
    assert not (tmp_path / "grid.png").exists()
