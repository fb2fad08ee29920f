"""Key channels: the key a prompt states, as the spectrum of its notes beside the latent.

The structured embedding (:mod:`.pitch`) gives the U-Net the stated key as one vector (the tonic's
pitch class, the scale's pitch classes, the mode) added to the timestep embedding of every block.
To play in that key the U-Net must turn the vector into frequencies: which mel bins the scale's
notes and their harmonics light up, different in every octave. Key channels state those places
directly, as beat-phase channels (:mod:`.beat`) state where the beats fall in time. For a
pitch-class weighting ``w`` (12,) the *key spectrum* over the mel bins is

    S_w = w · P,        P[c] = Σ_{MIDI m ≡ c (mod 12)} Σ_h (1/h) · mel(h · f(m))

``P`` (12, n_mels) is the mel response of every note of a pitch class from C1 to B7 with its first
:data:`HARMONICS` harmonics (amplitude 1/h), read through the pipeline's own mel filterbank. Two
weightings make two spectra: the scale (its seven pitch classes, which relative keys share) and
the tonic triad (tonic, third, fifth: C major and A minor differ here), each centred so that notes
out of the key count against it, then scaled to unit RMS over the bins. A latent bin covers several
mel bins (the VAE halves the frequency axis at every level), so each spectrum enters as
:data:`KEY_SUBBINS` channels, one for each mel bin inside a latent bin, constant over time:
:data:`KEY_CHANNELS` in all, after the beat-phase channels. They are zero where no key is stated.

They are read from the U-Net's ``class_labels`` (the key columns of
:data:`~latentaudio.note_features.MUSIC_FEATURES`), so a prompt without a key, the unconditional
half of guidance and the trainer's ``music_dropout`` give zero channels, as for the beat.
"""

from __future__ import annotations

import weakref
from typing import Optional

import numpy as np
import torch

from ..note_features import FEATURE_WIDTHS, TEMPO_FEATURES

__all__ = ["HARMONICS", "KEY_CHANNELS", "KEY_SUBBINS", "key_channels", "key_spectra", "pitch_class_spectra"]

HARMONICS = 8
KEY_SUBBINS = 4  # mel bins per latent bin of the music model's VAE (64 mel bins, 16 latent bins)
KEY_CHANNELS = 2 * KEY_SUBBINS  # the scale's spectrum and the tonic triad's
KEY_COLUMN = FEATURE_WIDTHS[1] + TEMPO_FEATURES  # the key's "stated" flag, the tonic (12, one-hot), the scale (12)
NOTES = range(24, 108)  # C1 to B7


_SPECTRA: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # spectrogram module -> its P, computed once


def pitch_class_spectra(spectrogram) -> torch.Tensor:
    """``P`` (12, n_mels): the mel response of each pitch class (every octave, :data:`HARMONICS` harmonics)
    through ``spectrogram``'s filterbank (a :class:`~latentaudio.spectrogram.MelSpectrogram`), computed on the
    first call for that module (every U-Net call of a key-channel model asks for it)."""
    spectra = _SPECTRA.get(spectrogram)
    if spectra is None:
        fb = spectrogram.transform.mel_scale.fb.detach().cpu().float().numpy()  # (n_freqs, n_mels)
        hz_per_bin = spectrogram.sample_rate / 2 / (len(fb) - 1)
        table = np.zeros((12, fb.shape[1]))
        for note in NOTES:
            for harmonic in range(1, HARMONICS + 1):
                position = 440.0 * 2 ** ((note - 69) / 12) * harmonic / hz_per_bin
                if position >= len(fb) - 1:
                    break
                low, frac = int(position), position - int(position)  # the filterbank's response between two STFT bins
                table[note % 12] += ((1 - frac) * fb[low] + frac * fb[low + 1]) / harmonic
        spectra = _SPECTRA[spectrogram] = torch.from_numpy(table.astype(np.float32))
    return spectra


def _centred(weights: torch.Tensor) -> torch.Tensor:
    return weights - weights.mean(dim=-1, keepdim=True)


def key_spectra(class_labels: torch.Tensor, spectra: torch.Tensor) -> torch.Tensor:
    """The scale's and the tonic triad's spectra (B, 2, n_mels) of the key each row of the structured
    features (B, 253) states, unit RMS over the bins; zeros where none is stated. ``spectra``: :func:`pitch_class_spectra`."""
    labels = class_labels.float()
    stated = labels[:, KEY_COLUMN]
    tonic = labels[:, KEY_COLUMN + 1 : KEY_COLUMN + 13]  # one-hot, C first
    scale = labels[:, KEY_COLUMN + 13 : KEY_COLUMN + 25]
    major = (scale * torch.roll(tonic, 4, dims=-1)).sum(-1, keepdim=True)  # the scale holds the major third
    triad = tonic + torch.roll(tonic, 7, dims=-1) + major * torch.roll(tonic, 4, dims=-1) + (1 - major) * torch.roll(tonic, 3, dims=-1)
    spectrum = torch.stack([_centred(scale), _centred(triad)], dim=1) @ spectra.to(labels.device)  # (B, 2, n_mels)
    rms = spectrum.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-6)
    return spectrum / rms * stated[:, None, None]


def key_channels(class_labels: Optional[torch.Tensor], rows: int, frames: int, bins: int,
                 spectra: Optional[torch.Tensor]) -> torch.Tensor:
    """Key channels (rows, KEY_CHANNELS, frames, bins), float32: the :func:`key_spectra` resampled to
    ``KEY_SUBBINS`` values a latent bin, those as channels, the same at every frame; zeros where no key is
    stated (and everywhere when ``class_labels`` is ``None``)."""
    if class_labels is None:
        return torch.zeros(rows, KEY_CHANNELS, frames, bins)
    if spectra is None:
        raise ValueError("Key channels need the pipeline's mel filterbank (pitch_class_spectra(spectrogram)); got None.")
    spectrum = key_spectra(class_labels, spectra)  # (B, 2, n_mels)
    if spectrum.shape[-1] != bins * KEY_SUBBINS:
        spectrum = torch.nn.functional.interpolate(spectrum, size=bins * KEY_SUBBINS, mode="linear", align_corners=False)
    channels = spectrum.reshape(len(spectrum), 2, bins, KEY_SUBBINS).transpose(2, 3).reshape(len(spectrum), KEY_CHANNELS, bins)
    return channels[:, :, None, :].expand(-1, -1, frames, -1)
