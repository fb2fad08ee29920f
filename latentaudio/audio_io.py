"""Reading, writing and converting audio with soundfile and torchaudio's resampler.

torch and torchaudio are imported by the functions that use them: writing a file needs neither,
so the torch-free generator (:mod:`latentaudio.standalone`) writes its takes through here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import numpy as np
import soundfile as sf

from .atomic import atomic_file

if TYPE_CHECKING:
    import torch

    from .sample_info import SampleInfo

PathLike = Union[str, os.PathLike]

# The files a take can be written as, by suffix: soundfile's format name for each (16-bit PCM for WAV and AIFF).
WRITABLE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3", ".aiff": "AIFF", ".aif": "AIFF"}


class AudioFileError(ValueError):
    """An audio file could not be read or holds no usable audio.

    Attributes:
        reason: Why, as one word a report can group by: ``"missing"``, ``"unreadable"``,
            ``"empty"`` or ``"nonfinite"``.
    """

    def __init__(self, message: str, reason: str = "unreadable"):
        super().__init__(message)
        self.reason = reason


def read_audio(path: PathLike, sample_rate: int | None = None, mono: bool = True) -> tuple[torch.Tensor, int]:
    """Read any file soundfile reads (wav, flac, ogg, mp3, ...).

    Args:
        path: The file.
        sample_rate: Resample to this rate when given; otherwise keep the file's rate.
        mono: Average the channels.

    Returns:
        ``(audio, rate)`` where audio is float32 of shape (L,) when ``mono`` else (C, L).

    Raises:
        AudioFileError: The file is missing, unreadable, empty or holds NaN/inf samples.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"Audio file not found: {path}", reason="missing")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)  # (L, C)
    except Exception as error:  # soundfile raises several types for corrupt files
        raise AudioFileError(f"Cannot read audio file {path}: {error}", reason="unreadable") from error
    if data.shape[0] == 0:
        raise AudioFileError(f"Audio file {path} holds no samples.", reason="empty")
    if not np.isfinite(data).all():
        raise AudioFileError(f"Audio file {path} holds NaN or infinite samples.", reason="nonfinite")
    import torch

    audio = torch.from_numpy(data.T.copy())  # (C, L)
    if mono:
        audio = audio.mean(dim=0)
    if sample_rate is not None and sample_rate != rate:
        audio = resample(audio, rate, sample_rate)
        rate = sample_rate
    return audio, rate


def resample(audio: torch.Tensor, orig_rate: int, new_rate: int) -> torch.Tensor:
    """Band-limited resampling along the last axis."""
    if orig_rate == new_rate:
        return audio
    import torchaudio

    return torchaudio.functional.resample(audio, orig_rate, new_rate)


def write_audio(path: PathLike, audio, sample_rate: int, durable: bool = True, info: Optional[SampleInfo] = None) -> Path:
    """Write a mono (L,) or multi-channel (C, L) array as 16-bit PCM (or the format of the suffix,
    :data:`WRITABLE_FORMATS`).

    ``info`` (:class:`~latentaudio.sample_info.SampleInfo`) adds what a sampler or a DAW reads from a WAV: the take's
    root key and sustain loop (``smpl``), and whether it is a one-shot or a loop of so many beats at a tempo
    (``acid``). Other formats have no place for it and are written without.

    The file is replaced atomically (see :mod:`latentaudio.atomic`): a reader, a concurrent writer or
    a killed process sees the previous file or the new one whole, never a partial file.
    ``durable=False`` skips flushing it to disk (which guards against power loss, not against a
    killed process): dataset renderers writing thousands of clips they can write again use it.

    Raises:
        ValueError: The folder cannot be created or the file cannot be written.
    """
    path = Path(path)
    audio = audio.detach().cpu().float().numpy() if hasattr(audio, "detach") else np.asarray(audio, np.float32)  # a torch.Tensor
    if audio.ndim == 2:
        audio = audio.T  # soundfile wants (L, C)
    elif audio.ndim != 1:
        raise ValueError(f"Audio to write must have shape (L,) or (C, L), got {audio.shape}.")
    try:
        with atomic_file(path, durable=durable) as temp:
            sf.write(str(temp), np.clip(audio, -1.0, 1.0), sample_rate, format=output_format(path))
            if info is not None and output_format(path) == "WAV":
                from .sample_info import add_to_wav

                add_to_wav(temp, info, sample_rate)
    except (OSError, RuntimeError, TypeError, ValueError, sf.LibsndfileError) as error:
        raise ValueError(f"Cannot write audio to {path}: {error}") from error
    return path


def output_format(path: PathLike) -> str | None:
    """soundfile's format name for the file ``path`` names (:data:`WRITABLE_FORMATS`; another suffix as soundfile
    spells it, ``None`` for none)."""
    suffix = Path(path).suffix.lower()
    return WRITABLE_FORMATS.get(suffix, suffix.lstrip(".") or None)


def fit_length(audio: torch.Tensor, length: int, offset: int = 0) -> torch.Tensor:
    """Crop ``audio[..., offset:offset + length]``, zero-padding the end when it is short."""
    audio = audio[..., offset : offset + length]
    if audio.shape[-1] < length:
        import torch

        audio = torch.nn.functional.pad(audio, (0, length - audio.shape[-1]))
    return audio
