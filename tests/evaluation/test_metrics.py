"""Fréchet distance, spectral distances and pitch estimation."""

import json

import numpy as np
import pytest
import scipy.linalg
import soundfile as sf
import torch

from latentaudio.metrics import estimate_pitch, frechet_distance, mel_errors, waveform_distances, within_semitone
from latentaudio.spectrogram import MelSpectrogram


def embeddings(seed: int, count: int = 200, dim: int = 8, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim)) * scale
    return rng.normal(size=(count, dim)) @ mixing


def test_frechet_distance_is_zero_for_identical_sets():
    a = embeddings(0)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_a_mean_shift_is_its_squared_length():
    a = embeddings(0)
    distances = [frechet_distance(a, a + shift) for shift in (0.5, 1.0, 2.0)]
    # Same covariance: only ||mu_a - mu_b||^2 = D * shift^2 remains.
    assert distances == pytest.approx([8 * 0.25, 8 * 1.0, 8 * 4.0], rel=1e-6)


def test_frechet_distance_is_symmetric_and_matches_the_sqrtm_formula():
    a, b = embeddings(1), embeddings(2, scale=1.5) + 0.3
    forward, backward = frechet_distance(a, b), frechet_distance(b, a)
    assert forward > 1.0
    assert forward == pytest.approx(backward, rel=1e-6)
    # Heusel et al.'s direct form, fine for these well-conditioned covariances.
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    direct = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(scipy.linalg.sqrtm(cov_a @ cov_b)))
    assert forward == pytest.approx(direct, rel=1e-6)


def test_frechet_distance_handles_fewer_clips_than_dimensions_and_rejects_single_clips():
    a, b = embeddings(3, count=4, dim=16), embeddings(4, count=4, dim=16)
    assert np.isfinite(frechet_distance(a, b)) and frechet_distance(a, b) > 0
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(a[:1], b)
    with pytest.raises(ValueError, match="same D"):
        frechet_distance(a, b[:, :8])


def test_spectral_distances_rank_a_clean_copy_above_noisy_ones():
    spectrogram = MelSpectrogram(norm_mean=-4.0, norm_std=4.0)
    t = torch.arange(8000) / 16000
    clean = (0.5 * torch.sin(2 * torch.pi * 440 * t) * torch.exp(-3 * t))[None]
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    slightly, very = clean + 0.01 * noise, clean + 0.1 * noise
    same = waveform_distances(spectrogram, clean, clean)
    assert same["mel_l1"] == pytest.approx(0.0, abs=1e-6) and same["mrstft"] == pytest.approx(0.0, abs=1e-5)
    slight, strong = waveform_distances(spectrogram, slightly, clean), waveform_distances(spectrogram, very, clean)
    assert 0 < slight["mel_l1"] < strong["mel_l1"]
    assert 0 < slight["mrstft"] < strong["mrstft"]


def test_mel_errors_are_in_log_mel_units():
    spectrogram = MelSpectrogram(norm_mean=-4.0, norm_std=4.0)
    mel = torch.randn(2, 64, 10)
    errors = mel_errors(spectrogram, mel + 0.25, mel)  # 0.25 normalised = 1 nat with norm_std 4
    assert errors["mel_l1"] == pytest.approx(1.0) and errors["mel_mse"] == pytest.approx(1.0)
    assert mel_errors(spectrogram, mel, mel) == {"mel_l1": 0.0, "mel_mse": 0.0}


def test_pitch_of_rendered_soundfont_notes(gm_eval_data):
    rows = [json.loads(line) for line in (gm_eval_data / "metadata.jsonl").read_text().splitlines()]
    # Fingered bass, trumpet and flute: low, middle and high registers of real FluidR3_GM samples.
    notes = [row for row in rows if row["program"] in (33, 56, 73) and row["family"] != "Drums"]
    assert len(notes) >= 30
    found = []
    for row in notes:
        audio, rate = sf.read(gm_eval_data / row["file_name"], dtype="float32")
        estimate = estimate_pitch(audio, rate)
        found.append(within_semitone(estimate, row["pitch"]))
        if found[-1]:
            assert not within_semitone(estimate, row["pitch"] + 12), "an octave off must not count"
    assert np.mean(found) >= 0.9, f"only {np.mean(found):.0%} of the notes were found within a semitone"


def test_pitch_of_a_pure_tone_and_of_silence():
    t = np.arange(16000) / 16000
    a4 = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    assert estimate_pitch(a4, 16000) == pytest.approx(69.0, abs=0.1)
    assert estimate_pitch(np.zeros(16000, np.float32), 16000) is None
    assert not within_semitone(None, 69)
