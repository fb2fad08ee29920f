"""Audio metrics shared by training, evaluation and the pipelines: Fréchet distance, spectral distances, pitch and
tempo estimation, and whether a clip has a beat to follow (the edits that keep a clip's tempo).

Every mel error here is in natural-log mel magnitude units (the spectrogram's normalisation
undone), so models with different ``norm_mean``/``norm_std`` are compared on one scale: an
error of 0.1 is a level error of about 10 % (0.87 dB) in every mel bin.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import scipy.linalg
import torch

from vocoder.losses import mel_l1_loss, multi_resolution_stft_distance

from .spectrogram import MelSpectrogram

TEMPO_HOP = 128  # samples between onset-envelope frames of estimate_tempo
# What a clip needs for clip_tempo to state its tempo: a bar at 120 bpm, and an onset envelope that repeats.
BEAT_MIN_SECONDS = 2.0
BEAT_MIN_CLARITY = 0.3
ONSET_MIN_DB = 0.5  # onset strength (mean log-mel rise, dB) an envelope's loudest 5 % must reach to hold onsets at all

# Pitch search range: the piano's A0 (MIDI 21) to C8 (MIDI 108), every GM program's range.
LOWEST_PITCH, HIGHEST_PITCH = 21, 108


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    r"""Fréchet distance between Gaussians fitted to two sets of embeddings.

    For means :math:`\mu_a, \mu_b` and covariances :math:`\Sigma_a, \Sigma_b` (Dowson & Landau 1982;
    the FID of Heusel et al. 2017, eq. 6; the Fréchet Audio Distance of Kilgour et al. 2019):

    .. math:: d^2 = \lVert \mu_a - \mu_b \rVert^2 + \operatorname{Tr}\big(\Sigma_a + \Sigma_b - 2 (\Sigma_a \Sigma_b)^{1/2}\big)

    The trace of the matrix square root is computed as
    :math:`\operatorname{Tr} (\Sigma_a^{1/2} \Sigma_b \Sigma_a^{1/2})^{1/2}`, equal because
    :math:`\Sigma_a \Sigma_b` and :math:`\Sigma_a^{1/2} \Sigma_b \Sigma_a^{1/2}` are similar matrices.
    Both roots come from ``scipy.linalg.eigh`` (for a symmetric positive semi-definite matrix, the
    root ``scipy.linalg.sqrtm`` computes; negative rounding noise in eigenvalues is clipped to 0).
    Unlike ``sqrtm(Σa @ Σb)`` this needs no imaginary-part clean-up and stays exact for the singular
    covariances of fewer clips than dimensions. The value is clamped at 0 against rounding.

    The estimate is biased upwards for small sets: only compare distances over the same number of clips.

    Args:
        a (`np.ndarray`): Embeddings (N, D), N >= 2.
        b (`np.ndarray`): Embeddings (M, D), M >= 2.

    Returns:
        `float`: The squared Fréchet distance, as FID and FAD report it.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"Embeddings must be (N, D) and (M, D) with the same D, got {a.shape} and {b.shape}.")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"A covariance needs at least 2 embeddings per set, got {len(a)} and {len(b)}.")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)  # (D, D), unbiased
    values, vectors = scipy.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T  # symmetric PSD square root
    middle = root_a @ cov_b @ root_a
    trace_root = np.sqrt(np.clip(scipy.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(distance, 0.0))


def log_mel_fn(spectrogram: MelSpectrogram):
    """Waveform (B, L) -> natural-log mel (B, n_mels, T): the spectrogram with its normalisation undone."""
    return lambda audio: spectrogram.denormalize(spectrogram(audio))


@torch.no_grad()
def mel_errors(spectrogram: MelSpectrogram, estimate: torch.Tensor, reference: torch.Tensor) -> dict:
    """Mean absolute and mean squared error between two normalised mels, in log-mel units.

    Args:
        spectrogram (`MelSpectrogram`): Made both mels; its ``norm_std`` is undone.
        estimate (`torch.Tensor`): Normalised log-mel (B, n_mels, T), e.g. a VAE reconstruction.
        reference (`torch.Tensor`): The mel it should equal, same shape.

    Returns:
        `dict`: ``{"mel_l1": float, "mel_mse": float}``.
    """
    if estimate.shape != reference.shape:
        raise ValueError(f"The mels differ in shape: {tuple(estimate.shape)} and {tuple(reference.shape)}.")
    difference = (spectrogram.denormalize(estimate.float()) - spectrogram.denormalize(reference.float()))
    return {"mel_l1": difference.abs().mean().item(), "mel_mse": difference.square().mean().item()}


def log_spectral_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Log-spectral distance in dB of two log-mels (natural log, (..., n_mels, T)): RMS over bins, mean over
    frames (the shorter one's)."""
    frames = min(a.shape[-1], b.shape[-1])
    difference_db = 20 / math.log(10) * (a[..., :frames] - b[..., :frames])
    return difference_db.pow(2).mean(-2).sqrt().mean().item()


@torch.no_grad()
def waveform_distances(spectrogram: MelSpectrogram, estimate: torch.Tensor, reference: torch.Tensor) -> dict:
    """How far audio is from a reference: log-mel L1 and the multi-resolution STFT distance.

    ``mel_l1`` is HiFi-GAN's mel loss (Kong et al. 2020, eq. 4) in log-mel units; ``mrstft`` is
    spectral convergence plus log-magnitude L1 over three STFT resolutions (Yamamoto et al. 2020,
    eq. 4-6), from :mod:`vocoder.losses`. Both are 0 for identical audio.

    Args:
        spectrogram (`MelSpectrogram`): Mel front end at the audio's sample rate.
        estimate (`torch.Tensor`): Audio (B, L), e.g. vocoded from the reference's mel.
        reference (`torch.Tensor`): Ground truth (B, L); L above 1024 samples.

    Returns:
        `dict`: ``{"mel_l1": float, "mrstft": float}``, averaged over the batch.
    """
    estimate, reference = estimate.float(), reference.float()
    return {
        "mel_l1": mel_l1_loss(log_mel_fn(spectrogram), estimate, reference).item(),
        "mrstft": multi_resolution_stft_distance(estimate, reference).item(),
    }


def estimate_pitch(audio: np.ndarray, sample_rate: int, frame_length: int = 2048, hop_length: int = 256,
                   level_db: float = -20.0) -> Optional[float]:
    """The fundamental of a one-shot note, in (fractional) MIDI pitch, or `None` when it has none.

    YIN (de Cheveigné & Kawahara 2002, via ``librosa.yin``) between A0 and C8 on every frame; the
    answer is the median over the note's *stable part*: the frames from the loudest one onwards
    (the attack's noise is skipped) that stay within ``level_db`` of it (the release tail and
    silence are skipped). On FluidR3_GM renders this finds 87 % of the notes of the melodic
    families within a semitone; the misses are mostly organ stops sounding an octave or two
    below the keyed note and the top notes near the Nyquist frequency.

    Args:
        audio (`np.ndarray`): Mono audio (L,).
        sample_rate (`int`): Its rate, in Hz.
        frame_length (`int`, defaults to 2048): YIN window, longer than two periods of A0 at 16 kHz.
        hop_length (`int`, defaults to 256): Samples between frames.
        level_db (`float`, defaults to -20): Frames quieter than the loudest by more than this are skipped.

    Returns:
        `float` or `None`: MIDI pitch (69 = A4 = 440 Hz); `None` for silent audio.
    """
    import librosa  # imported here: the rest of latentaudio does not need it

    audio = np.asarray(audio, np.float32)
    if not np.isfinite(audio).all() or np.abs(audio).max() < 1e-4:
        return None
    fmax = min(librosa.midi_to_hz(HIGHEST_PITCH), sample_rate / 2 * 0.99)
    f0 = librosa.yin(audio, fmin=librosa.midi_to_hz(LOWEST_PITCH), fmax=fmax, sr=sample_rate,
                     frame_length=frame_length, hop_length=hop_length)
    rms = librosa.feature.rms(y=audio, frame_length=frame_length, hop_length=hop_length)[0][: len(f0)]
    loudest = int(rms.argmax())
    stable = rms[loudest:] >= rms[loudest] * 10 ** (level_db / 20)
    return float(np.median(librosa.hz_to_midi(f0[loudest:][stable])))


def within_semitone(estimate: Optional[float], pitch: int) -> bool:
    """Whether an estimated MIDI pitch is at most one semitone from the prompted ``pitch``."""
    return estimate is not None and abs(estimate - pitch) <= 1.0


def onset_envelope(audio: np.ndarray, sample_rate: int) -> Optional[np.ndarray]:
    """librosa's onset strength of ``audio`` at a hop of :data:`TEMPO_HOP` samples, what :func:`estimate_tempo` and
    :func:`pulse_clarity` read; ``None`` for silence (or samples that are not finite)."""
    import librosa

    audio = np.asarray(audio, np.float32)
    if not np.isfinite(audio).all() or np.abs(audio).max(initial=0) < 1e-4:
        return None
    return librosa.onset.onset_strength(y=audio, sr=sample_rate, hop_length=TEMPO_HOP)


def estimate_tempo(audio: np.ndarray, sample_rate: int, envelope: Optional[np.ndarray] = None) -> Optional[float]:
    """The tempo in bpm by ``librosa.beat.beat_track`` (Ellis 2007; its default prior around 120 bpm), as
    estimated: octave errors are left in. The onset envelope has a hop of :data:`TEMPO_HOP` samples (8 ms
    at 16 kHz): at librosa's default 512 one lag step is 6 % of a beat at 120 bpm, coarser than the 4 %
    tolerance. On 300 training loops of ``latentaudio data drumloops --hours 2 --seed 0`` (FluidR3_GM,
    every style) it is within 4 % of the bpm for 72 % and within 4 % of it, its double or its half for 93 %
    (65 % and 90 % at the default hop); on 150 clips of the melodic builder (pads and chords of whole notes
    among them) 60 % and 73 % (53 % and 71 %). What is left is mostly the beat's octave (a 75 bpm loop of
    sixteenth hats heard at 150) and a few 3:2 readings of swung or triplet feels. `None` for silence.
    ``envelope``: ``audio``'s :func:`onset_envelope`, when the caller has it already."""
    import librosa

    envelope = onset_envelope(audio, sample_rate) if envelope is None else envelope
    if envelope is None:
        return None
    tempo, _ = librosa.beat.beat_track(onset_envelope=envelope, sr=sample_rate, hop_length=TEMPO_HOP)
    tempo = float(np.atleast_1d(tempo)[0])
    return tempo if tempo > 0 else None


def pulse_clarity(audio: np.ndarray, sample_rate: int, envelope: Optional[np.ndarray] = None) -> float:
    """How clearly ``audio`` has a beat: the highest autocorrelation of its onset envelope (:func:`onset_envelope`,
    its mean taken out) at a lag of 0.25-2 s (30-240 bpm), over its value at lag 0. On
    validation clips of the music builders, drum loops score 0.48-0.61 and melodic phrases with moving notes
    0.66-0.71; held chords (FluidR3_GM organ, strings, pad, choir, piano), pads and single sound effects 0-0.18.
    0 for silence and for an envelope without onsets, whose loudest 5 % stay below :data:`ONSET_MIN_DB` (a steady
    tone, whose envelope's tiny ripples can repeat; drum loops reach 2.5-4.4 there, phrases 0.9-2.0).
    ``envelope``: ``audio``'s :func:`onset_envelope`, when the caller has it already."""
    envelope = onset_envelope(audio, sample_rate) if envelope is None else envelope
    if envelope is None or np.percentile(envelope, 95) < ONSET_MIN_DB:
        return 0.0
    envelope = envelope - envelope.mean()
    correlation = np.correlate(envelope, envelope, "full")[len(envelope) - 1 :]
    shortest, longest = round(0.25 * sample_rate / TEMPO_HOP), round(2.0 * sample_rate / TEMPO_HOP)
    if correlation[0] <= 0 or len(correlation) <= shortest:
        return 0.0
    return float(correlation[shortest : longest + 1].max() / correlation[0])


def clip_tempo(audio: np.ndarray, sample_rate: int) -> Optional[float]:
    """The tempo of a clip that has a beat (:func:`estimate_tempo`), or ``None`` for one that has none to follow:
    shorter than :data:`BEAT_MIN_SECONDS`, or an onset envelope that does not repeat (:func:`pulse_clarity` below
    :data:`BEAT_MIN_CLARITY`: a held chord, a pad, a single effect), where the beat tracker still reads a tempo
    near its prior of 120 bpm. The envelope is computed once for both."""
    if len(audio) < BEAT_MIN_SECONDS * sample_rate:
        return None
    envelope = onset_envelope(audio, sample_rate)
    if pulse_clarity(audio, sample_rate, envelope) < BEAT_MIN_CLARITY:
        return None
    return estimate_tempo(audio, sample_rate, envelope)

