"""Inpainting: regenerate a time range of a clip, keeping the rest."""

from __future__ import annotations

import math
from typing import Callable, Optional, Union

import torch

from ..spectrogram import vae_compression
from .editing import AudioInput, LatentAudioEditPipelineBase, check_time_range, crossfade_weights

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import torch
        >>> from latentaudio import DEFAULT_MODEL, LatentAudioInpaintPipeline, LatentAudioPipeline

        >>> pipe = LatentAudioInpaintPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
        >>> # Replace a click between 0.8 s and 1.1 s with something that fits around it.
        >>> fixed = pipe("loop.wav", start_in_s=0.8, end_in_s=1.1, generator=torch.manual_seed(0)).audios[0]
        ```
"""


class LatentAudioInpaintPipeline(LatentAudioEditPipelineBase):
    """Regenerate ``[start_in_s, end_in_s)`` of a clip so that it fits the audio around it.

    The latent frames covering the range are generated from noise while every other frame is
    replaced after each step by the input's latents noised to the same level (RePaint-style
    blending, Lugmayr et al. 2022), so the new part is denoised in the context of the kept part.
    The output's mel is then the input's reconstruction outside the range and the new mel
    inside it, crossfaded over one latent frame (``vae`` compression × hop samples: 40 ms with
    the default model) just inside each end. So outside the range the mel equals
    :meth:`reconstruct`'s exactly, and so does the waveform beyond the vocoder's reach from the
    range (a few milliseconds for HiFi-GAN; Griffin-Lim's phase estimate spans the whole clip).
    See :class:`LatentAudioPipelineBase` for the components.
    """

    @torch.no_grad()
    def __call__(
        self,
        audio: AudioInput,
        start_in_s: float,
        end_in_s: float,
        prompt: Union[str, list[str], None] = None,
        match_tempo: bool = True,
        match_sound: bool = True,
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
        r"""Inpaint a time range.

        Args:
            audio (`str`, `np.ndarray` or `torch.Tensor`): A file path (converted to the pipeline's
                rate and to mono), or mono samples (L,) or clips (B, L) at ``sample_rate``.
            start_in_s (`float`): Start of the range to regenerate, in seconds from the clip's start.
            end_in_s (`float`): Its end; ``0 <= start_in_s < end_in_s <=`` the clip's length.
            prompt (`str` or `list[str]`, *optional*): What the new part should be; ``None`` lets
                the context decide.
            match_tempo (`bool`, defaults to `True`): For a model that reads a stated tempo, give a prompt that states
                none the clip's own where it has a beat
                (:meth:`~latentaudio.pipelines.editing.LatentAudioEditPipelineBase.prompts_at_clip_tempo`), so the new
                part keeps the groove; ``False`` reads it as it is.
            match_sound (`bool`, defaults to `True`): For a pipeline whose scorer knows a music model's material, give
                an empty prompt the words of what the clip sounds like ("a trap drum loop",
                :meth:`~latentaudio.pipelines.editing.LatentAudioEditPipelineBase.prompts_of_clip_sound`), so the new
                part is the clip's kind of sound; ``False`` leaves it empty.
            negative_prompt, sample_rate, num_inference_steps, guidance_scale, num_waveforms_per_prompt,
            generator, prompt_embeds, negative_prompt_embeds, prompt_attention_mask,
            negative_prompt_attention_mask, return_dict, callback_on_step_end, callback_on_step_end_tensor_inputs:
                As for :class:`LatentAudioAudioToAudioPipeline`; the callback's latents are taken after
                each step's blending of the kept part.
            output_type (`str`, defaults to ``"np"``): ``"np"``/``"pt"`` waveforms (B, L) of the
                input's length, ``"mel"``, or ``"latent"`` (the sampler's result, before the mel crossfade). With
                ``num_waveforms_per_prompt`` > 1 and a pipeline that ranks takes (:mod:`latentaudio.ranking`), each
                clip's takes come back best first by the range made, as the scorer hears what the prompt (or, for an
                empty one, the clip: ``match_sound``) names; a ``"latent"`` output keeps the order of the noise.

        Examples:
        """
        # 1. Check inputs
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        clips = self.prepare_audio(audio, sample_rate)
        num_samples = clips.shape[-1]
        check_time_range(start_in_s, end_in_s, num_samples / self.sample_rate)
        clips, prompts, negatives = self.match_prompts(clips, prompts, negatives)
        prompts = self.prompts_read(clips, prompts, match_tempo, match_sound)
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end, callback_on_step_end_tensor_inputs,
            generator, rows=len(clips) * num_waveforms_per_prompt, num_waveforms_per_prompt=num_waveforms_per_prompt,
        )

        # 2. Encode the prompt (unconditional half first when guiding)
        embeddings = self.encode_prompt(
            prompts, negatives, num_waveforms_per_prompt, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            seconds=num_samples / self.sample_rate,
        )

        # 3. Encode the audio and mark the latent frames to regenerate
        clean = self.encode_audio(clips, num_samples).repeat_interleave(num_waveforms_per_prompt, dim=0)
        mel_frames, first, last = self.mel_range(start_in_s, end_in_s, clean.shape[2])
        factor = vae_compression(self.vae)
        mask = torch.zeros_like(clean[:1, :1, :, :1])  # (1, 1, T', 1): broadcasts over batch, channels, bins
        mask[:, :, first // factor : math.ceil(last / factor)] = 1.0

        # 4. Regenerate the masked frames in the context of the rest
        latents = self.regenerate(
            clean.to(self.unet.dtype), mask, num_inference_steps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
        )
        if output_type == "latent":
            return self.finish(latents, return_dict)

        # 5. VAE decoder, the reconstruction kept outside the range, vocoder
        weight = crossfade_weights(mel_frames, first, last, fade=factor, device=latents.device)
        mel = self.decode_keeping(latents, self.codec.decode(clean), weight)
        if not self.ranks_takes(prompts, num_waveforms_per_prompt):
            return self.finish(self.vocode(mel, num_samples, output_type), return_dict)
        audio = self.vocode(mel, num_samples, "pt")  # each clip's takes best first by the range made
        made = audio[..., round(start_in_s * self.sample_rate) : round(end_in_s * self.sample_rate)]
        output = mel if output_type == "mel" else audio.cpu().numpy() if output_type == "np" else audio
        return self.finish(self.in_take_order(output, made, prompts, num_waveforms_per_prompt), return_dict)

    def mel_range(self, start_in_s: float, end_in_s: float, latent_frames: int) -> tuple[int, int, int]:
        """(mel frames of the latent, first and one-past-last mel frame touching the time range)."""
        hop = self.spectrogram.hop_length
        mel_frames = latent_frames * vae_compression(self.vae)
        first = math.floor(start_in_s * self.sample_rate / hop)
        last = min(math.ceil(end_in_s * self.sample_rate / hop) + 1, mel_frames)
        return mel_frames, first, last


LatentAudioInpaintPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
