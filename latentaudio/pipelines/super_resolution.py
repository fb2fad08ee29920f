"""Super-resolution / bandwidth extension: regenerate the mel bands above a cutoff (frequency-axis inpainting)."""

from __future__ import annotations

import os
from typing import Callable, Optional, Union

import soundfile as sf
import torch

from ..spectrogram import vae_compression
from .editing import AudioInput, LatentAudioEditPipelineBase, crossfade_weights

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import torch
        >>> from latentaudio import DEFAULT_MODEL, LatentAudioPipeline, LatentAudioSuperResolutionPipeline

        >>> pipe = LatentAudioSuperResolutionPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
        >>> # A recording made at 8 kHz has nothing above 4 kHz: the file's rate sets the cutoff.
        >>> full_band = pipe("phone_recording_8khz.wav", generator=torch.manual_seed(0)).audios[0]
        >>> # A full-rate file that was low-passed: the cutoff is where its spectrum falls away, or named.
        >>> restored = pipe("dull.wav", generator=torch.manual_seed(0)).audios[0]
        >>> restored = pipe("dull.wav", cutoff_hz=3000.0, generator=torch.manual_seed(0)).audios[0]
        >>> pipe.known_bins(4000.0)  # (mel bins below 4 kHz, latent bins held fixed): (49, 11) with the default model
        ```
"""

# Band-limited resampling keeps content up to this fraction of the source's Nyquist frequency
# (torchaudio's default rolloff).
RESAMPLER_ROLLOFF = 0.99


# Without a cutoff, a full-rate input's content is taken to end where all but this fraction of
# its power lies below (30 dB down: 99.9 % of the power).
CUTOFF_POWER_LEFT = 1e-3


def estimate_cutoff(clips: torch.Tensor, sample_rate: int, n_fft: int = 1024) -> float:
    """Where the content of clips (B, L) ends, in Hz: the lowest frequency above which only
    :data:`CUTOFF_POWER_LEFT` of their power lies (mean power spectrum over Hann windows of ``n_fft``)."""
    audio = clips.double()
    if audio.shape[-1] < n_fft:
        audio = torch.nn.functional.pad(audio, (0, n_fft - audio.shape[-1]))
    window = torch.hann_window(n_fft, dtype=torch.float64, device=audio.device)
    frames = torch.stft(audio, n_fft, hop_length=n_fft // 4, window=window, center=False, return_complex=True)
    power = frames.abs().pow(2).mean((0, -1))  # (n_fft / 2 + 1,)
    below = torch.cumsum(power, 0) / power.sum()
    edge = int((below < 1 - CUTOFF_POWER_LEFT).sum())  # the first bin at which the rest is under the fraction
    return min((edge + 0.5) * sample_rate / n_fft, sample_rate / 2)


class LatentAudioSuperResolutionPipeline(LatentAudioEditPipelineBase):
    """Restore the high mel bands of low-passed audio, conditioned on the bands below the cutoff.

    How the cutoff maps to what is kept:

    - **mel bins**: the ``k`` lowest bins whose whole triangular filter lies at or below
      ``cutoff_hz`` are known; the others are regenerated.
    - **latent bins**: latent bin ``j`` encodes mel bins ``[j f, (j + 1) f)`` where ``f`` is the
      VAE's compression factor (4 with the default model), but the encoder also sees a few bins
      around them. So the latent bins ``j < k // f - 1`` are held fixed during denoising
      (RePaint-style blending, as for time inpainting) and the rest, one latent bin of margin
      included, are generated from noise in their context.
    - **output**: the mel is the input's own below mel bin ``(k // f - 1) f``, the generated mel
      above, crossfaded over the ``f`` bins of the margin; then the vocoder. Unlike the time edits,
      which keep the input's reconstruction, the known band is kept as it is: it is what the user
      has, and a level step of the VAE's error across a band edge is heard far less than one in time.

    Without ``cutoff_hz`` the cutoff is the Nyquist frequency of the input's own sample rate (a
    file's rate, or ``sample_rate`` for samples) when that is below the pipeline's: the usual
    case of audio recorded or stored at a lower rate. Audio at the full rate gets the cutoff
    :func:`estimate_cutoff` reads from its spectrum: the frequency above which only 0.1 % of its
    power lies (:data:`CUTOFF_POWER_LEFT`). That finds a low-pass filter's edge; on audio that
    was never filtered it finds where the instrument's own roll-off has spent its power, so pass
    ``cutoff_hz`` to choose otherwise. At least one latent bin must stay known and one mel
    bin must be missing, or a ``ValueError`` says so.
    """

    @torch.no_grad()
    def __call__(
        self,
        audio: AudioInput,
        cutoff_hz: Optional[float] = None,
        prompt: Union[str, list[str], None] = None,
        negative_prompt: Union[str, list[str], None] = None,
        sample_rate: Optional[int] = None,
        num_inference_steps: Optional[int] = None,
        guidance_scale: Optional[float] = None,
        num_waveforms_per_prompt: int = 1,
        generator: Union[torch.Generator, list[torch.Generator], None] = None,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        prompt_attention_mask: Optional[torch.Tensor] = None,
        negative_prompt_attention_mask: Optional[torch.Tensor] = None,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
    ):
        r"""Extend the bandwidth of low-passed audio.

        Args:
            audio (`str`, `np.ndarray` or `torch.Tensor`): A file path (converted to the pipeline's
                rate and to mono), or mono samples (L,) or clips (B, L) at ``sample_rate``.
            cutoff_hz (`float`, *optional*): Where the input's content ends, in Hz; defaults to half
                the input's own sample rate when it is below the pipeline's.
            prompt (`str` or `list[str]`, *optional*): What the sound is, if the bands alone leave doubt.
            negative_prompt, sample_rate, num_inference_steps, guidance_scale, num_waveforms_per_prompt,
            generator, prompt_embeds, negative_prompt_embeds, prompt_attention_mask,
            negative_prompt_attention_mask, return_dict, callback_on_step_end, callback_on_step_end_tensor_inputs:
                As for :class:`LatentAudioAudioToAudioPipeline`; the callback's latents are taken after
                each step's blending of the kept part.
            output_type (`str`, defaults to ``"np"``): ``"np"``/``"pt"`` waveforms (B, L) of the
                input's length, ``"mel"``, or ``"latent"`` (the sampler's result, before the crossfade).

        Examples:
        """
        # 1. Check inputs
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        clips = self.prepare_audio(audio, sample_rate)
        num_samples = clips.shape[-1]
        _, known_latent = self.known_bins(self.source_cutoff(audio, sample_rate, clips) if cutoff_hz is None else cutoff_hz)
        kept, prompts, negatives = self.match_prompts(self.audio_mel(clips, num_samples), prompts, negatives)
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end, callback_on_step_end_tensor_inputs,
            generator, rows=len(kept) * num_waveforms_per_prompt, num_waveforms_per_prompt=num_waveforms_per_prompt,
        )

        # 2. Encode the prompt (unconditional half first when guiding)
        embeddings = self.encode_prompt(
            prompts, negatives, num_waveforms_per_prompt, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            seconds=num_samples / self.sample_rate,
        )

        # 3. Encode the audio and mark the latent bins above the known band
        kept = kept.repeat_interleave(num_waveforms_per_prompt, dim=0)
        clean = self.codec.encode(kept)
        mask = torch.zeros_like(clean[:1, :1, :1, :])  # (1, 1, 1, M'): broadcasts over batch, channels, frames
        mask[..., known_latent:] = 1.0

        # 4. Regenerate the high bands in the context of the low ones
        latents = self.regenerate(
            clean.to(self.unet.dtype), mask, num_inference_steps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
        )
        if output_type == "latent":
            return self.finish(latents, return_dict)

        # 5. VAE decoder, the input's low bands kept, vocoder
        factor = vae_compression(self.vae)
        n_mels = self.spectrogram.n_mels
        weight = crossfade_weights(n_mels, known_latent * factor, n_mels, fade=factor)[:, None]  # (n_mels, 1)
        mel = self.decode_keeping(latents, kept, weight)
        audio = self.vocode(mel, num_samples, output_type)
        return self.finish(audio, return_dict)

    def filter_edges(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Lowest and highest frequency (Hz) of each mel filter, shapes (n_mels,)."""
        filterbank = self.spectrogram.transform.mel_scale.fb  # (n_fft / 2 + 1, n_mels)
        hz = torch.linspace(0, self.sample_rate / 2, filterbank.shape[0], device=filterbank.device)[:, None]
        inside = filterbank > 0
        low = torch.where(inside, hz, torch.inf).amin(0)
        high = torch.where(inside, hz, -torch.inf).amax(0)
        return low, high

    def known_bins(self, cutoff_hz: float) -> tuple[int, int]:
        """(mel bins entirely below ``cutoff_hz``, latent bins held fixed); see the class docstring."""
        nyquist = self.sample_rate / 2
        if isinstance(cutoff_hz, bool) or not isinstance(cutoff_hz, (int, float)) or not 0 < cutoff_hz <= nyquist:
            raise ValueError(f"cutoff_hz={cutoff_hz!r} must be a frequency in (0, {nyquist:g}] Hz.")
        _, high = self.filter_edges()
        known_mel = int((high <= cutoff_hz).sum())
        factor = vae_compression(self.vae)
        known_latent = known_mel // factor - 1
        if known_mel >= self.spectrogram.n_mels:
            raise ValueError(
                f"Nothing to regenerate: every mel bin lies below the cutoff {cutoff_hz:g} Hz ("
                f"the mel bands end at {float(high.max()):g} Hz). Pass a lower cutoff_hz to replace the top bands."
            )
        if known_latent < 1:
            lowest = float(high[2 * factor - 1])
            raise ValueError(
                f"The cutoff {cutoff_hz:g} Hz leaves no latent bin to condition on; it must be at least "
                f"{lowest:g} Hz with this model."
            )
        return known_mel, known_latent

    def source_cutoff(self, audio: AudioInput, sample_rate: Optional[int], clips: torch.Tensor) -> float:
        """The band edge implied by the input's own sample rate when that is below the pipeline's, else
        the one :func:`estimate_cutoff` reads from ``clips`` (B, L), the input at the pipeline's rate."""
        rate = sf.info(str(audio)).samplerate if isinstance(audio, (str, os.PathLike)) else sample_rate or self.sample_rate
        if rate < self.sample_rate:
            return RESAMPLER_ROLLOFF * rate / 2
        if not clips.abs().amax() > 0:
            raise ValueError(
                "The input is silent, so its missing band cannot be read from its spectrum; "
                f"give the cutoff frequency in Hz (cutoff_hz, or --cutoff), below {self.sample_rate / 2:g}."
            )
        return estimate_cutoff(clips, self.sample_rate)


LatentAudioSuperResolutionPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
