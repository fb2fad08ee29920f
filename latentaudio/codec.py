"""The mel codec: audio ⇄ normalised log-mel ⇄ scaled VAE latent, at exact lengths.

Every route between a waveform and a latent goes through :class:`MelCodec`, so pipelines,
datasets, trainers and evaluation agree on the frame arithmetic:

- A latent frame covers ``f · hop_length`` samples, ``f`` the VAE's compression (40 ms with
  the default model). Audio of ``L`` samples is encoded as ``ceil(L / (f · hop))`` latent
  frames, rounded up to ``frame_multiple`` (the U-Net's downsampling factor), i.e. ``f`` times
  as many mel frames: the mel is cropped or padded with silence to exactly that.
- The VAE takes mels whose length is a multiple of ``f``; shorter remainders are padded with
  silence before encoding and cropped again after decoding (:meth:`reconstruct`).
- The vocoder runs in its own dtype and its float32 output is cut to exactly the samples asked for.

What a pipeline hands to a user also passes :func:`limit_peaks`: a take the vocoder made louder
than full scale is turned down as a whole, so no written file clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL

from .lengths import latent_frames
from .spectrogram import MelSpectrogram, vae_compression
from .vae import decode_latents, encode_mel, posterior


FULL_SCALE = 1.0  # the largest magnitude a float waveform written as 16/24-bit PCM keeps


def limit_peaks(audio: torch.Tensor, ceiling: float = FULL_SCALE) -> torch.Tensor:
    """Turn down every take whose peak passes ``ceiling`` to peak exactly at it; quieter takes are
    returned bit for bit.

    One gain per take (a row of (B, L), or a take's channels together in (B, C, L)), so a take keeps its
    envelope, its dynamics and its stereo image: a gain, not a clipper or a compressor. A diffusion model
    sets each take's level itself, and now and then (a loud prompt, a strong guidance scale) past full
    scale, where a 16-bit file would clip it.
    """
    peak = audio.abs().amax(dim=tuple(range(1, audio.ndim)), keepdim=True)  # (B, 1) or (B, 1, 1)
    return audio * (ceiling / peak.clamp(min=ceiling))


@dataclass
class MelCodec:
    """One spectrogram, VAE and (optionally) vocoder, and the steps between audio, mel and latent.

    Cheap to build: it only holds the components, so a pipeline makes one whenever it needs it
    and swapping a component is never missed.

    Args:
        spectrogram (`MelSpectrogram`): Audio to normalised log-mel (B, n_mels, T).
        vae (`AutoencoderKL`): Mel image (B, 1, T, n_mels) to latent (B, C, T / f, n_mels / f).
        vocoder (*optional*): Mel (B, n_mels, T) to audio (B, T * hop_length); needed by :meth:`vocode` only.
        frame_multiple (`int`, defaults to 1): Latent frame counts are rounded up to a multiple of this.
    """

    spectrogram: MelSpectrogram
    vae: AutoencoderKL
    vocoder: Optional[torch.nn.Module] = None
    frame_multiple: int = 1

    # ------------------------------------------------------------ lengths
    @property
    def compression(self) -> int:
        """Mel frames (and mel bins) per latent frame (and latent bin)."""
        return vae_compression(self.vae)

    @property
    def latent_bins(self) -> int:
        """Frequency bins of the latent: ``n_mels / f``."""
        return self.spectrogram.n_mels // self.compression

    def latent_shape(self, batch_size: int, latent_frames: int) -> tuple[int, int, int, int]:
        """(B, C, frames, n_mels / f): the shape of scaled latents."""
        return (batch_size, self.vae.config.latent_channels, latent_frames, self.latent_bins)

    @property
    def samples_per_latent_frame(self) -> int:
        return self.compression * self.spectrogram.hop_length

    def latent_frames_for(self, num_samples: int) -> int:
        """Latent frames covering ``num_samples``, rounded up to ``frame_multiple``."""
        return latent_frames(num_samples, self.samples_per_latent_frame, self.frame_multiple)

    def mel_frames_for(self, num_samples: int) -> int:
        """Mel frames the codec encodes for ``num_samples``: those of :meth:`latent_frames_for`."""
        return self.latent_frames_for(num_samples) * self.compression

    def fit_frames(self, mel: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Crop or silence-pad mel (B, n_mels, T) to :meth:`mel_frames_for` ``num_samples``."""
        frames = self.mel_frames_for(num_samples)
        return self._pad_with_silence(mel[..., :frames], frames)

    # ------------------------------------------------- audio → mel → latent
    def audio_to_mel(self, audio: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Mel (B, n_mels, T) of mono audio (B, L), T = :meth:`mel_frames_for` ``num_samples``.

        Audio shorter than the STFT takes is padded with zeros first; a short mel with silence.
        """
        audio = F.pad(audio, (0, max(self.spectrogram.min_samples - audio.shape[-1], 0)))
        return self.fit_frames(self.spectrogram(audio), num_samples)

    def posterior(self, mel: torch.Tensor):
        """The VAE's posterior (unscaled) over the latent of mel (B, n_mels, T), silence-padded to a multiple of f."""
        return posterior(self.vae, self._pad_with_silence(mel, self.compression))

    def encode(self, mel: torch.Tensor, generator: Optional[torch.Generator] = None, sample: bool = False) -> torch.Tensor:
        """Scaled latents (B, C, ceil(T / f), n_mels / f) of mel (B, n_mels, T).

        Args:
            sample: Draw from the posterior (training); ``False`` takes its mode (editing, evaluation).
        """
        return encode_mel(self.vae, self._pad_with_silence(mel, self.compression), generator, sample)

    def encode_audio(self, audio: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Posterior-mode latents (B, C, latent_frames_for(num_samples), n_mels / f) of mono audio (B, L)."""
        return self.encode(self.audio_to_mel(audio, num_samples))

    # ------------------------------------------------- latent → mel → audio
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Mel (B, n_mels, T' · f) of scaled latents (B, C, T', n_mels / f), in the VAE's dtype."""
        return decode_latents(self.vae, latents)

    def reconstruct(self, mel: torch.Tensor) -> torch.Tensor:
        """Mel (B, n_mels, T) → posterior mode → mel of the same shape, float32: what the VAE keeps."""
        return self.decode(self.encode(mel))[..., : mel.shape[-1]].float()

    def vocode(self, mel: torch.Tensor, num_samples: Optional[int] = None, within_full_scale: bool = False) -> torch.Tensor:
        """Float32 audio (B, num_samples) of mel (B, n_mels, T), the vocoder run in its own dtype.

        Args:
            num_samples (`int`, *optional*): Exact output length: the vocoder's T · hop_length samples
                are cropped (or, for a mel too short, zero-padded) to it; ``None`` keeps them all.
            within_full_scale (`bool`, defaults to `False`): Turn a take that passes full scale down
                (:func:`limit_peaks`), by the peak of all T · hop_length samples, before cropping: so a
                clip has the gain whatever length is cut from it (the standalone graph's output is uncropped).
        """
        if self.vocoder is None:
            raise ValueError("This codec has no vocoder; give it one to turn mels into audio.")
        audio = self.vocoder(mel.to(self.vocoder.dtype))
        if within_full_scale:
            audio = limit_peaks(audio.float())
        if num_samples is not None:
            audio = F.pad(audio[..., :num_samples], (0, max(num_samples - audio.shape[-1], 0)))
        return audio.float()

    def _pad_with_silence(self, mel: torch.Tensor, multiple: int) -> torch.Tensor:
        """Pad the time axis of (..., T) up to a multiple of ``multiple`` with the spectrogram's silence."""
        extra = -mel.shape[-1] % multiple
        return F.pad(mel, (0, extra), value=self.spectrogram.silence_level) if extra else mel
