"""The training dataset: an audiofolder read as fixed-length clips, with mel and latent caches.

Example:
    ```py
    >>> from torch.utils.data import DataLoader
    >>> from latentaudio.data import AudioFolderDataset, collate_audio
    >>> from latentaudio.spectrogram import MelSpectrogram
    >>> dataset = AudioFolderDataset("data/gm", MelSpectrogram(), seconds=2.0, random_crop=True,
    ...                              split="train", cache_dir="data/gm/.cache")
    >>> batch = next(iter(DataLoader(dataset, batch_size=8, shuffle=True, collate_fn=collate_audio)))
    >>> batch["mel"].shape, batch["text"][0]
    (torch.Size([8, 64, 201]), 'a soft acoustic grand piano note, C4')
    ```

How a clip is cut. Each file is resampled to the spectrogram's rate, downmixed to mono and
zero-padded to at least the clip length; call that the *full* audio. The mel of the full
audio is computed once (and cached), and a clip is the window of ``num_samples`` samples
starting at a whole number of hops, ``start = frame * hop``, with its mel frames
``[frame, frame + num_samples // hop + 1)``. Training (``random_crop=True``) draws ``frame``
uniformly with torch's global generator, which ``DataLoader`` seeds per worker;
evaluation (``random_crop=False``) always starts at 0, the onset of a one-shot note.
Cached and uncached loading therefore give identical tensors.
"""

from __future__ import annotations

import logging
from typing import Optional, Sequence, Union

import torch

from ..audio_io import PathLike, fit_length, read_audio
from ..spectrogram import MelSpectrogram
from .cache import TensorCache, cache_key, config_fingerprint, file_fingerprint, weights_fingerprint
from .output import DEFAULT_SAMPLE_RATE
from .report import AudioEntry, NoUsableAudioError, scan_folder

logger = logging.getLogger(__name__)


class AudioFolderDataset(torch.utils.data.Dataset):
    """Fixed-length clips of an audiofolder, with their captions and metadata columns.

    Items are dicts with ``audio`` (L,) float32 (unless ``return_audio=False``), ``mel``
    (n_mels, T) when a spectrogram is given, ``latent_mean`` and ``latent_std``
    (C, T'/f, n_mels/f) when a VAE is given, ``text`` ("" when uncaptioned), ``file_name``,
    ``start`` (first sample of the clip) and every extra metadata column.

    Args:
        root: The audiofolder (see :mod:`latentaudio.data.report` for the layout and captions).
        spectrogram (`MelSpectrogram`, *optional*): Adds ``mel`` and sets the sample rate.
        seconds (`float`, *optional*): Clip length in seconds; give this or ``num_samples``.
        num_samples (`int`, *optional*): Clip length in samples.
        sample_rate (`int`, *optional*): Rate to resample to; defaults to the spectrogram's, or
            the default spectrogram's (16000) without one. Must agree with the spectrogram when both are given.
        random_crop (`bool`, defaults to `False`): Random windows for training; `False` starts
            every clip at 0 for evaluation.
        split (`str` or list, *optional*): Keep only rows whose ``split`` column is one of these.
        cache_dir (*optional*): Folder for the mel (and latent) cache; no cache when `None`.
        vae (`AutoencoderKL`, *optional*): Adds the latent posterior of each clip's mel, cached in
            ``cache_dir`` (required). Latents are of the deterministic clip (start 0), so
            ``random_crop`` must be `False`. The mel is padded with silence to a multiple of the
            VAE's compression factor; ``latent_mean``/``latent_std`` are unscaled (multiply a
            sample ``mean + std * noise`` by ``vae.config.scaling_factor``).
        return_audio (`bool`, defaults to `True`): `False` skips reading audio when the mel or
            latents come from the cache (the fast path for diffusion training).
        silence_threshold (`float`, defaults to 1e-4): Files peaking below this are skipped.
        sample_captions (`bool`, defaults to `False`): Rows with a ``captions`` list give one of them,
            drawn with torch's global generator (seeded per item in training), as ``text``.

    Raises:
        NoUsableAudioError: Nothing usable is left (after the split filter); the message holds
            the report.
        ValueError: Inconsistent arguments, or ``split`` without a ``split`` column.
    """

    def __init__(
        self,
        root: PathLike,
        spectrogram: Optional[MelSpectrogram] = None,
        seconds: Optional[float] = None,
        num_samples: Optional[int] = None,
        sample_rate: Optional[int] = None,
        random_crop: bool = False,
        split: Union[str, Sequence[str], None] = None,
        cache_dir: Optional[PathLike] = None,
        vae=None,
        return_audio: bool = True,
        silence_threshold: float = 1e-4,
        sample_captions: bool = False,
    ):
        # 1. check the arguments
        if spectrogram is not None:
            if sample_rate is not None and sample_rate != spectrogram.sample_rate:
                raise ValueError(
                    f"sample_rate={sample_rate} disagrees with the spectrogram's sample_rate={spectrogram.sample_rate}; "
                    "leave sample_rate out to use the spectrogram's."
                )
            sample_rate = spectrogram.sample_rate
        self.sample_rate = sample_rate or DEFAULT_SAMPLE_RATE
        if (seconds is None) == (num_samples is None):
            raise ValueError(f"Give exactly one of seconds={seconds} and num_samples={num_samples}.")
        self.num_samples = num_samples if num_samples is not None else round(seconds * self.sample_rate)
        if self.num_samples < 1:
            raise ValueError(f"The clip length must be at least one sample, got {self.num_samples}.")
        if vae is not None:
            if spectrogram is None or cache_dir is None:
                raise ValueError("A latent cache needs a spectrogram and a cache_dir.")
            if random_crop:
                raise ValueError(
                    "Latents are cached for the deterministic clip (start 0); use random_crop=False with a VAE."
                )
        self.spectrogram = spectrogram
        self.random_crop = random_crop
        self.vae = vae
        self.return_audio = return_audio or spectrogram is None
        self.sample_captions = sample_captions
        # Clips start on hop boundaries so that their mel frames are a slice of the full mel.
        self.step = spectrogram.hop_length if spectrogram is not None else 1

        # 2. scan the folder; every skipped file is reported, none silently
        entries, self.report = scan_folder(root, silence_threshold=silence_threshold)
        if self.report.skipped:
            logger.warning("Some audio files are skipped:\n%s", self.report.format())

        # 3. keep the asked-for split
        if split is not None:
            entries = _filter_split(entries, [split] if isinstance(split, str) else list(split))
        if not entries:
            raise NoUsableAudioError(
                f"No usable audio in {root}{f' for split={split!r}' if split is not None else ''}.\n{self.report.format()}"
            )
        self.entries: list[AudioEntry] = entries

        # 4. caches
        self.mel_cache = TensorCache(cache_dir, "mel") if cache_dir is not None and spectrogram is not None else None
        self.latent_cache = TensorCache(cache_dir, "latent") if vae is not None else None
        self._spectrogram_hash = config_fingerprint(spectrogram.config) if spectrogram is not None else None
        self._vae_hash = weights_fingerprint(vae) if vae is not None else None

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> dict:
        entry = self.entries[index]
        full_length = max(_resampled_length(entry, self.sample_rate), self.num_samples)
        frame = self._start_frame(full_length)
        item = {"text": entry.text, "file_name": entry.file_name, "start": frame * self.step, **entry.columns}
        captions = entry.columns.get("captions") if self.sample_captions else None
        if captions:  # one of the clip's captions (issue 16); drawn after the crop, so crops stay as they were
            item["text"] = captions[int(torch.randint(len(captions), ()).item())]
        audio = None  # the full audio, read only when needed
        if self.return_audio:
            audio = self._full_audio(entry, full_length)
            item["audio"] = audio[frame * self.step : frame * self.step + self.num_samples]
        if self.spectrogram is not None:
            if self.vae is not None:
                item["latent_mean"], item["latent_std"] = self._latent(entry, full_length, audio)
            mel = self._full_mel(entry, full_length, audio)
            frames = self.spectrogram.num_frames(self.num_samples)
            item["mel"] = mel[:, frame : frame + frames]
        return item

    def _start_frame(self, full_length: int) -> int:
        last = (full_length - self.num_samples) // self.step
        if not self.random_crop or last == 0:
            return 0
        return int(torch.randint(0, last + 1, ()).item())

    def _full_audio(self, entry: AudioEntry, full_length: int) -> torch.Tensor:
        audio, _ = read_audio(entry.path, sample_rate=self.sample_rate)
        return fit_length(audio, full_length)

    def _full_mel(self, entry: AudioEntry, full_length: int, audio: Optional[torch.Tensor]) -> torch.Tensor:
        key = cache_key(
            file=entry.file_name, stat=file_fingerprint(entry.path), spectrogram=self._spectrogram_hash, length=full_length
        )
        if self.mel_cache is not None:
            cached = self.mel_cache.load(entry.file_name, key)
            if cached is not None:
                return cached["mel"]
        if audio is None:
            audio = self._full_audio(entry, full_length)
        with torch.no_grad():
            mel = self.spectrogram(audio[None])[0]  # (n_mels, T_full)
        if self.mel_cache is not None:
            self.mel_cache.save(entry.file_name, key, {"mel": mel})
        return mel

    def _latent(
        self, entry: AudioEntry, full_length: int, audio: Optional[torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = cache_key(
            file=entry.file_name, stat=file_fingerprint(entry.path), spectrogram=self._spectrogram_hash,
            length=full_length, clip=self.num_samples, vae=self._vae_hash,
        )
        cached = self.latent_cache.load(entry.file_name, key)
        if cached is not None:
            return cached["mean"], cached["std"]
        from ..codec import MelCodec

        mel = self._full_mel(entry, full_length, audio)[:, : self.spectrogram.num_frames(self.num_samples)]
        with torch.no_grad():
            posterior = MelCodec(self.spectrogram, self.vae).posterior(mel[None].to(self.vae.device))
        mean, std = posterior.mean[0].float().cpu(), posterior.std[0].float().cpu()
        self.latent_cache.save(entry.file_name, key, {"mean": mean, "std": std})
        return mean, std


def collate_audio(batch: list[dict]) -> dict:
    """Stack tensors, turn numeric columns into tensors and keep everything else as lists.

    Raises:
        ValueError: Tensors of one key differ in shape (give the dataset a fixed length).
    """
    collated = {}
    for key in batch[0]:
        values = [item.get(key) for item in batch]
        if all(isinstance(value, torch.Tensor) for value in values):
            shapes = sorted({tuple(value.shape) for value in values})
            if len(shapes) > 1:
                raise ValueError(f"Cannot batch {key!r}: shapes {shapes} differ; give the dataset a fixed clip length.")
            collated[key] = torch.stack(values)
        elif all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
            collated[key] = torch.tensor(values)
        else:
            collated[key] = values
    return collated


def _resampled_length(entry: AudioEntry, sample_rate: int) -> int:
    """Samples after resampling, as torchaudio computes them: ceil(frames * new / old)."""
    return -(-entry.num_frames * sample_rate // entry.sample_rate)


def _filter_split(entries: list[AudioEntry], splits: list[str]) -> list[AudioEntry]:
    if entries and "split" not in entries[0].columns:
        raise ValueError(
            f"split={splits} was asked for, but the metadata has no 'split' column "
            f"(columns: {sorted(entries[0].columns)})."
        )
    present = sorted({str(entry.columns.get("split")) for entry in entries})
    kept = [entry for entry in entries if entry.columns.get("split") in splits]
    if entries and not kept:
        raise NoUsableAudioError(f"No rows with split in {splits}; the splits present are {present}.")
    return kept
